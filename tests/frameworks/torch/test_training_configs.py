"""Training configs (Hydra, Lightning, a bare node) read where their trainer reads them (frameworks/torch/training.py)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lrviz.api import load, simulate
from lrviz.cli import app
from lrviz.errors import ConfigError
from lrviz.reading import build_run, from_document
from tests.conftest import reference_lrs

runner = CliRunner()


def write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def lrs_of(csv: Path) -> list[float]:
    rows = csv.read_text().splitlines()
    column = rows[0].split(",").index("lr")
    return [float(row.split(",")[column]) for row in rows[1:]]


def test_a_file_that_is_one_hydra_node_renders_with_epochs(tmp_path: Path) -> None:
    path = write(tmp_path, "_target_: torch.optim.lr_scheduler.StepLR\n_partial_: true\nstep_size: 3\ngamma: 0.5\n")
    out = tmp_path / "x.csv"
    result = runner.invoke(app, ["render", str(path), "--epochs", "8", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert lrs_of(out) == reference_lrs({"name": "StepLR", "step_size": 3, "gamma": 0.5}, epochs=8)[0]
    assert "no optimizer node found" in result.stderr and "used SGD(lr=0.1)" in result.stderr
    assert "set --optimizer and --lr" in result.stderr  # never a silent default


def test_a_file_that_is_one_lightning_node(tmp_path: Path) -> None:
    path = write(tmp_path, "class_path: torch.optim.lr_scheduler.ExponentialLR\ninit_args:\n  gamma: 0.9\n")
    run = load(path)
    assert run.scheduler.name == "ExponentialLR" and run.scheduler.args == {"gamma": 0.9}


def test_a_file_that_is_one_lrviz_node(tmp_path: Path) -> None:
    run = load(write(tmp_path, "name: CosineAnnealingLR\nT_max: 4\n"))
    assert run.scheduler.name == "CosineAnnealingLR" and run.epochs == 5


def test_optimizer_is_looked_for_up_the_tree(tmp_path: Path) -> None:
    doc = {
        "optim": {"_target_": "torch.optim.Adam", "lr": 0.01},
        "model": {"net": {"scheduler": {"_target_": "torch.optim.lr_scheduler.StepLR", "step_size": 2}}},
        "trainer": {"max_epochs": 6},
    }
    run = load(doc)
    assert run.optimizer.name == "Adam" and run.optimizer.groups[0].lr == 0.01 and run.epochs == 6
    lightning_cli = {
        "optimizer": {"class_path": "torch.optim.AdamW", "init_args": {"lr": 0.003}},
        "model": {
            "init_args": {"scheduler": {"class_path": "torch.optim.lr_scheduler.StepLR", "init_args": {"step_size": 2}}}
        },
    }
    assert load(lightning_cli).optimizer.name == "AdamW"


def test_lightning_scheduler_dict_steps_per_step(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        trainer: {max_epochs: 3, limit_train_batches: 8, accumulate_grad_batches: 2}
        model:
          optimizer: {_target_: torch.optim.SGD, lr: 0.1}
          scheduler:
            scheduler: {_target_: torch.optim.lr_scheduler.OneCycleLR, max_lr: 0.1, total_steps: 12}
            interval: step
            frequency: 1
            monitor: val/loss
        """,
    )
    run = load(path)
    assert (run.interval, run.steps_per_epoch, run.epochs) == ("step", 4, 3)  # 8 batches / accumulate 2
    out = tmp_path / "x.csv"
    assert runner.invoke(app, ["render", str(path), "-o", str(out)]).exit_code == 0
    sched = {"name": "OneCycleLR", "max_lr": 0.1, "total_steps": 12}
    assert lrs_of(out) == reference_lrs(sched, epochs=3, steps_per_epoch=4, interval="step")[0]


def test_frequency_steps_every_n_epochs(tmp_path: Path) -> None:
    import torch

    doc = {
        "scheduler": {
            "scheduler": {"_target_": "torch.optim.lr_scheduler.StepLR", "step_size": 1},
            "interval": "epoch",
            "frequency": 2,
        }
    }
    curve = simulate({**doc, "trainer": {"max_epochs": 6}})
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1)
    expected = []
    for epoch in range(6):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if (epoch + 1) % 2 == 0:  # Lightning: every `frequency` epochs
            scheduler.step()
    assert list(curve.lrs[0]) == expected


def test_a_per_step_frequency_counts_batches_from_each_epochs_start() -> None:
    import torch

    # Lightning: (batch_idx + 1) % frequency == 0, batch_idx from 0 in each epoch; any sibling mapping
    # with `interval: step|epoch` is the stepping configure_optimizers passes on (Matcha-TTS's lightning_args)
    doc = {"scheduler": {"_target_": "torch.optim.lr_scheduler.StepLR", "step_size": 1}}
    doc["lightning_args"] = {"interval": "step", "frequency": 3}
    curve = simulate({**doc, "trainer": {"max_epochs": 3, "limit_train_batches": 5}})
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1)
    expected = []
    for _epoch in range(3):
        for batch_idx in range(5):
            expected.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            if (batch_idx + 1) % 3 == 0:
                scheduler.step()
    assert list(curve.lrs[0]) == expected


