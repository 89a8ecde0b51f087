"""Flags and YAML become one validated RunConfig; every problem names its source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lrviz.config import MAX_POINTS, from_flags, merge, read_metrics
from lrviz.errors import ConfigError
from lrviz.reading import build_run, from_document, load_file

ROOT = Path(__file__).resolve().parents[2]


def yaml_file(tmp_path: Path, text: str, name: str = "wr.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def run_of(doc: dict[str, Any]):  # type: ignore[no-untyped-def]
    return build_run(from_document(doc, "t.yaml"))


def test_flags_override_file_values(tmp_path: Path) -> None:
    path = yaml_file(
        tmp_path, "epochs: 40\nlr: 0.5\nscheduler:\n  name: CosineAnnealingWarmRestarts\n  T_0: 10\n  T_mult: 2\n"
    )
    flags = from_flags(
        {
            ("scheduler", "name"): ("lrviz restarts", "CosineAnnealingWarmRestarts"),
            ("scheduler", "T_0"): ("--t0", 5),
            ("epochs",): ("--epochs", None),
        }
    )
    run = build_run(merge(load_file(path), flags))
    assert run.scheduler.args == {"T_0": 5, "T_mult": 2}
    assert run.epochs == 40 and run.optimizer.groups[0].lr == 0.5
    assert run.label == "wr"


def test_subcommand_and_file_must_agree(tmp_path: Path) -> None:
    path = yaml_file(tmp_path, "scheduler: {name: StepLR, step_size: 3}\n")
    flags = from_flags({("scheduler", "name"): ("lrviz cosine", "CosineAnnealingLR")})
    with pytest.raises(ConfigError, match="describes StepLR, but this command builds CosineAnnealingLR"):
        merge(load_file(path), flags)


def test_unknown_argument_suggests_and_names_line(tmp_path: Path) -> None:
    path = yaml_file(tmp_path, "scheduler:\n  name: CosineAnnealingWarmRestarts\n  T_0: 10\n  T_mul: 2\n")
    with pytest.raises(
        ConfigError,
        match=r"wr.yaml:4: scheduler.T_mul: unknown argument of CosineAnnealingWarmRestarts \(did you mean T_mult\?\)",
    ):
        build_run(load_file(path))


def test_unknown_top_level_key_suggests(tmp_path: Path) -> None:
    path = yaml_file(tmp_path, "epoch: 5\nscheduler: {name: StepLR, step_size: 2}\n")
    with pytest.raises(ConfigError, match=r"wr.yaml:1: epoch: unknown key \(did you mean epochs\?\)"):
        load_file(path)


@pytest.mark.parametrize(
    ("scheduler", "message"),
    [
        ({"name": "CosineAnnealingLR", "T_max": "10"}, r"scheduler.T_max: expected an integer, got the string '10'"),
        ({"name": "CosineAnnealingLR", "T_max": 0}, r"scheduler.T_max: must be an integer > 0, got 0"),
        ({"name": "CosineAnnealingWarmRestarts", "T_0": 5, "T_mult": 1.5}, "T_mult: expected an integer, got 1.5"),
        ({"name": "CosineAnnealingLR", "T_max": 5, "eta_min": -1}, "eta_min: must be a number >= 0"),
        ({"name": "CosineAnnealingLR", "T_max": 5, "eta_min": float("nan")}, "expected a finite number"),
        ({"name": "MultiStepLR", "milestones": []}, "non-empty list"),
        ({"name": "MultiStepLR", "milestones": [30, 30]}, "repeats at 30"),
        ({"name": "MultiStepLR", "milestones": [80, 30]}, "is not sorted at 30"),
        ({"name": "OneCycleLR", "max_lr": 0.1, "pct_start": 1.5}, "pct_start: must be a number > 0 and < 1"),
        ({"name": "StepLR", "step_size": 2, "gamma": 0}, "gamma: must be a number > 0"),
        ({"name": "ReduceLROnPlateau", "factor": 1.0}, "factor: must be a number > 0 and < 1"),
        ({"name": "CyclicLR", "base_lr": 0.1, "max_lr": 0.01}, "base_lr \\(0.1\\) is above max_lr"),
        ({"name": "CyclicLR", "base_lr": 0.1, "max_lr": 0.2, "mode": "triangle"}, "did you mean triangular"),
        ({"name": "StepLR"}, "StepLR needs step_size"),
        ({"name": "StepLR", "step_size": 2, "last_epoch": 3}, "remove last_epoch"),
        ({"name": "Cosin"}, "unknown scheduler 'Cosin' \\(did you mean cosine"),
        (
            {"name": "SequentialLR", "milestones": [3], "schedulers": [{"name": "StepLR", "step_size": 1}]},
            "needs 0 milestone",
        ),
        ({"name": "LambdaLR", "lr_lambda": "__import__('os')"}, "lr_lambda: the call"),
    ],
)
def test_invalid_scheduler_values(scheduler: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        run_of({"scheduler": scheduler, "metrics": [1.0]})


def test_flag_locations_are_flag_names() -> None:
    flags = from_flags(
        {("scheduler", "name"): ("lrviz cosine", "CosineAnnealingLR"), ("scheduler", "T_max"): ("--t-max", 0)}
    )
    with pytest.raises(ConfigError, match=r"^--t-max: must be an integer > 0, got 0$"):
        build_run(flags)
    missing = from_flags({("scheduler", "name"): ("lrviz cosine", "CosineAnnealingLR")})
    with pytest.raises(ConfigError, match="pass scheduler.T_max") as info:
        build_run(missing)
    # the core names the key; the CLI spells it as the flag that sets it
    from lrviz.cli.options import FLAGS

    assert info.value.render(FLAGS).startswith("CosineAnnealingLR needs T_max (an integer > 0): pass --t-max (or set")


def test_hydra_and_lightning_configs() -> None:
    hydra = build_run(load_file(ROOT / "configs" / "hydra_style.yaml"))
    assert hydra.scheduler.name == "CosineAnnealingWarmRestarts"
    assert hydra.optimizer.name == "AdamW" and hydra.optimizer.groups[0].lr == 0.002
    assert hydra.epochs == 60
    explicit = build_run(load_file(ROOT / "configs" / "hydra_style.yaml", key="model.scheduler"))
    assert explicit == hydra
    lightning = build_run(load_file(ROOT / "configs" / "lightning_cli.yaml"))
    assert lightning.scheduler.args == {"step_size": 10, "gamma": 0.5}
    assert lightning.optimizer.options == {"momentum": 0.9} and lightning.epochs == 30


def test_only_torch_classes_resolve() -> None:
    """Another module's class is never imported unless the user opts in (allow_import / --allow-import)."""
    with pytest.raises(ConfigError, match="os.system is the project's own scheduler class.*only when asked"):
        run_of({"scheduler": {"_target_": "os.system", "command": "true"}})
    with pytest.raises(ConfigError, match="'evil.Optimizer' is not a torch.optim class"):
        run_of({"optimizer": {"class_path": "evil.Optimizer"}, "scheduler": {"name": "StepLR", "step_size": 1}})
    with pytest.raises(ConfigError, match="did you mean"):
        run_of({"scheduler": {"_target_": "torch.optim.lr_scheduler.CosineAnealingLR", "T_max": 3}})


