"""ESPnet: each scheduler of ``scheduler_classes`` equals a loop stepped as espnet2's trainer steps it.

The reference loop is written here the way ``espnet2/train/trainer.py`` runs it (773-787,
380-386): per epoch, ``optimizer.step()`` every ``accum_grad`` batches and then
``scheduler.step()`` for an ``AbsBatchStepScheduler``; ``scheduler.step()`` after the epoch for an
``AbsEpochStepScheduler``. The scheduler classes are espnet's (and torch's) own, built as
``scheduler_classes[name](optimizer, **scheduler_conf)``.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

import lrviz
from lrviz.cli.commands import app
from lrviz.errors import ConfigError
from lrviz.frameworks.espnet.read import OPTIMIZERS, SCHEDULERS

if importlib.util.find_spec("espnet2") is None:
    pytest.skip("espnet is not installed: pip install --no-deps espnet typeguard", allow_module_level=True)

from espnet2.schedulers.abs_scheduler import (  # noqa: E402
    AbsBatchStepScheduler,
    AbsEpochStepScheduler,
    AbsValEpochStepScheduler,
)

runner = CliRunner()
REAL = Path(__file__).parents[2] / "realworld" / "configs"
ESPNET = REAL / "espnet"


def espnet_class(name: str) -> Any:
    module, cls, _ = SCHEDULERS[name]
    return getattr(importlib.import_module(module), cls)


def reference(name: str, conf: dict[str, Any], lr: float, max_epoch: int, updates: int) -> list[float]:
    """espnet2's train loop over the class, recording the LR each optimizer step uses."""
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.Adam([param], lr=lr)
    with warnings.catch_warnings():  # NoamLR warns that it is deprecated (lrviz shows that as a note)
        warnings.simplefilter("ignore", UserWarning)
        scheduler = espnet_class(name)(optimizer, **conf)
    out = []
    for _epoch in range(max_epoch):
        for _ in range(updates):
            out.append(optimizer.param_groups[0]["lr"])
            param.grad = torch.zeros(1)
            optimizer.step()
            if isinstance(scheduler, AbsBatchStepScheduler):
                scheduler.step()
        if isinstance(scheduler, AbsEpochStepScheduler):
            scheduler.step()
    return out


def test_scheduler_table_is_espnets_own() -> None:
    """``SCHEDULERS`` has abs_task.py's names and classes, and each class's base says how lrviz steps it."""
    spec = importlib.util.find_spec("espnet2")
    assert spec is not None and spec.origin is not None
    source = (Path(spec.origin).parent / "tasks" / "abs_task.py").read_text()
    tree = ast.parse(source)
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "scheduler_classes" for t in node.targets
        ):
            if isinstance(node.value, ast.Call) and getattr(node.value.func, "id", "") == "dict":
                found = {
                    kw.arg.lower(): ast.unparse(kw.value).rpartition(".")[2] for kw in node.value.keywords if kw.arg
                }
    assert found == {name: cls for name, (_, cls, _) in SCHEDULERS.items()}
    for name, (_, _, kind) in SCHEDULERS.items():
        cls = espnet_class(name)
        actual = (
            "validation"
            if issubclass(cls, AbsValEpochStepScheduler)
            else "batch"
            if issubclass(cls, AbsBatchStepScheduler)
            else "epoch"
        )
        assert actual == kind, name


def test_optimizer_defaults_are_torchs() -> None:
    import inspect

    for name, (cls, lr) in OPTIMIZERS.items():
        default = inspect.signature(getattr(torch.optim, cls)).parameters["lr"].default
        assert lr == (0.1 if name == "sgd" else default), name


CASES = [
    ("warmuplr", {"warmup_steps": 30}),
    ("noamlr", {"model_size": 256, "warmup_steps": 25}),
    ("piecewiselinearwarmuplr", {"warmup_steps_list": [0, 10, 40], "warmup_lr_list": [0.0, 0.01, 0.001]}),
    ("warmupsteplr", {"warmup_steps": 10, "steps_per_epoch": 20, "step_size": 1, "gamma": 0.5}),
    ("tristagelr", {"max_steps": 100, "warmup_ratio": 0.1, "hold_ratio": 0.4, "decay_ratio": 0.5}),
    ("cosineannealingwarmuprestarts", {"first_cycle_steps": 30, "max_lr": 0.01, "min_lr": 0.0001, "warmup_steps": 5}),
    ("exponentialdecaywarmup", {"max_lr": 0.01, "min_lr": 0.0001, "total_steps": 100, "warmup_steps": 10}),
    ("onecyclelr", {"max_lr": 0.01, "total_steps": 100}),
    ("cosineannealingwarmrestarts", {"T_0": 15}),
    ("steplr", {"step_size": 2, "gamma": 0.5}),
    ("multisteplr", {"milestones": [2, 4], "gamma": 0.1}),
    ("exponentiallr", {"gamma": 0.9}),
    ("cosineannealinglr", {"T_max": 5}),
]


