"""Diagnostics: every finding has a config that triggers it and a close one that does not.

Configs are stepped by the real engine, so the numbers a message quotes are checked
against the LRs PyTorch produced; the OneCycleLR overrun is checked against the
error PyTorch actually raises.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from lrviz.api import simulate
from lrviz.diagnostics import Finding, check_curve, check_run, run_findings
from lrviz.errors import ScheduleError
from lrviz.model import Curve
from tests.conftest import make_run


def _restarts(epochs: int, t_0: int = 5, t_mult: int = 2, **extra: Any) -> dict[str, Any]:
    return {
        "epochs": epochs,
        "scheduler": {"name": "CosineAnnealingWarmRestarts", "T_0": t_0, "T_mult": t_mult},
        **extra,
    }


def _onecycle(total_steps: int) -> dict[str, Any]:
    return {
        "epochs": 10,
        "steps_per_epoch": 100,
        "scheduler": {"name": "OneCycleLR", "max_lr": 0.1, "total_steps": total_steps},
    }


def _cyclic(epochs: int, up: int, spe: int = 100) -> dict[str, Any]:
    return {
        "epochs": epochs,
        "steps_per_epoch": spe,
        "scheduler": {"name": "CyclicLR", "base_lr": 0.001, "max_lr": 0.1, "step_size_up": up},
    }


def _sequential(epochs: int, milestones: list[int]) -> dict[str, Any]:
    children = [
        {"name": "LinearLR", "start_factor": 0.1, "total_iters": 5},
        {"name": "CosineAnnealingLR", "T_max": 30},
        {"name": "ConstantLR", "factor": 0.1},
    ]
    return {
        "epochs": epochs,
        "scheduler": {"name": "SequentialLR", "milestones": milestones, "schedulers": children[: len(milestones) + 1]},
    }


def _plateau(epochs: int, patience: int) -> dict[str, Any]:
    return {
        "epochs": epochs,
        "metrics": [1.0] * epochs,
        "scheduler": {"name": "ReduceLROnPlateau", "patience": patience},
    }


def all_findings(doc: dict[str, Any]) -> list[Finding]:
    """What the CLI would report: the config's findings, then the curve's (unless PyTorch raised)."""
    run = make_run(doc)
    found = run_findings(run)
    try:
        curve = simulate(run)
    except ScheduleError:
        return found
    return found + check_curve(curve)


def codes(doc: dict[str, Any]) -> list[str]:
    return [f.code for f in all_findings(doc)]


# (id, config, code, words every message of that code must contain)
TRIGGERS = [
    ("restarts-mid-cycle", _restarts(50), "mid-cycle", ["cycle 4", "epoch 35", "restart at 75", "73%", "(5, 9)"]),
    (
        "restarts-in-sequential",
        _restarts(45, warmup=5),
        "mid-cycle",
        ["SequentialLR scheduler 2", "from epoch 40", "at 80", "40 or 80"],
    ),
    ("restarts-per-step", _restarts(50, steps_per_epoch=4), "mid-cycle", ["cycle 4", "epoch 35", "75"]),
    ("restarts-before-first", _restarts(3), "mid-cycle", ["cycle 1", "epoch 0", "restart at 5", "train 5 epochs"]),
    ("ends-at-peak", _restarts(36), "ends-at-peak", ["last epoch (35)", "peak LR 0.1", "train 35 or 75"]),
    ("equal-cycles", _restarts(50, t_0=5, t_mult=1), "equal-cycles", ["9 times", "T_mult > 1", "(10, 4)"]),
    (
        "cosine-rises",
        {"epochs": 12, "scheduler": {"name": "CosineAnnealingLR", "T_max": 5}},
        "cosine-rises",
        ["T_max=5", "2.2 of them", "epoch 5", "0.1 by epoch 10", "T_max=11"],
    ),
    (
        "eta-min-equal",
        {"epochs": 6, "scheduler": {"name": "CosineAnnealingLR", "T_max": 5, "eta_min": 0.1}},
        "no-decay",
        ["eta_min (0.1)", "never decays"],
    ),
    (
        "eta-min-above",
        {"epochs": 6, "scheduler": {"name": "CosineAnnealingLR", "T_max": 5, "eta_min": 0.2}},
        "no-decay",
        ["eta_min (0.2) is above the initial lr (0.1)"],
    ),
    (
        "plateau-min-lr",
        {"epochs": 5, "metrics": [1, 2, 3, 4, 5], "scheduler": {"name": "ReduceLROnPlateau", "min_lr": 0.1}},
        "no-decay",
        ["min_lr (0.1)"],
    ),
    (
        "onecycle-overrun",
        _onecycle(850),
        "onecycle-overrun",
        ["total_steps=850", "1,000 steps", "Tried to step 851 times", "epoch 8, step 50"],
    ),
    ("onecycle-short", _onecycle(1200), "onecycle-short", ["total_steps=1,200", "83%", "4e-7"]),
    ("cyclic-mid-cycle", _cyclic(10, 200), "cyclic-mid-cycle", ["2.5 cycles of 400", "800 or 1,200 steps"]),
    ("cyclic-short-cycle", _cyclic(2, 4), "cyclic-short-cycle", ["8 steps", "one epoch (100 steps)"]),
    (
        "linear-warmup-too-long",
        {"epochs": 8, "scheduler": {"name": "LinearLR", "total_iters": 10}},
        "warmup-beyond-run",
        ["total_iters=10", "only 8 epochs"],
    ),
    (
        "sequential-warmup-too-long",
        {"epochs": 8, "warmup": 10, "scheduler": {"name": "CosineAnnealingLR", "T_max": 10}},
        "warmup-beyond-run",
        ["first milestone (10)", "8 epochs", "LinearLR warmup", "CosineAnnealingLR never runs"],
    ),
    (
        "multistep-milestones",
        {"epochs": 50, "scheduler": {"name": "MultiStepLR", "milestones": [30, 60, 90]}},
        "milestone-beyond-run",
        ["60, 90", "last epoch (49)"],
    ),
    (
        "sequential-milestones",
        _sequential(30, [5, 40]),
        "milestone-beyond-run",
        ["milestone(s) 40", "30 epochs", "ConstantLR never runs"],
    ),
    ("plateau-patience", _plateau(12, 10), "patience-too-long", ["patience 10", "12 epochs", "epoch 12"]),
    (
        "cosine-rises-first-peak",  # float drift makes later peaks look higher: the first one is named
        {"epochs": 50, "scheduler": {"name": "CosineAnnealingLR", "T_max": 5}},
        "cosine-rises",
        ["epoch 5", "0.1 by epoch 10 "],
    ),
    (
        "cosine-rises-thousands",
        {"epochs": 3000, "scheduler": {"name": "CosineAnnealingLR", "T_max": 1000}},
        "cosine-rises",
        ["T_max=1,000", "3,000 epochs", "epoch 1,000", "by epoch 2,000", "T_max=2,999"],
    ),
    (
        "exponential-grows",
        {"epochs": 20, "scheduler": {"name": "ExponentialLR", "gamma": 1.1}},
        "lr-grows",
        ["gamma=1.1", "every epoch", "without bound"],
    ),
    (
        "step-grows",
        {"epochs": 20, "scheduler": {"name": "StepLR", "step_size": 5, "gamma": 2}},
        "lr-grows",
        ["gamma=2", "every 5 epochs"],
    ),
    (
        "multistep-grows",
        {"epochs": 20, "scheduler": {"name": "MultiStepLR", "milestones": [5], "gamma": 3}},
        "lr-grows",
        ["gamma=3", "at every milestone"],
    ),
    ("restarts-t0-1", _restarts(20, t_0=1, t_mult=1), "constant-lr", ["T_0=1", "stays at 0.1", "constant"]),
]

# (id, config, the code that must not appear): each a near miss of a trigger above
QUIET = [
    ("restarts-bottom", _restarts(35), "mid-cycle"),
    ("restarts-bottom-in-sequential", _restarts(40, warmup=5), "mid-cycle"),
    ("restarts-bottom-per-step", _restarts(35, steps_per_epoch=4), "mid-cycle"),
    ("restarts-bottom-no-peak", _restarts(35), "ends-at-peak"),
    ("restarts-growing", _restarts(35), "equal-cycles"),
    ("restarts-one-restart", _restarts(10, t_0=5, t_mult=1), "equal-cycles"),
    ("cosine-one-decay", {"epochs": 6, "scheduler": {"name": "CosineAnnealingLR", "T_max": 5}}, "cosine-rises"),
    (
        "eta-min-below",
        {"epochs": 6, "scheduler": {"name": "CosineAnnealingLR", "T_max": 5, "eta_min": 0.05}},
        "no-decay",
    ),
    ("onecycle-exact", _onecycle(1000), "onecycle-overrun"),
    ("onecycle-exact-short", _onecycle(1000), "onecycle-short"),
    (
        "onecycle-default",
        {"epochs": 3, "steps_per_epoch": 7, "scheduler": {"name": "OneCycleLR", "max_lr": 1}},
        "onecycle-short",
    ),
    ("cyclic-whole", _cyclic(10, 250), "cyclic-mid-cycle"),
    ("cyclic-whole-plus-one", _cyclic(1, 4, spe=9), "cyclic-mid-cycle"),
    ("cyclic-long-cycle", _cyclic(10, 250), "cyclic-short-cycle"),
    ("linear-warmup-fits", {"epochs": 11, "scheduler": {"name": "LinearLR", "total_iters": 10}}, "warmup-beyond-run"),
    (
        "sequential-warmup-fits",
        {"epochs": 11, "warmup": 10, "scheduler": {"name": "CosineAnnealingLR", "T_max": 1}},
        "warmup-beyond-run",
    ),
    (
        "multistep-inside",
        {"epochs": 50, "scheduler": {"name": "MultiStepLR", "milestones": [30, 49]}},
        "milestone-beyond-run",
    ),
    ("sequential-inside", _sequential(41, [5, 40]), "milestone-beyond-run"),
    ("plateau-patience-fits", _plateau(12, 9), "patience-too-long"),
    ("exponential-decays", {"epochs": 20, "scheduler": {"name": "ExponentialLR", "gamma": 0.9}}, "lr-grows"),
    ("exponential-constant", {"epochs": 20, "scheduler": {"name": "ExponentialLR", "gamma": 1.0}}, "lr-grows"),
    ("restarts-t0-1-per-step", _restarts(20, t_0=1, t_mult=1, steps_per_epoch=4), "constant-lr"),
    ("restarts-t0-1-growing", _restarts(31, t_0=1, t_mult=2), "constant-lr"),
    # T_0=1 is constant: no talk of restarts climbing back
    ("restarts-t0-1-no-climb", _restarts(20, t_0=1, t_mult=1), "equal-cycles"),
]


@pytest.mark.parametrize(("doc", "code", "words"), [t[1:] for t in TRIGGERS], ids=[t[0] for t in TRIGGERS])
def test_finding_triggers(doc: dict[str, Any], code: str, words: list[str]) -> None:
    found = [f for f in all_findings(doc) if f.code == code]
    assert len(found) == 1, [f.message for f in all_findings(doc)]
    message = found[0].message
    assert "\n" not in message
    for word in words:
        assert word in message, message
    json.dumps(found[0].data)  # JSON-ready


@pytest.mark.parametrize(("doc", "code"), [t[1:] for t in QUIET], ids=[t[0] for t in QUIET])
def test_finding_stays_quiet(doc: dict[str, Any], code: str) -> None:
    assert code not in codes(doc), [f.message for f in all_findings(doc)]


def test_mid_cycle_data_and_numbers_come_from_the_curve() -> None:
    run = make_run(_restarts(50))
    curve = simulate(run)
    (finding,) = check_curve(curve)
    data = finding.data
    assert (data["cycle"], data["cycle_start"], data["next_restart"]) == (4, 35, 75)
    assert data["end_on_boundary"] == [35, 75]
    assert data["final_lr"] == curve.lrs[0][-1]
    assert data["peak_lr"] == curve.lrs[0][35] == 0.1
    assert data["fraction_of_peak"] == pytest.approx(curve.lrs[0][-1] / 0.1)
    assert {"T_0": 10, "T_mult": 4, "restarts": [10]} in data["suggestions"]
    # the restarts this arithmetic predicts are the ones PyTorch made
    assert list(curve.restarts) == [5, 15, 35]


def test_mid_cycle_suggestions_end_on_a_boundary() -> None:
    """Running the suggested epochs, or the suggested T_0/T_mult, silences the finding."""
    (finding,) = check_curve(simulate(make_run(_restarts(50))))
    for epochs in finding.data["end_on_boundary"]:
        assert "mid-cycle" not in codes(_restarts(epochs))
    for s in finding.data["suggestions"]:
        assert codes(_restarts(50, t_0=s["T_0"], t_mult=s["T_mult"])) == []


def test_sequential_offsets() -> None:
    (finding,) = [f for f in all_findings(_restarts(45, warmup=5)) if f.code == "mid-cycle"]
    assert (finding.data["cycle_start"], finding.data["next_restart"]) == (40, 80)


def test_onecycle_overrun_predicts_pytorchs_error() -> None:
    run = make_run(_onecycle(850))
    (finding,) = run_findings(run)
    with pytest.raises(ScheduleError, match="Tried to step 851 times"):
        simulate(run)
    assert finding.data == {"total_steps": 850, "run_steps": 1000, "fails_at_step": 850}


def test_onecycle_from_epochs_arguments() -> None:
    doc = _onecycle(1)
    doc["scheduler"] = {"name": "OneCycleLR", "max_lr": 0.1, "epochs": 8, "steps_per_epoch": 100}
    (finding,) = run_findings(make_run(doc))
    assert finding.code == "onecycle-overrun"
    assert "epochs=8 x steps_per_epoch=100 = 800 steps" in finding.message


def test_onecycle_short_quotes_the_final_lr() -> None:
    curve = simulate(make_run(_onecycle(1200)))
    (finding,) = check_curve(curve)
    assert finding.data["final_lr"] == curve.lrs[0][-1]
    assert f"{curve.lrs[0][-1]:.4g}" in finding.message


def test_plateau_patience_boundary_matches_pytorch() -> None:
    """patience = epochs - 3 can still reduce the LR (on the last epoch); epochs - 2 cannot."""
    worse = list(range(12))  # mode=min, every epoch after the first is worse
    doc = {"epochs": 12, "metrics": worse, "scheduler": {"name": "ReduceLROnPlateau", "patience": 9}}
    assert simulate(make_run(doc)).reductions == (11,)
    assert "patience-too-long" not in codes(doc)
    doc["scheduler"]["patience"] = 10
    assert simulate(make_run(doc)).reductions == ()
    assert "patience-too-long" in codes(doc)


def test_check_run_keeps_its_string_api() -> None:
    run = make_run({"epochs": 6, "scheduler": {"name": "CosineAnnealingLR", "T_max": 5, "eta_min": 0.2}})
    assert check_run(run) == [
        "CosineAnnealingLR: eta_min (0.2) is above the initial lr (0.1), so the schedule rises instead of decaying; "
        "was that meant?"
    ]
    assert check_run(run) == [f.message for f in run_findings(run)]


def test_per_group_eta_min_names_the_group() -> None:
    doc = {
        "epochs": 6,
        "optimizer": {"param_groups": [{"name": "backbone", "lr": 0.001}, {"name": "head", "lr": 0.01}]},
        "scheduler": {"name": "CosineAnnealingLR", "T_max": 5, "eta_min": 0.005},
    }
    (finding,) = run_findings(make_run(doc))
    assert "'backbone'" in finding.message and finding.data["group"] == "backbone"


def test_finding_is_a_frozen_value() -> None:
    f = Finding("mid-cycle", "text", {"a": [1]})
    assert str(f) == "text"
    assert hash(f) == hash(Finding("mid-cycle", "text", {"b": 2}))
    with pytest.raises(AttributeError):
        f.code = "other"  # type: ignore[misc]


def test_good_configs_are_quiet() -> None:
    for doc in (
        _restarts(35),
        {"scheduler": {"name": "CosineAnnealingLR", "T_max": 10}},
        {"scheduler": {"name": "OneCycleLR", "max_lr": 0.1}, "steps_per_epoch": 10},
        {"scheduler": {"name": "MultiStepLR", "milestones": [30, 80]}},
        {"scheduler": {"name": "StepLR", "step_size": 3}},
    ):
        assert all_findings(doc) == [], doc


def test_curve_findings_use_only_the_recorded_curve() -> None:
    """check_curve works on a Curve built without the engine (no torch needed)."""
    from array import array

    run = make_run(_restarts(50))
    lrs = array("d", [0.1 * (1 - i / 100) for i in range(50)])
    curve = Curve(run=run, lrs=(lrs,))
    (finding,) = check_curve(curve)
    assert finding.code == "mid-cycle"
    assert finding.data["final_lr"] == lrs[-1]