def test_key_errors(tmp_path: Path) -> None:
    path = yaml_file(tmp_path, "model:\n  sched: {name: StepLR, step_size: 2}\n")
    with pytest.raises(
        ConfigError, match=r"key model.schedule: no key 'schedule' under model \(did you mean sched\?\)"
    ):
        load_file(path, key="model.schedule")
    assert build_run(load_file(path, key="model.sched")).scheduler.name == "StepLR"


@pytest.mark.parametrize(
    ("scheduler", "epochs"),
    [
        ({"name": "CosineAnnealingLR", "T_max": 10}, 11),
        ({"name": "CosineAnnealingWarmRestarts", "T_0": 5, "T_mult": 2}, 35),
        ({"name": "CosineAnnealingWarmRestarts", "T_0": 5}, 15),
        ({"name": "StepLR", "step_size": 30}, 120),
        ({"name": "MultiStepLR", "milestones": [30, 80]}, 110),
        ({"name": "OneCycleLR", "max_lr": 0.1, "total_steps": 100}, 100),
        ({"name": "CyclicLR", "base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5}, 30),
    ],
)
def test_default_epochs(scheduler: dict[str, Any], epochs: int) -> None:
    assert run_of({"scheduler": scheduler}).epochs == epochs


def test_onecycle_steps_derived_from_run() -> None:
    run = run_of({"epochs": 7, "steps_per_epoch": 30, "scheduler": {"name": "OneCycleLR", "max_lr": 0.1}})
    assert run.interval == "step" and run.points == 210
    assert run.scheduler.args["epochs"] == 7 and run.scheduler.args["steps_per_epoch"] == 30


def test_warmup_flag_builds_sequential() -> None:
    run = run_of({"epochs": 20, "steps_per_epoch": 10, "warmup": 2, "scheduler": {"name": "OneCycleLR", "max_lr": 0.1}})
    assert run.scheduler.name == "SequentialLR"
    assert run.scheduler.args["milestones"] == [20]  # 2 epochs x 10 steps: OneCycleLR counts steps
    assert [c.name for c in run.scheduler.children] == ["LinearLR", "OneCycleLR"]


def test_limits() -> None:
    with pytest.raises(ConfigError, match="more than the limit"):
        run_of({"epochs": MAX_POINTS, "steps_per_epoch": 2, "scheduler": {"name": "StepLR", "step_size": 1}})


def test_plateau_metrics(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs one metric per epoch"):
        run_of({"scheduler": {"name": "ReduceLROnPlateau"}})
    with pytest.raises(ConfigError, match="3 metric values for 5 epochs"):
        run_of({"epochs": 5, "metrics": [1, 2, 3], "scheduler": {"name": "ReduceLROnPlateau"}})
    csv = tmp_path / "loss.csv"
    csv.write_text("epoch,val_loss\n0,1.5\n1,1.2\n2,1.1\n")
    assert read_metrics(csv) == [1.5, 1.2, 1.1]
    csv.write_text("1.0\nabc\n")
    with pytest.raises(ConfigError, match=r"loss.csv:2: 'abc' is not a number"):
        read_metrics(csv)


def test_param_groups() -> None:
    run = run_of(
        {
            "optimizer": {
                "name": "sgd",
                "momentum": 0.9,
                "param_groups": [{"name": "a", "lr": 0.1}, {"lr": 0.01, "weight_decay": 0.1}],
            },
            "scheduler": {"name": "StepLR", "step_size": 1},
        }
    )
    assert [g.name for g in run.optimizer.groups] == ["a", "group 1"]
    assert run.optimizer.name == "SGD" and run.optimizer.groups[1].options == {"weight_decay": 0.1}
    with pytest.raises(ConfigError, match="one value per param group"):
        run_of(
            {"optimizer": {"param_groups": [{"lr": 0.1}]}, "scheduler": {"name": "OneCycleLR", "max_lr": [0.1, 0.2]}}
        )


@pytest.mark.parametrize(
    ("geometry", "steps", "text"),
    [
        ({"dataset_size": 50000, "batch_size": 128}, 391, "50,000 samples / batch 128 = 391 batches (ceil) = 391"),
        (
            {"dataset_size": 50000, "batch_size": 128, "world_size": 4, "grad_accum": 2},
            49,
            "50,000 samples / 4 ranks = 12,500 per rank / batch 128 = 98 batches (ceil) / accumulate 2 = 49",
        ),
        ({"dataset_size": 1000, "batch_size": 300, "drop_last": True}, 3, "= 3 batches (floor)"),
    ],
)
def test_training_geometry(geometry: dict[str, Any], steps: int, text: str) -> None:
    run = run_of({**geometry, "epochs": 2, "scheduler": {"name": "OneCycleLR", "max_lr": 0.1}})
    assert run.steps_per_epoch == steps and run.points == 2 * steps
    assert text in (run.geometry or "")
    assert run.scheduler.args["steps_per_epoch"] == steps


def test_geometry_conflicts() -> None:
    with pytest.raises(ConfigError, match="either steps_per_epoch or dataset_size/batch_size"):
        run_of(
            {"dataset_size": 10, "batch_size": 2, "steps_per_epoch": 3, "scheduler": {"name": "StepLR", "step_size": 1}}
        )
    with pytest.raises(ConfigError, match="dataset_size and batch_size go together"):
        run_of({"dataset_size": 10, "scheduler": {"name": "StepLR", "step_size": 1}})
