"""engine.simulate equals a real training loop, exactly, for every scheduler in the registry."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

from lrviz.engine import simulate
from lrviz.errors import ConfigError, ScheduleError
from lrviz.schedules import OPTIMIZERS, SCHEDULERS
from tests.conftest import make_run, reference_lrs

PER_STEP = {"OneCycleLR", "CyclicLR"}


def _check(doc: dict[str, Any], *, metrics: list[float] | None = None, **ref: Any) -> None:
    run = make_run(doc)
    curve = simulate(run, momentum=True)
    sched = copy.deepcopy(doc["scheduler"])
    spe = doc.get("steps_per_epoch", 1)
    if sched["name"] == "OneCycleLR" and "total_steps" not in sched:
        sched.setdefault("epochs", doc["epochs"])
        sched.setdefault("steps_per_epoch", spe)
    opt = doc.get("optimizer", {})
    groups = opt.get("param_groups")
    lrs = tuple(g["lr"] for g in groups) if groups else (opt.get("lr", 0.1),)
    options = {k: v for k, v in opt.items() if k not in ("name", "lr", "param_groups")}
    expected = reference_lrs(
        sched,
        epochs=doc["epochs"],
        steps_per_epoch=spe,
        optimizer=opt.get("name", "SGD"),
        lrs=lrs,
        options=options,
        interval="step" if sched["name"] in PER_STEP else "epoch",
        metrics=metrics,
        **ref,
    )
    assert [list(s) for s in curve.lrs] == expected  # exact: ==, not approx
    assert curve.torch_warnings == ()


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
@pytest.mark.parametrize("steps_per_epoch", [1, 3])
@pytest.mark.parametrize("spec", SCHEDULERS, ids=lambda s: s.name)
def test_every_registered_scheduler_matches_pytorch(
    spec: Any, optimizer: str, steps_per_epoch: int, plateau_metrics: list[float]
) -> None:
    assert spec.sample, f"{spec.name} needs a sample in the registry"
    doc: dict[str, Any] = {
        "epochs": 20,
        "steps_per_epoch": steps_per_epoch,
        "optimizer": {"name": optimizer, "lr": 0.05},
        "scheduler": {"name": spec.name, **copy.deepcopy(dict(spec.sample))},
    }
    metrics = None
    if spec.name == "ReduceLROnPlateau":
        doc["metrics"] = metrics = plateau_metrics
    _check(doc, metrics=metrics)


@pytest.mark.parametrize(
    "args",
    [
        {"T_max": 5},
        {"T_max": 7, "eta_min": 0.001},
        {"T_max": 1},
        {"T_max": 50, "eta_min": 1e-5},
    ],
)
def test_cosine_parameter_sets(args: dict[str, Any]) -> None:
    _check(
        {"epochs": 60, "optimizer": {"name": "Adam", "lr": 3e-4}, "scheduler": {"name": "CosineAnnealingLR", **args}}
    )


@pytest.mark.parametrize(
    "args", [{"T_0": 5, "T_mult": 2}, {"T_0": 10, "T_mult": 10, "eta_min": 1e-5}, {"T_0": 3}, {"T_0": 1, "T_mult": 3}]
)
def test_restarts_parameter_sets(args: dict[str, Any]) -> None:
    _check({"epochs": 120, "scheduler": {"name": "CosineAnnealingWarmRestarts", **args}})


def test_article_restart_epochs() -> None:
    # T_0=5, T_mult=2: the LR is back at its maximum at epochs 5, 15, 35, 75, 155
    curve = simulate(
        make_run({"epochs": 160, "scheduler": {"name": "CosineAnnealingWarmRestarts", "T_0": 5, "T_mult": 2}})
    )
    assert curve.restart_epochs == [5, 15, 35, 75, 155]
    for epoch in curve.restart_epochs:
        assert curve.lrs[0][epoch] == 0.1
        assert curve.lrs[0][epoch - 1] < 0.1
    flat = simulate(make_run({"epochs": 26, "scheduler": {"name": "CosineAnnealingWarmRestarts", "T_0": 5}}))
    assert flat.restart_epochs == [5, 10, 15, 20, 25]


def test_fractional_restarts_follow_pytorch_documented_loop() -> None:
    doc = {"epochs": 15, "steps_per_epoch": 4, "scheduler": {"name": "CosineAnnealingWarmRestarts", "T_0": 5}}
    _check(doc)
    curve = simulate(make_run(doc))
    # step(epoch + i/N) after each step: the LR for step k was set by step(k-1)/N, so the
    # cycle restarts one step after the epoch boundary, exactly as a training loop sees it.
    assert curve.restart_epochs == [5.25, 10.25]


def test_onecycle_per_step_with_adam_betas() -> None:
    doc = {
        "epochs": 5,
        "steps_per_epoch": 40,
        "optimizer": {"name": "AdamW", "lr": 0.001, "weight_decay": 0.01},
        "scheduler": {"name": "OneCycleLR", "max_lr": 0.01, "pct_start": 0.25, "three_phase": True},
    }
    _check(doc)
    curve = simulate(make_run(doc), momentum=True)
    assert curve.momenta is not None
    assert max(curve.momenta[0]) == 0.95 and min(curve.momenta[0]) == pytest.approx(0.85)
    assert curve.points == 200


def test_two_param_groups_and_per_group_max_lr() -> None:
    groups = [{"name": "backbone", "lr": 0.01}, {"name": "head", "lr": 0.1}]
    _check(
        {"epochs": 30, "optimizer": {"param_groups": groups}, "scheduler": {"name": "CosineAnnealingLR", "T_max": 10}}
    )
    _check(
        {
            "epochs": 4,
            "steps_per_epoch": 10,
            "optimizer": {"name": "SGD", "momentum": 0.9, "param_groups": groups},
            "scheduler": {"name": "OneCycleLR", "max_lr": [0.02, 0.2]},
        }
    )


def test_warmup_then_cosine_and_chained() -> None:
    _check(
        {
            "epochs": 40,
            "scheduler": {
                "name": "SequentialLR",
                "milestones": [5],
                "schedulers": [
                    {"name": "LinearLR", "start_factor": 0.01, "total_iters": 5},
                    {"name": "CosineAnnealingWarmRestarts", "T_0": 5, "T_mult": 2},
                ],
            },
        }
    )
    run = make_run({"epochs": 30, "warmup": 5, "scheduler": {"name": "CosineAnnealingLR", "T_max": 25}})
    assert run.scheduler.name == "SequentialLR" and run.milestones == (5,)
    curve = simulate(run)
    assert curve.events(curve.milestones) == [5]
    assert curve.lrs[0][0] == pytest.approx(0.001) and curve.lrs[0][5] == 0.1


def test_plateau_reductions_marked(plateau_metrics: list[float]) -> None:
    doc = {"metrics": plateau_metrics, "scheduler": {"name": "ReduceLROnPlateau", "patience": 2, "factor": 0.5}}
    _check({**doc, "epochs": 20}, metrics=plateau_metrics)
    curve = simulate(make_run(doc))
    assert curve.run.epochs == 20
    assert curve.reductions
    for k in curve.reductions:
        assert curve.lrs[0][k] == curve.lrs[0][k - 1] * 0.5


def test_lambda_with_list_per_group() -> None:
    _check(
        {
            "epochs": 12,
            "optimizer": {"param_groups": [{"lr": 0.1}, {"lr": 0.2}]},
            "scheduler": {"name": "LambdaLR", "lr_lambda": ["0.5 ** (epoch // 3)", "min(1, (epoch + 1) / 4)"]},
        }
    )


def test_cyclic_momentum_with_sgd() -> None:
    doc = {
        "epochs": 30,
        "optimizer": {"name": "SGD", "momentum": 0.9},
        "scheduler": {
            "name": "CyclicLR",
            "base_lr": 0.001,
            "max_lr": 0.1,
            "step_size_up": 5,
            "mode": "exp_range",
            "gamma": 0.99,
        },
    }
    _check(doc)


def test_pytorch_errors_are_wrapped() -> None:
    # total_steps shorter than the run: PyTorch raises "Tried to step N times" at the end
    run = make_run({"epochs": 10, "scheduler": {"name": "OneCycleLR", "max_lr": 0.1, "total_steps": 5}})
    with pytest.raises(ScheduleError, match=r"OneCycleLR raised at epoch 5: Tried to step 6 times"):
        simulate(run)
    with pytest.raises(ConfigError, match="optimizer Adam"):
        simulate(
            make_run(
                {"optimizer": {"name": "Adam", "betas": [1.5, 0.9]}, "scheduler": {"name": "StepLR", "step_size": 2}}
            )
        )


def test_overflowing_lr_is_an_error() -> None:
    run = make_run({"epochs": 2000, "scheduler": {"name": "ExponentialLR", "gamma": 2.0}})
    with pytest.raises(ScheduleError, match="beyond what a float32 optimizer step can use"):
        simulate(run)


@pytest.mark.parametrize("name", [n for n in OPTIMIZERS])
def test_real_optimizer_step_never_changes_what_schedulers_read(name: str) -> None:
    # The engine skips optimizer.step() on its grad-less dummy; this shows a real step (with real
    # gradients) leaves every param-group entry other than the parameters untouched.
    import torch

    params = [torch.nn.Parameter(torch.randn(3)), torch.nn.Parameter(torch.randn(3))]
    opt = getattr(torch.optim, name)([{"params": [params[0]], "lr": 0.01}, {"params": [params[1]], "lr": 0.1}])
    before = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
    for _ in range(3):
        opt.zero_grad()
        sum((p**2).sum() for p in params).backward()  # type: ignore[union-attr]
        opt.step()
    after = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
    assert after == before


@pytest.mark.parametrize("name", [n for n in OPTIMIZERS])
def test_dummy_optimizer_has_the_real_param_groups(name: str) -> None:
    import torch

    from lrviz.engine import build_optimizer

    run = make_run({"optimizer": {"name": name, "lr": 0.02}, "scheduler": {"name": "StepLR", "step_size": 2}})
    dummy = build_optimizer(run)
    real = getattr(torch.optim, name)([torch.nn.Parameter(torch.zeros(1))], lr=0.02)
    assert isinstance(dummy, getattr(torch.optim, name))
    assert [{k: v for k, v in g.items() if k != "params"} for g in dummy.param_groups] == [
        {k: v for k, v in g.items() if k != "params"} for g in real.param_groups
    ]
    assert dummy.defaults == real.defaults


def test_library_stepping_leaves_torch_alone() -> None:
    """Library use writes nothing into torch's private caches (issue: a library must not change the process)."""
    import subprocess
    import sys

    code = (
        "import sys, torch\n"
        "from lrviz.reading import build_run, from_document\n"
        "from lrviz.engine import simulate\n"
        "simulate(build_run(from_document({'optimizer': 'Adam', 'scheduler': {'name': 'OneCycleLR', 'max_lr': 0.1}})))\n"
        "inner = torch.optim.Optimizer.add_param_group.__wrapped__\n"
        "print(getattr(inner, '__dynamo_disable', None) is inner, 'torch._dynamo' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    # torch filled its own cache with dynamo's wrapper, as it does in any program; lrviz put nothing there
    assert out.stdout.strip() == "False True", out.stderr


def test_the_command_steps_without_importing_dynamo() -> None:
    """The command's own shortcut (lrviz.cli._torch) still works on the installed torch."""
    import subprocess
    import sys

    from lrviz.cli._torch import shortcut_applies

    assert shortcut_applies(), "torch changed how _disable_dynamo caches; update lrviz/cli/_torch.py"
    code = (
        "import sys\n"
        "from lrviz.reading import build_run, from_document\n"
        "from lrviz.cli._torch import simulate\n"
        "simulate(build_run(from_document({'optimizer': 'Adam', 'scheduler': {'name': 'OneCycleLR', 'max_lr': 0.1}})))\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr


@pytest.mark.parametrize("spec", SCHEDULERS, ids=lambda s: s.name)
def test_resume_from_state_dicts_matches_the_uninterrupted_run(spec: Any, plateau_metrics: list[float]) -> None:
    from lrviz.engine import simulate_resume

    doc: dict[str, Any] = {
        "epochs": 20,
        "steps_per_epoch": 2,
        "scheduler": {"name": spec.name, **copy.deepcopy(dict(spec.sample))},
        "metrics": plateau_metrics,
    }
    if spec.name != "ReduceLROnPlateau":
        del doc["metrics"]
    run = make_run(doc)
    resumed = simulate_resume(run, 7)
    assert [list(s) for s in resumed] == [list(s) for s in simulate(run).lrs]


def test_resume_at_must_be_inside_the_run() -> None:
    from lrviz.engine import simulate_resume

    run = make_run({"epochs": 5, "scheduler": {"name": "StepLR", "step_size": 2}})
    with pytest.raises(ConfigError, match="^resume_at: must be an epoch between 1 and 4, got 5"):
        simulate_resume(run, 5)


def test_resume_line_reports_a_jump() -> None:
    import dataclasses
    from array import array

    curve = simulate(make_run({"epochs": 6, "scheduler": {"name": "StepLR", "step_size": 2}}))
    jumped = array("d", curve.lrs[0])
    jumped[4] = 0.5
    odd = dataclasses.replace(curve, resume_at=3, resumed=(jumped,))
    assert odd.resume_difference() == 4
    assert odd.resume_line() == (
        f"resumed from a checkpoint at epoch 3: the LR jumps at epoch 4: uninterrupted {curve.lrs[0][4]!r}, resumed 0.5"
    )


def test_lr_beyond_float32_is_an_error_as_in_training() -> None:
    # found by the fuzzer: ConstantLR divides by its factor at total_iters, so a tiny factor gives an
    # LR of ~1e282; a real optimizer step over float32 parameters raises there, so lrviz does too
    doc = {
        "epochs": 6,
        "optimizer": {"name": "Adam", "lr": 1.0},
        "scheduler": {
            "name": "ChainedScheduler",
            "schedulers": [
                {"name": "CosineAnnealingWarmRestarts", "T_0": 1},
                {"name": "ConstantLR", "factor": 5.7e-283},
            ],
        },
    }
    with pytest.raises(RuntimeError, match="without overflow"):
        reference_lrs(doc["scheduler"], epochs=6, optimizer="Adam", lrs=(1.0,))
    with pytest.raises(ScheduleError, match=r"became 1\.7\d+e\+282 at epoch 5, beyond what a float32 optimizer step"):
        simulate(make_run(doc))


def test_nan_lr_is_an_error_wherever_it_appears() -> None:
    # found by the fuzzer: a subnormal start_factor makes the first LR 0.0 and LinearLR's next
    # factor 0 * inf = NaN; max()/min() skip a NaN that is not first, so it was recorded as a curve
    doc = {
        "epochs": 2,
        "optimizer": {"name": "Adam", "lr": 0.25},
        "scheduler": {"name": "LinearLR", "start_factor": 1e-323},
    }
    expected = reference_lrs(doc["scheduler"], epochs=2, optimizer="Adam", lrs=(0.25,))
    assert expected[0][0] == 0.0 and math.isnan(expected[0][1])  # what a training loop sees
    with pytest.raises(ScheduleError, match=r"became nan at epoch 1, training would turn the parameters into NaN"):
        simulate(make_run(doc))
