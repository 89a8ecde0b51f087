"""``lrviz check megatron.sh --against`` Megatron-LM's TensorBoard scalars and its stdout log.

The logs are written by a tiny loop over megatron-core's own ``OptimizerParamScheduler``, logging the
way Megatron-LM's ``train``/``training_log`` do (NVIDIA/Megatron-LM d98e8a64,
``megatron/training/training.py``): ``train_step`` steps the scheduler by the global batch after the
optimizer (3213-3223); ``iteration += 1`` (4785) and ``consumed_train_samples += batch_size`` (4818);
the LR is read from the optimizer after that (``get_canonical_lr_for_logging``, 4882); then
``writer.add_scalar('learning-rate', lr, iteration)`` and ``('learning-rate vs samples', lr,
consumed_train_samples)`` (3380-3381), ``wandb_writer.log({'learning-rate': lr}, iteration)`` (3382-3383;
Megatron's wandb_writer is the ``wandb`` module after ``wandb.init``), and every ``--log-interval`` iterations the stdout line
`` iteration {:8d}/{:8d} | consumed samples: {:12d} | ... | learning rate: {:.6E} |`` (3568-3597).
The bug: a trainer that steps the scheduler once per micro-batch, by the global batch each time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

import lrviz
from lrviz.cli import app
from lrviz.errors import ConfigError
from tests import trackers

scheduler_module = pytest.importorskip("megatron.core.optimizer_param_scheduler")
tensorboard = pytest.importorskip("torch.utils.tensorboard")
runner = CliRunner()

GBS, MICRO, ITERS, LOG_INTERVAL = 16, 4, 60, 5
COMMAND = (
    f"torchrun pretrain_gpt.py --global-batch-size {GBS} --micro-batch-size {MICRO} --lr 3e-4 --min-lr 3e-5 "
    f"--lr-decay-style cosine --lr-warmup-iters 10 --train-iters {ITERS} --log-interval {LOG_INTERVAL}\n"
)


def megatron_run(
    directory: Path,
    per_micro_batch: bool = False,
    wandb_writer: Any = None,
    *,
    overflows: frozenset[int] = frozenset(),
    first_line: bool = False,
    name: str = "train.log",
) -> Path:
    """Train ITERS iterations as Megatron does and log as it logs; returns the stdout log's path.

    ``overflows``: the iterations (1-based) whose fp16 gradients overflow: ``optimizer.step()`` reports
    ``update_successful`` false, so ``train_step`` skips ``opt_param_scheduler.step`` (3213-3226), while
    ``iteration`` and the consumed samples still advance; ``training_log`` adds up the skipped iterations
    and prints them per line (3293-3302, 3638-3651). ``first_line``: Megatron since ``is_first_iteration``
    also prints the process's first iteration, without resetting its counts (3289, 3539)."""
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.AdamW([param], lr=3e-4)
    scheduler = scheduler_module.OptimizerParamScheduler(
        optimizer,
        init_lr=0.0,
        max_lr=3e-4,
        min_lr=3e-5,
        lr_warmup_steps=10 * GBS,
        lr_decay_steps=ITERS * GBS,
        lr_decay_style="cosine",
        start_wd=0.01,
        end_wd=0.01,
        wd_incr_steps=ITERS * GBS,
        wd_incr_style="constant",
        use_checkpoint_opt_param_scheduler=False,
        override_opt_param_scheduler=False,
        wsd_decay_steps=None,
        lr_wsd_decay_style="exponential",
    )
    writer = tensorboard.SummaryWriter(str(directory / "tensorboard"))
    lines = ["using world size: 1, data-parallel size: 1", "training ..."]
    iteration, consumed, skipped, is_first_iteration = 0, 0, 0, True
    while iteration < ITERS:
        param.grad = torch.zeros(1)
        update_successful = iteration + 1 not in overflows
        if update_successful:
            optimizer.step()
            for _ in range(GBS // MICRO if per_micro_batch else 1):
                scheduler.step(increment=GBS)
        skipped += not update_successful
        iteration += 1
        consumed += GBS
        learning_rate = optimizer.param_groups[0]["lr"]
        writer.add_scalar("learning-rate", learning_rate, iteration)
        writer.add_scalar("learning-rate vs samples", learning_rate, consumed)
        if wandb_writer is not None:
            wandb_writer.log({"learning-rate": learning_rate}, iteration)
        if iteration % LOG_INTERVAL == 0 or (first_line and is_first_iteration):
            lines.append(
                f" [2026-01-01 00:00:00] iteration {iteration:8d}/{ITERS:8d} | consumed samples: {consumed:12d} | "
                f"elapsed time per iteration (ms): 12.3 | learning rate: {learning_rate:.6E} | "
                f"global batch size: {GBS:5d} | lm loss: 9.000000E+00 | loss scale: 1.0 | "
                f"number of skipped iterations: {skipped:3d} | number of nan iterations:   0 |"
            )
            if not (first_line and is_first_iteration):
                skipped = 0
        is_first_iteration = False
    writer.close()
    log = directory / name
    log.write_text("\n".join(lines) + "\n")
    return log


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "pretrain.sh"
    path.write_text(COMMAND)
    return path


def test_the_stdout_log_is_read_on_megatron_s_convention(tmp_path: Path, script: Path) -> None:
    log = lrviz.read_log(megatron_run(tmp_path))
    assert log.format == "megatron" and log.convention.name == "megatron" and log.groups == ("learning rate",)
    assert list(log.series[0].steps) == list(range(LOG_INTERVAL, ITERS + 1, LOG_INTERVAL))
    plan = lrviz.simulate(script).lr
    # logged iteration s is the LR iteration s uses, to the 7 digits Megatron prints
    for step, value in zip(log.series[0].steps[:-1], log.series[0].values[:-1], strict=True):
        assert value == float(f"{plan[step]:.6E}")


@pytest.mark.parametrize("where", ["train.log", "tensorboard"])
def test_check_passes_a_right_run(tmp_path: Path, script: Path, where: str) -> None:
    megatron_run(tmp_path)
    result = runner.invoke(app, ["check", str(script), "--against", str(tmp_path / where)])
    assert result.exit_code == 0, result.output
    assert "matches the plan" in result.output


@pytest.mark.parametrize("where", ["train.log", "tensorboard"])
def test_check_names_a_scheduler_stepped_per_micro_batch(tmp_path: Path, script: Path, where: str) -> None:
    megatron_run(tmp_path, per_micro_batch=True)
    result = runner.invoke(
        app, ["check", str(script), "--against", str(tmp_path / where), "-o", str(tmp_path / "o.png")]
    )
    assert result.exit_code == 1
    assert f"the scheduler steps {GBS // MICRO} times per optimizer step" in result.output


def test_watch_follows_a_right_run_to_the_plan_s_end_and_names_the_bug(tmp_path: Path, script: Path) -> None:
    good = megatron_run(tmp_path / "good")
    result = runner.invoke(app, ["watch", str(good), "--plan", str(script), "--once"])
    assert result.exit_code == 0, result.output
    assert "followed the plan" in result.output
    bad = megatron_run(tmp_path / "bad", per_micro_batch=True)
    result = runner.invoke(app, ["watch", str(bad), "--plan", str(script), "--once"])
    assert result.exit_code == 1 and "(faster)" in result.output


def test_the_tensorboard_tag_is_learning_rate_at_the_iteration(tmp_path: Path) -> None:
    megatron_run(tmp_path)
    log = lrviz.read_log(tmp_path / "tensorboard")
    assert log.groups == ("learning-rate",) and log.convention.name == "megatron"
    assert list(log.series[0].steps) == list(range(1, ITERS + 1))


def test_the_samples_axis_is_refused_naming_the_iteration_tag(tmp_path: Path) -> None:
    megatron_run(tmp_path)
    with pytest.raises(ConfigError, match="against the consumed samples"):
        lrviz.read_log(tmp_path / "tensorboard", y="learning-rate vs samples")


def test_a_run_one_iteration_longer_is_still_past_the_plan(tmp_path: Path) -> None:
    """Only the final after-step value is forgiven: a run of more iterations is named."""
    megatron_run(tmp_path)
    path = tmp_path / "short.sh"
    path.write_text(COMMAND.replace(f"--train-iters {ITERS}", f"--train-iters {ITERS - 1}"))
    result = runner.invoke(app, ["check", str(path), "--against", str(tmp_path / "tensorboard")])
    assert result.exit_code == 1 and "the log runs past the plan" in result.output


@pytest.mark.skipif(not trackers.installed("wandb"), reason="wandb is not installed")
def test_check_against_the_w_and_b_run(tmp_path: Path, script: Path) -> None:
    import wandb

    with trackers._quiet():
        run = wandb.init(
            project="lrviz-tests",
            name="megatron",
            dir=str(tmp_path),
            mode="offline",
            settings=wandb.Settings(silent=True),
        )
        megatron_run(tmp_path, wandb_writer=run)
        run_dir = Path(run.dir).parent
        run.finish()
    trackers.wait_for_wandb(run_dir)
    log = lrviz.read_log(tmp_path / "wandb")
    assert log.groups == ("learning-rate",) and log.convention.name == "megatron"
    result = runner.invoke(app, ["check", str(script), "--against", str(tmp_path / "wandb")])
    assert result.exit_code == 0, result.output


def test_the_stdout_log_is_streamed_past_stray_bytes_and_absurd_numbers(tmp_path: Path) -> None:
    """A launcher's stray bytes and a line with a 5,000-digit iteration are passed over, not an internal error;
    reading through the plan's window keeps the same points inside it."""
    log = megatron_run(tmp_path)
    raw = log.read_bytes()
    noisy = tmp_path / "noisy.log"
    noisy.write_bytes(
        b"\xff\xfe progress \x80\n" + b" iteration " + b"9" * 5000 + b"/ 10 | learning rate: 1.0 |\n" + raw
    )
    whole, noisy_log = lrviz.read_log(log), lrviz.read_log(noisy)
    assert list(noisy_log.series[0].steps) == list(whole.series[0].steps)
    assert list(noisy_log.series[0].values) == list(whole.series[0].values)
    inside = lrviz.read_log(log, window=range(0, ITERS // 2))
    kept = [(s, v) for s, v in zip(whole.series[0].steps, whole.series[0].values, strict=True) if s < ITERS // 2]
    assert list(zip(inside.series[0].steps, inside.series[0].values, strict=True)) == kept
    assert inside.series[0].after > 0
