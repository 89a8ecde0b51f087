"""A litgpt run's log put on optimizer steps: litgpt logs at every batch (finetune) or iteration (pretrain).

litgpt's finetune loop (``litgpt/finetune/lora.py`` ``fit``; ``full.py``, ``adapter.py``, ``adapter_v2.py``
alike) logs ``learning_rate`` = ``scheduler.get_last_lr()[0]`` with ``fabric.log_dict(metrics, step=iter_num)``
at every batch; the scheduler steps on the batches that end an accumulation. ``litgpt/pretrain.py`` logs the
LR ``get_lr`` set with ``step=iter_num - 1`` on the iterations that end an accumulation. The loops here are
those loops written out (the model and data left out), with litgpt's own ``get_lr_scheduler``, ``get_lr``,
``TrainArgs``, ``CycleIterator`` and logger (``litgpt.utils.choose_logger``: Lightning Fabric's CSVLogger and
TensorBoardLogger), logged through a CPU ``lightning.Fabric``.
"""

from __future__ import annotations

import importlib.util
import math
import shutil
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

import lrviz
from lrviz.cli import app

pytestmark = pytest.mark.skipif(importlib.util.find_spec("litgpt") is None, reason="litgpt is not installed")

CONFIGS = Path(__file__).parents[2] / "realworld" / "configs" / "llm_litgpt"
LORA = CONFIGS / "litgpt_llama-3.2-1B_lora.yaml"  # global_batch_size 8, micro_batch_size 1: accumulation 8
DEBUG = CONFIGS / "litgpt_pretrain_debug.yaml"  # global_batch_size 125, micro_batch_size 5: accumulation 25
#: the lora file's train.lr_warmup_steps and epochs; the training split's samples given to --dataset-size
WARMUP, EPOCHS, SAMPLES = 10, 2, 400


def fabric_with(logger_name: str, out_dir: Path, name: str) -> object:
    from lightning.fabric import Fabric
    from litgpt.utils import choose_logger

    return Fabric(accelerator="cpu", devices=1, loggers=choose_logger(logger_name, out_dir, name=name))


def finetune_log(out_dir: Path, accumulation: int, *, per_batch: bool = False, devices: int = 1) -> Path:
    """lora.py's fit over a training split of SAMPLES at micro_batch_size 1; ``per_batch``: the bug of stepping
    the scheduler after every batch instead of every optimizer step."""
    from litgpt.finetune.lora import get_lr_scheduler
    from litgpt.utils import CycleIterator

    fabric = fabric_with("csv", out_dir, "finetune")
    batches = math.ceil(SAMPLES / devices)  # micro_batch_size 1
    lr_max_steps = EPOCHS * (batches // accumulation)  # lora.py main: min(epochs x steps_per_epoch, max_steps)
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-4)  # the file's optimizer.init_args.lr
    scheduler = get_lr_scheduler(optimizer, warmup_steps=WARMUP, max_steps=lr_max_steps)
    train_iterator = CycleIterator(range(batches))
    step_count = iter_num = 0
    while step_count < float("inf"):  # train.max_steps is not set
        iter_num += 1
        next(train_iterator)
        if train_iterator.epoch >= EPOCHS:
            break
        is_accumulating = iter_num % accumulation != 0
        model(torch.ones(2)).sum().backward()
        if not is_accumulating:
            optimizer.step()
            optimizer.zero_grad()
            scheduler.step()
            step_count += 1
        elif per_batch:
            scheduler.step()
        metrics = {"iter": iter_num, "step": step_count, "learning_rate": scheduler.get_last_lr()[0]}
        fabric.log_dict(metrics, step=iter_num)  # type: ignore[attr-defined]
    fabric.logger.finalize("success")  # type: ignore[attr-defined]
    (found,) = out_dir.rglob("metrics.csv")
    return found


#: the bug: torch warns that the scheduler stepped before the optimizer on the first batch
BUG_WARNING = "ignore:Detected call of `lr_scheduler.step\\(\\)` before:UserWarning"