def test_a_per_step_frequency_with_gradient_accumulation_is_refused() -> None:
    doc = {"model": {"scheduler": {"_target_": "torch.optim.lr_scheduler.StepLR", "step_size": 1}}}
    doc["model"]["lightning_args"] = {"interval": "step", "frequency": 10}
    doc["trainer"] = {"max_epochs": 2, "limit_train_batches": 40, "accumulate_grad_batches": 2}
    with pytest.raises(ConfigError, match=r"model.lightning_args.frequency: Lightning counts a per-step frequency"):
        load(doc)


def test_a_per_step_frequency_without_the_steps_per_epoch_is_refused_not_drawn_flat(tmp_path: Path) -> None:
    """Counted from each epoch's start, frequency 10 is never reached by lrviz's default 1-step epochs: a
    trainer.max_steps run was drawn flat at the optimizer's lr (StepLR never stepped), with only a note."""
    path = write(
        tmp_path,
        """\
        trainer: {max_steps: 100}
        model:
          optimizer: {_target_: torch.optim.Adam, lr: 0.001}
          scheduler:
            scheduler: {_target_: torch.optim.lr_scheduler.StepLR, step_size: 1, gamma: 0.5}
            interval: step
            frequency: 10
        """,
    )
    with pytest.raises(ConfigError, match=r"c.yaml:7: model.scheduler.frequency: .* steps_per_epoch N \(the batches"):
        load(path)
    curve = simulate(path, steps_per_epoch=25)  # 2 steps an epoch (batch_idx 9, 19), 4 epochs
    assert curve.lrs[0][-1] == 0.001 * 0.5**8


def test_top_level_interval_is_never_dropped(tmp_path: Path) -> None:
    doc = {"interval": "step", "model": {"scheduler": {"_target_": "torch.optim.lr_scheduler.StepLR", "step_size": 5}}}
    assert load(doc).interval == "step"


def test_lrviz_keys_do_not_clash_with_a_training_configs_keys() -> None:
    doc = {
        "model": {
            "metrics": ["accuracy", "f1"],  # the model's metrics, not lrviz's metric values
            "label": 3,
            "scheduler": {"_target_": "torch.optim.lr_scheduler.StepLR", "step_size": 2},
        },
        "trainer": {"max_epochs": 4},
    }
    run = build_run(from_document(doc, "t.yaml"))
    assert run.metrics is None and run.label == "t" and run.epochs == 4


def test_key_indexes_lists_and_several_nodes_are_listed() -> None:
    doc = {
        "model": {
            "schedulers": [
                {"_target_": "torch.optim.lr_scheduler.StepLR", "step_size": 2},
                {"_target_": "torch.optim.lr_scheduler.ExponentialLR", "gamma": 0.9},
            ]
        }
    }
    with pytest.raises(
        ConfigError,
        match=r"several scheduler nodes; pick one with key \(one of: model.schedulers.0, model.schedulers.1\)",
    ):
        load(doc)
    assert load(doc, key="model.schedulers.1").scheduler.name == "ExponentialLR"
    with pytest.raises(ConfigError, match="model.schedulers is a list of 2; use an index 0 to 1"):
        load(doc, key="model.schedulers.5")


def test_json_configs_read_like_yaml_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"epochs": 4, "scheduler": {"name": "StepLR", "step_size": 0}}, indent=2))
    with pytest.raises(ConfigError, match=r"c.json:5: scheduler.step_size: must be an integer > 0"):
        load(path)
    bad = tmp_path / "bad.json"
    bad.write_text('{"scheduler": {"name": "StepLR",\n "step_size": }}')
    with pytest.raises(ConfigError, match=r"bad.json:2: invalid JSON"):
        load(bad)


