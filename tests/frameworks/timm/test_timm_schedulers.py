"""timm: every scheduler of create_scheduler_v2 equals a loop stepped as train.py steps it.

The reference loop is written here, the way train.py runs (1078-1095, 1108, 1199-1201,
1438-1439): the LR of an epoch/update is read before it, ``step_update(num_updates)``
after every update, ``step(epoch + 1, metric)`` at the end of every epoch, for
``num_epochs`` as the factory returns it. The scheduler classes are timm's own.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import types
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

import lrviz
from lrviz.cli.commands import app
from lrviz.frameworks.timm import read as timm_config
from lrviz.frameworks.timm.step import timm_scheduler_module

if importlib.util.find_spec("timm") is None:  # `import timm` itself may fail here: it needs torchvision
    pytest.skip("timm is not installed", allow_module_level=True)
runner = CliRunner()
REAL = Path(__file__).parents[2] / "realworld" / "configs" / "timm"
FACTORY = timm_scheduler_module()
DEFAULTS = {key: default for key, _, default, _ in timm_config.ARGS}


def reference(args: dict[str, Any], updates_per_epoch: int, metrics: list[float] | None = None) -> list[float]:
    """train.py's loop over timm's own scheduler, recording the LR each epoch (or update) runs with."""
    cfg = types.SimpleNamespace(**{**DEFAULTS, **args})
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=cfg.lr)
    with warnings.catch_warnings():  # timm deprecates its PlateauLRScheduler (a FutureWarning)
        warnings.simplefilter("ignore", FutureWarning)
        scheduler, num_epochs = FACTORY.create_scheduler_v2(
            optimizer,
            **FACTORY.scheduler_kwargs(cfg, decreasing_metric=cfg.eval_metric == "loss"),
            updates_per_epoch=updates_per_epoch,
        )
    out = []
    num_updates = 0
    for epoch in range(num_epochs):
        for _ in range(max(updates_per_epoch, 1) if cfg.sched_on_updates else 1):
            param.grad = torch.zeros(1)
            optimizer.step()
            out.append(optimizer.param_groups[0]["lr"])
            num_updates += 1
            if scheduler is not None:
                scheduler.step_update(num_updates=num_updates)
        if scheduler is not None:
            scheduler.step(epoch + 1, metrics[epoch] if metrics else None)
    return out


def test_scheduler_classes_are_timms_own() -> None:
    cosine = FACTORY.CosineLRScheduler
    assert cosine.__module__ == "timm.scheduler.cosine_lr"
    assert "site-packages" in sys.modules[cosine.__module__].__file__  # type: ignore[operator]


@pytest.mark.parametrize("sched", timm_config.SCHEDULERS)
@pytest.mark.parametrize("on_updates", [False, True], ids=["per-epoch", "per-update"])
def test_every_scheduler_equals_train_py(sched: str, on_updates: bool) -> None:
    if sched == "plateau" and on_updates:
        pytest.skip("timm's plateau scheduler steps per epoch only")
    args: dict[str, Any] = {
        "sched": sched,
        "lr": 0.1,
        "epochs": 12,
        "warmup_epochs": 2,
        "warmup_lr": 1e-4,
        "min_lr": 1e-5,
        "cooldown_epochs": 2,
        "decay_epochs": 4,
        "decay_milestones": [4, 8],
        "sched_on_updates": on_updates,
    }
    metrics = [1.0, 0.9, 0.9, 0.9, 0.9, 0.95, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]
    doc = dict(args, metrics=metrics) if sched == "plateau" else dict(args)
    curve = lrviz.simulate(doc, steps_per_epoch=5) if on_updates else lrviz.simulate(doc)
    assert curve.lr == reference(args, 5 if on_updates else 0, metrics if sched == "plateau" else None)
    assert curve.steps_per_epoch == (5 if on_updates else 1)


def test_cycles_noise_k_decay_and_warmup_prefix_equal_train_py() -> None:
    args = {
        "sched": "cosine",
        "lr": 0.05,
        "epochs": 10,
        "warmup_epochs": 3,
        "warmup_prefix": True,
        "lr_cycle_limit": 3,
        "lr_cycle_mul": 2.0,
        "lr_cycle_decay": 0.5,
        "lr_k_decay": 1.5,
        "cooldown_epochs": 4,
    }
    curve = lrviz.simulate(args)
    assert curve.lr == reference(args, 0)
    assert curve.run.epochs == 10 + 20 + 40 + 3 + 4  # num_epochs as create_scheduler_v2 returns it
    assert curve.restart_epochs == [13, 33]  # where a new cycle starts: read from the curve
    noisy = dict(args, lr_noise=[0.3, 0.9], seed=7, lr_cycle_limit=1)
    curve = lrviz.simulate(noisy)
    assert curve.lr == reference(noisy, 0)
    assert any(f.code == "timm-noise" for f in curve.findings)


def test_lr_null_is_scaled_from_lr_base_as_train_py_does() -> None:
    run = lrviz.load(
        {"sched": "cosine", "lr": None, "batch_size": 64, "grad_accum_steps": 2, "opt": "sgd"}, world_size=4
    )
    assert run.optimizer.lr == 0.1 * (64 * 4 * 2 / 256)  # linear for sgd
    run = lrviz.load({"sched": "cosine", "lr": None, "batch_size": 64, "opt": "lamb"})
    assert run.optimizer.lr == 0.1 * (64 / 256) ** 0.5  # sqrt for ada*/lamb
    curve = lrviz.simulate({"sched": "cosine", "lr": None, "epochs": 5, "warmup_epochs": 0})
    assert any(f.code == "timm-lr-assumed" and "lr_base 0.1" in f.message for f in curve.findings)


def test_updates_per_epoch_from_the_dataset_size(tmp_path: Path) -> None:
    # 10,000 samples / 3 ranks = 3,334 per rank / batch 64 = 52 batches (floor) / accumulate 4 = 13 updates
    result = runner.invoke(
        app,
        [
            "timm",
            "cosine",
            "--lr",
            "0.01",
            "--epochs",
            "4",
            "--sched-on-updates",
            "--dataset-size",
            "10000",
            "--world-size",
            "3",
            "--batch-size",
            "64",
            "--grad-accum-steps",
            "4",
            "-o",
            str(tmp_path / "t.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (
        "3,334 per rank (ceil) / batch 64 = 52 batches (floor, drop_last) / accumulate 4 = 13 updates" in result.stdout
    )
    rows = (tmp_path / "t.csv").read_text().splitlines()
    assert rows[0] == "epoch,step,lr,restart"
    args = {"sched": "cosine", "lr": 0.01, "epochs": 4, "sched_on_updates": True}
    assert [float(r.split(",")[2]) for r in rows[1:]] == reference(args, 13)


def test_peak_below_lr_is_reported() -> None:
    curve = lrviz.simulate({"sched": "cosine", "lr": 0.1, "epochs": 20, "warmup_epochs": 5})
    assert any(f.code == "timm-peak-below-lr" for f in curve.findings)
    curve = lrviz.simulate({"sched": "cosine", "lr": 0.1, "epochs": 20, "warmup_epochs": 5, "warmup_prefix": True})
    assert not any(f.code == "timm-peak-below-lr" for f in curve.findings)


def test_resume_at_as_train_py_resumes() -> None:
    curve = lrviz.simulate({"sched": "step", "lr": 0.1, "epochs": 20, "decay_epochs": 5}, resume_at=7)
    assert curve.resumed is not None and list(curve.resumed[0]) == curve.lr


def test_code_prints_create_scheduler_v2_and_the_loop_and_it_runs() -> None:
    source = lrviz.code({"sched": "cosine", "lr": 0.1, "epochs": 6, "warmup_epochs": 1})
    assert "create_scheduler_v2(" in source and "scheduler.step(epoch + 1)" in source
    namespace: dict[str, Any] = {"create_scheduler_v2": FACTORY.create_scheduler_v2}
    body = source.replace("from timm.scheduler import create_scheduler_v2, scheduler_kwargs", "")
    namespace["scheduler_kwargs"] = FACTORY.scheduler_kwargs
    exec(compile(body.replace("print(", "_ = ("), "snippet", "exec"), namespace)  # noqa: S102 - our own output
    assert namespace["num_epochs"] == 6


def test_scheduler_import_needs_no_torchvision_and_leaves_import_timm_as_it_was() -> None:
    code = (
        "import sys\n"
        "from lrviz.frameworks.timm.step import timm_scheduler_module\n"
        "m = timm_scheduler_module()\n"
        "print(m.CosineLRScheduler.__module__, 'timm' in sys.modules)\n"
        "try:\n"
        "    import torchvision\n"
        "    print('torchvision ok')\n"
        "except Exception:\n"
        "    print('no torchvision', 'torchvision' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0].startswith("timm.scheduler.cosine_lr")
    if out[1].startswith("no torchvision"):  # this machine: timm installed without torchvision
        assert out[0].endswith("False")  # no half-initialised `timm` left behind
        assert out[1] == "no torchvision False"


# ---------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["timm", "cosin"], "lrviz timm cosin: expected a timm scheduler name (did you mean cosine?)"),
        (["timm", "cosine", "--epochs", "x"], "--epochs: expected an integer, got 'x'"),
        (["timm", "cosine", "--epochs", "0"], "--epochs: must be an integer >= 1"),
        (["timm", "cosine", "--lr", "-1"], "--lr: must be >= 0"),
        (["timm", "cosine", "--warmup-lr", "x"], "--warmup-lr: expected a number, got 'x'"),
        (["timm", "cosine", "--lr-base-scale", "cubic"], "--lr-base-scale: expected linear or sqrt"),
        (["timm", "cosine", "--batch-size", "0"], "--batch-size: must be an integer >= 1"),
        (["timm", "cosine", "--decay-milestones", "a,b"], "--decay-milestones: expected integers separated by commas"),
        (["timm", "cosine", "--lr-noise", "x"], "--lr-noise: expected numbers separated by commas"),
        (
            ["timm", "cosine", "--sched-on-updates"],
            "--sched-on-updates: stepping on updates needs the updates per epoch",
        ),
        (
            ["timm", "cosine", "--sched-on-updates", "--dataset-size", "3"],
            "--dataset-size: 3 samples per rank make no full batch",
        ),
        (["timm", "plateau"], "timm's plateau scheduler steps on the eval metric"),
        (["timm", "cosine", "--lr-cycle-limit", "0"], "--lr-cycle-limit: must be an integer >= 1"),
    ],
)
def test_bad_flags_exit_2_with_one_line_and_write_nothing(tmp_path: Path, argv: list[str], message: str) -> None:
    out = tmp_path / "x.png"
    result = runner.invoke(app, [*argv, "-o", str(out)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sched: cosinus\n", "args.yaml:1: sched: expected a timm scheduler name (did you mean cosine?)"),
        ("sched: cosine\nepochs: ten\n", "args.yaml:2: epochs: expected an integer"),
        ("sched: cosine\nwarmup_prefix: 1\n", "args.yaml:2: warmup_prefix: expected true or false"),
        ("sched: cosine\nopt: 3\n", "args.yaml:2: opt: expected a string"),
        ("sched: cosine\nmin_lr: -1\n", "args.yaml:2: min_lr: must be >= 0"),
        ("sched: cosine\ndecay_milestones: [1.5]\n", "args.yaml:2: decay_milestones[0]: expected an integer"),
    ],
)
def test_bad_keys_in_args_yaml_exit_2_naming_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "args.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["render", str(path), "-o", str(tmp_path / "x.csv")])
    assert result.exit_code == 2, result.output
    assert message in result.stderr.replace(str(tmp_path) + "/", "")
    assert not (tmp_path / "x.csv").exists()


def test_without_timm_a_config_that_needs_it_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "timm" else real(name, *a))
    result = runner.invoke(app, ["timm", "cosine"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: needs timm: pip install 'lrviz[timm]'"


# ---------------------------------------------------------------------------
# Real args.yaml files (tests/realworld/SOURCES.md)


@pytest.mark.parametrize("name", sorted(p.name for p in REAL.glob("*.yaml")))
def test_real_args_yaml(name: str, tmp_path: Path) -> None:
    from lrviz.config.files import read_yaml

    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["render", str(REAL / name), "-o", str(out)])
    assert result.exit_code == 0, result.output
    doc, _ = read_yaml(REAL / name)
    args = {k: doc[k] for k in DEFAULTS if k in doc and doc[k] is not None}
    args["sched"] = doc["sched"]
    values = [float(r.split(",")[1]) for r in out.read_text().splitlines()[1:]]
    assert values == reference(args, 0)
    if doc.get("start_epoch"):
        assert "note: start_epoch" in result.stderr