def check(config: Path, log: Path, *flags: str) -> object:
    return CliRunner().invoke(app, ["check", str(config), *flags, "--against", str(log)])


def test_an_accumulating_finetune_run_passes_on_its_optimizer_steps(tmp_path: Path) -> None:
    """800 logged batches are 100 optimizer steps; the last logged batch holds the LR after the last step."""
    config = tmp_path / "lora.yaml"
    shutil.copy(LORA, config)
    run = lrviz.load(config, dataset_size=SAMPLES)
    assert (run.settings.accumulation, run.points) == (8, 100)  # type: ignore[attr-defined]
    log = finetune_log(tmp_path / "out", accumulation=8)
    result = check(config, log, "--dataset-size", str(SAMPLES))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "matches the plan at all 100 logged steps" in result.output  # type: ignore[attr-defined]
    read = lrviz.read_log(log, plan=run)
    assert read.axis is not None and "8 to a step" in read.axis and read.convention.name == "litgpt"
    assert list(read.series[0].steps) == list(range(101))  # optimizer steps 0-99 and the LR after the last


@pytest.mark.filterwarnings(BUG_WARNING)
def test_a_finetune_run_stepping_the_scheduler_per_batch_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the overlay of a failed check is drawn in the working directory
    config = tmp_path / "lora.yaml"
    shutil.copy(LORA, config)
    log = finetune_log(tmp_path / "out", accumulation=8, per_batch=True)
    result = check(config, log, "--dataset-size", str(SAMPLES))
    assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
    assert "the log runs 8x faster than the plan" in result.output  # type: ignore[attr-defined]
    output = " ".join(result.output.split())  # type: ignore[attr-defined]
    # litgpt's causes, not Accelerate's: the loop steps it per batch first, another device count second
    assert "call scheduler.step() only when an accumulation of 8 batches ends (if not is_accumulating)" in output
    assert output.index("after every micro-batch") < output.index("or the run had 8 x the devices")
    assert "Accelerate" not in output and "processes" not in output


def test_a_finetune_run_on_more_devices_than_the_config_says_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """2 devices: accumulation 4 over half the samples each, the schedule twice as fast on the batch axis."""
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "lora.yaml"
    shutil.copy(LORA, config)
    log = finetune_log(tmp_path / "out", accumulation=4, devices=2)
    result = check(config, log, "--dataset-size", str(SAMPLES))
    assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
    assert "the log runs 2x faster than the plan" in result.output  # type: ignore[attr-defined]
    output = " ".join(result.output.split())  # type: ignore[attr-defined]
    assert "The run had 2 x the devices (devices x num_nodes) the plan was read with" in output
    assert "(4 on 2 x the devices, 8 here)" in output
    assert "after every micro-batch" not in output and "Accelerate" not in output
    result = check(config, log, "--dataset-size", str(SAMPLES), "--set", "devices=2")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]


def test_without_accumulation_a_right_run_passes(tmp_path: Path) -> None:
    """Logged batch s holds the LR optimizer step s uses; the last holds the LR after the run's last step."""
    config = tmp_path / "lora.yaml"
    shutil.copy(LORA, config)
    flags = ["--dataset-size", str(SAMPLES), "--set", "train.global_batch_size=1"]
    log = finetune_log(tmp_path / "logs", accumulation=1)
    result = check(config, log, *flags)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert f"matches the plan at all {EPOCHS * SAMPLES - 1} logged steps" in result.output  # type: ignore[attr-defined]


#: 5,000 iterations of 5 x 512 tokens (pythia-14m's block_size) on one device: 200 optimizer steps of 25
PRETRAIN_FLAGS = ["--set", "devices=1", "--set", "train.max_tokens=12800000"]