@pytest.mark.parametrize(("name", "conf"), CASES, ids=[c[0] for c in CASES])
def test_each_scheduler_equals_the_trainer_loop(name: str, conf: dict[str, Any]) -> None:
    doc = {
        "optim": "adam",
        "optim_conf": {"lr": 0.002},
        "scheduler": name,
        "scheduler_conf": conf,
        "max_epoch": 5,
        "num_iters_per_epoch": 40,
        "accum_grad": 2,
        "batch_bins": 100,
    }
    curve = lrviz.simulate(doc)
    assert curve.lrs[0].tolist() == reference(name, conf, 0.002, 5, 20)
    assert curve.run.points == 5 * 20


def test_steps_per_epoch_when_the_config_has_no_num_iters() -> None:
    doc = {
        "optim": "adam",
        "optim_conf": {"lr": 0.005},
        "scheduler": "warmuplr",
        "scheduler_conf": {"warmup_steps": 50},
        "max_epoch": 3,
    }
    with pytest.raises(ConfigError, match="steps after every optimizer step"):
        lrviz.load(doc)
    curve = lrviz.simulate(doc, steps_per_epoch=40)
    assert curve.lrs[0].tolist() == reference("warmuplr", {"warmup_steps": 50}, 0.005, 3, 40)


def test_ljspeech_fastspeech2_noamlr() -> None:
    path = ESPNET / "ljspeech_tts_fastspeech2_noamlr_num_iters.yaml"
    curve = lrviz.simulate(path)
    # num_iters_per_epoch 800 // accum_grad 8 = 100 optimizer steps per epoch, 1000 epochs
    assert curve.run.points == 100_000
    assert curve.lrs[0].tolist() == reference("noamlr", {"model_size": 384, "warmup_steps": 4000}, 1.0, 1000, 100)
    assert "espnet-inverse-sqrt-tail" in {f.code for f in curve.findings}


