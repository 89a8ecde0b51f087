"""The public Python API (lrviz/__init__.py, lrviz/api.py): what a notebook user calls."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
from torch.optim.lr_scheduler import CosineAnnealingWarmRestarts, LambdaLR, LRScheduler

import lrviz
from tests.conftest import reference_lrs

ROOT = Path(__file__).resolve().parents[2]


def test_all_is_the_documented_api() -> None:
    assert sorted(lrviz.__all__) == sorted(
        [
            "ConfigError",
            "Curve",
            "Finding",
            "LrvizError",
            "OutputError",
            "Run",
            "ScheduleError",
            "__version__",
            "check",
            "code",
            "compare",
            "diagnose",
            "explain",
            "load",
            "plan_restarts",
            "plot",
            "read_log",
            "save",
            "simulate",
            "watch",
        ]
    )
    from lrviz import api, errors, model

    for name in lrviz.__all__:
        if name == "__version__":
            continue
        # each name is the documented one of its home module, with a docstring
        home = api if name in api.__all__ else (model if name in ("Curve", "Finding", "Run") else errors)
        assert getattr(lrviz, name) is getattr(home, name), name
        assert (getattr(lrviz, name).__doc__ or "").strip(), f"{name} has no docstring"
    assert (ROOT / "lrviz" / "py.typed").exists()


def test_simulate_a_config_file_equals_the_cli_and_a_hand_loop() -> None:
    curve = lrviz.simulate(ROOT / "configs" / "restarts_article.yaml")
    assert curve.restart_epochs == [10]
    scheduler = {"name": "CosineAnnealingWarmRestarts", "T_0": 10, "T_mult": 10, "eta_min": 1.0e-5}
    expected = reference_lrs(scheduler, epochs=110, optimizer="Adam", lrs=(3.0e-4,), options={"weight_decay": 1.0e-5})
    assert curve.lr == expected[0]


def test_load_then_simulate_with_run_options() -> None:
    run = lrviz.load({"scheduler": {"name": "CosineAnnealingLR", "T_max": 10}}, epochs=20, lr=0.5, optimizer="AdamW")
    assert run.epochs == 20 and run.optimizer.name == "AdamW" and run.optimizer.groups[0].lr == 0.5
    curve = lrviz.simulate(run)
    expected = reference_lrs({"name": "CosineAnnealingLR", "T_max": 10}, epochs=20, optimizer="AdamW", lrs=(0.5,))
    assert curve.lr == expected[0]
    assert [f.code for f in curve.findings] == [f.code for f in lrviz.diagnose(curve)]
    assert any("climbs back" in f.message for f in curve.findings)  # T_max=10 over 20 epochs


def test_overrides_set_document_keys() -> None:
    doc = {"trainer": {"max_epochs": 3}, "scheduler": {"name": "StepLR", "step_size": 2}}
    assert lrviz.load(doc, overrides=["trainer.max_epochs=12"]).epochs == 12
    assert lrviz.load(doc, overrides={"scheduler.step_size": 5}).scheduler.args["step_size"] == 5


def test_a_users_own_scheduler_from_a_callable() -> None:
    class WarmupThenHalf(LRScheduler):
        """A user's class: linear warmup for 3 epochs, then halve every 4."""

        def get_lr(self) -> list[float]:
            e = self.last_epoch
            factor = (e + 1) / 3 if e < 3 else 0.5 ** ((e - 3) // 4)
            return [base * factor for base in self.base_lrs]

    curve = lrviz.simulate(lambda opt: WarmupThenHalf(opt), epochs=15, lr=0.2)
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.2)
    scheduler = WarmupThenHalf(optimizer)
    expected = []
    for _ in range(15):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert curve.lr == expected
    assert curve.run.scheduler.describe() == "WarmupThenHalf(...)" and curve.run.label == "WarmupThenHalf"
    assert curve.findings == ()


def test_a_callable_stepped_per_step_with_restarts_marked() -> None:
    curve = lrviz.simulate(
        lambda opt: CosineAnnealingWarmRestarts(opt, T_0=20, T_mult=2),
        epochs=6,
        steps_per_epoch=10,
        interval="step",
    )
    assert curve.points == 60 and curve.restarts == (20,)


def test_callable_errors_are_lrviz_errors() -> None:
    with pytest.raises(lrviz.ConfigError, match="epochs"):
        lrviz.simulate(lambda opt: LambdaLR(opt, lambda e: 1.0))
    with pytest.raises(lrviz.ConfigError, match="no step"):
        lrviz.simulate(lambda opt: object(), epochs=3)
    with pytest.raises(TypeError, match="unexpected keyword argument 'epoch'"):
        lrviz.simulate(lambda opt: LambdaLR(opt, lambda e: 1.0), epoch=3)


def test_errors_name_keys_not_flags() -> None:
    with pytest.raises(lrviz.ConfigError) as info:
        lrviz.load({"scheduler": {"name": "CosineAnnealingLR", "T_max": 10}}, epochs=0)
    assert str(info.value).startswith("epochs: must be an integer > 0")
    assert "--" not in str(info.value)