def pretrain_log(out_dir: Path, devices: int = 1) -> Path:
    """pretrain.py's fit for the debug file at ``devices`` (the data and model left out), logged with
    TensorBoard, its logger_name."""
    from litgpt.args import TrainArgs
    from litgpt.pretrain import get_lr

    fabric = fabric_with("tensorboard", out_dir, "pretrain")
    train = TrainArgs(global_batch_size=125, micro_batch_size=5, lr_warmup_steps=100, min_lr=6e-5, log_interval=1)
    max_iters = 12_800_000 // devices // (5 * 512)
    accumulation = train.gradient_accumulation_iters(devices, 1)
    warmup_iters = train.warmup_iters(devices, 1, max_iters, [])
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=6e-4)
    state = {"iter_num": 0, "step_count": 0}
    log_iter_interval = train.log_interval * accumulation
    while state["iter_num"] < max_iters:
        lr = get_lr(optimizer.defaults["lr"], state["iter_num"], warmup_iters, max_iters, train.min_lr)
        for param_group in optimizer.param_groups:
            param_group["lr"] = lr
        state["iter_num"] += 1
        is_accumulating = state["iter_num"] % accumulation != 0
        model(torch.ones(2)).sum().backward()
        if not is_accumulating:
            optimizer.step()
            optimizer.zero_grad()
            state["step_count"] += 1
        if state["iter_num"] % log_iter_interval == 0:
            metrics = {"iter": state["iter_num"], "step": state["step_count"], "learning_rate": lr}
            fabric.log_dict(metrics, step=state["iter_num"] - 1)  # type: ignore[attr-defined]
    fabric.logger.finalize("success")  # type: ignore[attr-defined]
    (found,) = {p.parent for p in out_dir.rglob("events.out.tfevents.*")}
    return found


def test_an_accumulating_pretrain_run_passes(tmp_path: Path) -> None:
    run = lrviz.load(DEBUG, overrides=PRETRAIN_FLAGS[1::2])
    assert (run.settings.accumulation, run.points) == (25, 200)  # type: ignore[attr-defined]
    log = pretrain_log(tmp_path / "out")
    result = check(DEBUG, log, *PRETRAIN_FLAGS)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "matches the plan at all 200 logged steps" in result.output  # type: ignore[attr-defined]
    read = lrviz.read_log(log, plan=run)
    assert read.convention.name == "litgpt-pretrain" and list(read.series[0].steps) == list(range(200))


def test_a_pretrain_log_of_another_accumulation_is_refused_naming_why(tmp_path: Path) -> None:
    """On 2 devices litgpt accumulates 12 iterations, not the file's 25: the log's steps cannot be this plan's."""
    log = pretrain_log(tmp_path / "out", devices=2)
    result = check(DEBUG, log, *PRETRAIN_FLAGS)
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    assert "is logged at step 11, which does not end a gradient accumulation of 25 iterations" in result.stderr  # type: ignore[attr-defined]
    assert "faster" not in result.output and "slower" not in result.output  # type: ignore[attr-defined]


@pytest.mark.filterwarnings(BUG_WARNING)
def test_watch_follows_an_accumulating_run_on_its_optimizer_steps(tmp_path: Path) -> None:
    config = tmp_path / "lora.yaml"
    shutil.copy(LORA, config)
    right = lrviz.watch(finetune_log(tmp_path / "right", 8), lrviz.simulate(config, dataset_size=SAMPLES), once=True)
    assert right.verdict is None and right.last_step == 99, right
    buggy = finetune_log(tmp_path / "buggy", 8, per_batch=True)
    wrong = lrviz.watch(buggy, lrviz.simulate(config, dataset_size=SAMPLES), once=True)
    assert wrong.verdict is not None and wrong.verdict.kind == "faster", wrong


def test_a_pretrain_plan_s_faster_words_name_get_lr_not_a_stepped_scheduler() -> None:
    """pretrain.py computes the LR from the iteration count (get_lr): no scheduler to step twice, no Accelerate.
    (A 2-device pretrain log is refused before any diagnosis: see the test above.)"""
    from lrviz import frameworks

    run = lrviz.load(DEBUG, overrides=PRETRAIN_FLAGS[1::2])
    text = frameworks.for_run(run).mismatch_cause(run, "faster", 2)
    assert text is not None and "(get_lr)" in text and "1/2 of the plan's iterations" in text
    assert "Accelerate" not in text and frameworks.for_run(run).mismatch_cause(run, "lag", 2) is None
