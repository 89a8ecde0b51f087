"""``lrviz check train.sh --against`` the TensorBoard log a diffusers training script writes.

The log is written by the loop of huggingface/diffusers 58eb52c0
``examples/dreambooth/train_dreambooth_lora.py``, run with the real ``Accelerator`` and its
TensorBoard tracker: ``get_scheduler`` sized ``lr_warmup_steps x num_processes`` and
``max_train_steps x num_processes`` (1146-1163), prepared by accelerate; per micro-batch inside
``accelerator.accumulate``: ``optimizer.step()``, ``lr_scheduler.step()`` (1334-1335); then, when the
gradients synced, ``global_step += 1`` (1339-1341); after every micro-batch
``accelerator.log({"loss": ..., "lr": lr_scheduler.get_last_lr()[0]}, step=global_step)`` (1369-1371);
stop at ``max_train_steps`` (1373-1374). The TensorBoard tag is ``lr``; logged step s holds the LR
optimizer step s uses, and the last one the LR after the last step. The bug: the scheduler left out
of ``accelerator.prepare``, so it steps on every micro-batch.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

import lrviz
from lrviz.cli import app

optimization = pytest.importorskip("diffusers.optimization")
accelerate = pytest.importorskip("accelerate")
pytest.importorskip("tensorboard")
runner = CliRunner()

MAX_STEPS, ACCUMULATION, WARMUP = 30, 2, 5
COMMAND = (
    "accelerate launch --num_processes 1 train_dreambooth_lora.py --learning_rate 1e-4 --lr_scheduler cosine "
    f"--lr_warmup_steps {WARMUP} --max_train_steps {MAX_STEPS} --gradient_accumulation_steps {ACCUMULATION}\n"
)


def diffusers_run(directory: Path, prepared: bool = True) -> Path:
    """Train as train_dreambooth_lora.py does and log through the Accelerator's TensorBoard tracker."""
    accelerator = accelerate.Accelerator(
        gradient_accumulation_steps=ACCUMULATION, log_with="tensorboard", project_dir=str(directory), cpu=True
    )
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    lr_scheduler = optimization.get_scheduler(
        "cosine",
        optimizer=optimizer,
        num_warmup_steps=WARMUP * accelerator.num_processes,
        num_training_steps=MAX_STEPS * accelerator.num_processes,
        num_cycles=1,
        power=1.0,
    )
    data = [torch.ones(4, 2) for _ in range(MAX_STEPS * ACCUMULATION)]
    if prepared:
        model, optimizer, lr_scheduler = accelerator.prepare(model, optimizer, lr_scheduler)
    else:
        model, optimizer = accelerator.prepare(model, optimizer)
    accelerator.init_trackers("dreambooth-lora")
    global_step = 0
    for batch in data:
        with accelerator.accumulate(model):
            loss = model(batch).pow(2).mean()
            accelerator.backward(loss)
            optimizer.step()
            lr_scheduler.step()
            optimizer.zero_grad()
        if accelerator.sync_gradients:
            global_step += 1
        logs = {"loss": loss.detach().item(), "lr": lr_scheduler.get_last_lr()[0]}
        accelerator.log(logs, step=global_step)
        if global_step >= MAX_STEPS:
            break
    accelerator.end_training()
    return directory / "dreambooth-lora"


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "train.sh"
    path.write_text(COMMAND)
    return path


def test_the_lr_tag_is_read_at_the_optimizer_step(tmp_path: Path, script: Path) -> None:
    log = lrviz.read_log(diffusers_run(tmp_path / "run"))
    assert log.groups == ("lr",)
    assert list(log.series[0].steps) == list(range(MAX_STEPS + 1))
    plan = lrviz.simulate(script).lr
    assert len(plan) == MAX_STEPS
    assert [float(torch.tensor(v, dtype=torch.float32)) for v in plan] == list(log.series[0].values[:-1])


def test_check_passes_a_right_run(tmp_path: Path, script: Path) -> None:
    logs = diffusers_run(tmp_path / "run")
    result = runner.invoke(app, ["check", str(script), "--against", str(logs)])
    assert result.exit_code == 0, result.output
    assert f"matches the plan at all {MAX_STEPS} logged steps" in result.output


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)` before")  # torch's, on the bug itself
def test_check_names_a_scheduler_stepped_on_every_micro_batch(tmp_path: Path, script: Path) -> None:
    logs = diffusers_run(tmp_path / "run", prepared=False)
    result = runner.invoke(app, ["check", str(script), "--against", str(logs), "-o", str(tmp_path / "o.png")])
    assert result.exit_code == 1
    assert f"the scheduler steps {ACCUMULATION} times per optimizer step" in result.output


def test_a_longer_run_is_still_past_the_plan(tmp_path: Path) -> None:
    """Only the final value, logged after the last step, is forgiven: a run of more steps is named."""
    logs = diffusers_run(tmp_path / "run")
    short = tmp_path / "short.sh"
    short.write_text(COMMAND.replace(f"--max_train_steps {MAX_STEPS}", f"--max_train_steps {MAX_STEPS - 2}"))
    result = runner.invoke(app, ["check", str(short), "--against", str(logs), "-o", str(tmp_path / "o.png")])
    assert result.exit_code == 1 and "the log runs past the plan" in result.output