def test_render_takes_the_run_flags(tmp_path: Path) -> None:
    path = write(tmp_path, "_target_: torch.optim.lr_scheduler.ReduceLROnPlateau\npatience: 1\n")
    metrics = tmp_path / "m.txt"
    metrics.write_text("1\n1\n1\n1\n1\n1\n")
    out = tmp_path / "x.csv"
    result = runner.invoke(
        app, ["render", str(path), "--metrics", str(metrics), "--optimizer", "adam", "--lr", "0.01", "-o", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    expected = reference_lrs(
        {"name": "ReduceLROnPlateau", "patience": 1}, epochs=6, optimizer="Adam", lrs=(0.01,), metrics=[1.0] * 6
    )
    assert lrs_of(out) == expected[0]
    assert "no optimizer node" not in result.stderr  # the flags set the optimizer: no stale note about a default


def test_installed_torch_keywords_are_accepted() -> None:
    doc = {"scheduler": {"_target_": "torch.optim.lr_scheduler.StepLR", "step_size": 2, "last_epoch": -1}}
    assert load(doc).scheduler.args == {"step_size": 2}
    verbose = {"scheduler": {"_target_": "torch.optim.lr_scheduler.StepLR", "step_size": 2, "verbose": False}}
    run = load(verbose)
    assert any("verbose" in n for n in run.notes) or run.scheduler.args.get("verbose") is False
    with pytest.raises(ConfigError, match="last_epoch"):
        load({"scheduler": {"name": "StepLR", "step_size": 2, "last_epoch": 4}})
    optimizer = {"optimizer": {"name": "AdamW", "fused": False}, "scheduler": {"name": "StepLR", "step_size": 2}}
    assert load(optimizer).optimizer.options == {"fused": False}


def test_optimizer_options_come_from_the_installed_class() -> None:
    import inspect

    import torch

    from lrviz.schedules import OPTIMIZER_ARGS
    from lrviz.signatures import OPTIMIZER_MODULE, SCHEDULER_MODULE, _from_source, parameters

    for name in OPTIMIZER_ARGS:
        installed = tuple(inspect.signature(getattr(torch.optim, name)).parameters)[1:]
        assert parameters(OPTIMIZER_MODULE, name) == installed
        assert _from_source(OPTIMIZER_MODULE, name) == installed  # the no-torch path reads the same
        assert set(OPTIMIZER_ARGS[name]) <= set(installed), name  # the fast path never admits a stray option
    assert (
        _from_source(SCHEDULER_MODULE, "OneCycleLR")
        == tuple(inspect.signature(torch.optim.lr_scheduler.OneCycleLR).parameters)[1:]
    )


def test_users_own_scheduler_class_needs_allow_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "myproj"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "sched.py").write_text(
        textwrap.dedent(
            """\
            from torch.optim.lr_scheduler import LRScheduler

            class Halving(LRScheduler):
                def __init__(self, optimizer, every=2):
                    self.every = every
                    super().__init__(optimizer)

                def get_lr(self):
                    return [b * 0.5 ** (self.last_epoch // self.every) for b in self.base_lrs]
            """
        )
    )
    config = write(tmp_path, "scheduler:\n  _target_: myproj.sched.Halving\n  every: 3\ntrainer: {max_epochs: 7}\n")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "x.csv"
    refused = runner.invoke(app, ["render", str(config), "-o", str(out)])
    assert refused.exit_code == 2 and not out.exists()
    assert "myproj.sched.Halving is the project's own scheduler class" in refused.stderr
    assert "--allow-import myproj" in refused.stderr
    allowed = runner.invoke(app, ["render", str(config), "--allow-import", "myproj", "-o", str(out)])
    assert allowed.exit_code == 0, allowed.stderr
    assert lrs_of(out) == [0.1 * 0.5 ** (e // 3) for e in range(7)]
    broken = write(tmp_path, "scheduler:\n  _target_: myproj.nope.X\ntrainer: {max_epochs: 3}\n", "b.yaml")
    result = runner.invoke(app, ["render", str(broken), "--allow-import", "myproj", "-o", str(out)])
    assert result.exit_code == 2 and "cannot import myproj.nope" in result.stderr


@pytest.mark.parametrize(
    ("doc", "words"),
    [
        ({"model": {"optim": {"name": "adamw", "sched": {"name": "CosineAnnealing"}}}}, ["NeMo", "CosineAnnealing"]),
        ({"scheduler": "warmuplr", "scheduler_conf": {"warmup_steps": 25000}}, ["ESPnet", "warmuplr"]),
        ({"SOLVER": {"BASE_LR": 0.02, "STEPS": [3, 4]}}, ["yacs/detectron2", "WarmupMultiStepLR"]),
        ({"scheduler": {"_name_": "cosine_warmup"}}, ["project-registry name", "_name_: cosine_warmup"]),
        ({"sched": {"class_name": "StepLR", "params": {"step_size": 3}}}, ["class_name/params layout"]),
        ({"lr0": 0.01, "lrf": 0.01, "cos_lr": False}, ["Ultralytics"]),
        ({"lr_scheduler": {"type": "StepLR", "args": {"step_size": 3}}}, ["type/args layout"]),
    ],
)
def test_other_dialects_are_refused_by_name(doc: dict[str, object], words: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        load(doc)  # recognised when read, refused when built
    assert all(w in str(info.value) for w in words), str(info.value)
    assert "missing `name:`" not in str(info.value)


def test_batch_notes_and_warnings_name_their_file(tmp_path: Path) -> None:
    a = write(tmp_path, "_target_: torch.optim.lr_scheduler.CosineAnnealingLR\nT_max: 2\n", "a.yaml")
    b = write(tmp_path, "scheduler: {name: StepLR, step_size: 2}\nepochs: 4\n", "b.yaml")
    result = runner.invoke(app, ["render", str(a), str(b), "--epochs", "6", "--out-dir", str(tmp_path / "o")])
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith(("note:", "warning:"))]
    assert lines and all(str(a) in line or str(b) in line for line in lines), lines