def test_curve_as_plain_data_and_a_dataframe() -> None:
    curve = lrviz.simulate({"scheduler": {"name": "CosineAnnealingWarmRestarts", "T_0": 2}, "epochs": 5})
    data = curve.to_dict()
    assert data["schema"] == "lrviz.curve/1" and data["epoch"] == [0, 1, 2, 3, 4]
    assert data["groups"][0] == {"name": "group 0", "lr": curve.lr} and data["restarts"] == [2, 4]
    assert data["summary"]["max"] == 0.1
    pd = pytest.importorskip("pandas")
    frame = curve.to_pandas()
    assert isinstance(frame, pd.DataFrame) and list(frame["lr"]) == curve.lr
    assert list(frame["restart"]) == [False, False, True, False, True]


def test_curve_shows_itself_in_a_notebook_without_matplotlib() -> None:
    code = (
        "import sys, lrviz\n"
        "c = lrviz.simulate({'scheduler': {'name': 'CosineAnnealingWarmRestarts', 'T_0': 5}, 'epochs': 15})\n"
        "html = c._repr_html_()\n"
        "print('<svg' in html and 'polyline' in html and 'CosineAnnealingWarmRestarts' in html, 'matplotlib' in sys.modules)\n"
        "print(repr(c))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    first, second = out.stdout.splitlines()[:2]
    assert first == "True False", out.stderr
    assert second.startswith("<Curve CosineAnnealingWarmRestarts(T_0=5) | SGD(lr=0.1) | 15 points | LR min")


def test_plot_returns_a_figure_for_one_or_several() -> None:
    from matplotlib.figure import Figure

    a = lrviz.simulate(ROOT / "configs" / "step_decay.yaml")
    b = lrviz.simulate(ROOT / "configs" / "cosine_article.yaml")
    fig = lrviz.plot(a)
    assert isinstance(fig, Figure) and list(fig.axes[0].lines[0].get_ydata())[: a.points] == a.lr
    overlay = lrviz.plot([a, b], labels=["step", "cosine"])
    assert isinstance(overlay, Figure)
    assert [t.get_text() for t in overlay.axes[0].get_legend().get_texts()][:2] == ["step", "cosine"]


def test_compare_check_plan_code() -> None:
    cmp = lrviz.compare([ROOT / "configs" / "step_decay.yaml", ROOT / "configs" / "step_decay.yaml"])
    assert cmp.first_diff is None
    assert lrviz.check(ROOT / "configs" / "step_decay.yaml", baseline=ROOT / "baselines" / "step_decay.csv").ok
    failing = lrviz.check(ROOT / "configs" / "step_decay.yaml", expect={"lr_never_above": 0.01})
    assert not failing.ok and len(failing.findings) == 1 and failing.describe()[0].startswith("lr_never_above")
    assert [(p.t_0, p.t_mult) for p in lrviz.plan_restarts(35, max_cycles=3)] == [(5, 2), (7, 4), (5, 6), (1, 34)]
    snippet = lrviz.code(ROOT / "configs" / "step_decay.yaml")
    assert "torch.optim.lr_scheduler.StepLR(" in snippet or "StepLR(" in snippet


def test_library_use_leaves_the_process_alone() -> None:
    """No replaced warning handler, no forked children, no exit: a library call returns normally."""
    before_handler = warnings.showwarning
    children_before = _children()
    lrviz.simulate(ROOT / "configs" / "warmup_cosine.yaml", resume_at=3)
    assert warnings.showwarning is before_handler
    assert _children() == children_before


def _children() -> Any:
    import os

    try:
        return sorted(os.listdir(f"/proc/{os.getpid()}/task"))
    except OSError:  # pragma: no cover - not Linux
        return []


def test_import_lrviz_is_light() -> None:
    code = "import sys, lrviz; print(sorted(m for m in ('torch', 'matplotlib', 'typer', 'yaml') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr


def test_explain_says_where_each_number_came_from(tmp_path: Path) -> None:
    path = tmp_path / "args.yaml"
    path.write_text(
        "lr_scheduler_type: cosine\nlearning_rate: 3.0e-4\nmax_steps: 20\nwarmup_steps: 2\nreport_to: none\n"
    )
    lines = lrviz.explain(path)
    assert lines[0] == "dialect: hf (decided by lr_scheduler_type, learning_rate, warmup_steps, max_steps)"
    assert "read: lr_scheduler_type, learning_rate, max_steps, warmup_steps" in lines
    assert "no effect on the LR: report_to" in lines
    assert any(
        line.startswith("learning_rate = 0.0003") and line.endswith(f"{path}:2: learning_rate") for line in lines
    )
    assert any(line.startswith("num_train_epochs = 3") and line.endswith("from default") for line in lines)


def test_load_takes_the_dialect_when_the_keys_do_not_decide(tmp_path: Path) -> None:
    path = tmp_path / "args.yaml"
    path.write_text("learning_rate: 1.0e-4\nnum_epochs: 2\nwarmup_steps: 1\n")
    with pytest.raises(lrviz.ConfigError, match="cannot tell which framework"):
        lrviz.load(path, dataset_size=40)
    run = lrviz.load(path, dialect="axolotl", dataset_size=40)  # axolotl: 2 epochs of 40 steps, its default cosine
    # axolotl: 2 epochs x 40 samples / (its default micro_batch_size 1 x 1) = 80 steps; its warmup of 1 becomes 2
    assert run.scheduler.describe() == "hf cosine(num_warmup_steps=2, num_training_steps=80)"