def test_ljspeech_transformer_noamlr() -> None:
    path = ESPNET / "ljspeech_tts_transformer_noamlr_num_iters.yaml"
    run = lrviz.load(path)
    assert (run.epochs, run.steps_per_epoch) == (200, 1000 // 6)
    curve = lrviz.simulate(path, overrides=["max_epoch=20"])
    assert curve.lrs[0].tolist() == reference("noamlr", {"model_size": 512, "warmup_steps": 8000}, 1.0, 20, 166)


def test_mini_an4_debug_config() -> None:
    curve = lrviz.simulate(ESPNET / "mini_an4_asr_transducer_debug_warmuplr.yaml")
    assert curve.lrs[0].tolist() == reference("warmuplr", {"warmup_steps": 4}, 0.005, 1, 1)


def test_an4_transformer_needs_the_steps_per_epoch_and_then_renders() -> None:
    path = REAL / "other_dialects" / "espnet_an4_transformer_warmuplr.yaml"
    refused = runner.invoke(app, ["render", str(path)])
    assert refused.exit_code == 2
    assert "an ESPnet scheduler (scheduler: warmuplr, ESPnet's WarmupLR)" in refused.stderr
    assert "--steps-per-epoch N" in refused.stderr
    curve = lrviz.simulate(path, steps_per_epoch=25)
    assert curve.lrs[0].tolist() == reference("warmuplr", {"warmup_steps": 20000}, 0.005, 200, 25)
    assert "espnet-warmup-longer-than-run" in {f.code for f in curve.findings}  # 20,000 > 200 x 25


def test_a_fork_whose_warmup_outlasts_the_run_has_no_decay_tail() -> None:
    """RyujiFujiwara/espnet: warmup 15,000 over 70 x 100 steps: the LR still rises at the end, and only that is said."""
    curve = lrviz.simulate(ESPNET / "fujiwara_librispeech100_conformer_warmup15k_accum16.yaml", steps_per_epoch=100)
    assert curve.lrs[0].tolist() == reference("warmuplr", {"warmup_steps": 15000}, 0.002, 70, 100)
    codes = {f.code for f in curve.findings}
    assert "espnet-warmup-longer-than-run" in codes and "espnet-inverse-sqrt-tail" not in codes


def test_a_warmup_as_long_as_the_run_peaks_at_its_last_step() -> None:
    """An optimizer step k reads WarmupLR's step_num k: a 20,000-step warmup in 20,000 steps ends at its peak."""
    path = ESPNET / "kd_an4_transformer_folded_warmup20k.yaml"
    curve = lrviz.simulate(path, steps_per_epoch=100)
    assert curve.lrs[0].tolist() == reference("warmuplr", {"warmup_steps": 20000}, 0.005, 200, 100)
    assert curve.lrs[0][-1] == max(curve.lrs[0]) and not {f.code for f in curve.findings} & {
        "espnet-warmup-longer-than-run",
        "espnet-inverse-sqrt-tail",
    }
    longer = lrviz.simulate(path, steps_per_epoch=101)
    assert "espnet-inverse-sqrt-tail" in {f.code for f in longer.findings}


@pytest.mark.parametrize(
    "name",
    ["wenet_aishell_conformer_scheduler_warmuplr_conf.yaml", "wenet_librispeech_squeezeformer_noamholdannealing.yaml"],
)
def test_wenet_is_still_refused_by_name(name: str) -> None:
    result = runner.invoke(app, ["render", str(REAL / "other_frameworks" / name)])
    assert result.exit_code == 2
    assert "a WeNet scheduler" in result.stderr and "wenet.utils.scheduler" in result.stderr


def test_a_value_of_the_wrong_type_is_refused_by_espnets_own_check(tmp_path: Path) -> None:
    """ESPnet's ``@typechecked`` constructors raise typeguard's own error: exit 2 at the key, not an internal error."""
    config = tmp_path / "train.yaml"
    config.write_text(
        "scheduler: warmuplr\nscheduler_conf: {warmup_steps: abc}\nnum_iters_per_epoch: 2\nbatch_bins: 1\n"
    )
    result = runner.invoke(app, ["render", str(config)])
    assert result.exit_code == 2
    assert "train.yaml:2: scheduler_conf.warmup_steps: ESPnet's WarmupLR rejected this value" in result.stderr


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            {"scheduler": "warmuplrr", "scheduler_conf": {}, "num_iters_per_epoch": 2, "batch_bins": 1},
            "(did you mean warmuplr or",
        ),
        (
            {"scheduler": "reducelronplateau", "scheduler_conf": {}, "num_iters_per_epoch": 2, "batch_bins": 1},
            "validation criterion",
        ),
        (
            {"scheduler": "warmuplr", "scheduler_conf": {"warmup_step": 3}, "num_iters_per_epoch": 2, "batch_bins": 1},
            "not an argument of WarmupLR",
        ),
        (
            {
                "scheduler": "warmuplr",
                "scheduler_conf": {},
                "optim": "adamm",
                "num_iters_per_epoch": 2,
                "batch_bins": 1,
            },
            "(did you mean adam or",
        ),
        (
            {"scheduler": "warmuplr", "scheduler_conf": {}, "num_iters_per_epoch": 1, "accum_grad": 2, "batch_bins": 1},
            "fewer than accum_grad 2",
        ),
        (
            {
                "scheduler": "warmuplr",
                "scheduler_conf": {},
                "optim2": "adam",
                "scheduler2": "warmuplr",
                "num_iters_per_epoch": 2,
                "batch_bins": 1,
            },
            "optim2",
        ),
    ],
)
def test_bad_configs_are_refused_at_their_key(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        lrviz.simulate(doc)
    assert message in str(err.value)


def test_defaults_are_said() -> None:
    run = lrviz.load(
        {"scheduler": "warmuplr", "scheduler_conf": {"warmup_steps": 3}, "num_iters_per_epoch": 4, "batch_bins": 1}
    )
    notes = " ".join(run.notes)
    assert "max_epoch=40" in notes and "adadelta" in notes and "default 1" in notes


def test_resume_continues_the_same_curve() -> None:
    doc = {
        "optim": "adam",
        "optim_conf": {"lr": 0.01},
        "scheduler": "warmuplr",
        "scheduler_conf": {"warmup_steps": 7},
        "max_epoch": 6,
        "num_iters_per_epoch": 5,
        "batch_bins": 1,
    }
    curve = lrviz.simulate(doc, resume_at=2)
    assert curve.resumed is not None and curve.resumed[0].tolist() == curve.lrs[0].tolist()


@pytest.mark.parametrize("name", ["warmuplr", "steplr"])
def test_code_runs_and_prints_the_rendered_curve(tmp_path: Path, name: str) -> None:
    conf = {"warmup_steps": 7} if name == "warmuplr" else {"step_size": 2}
    run = lrviz.load(
        {
            "optim": "adam",
            "optim_conf": {"lr": 0.01},
            "scheduler": name,
            "scheduler_conf": conf,
            "max_epoch": 6,
            "num_iters_per_epoch": 5,
            "batch_bins": 1,
        }
    )
    script = tmp_path / "snippet.py"
    script.write_text(lrviz.code(run))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True, timeout=120).stdout
    printed = [float(line.rpartition(" ")[2]) for line in out.splitlines()]
    assert printed == lrviz.simulate(run).lrs[0].tolist()
