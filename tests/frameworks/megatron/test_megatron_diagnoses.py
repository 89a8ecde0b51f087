"""The faster and lag diagnoses of a Megatron-LM plan in Megatron's words, and its skipped-iteration counts
used by ``watch`` and ``compare`` as ``check`` uses them.

The logs come from ``megatron_run`` (``test_megatron_logs``: megatron-core's own ``OptimizerParamScheduler``
stepped and logged as Megatron-LM's ``train_step``/``training_log`` do, fp16 overflows skipping the scheduler's
step) and from ``samples_run`` below, the same loop for a schedule counted in samples (``--train-samples``)
trained with a global batch twice the command's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import lrviz
from lrviz.cli import app
from lrviz.comparison.replan import held_steps
from tests.frameworks.megatron.test_megatron_logs import COMMAND, GBS, MICRO, megatron_run

scheduler_module = pytest.importorskip("megatron.core.optimizer_param_scheduler")
tensorboard = pytest.importorskip("torch.utils.tensorboard")
runner = CliRunner()

#: fp16's first iterations overflow while the loss scale falls, then one more mid-run (test_megatron_skips)
OVERFLOWS = frozenset({1, 2, 3, 4, 5, 6, 7, 23})


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "pretrain.sh"
    path.write_text(COMMAND)
    return path


def test_a_lag_names_fp16_overflows_and_the_stdout_log_s_counts(tmp_path: Path, script: Path) -> None:
    """TensorBoard's learning-rate tag has no counts: a lag, in Megatron's words, with the shortest model."""
    megatron_run(tmp_path, overflows=OVERFLOWS, first_line=True)
    result = runner.invoke(
        app, ["check", str(script), "--against", str(tmp_path / "tensorboard"), "-o", str(tmp_path / "x.png")]
    )
    output = flat(result.output)
    assert result.exit_code == 1 and "(lag)" in output, output
    assert "Megatron-LM skipped 8 iteration(s): fp16 loss scaling found an overflow" in output
    assert "train_step skipped opt_param_scheduler.step" in output
    assert "'number of skipped iterations'" in output and "check against the stdout log" in output
    assert "GradScaler" not in output and "HF Trainer" not in output
    # 7 iterations skipped at the start (each holding the warmup's first LR), one at plan step 15: not 1,1,...,1@15
    assert "model it with --skipped-steps 7,1@15" in output
    held = runner.invoke(
        app, ["check", str(script), "--against", str(tmp_path / "tensorboard"), "--skipped-steps", "7,1@15"]
    )
    assert held.exit_code == 0, held.output


@pytest.mark.parametrize("first_line", [True, False], ids=["is_first_iteration", "older"])
def test_watch_passes_a_right_fp16_run_on_its_stdout_log(tmp_path: Path, script: Path, first_line: bool) -> None:
    log = megatron_run(tmp_path, overflows=OVERFLOWS, first_line=first_line)
    result = runner.invoke(app, ["watch", str(log), "--plan", str(script), "--once"])
    assert result.exit_code == 0, result.output
    assert "followed the plan" in result.output
    assert lrviz.watch(log, script, once=True).verdict is None


def test_watch_names_a_bug_under_the_skips_once(tmp_path: Path, script: Path) -> None:
    log = megatron_run(tmp_path, per_micro_batch=True, overflows=OVERFLOWS, first_line=True)
    result = runner.invoke(app, ["watch", str(log), "--plan", str(script), "--once"])
    output = flat(result.output)
    assert result.exit_code == 1 and "(faster)" in output, output
    assert f"the scheduler steps {GBS // MICRO} times per optimizer step" in output
    assert "Megatron-LM reports 8 skipped iteration(s)" in output
    assert output.count("warning:") == 1  # read on to the log's end without --stop: said once


def test_watch_takes_the_user_s_skipped_steps_instead_of_the_counts(tmp_path: Path, script: Path) -> None:
    log = megatron_run(tmp_path, overflows=frozenset({1, 2, 3}), first_line=True)
    result = runner.invoke(app, ["watch", str(log), "--plan", str(script), "--once", "--skipped-steps", "3"])
    assert result.exit_code == 0, result.output
    wrong = runner.invoke(app, ["watch", str(log), "--plan", str(script), "--once", "--skipped-steps", "1"])
    assert wrong.exit_code == 1, wrong.output


def test_watch_on_tensorboard_calls_the_skips_a_lag_not_a_scaled_lr(tmp_path: Path, script: Path) -> None:
    """The warmup's 0 held by the first overflows was read as 'the logged LR is 0 x the plan'."""
    megatron_run(tmp_path, overflows=OVERFLOWS, first_line=True)
    result = runner.invoke(app, ["watch", str(tmp_path / "tensorboard"), "--plan", str(script), "--once"])
    output = flat(result.output)
    assert result.exit_code == 1 and "(lag)" in output, output
    assert "scaled" not in output and "fp16 loss scaling found an overflow" in output


def test_compare_holds_the_plan_where_the_log_counts_skips(
    tmp_path: Path, script: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lrviz.api.logs

    drawn: list[list[float]] = []
    monkeypatch.setattr(lrviz.api.logs, "save_overlay", lambda curve, log, report, *paths: drawn.append(curve.lr))
    log = megatron_run(tmp_path, overflows=OVERFLOWS, first_line=True)
    result = runner.invoke(app, ["compare", str(script), str(log), "-o", str(tmp_path / "o.png")])
    assert result.exit_code == 0, result.output
    assert "matches the plan at all 12 logged steps" in result.output
    assert "Megatron-LM reports 8 skipped iteration(s) up to iteration 60" in result.output
    assert drawn == [held_steps(lrviz.simulate(script).lr, [(5, 0), (2, 3), (1, 17)])]


def test_faster_with_train_iters_names_the_scheduler_stepped_per_micro_batch(tmp_path: Path, script: Path) -> None:
    megatron_run(tmp_path, per_micro_batch=True)
    result = runner.invoke(
        app, ["check", str(script), "--against", str(tmp_path / "train.log"), "-o", str(tmp_path / "x.png")]
    )
    output = flat(result.output)
    assert result.exit_code == 1 and "(faster)" in output, output
    assert "Megatron-LM's train_step steps opt_param_scheduler once per iteration" in output
    assert "with --train-iters the warmup and decay are counted in iterations x the global batch" in output
    assert "Accelerate" not in output and "processes" not in output


#: a schedule counted in samples: 960 samples of global batch 16 are 60 iterations
SAMPLES_COMMAND = (
    f"torchrun pretrain_gpt.py --global-batch-size {GBS} --micro-batch-size {MICRO} --lr 3e-4 --min-lr 3e-5 "
    "--lr-decay-style cosine --lr-warmup-samples 160 --train-samples 960 --log-interval 5\n"
)


def samples_run(directory: Path, global_batch: int) -> Path:
    """SAMPLES_COMMAND trained with ``global_batch`` samples an iteration (e.g. twice the data-parallel size the
    command was written for): ``get_optimizer_param_scheduler`` takes the sample counts as they are
    (training.py 2580-2593), ``update_train_iters`` makes 960 // global_batch iterations, and ``train_step``
    steps the scheduler by the global batch (3217-3223); logged as ``training_log`` logs the TensorBoard tag."""
    import torch

    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.AdamW([param], lr=3e-4)
    scheduler = scheduler_module.OptimizerParamScheduler(
        optimizer,
        init_lr=0.0,
        max_lr=3e-4,
        min_lr=3e-5,
        lr_warmup_steps=160,
        lr_decay_steps=960,
        lr_decay_style="cosine",
        start_wd=0.01,
        end_wd=0.01,
        wd_incr_steps=960,
        wd_incr_style="constant",
        use_checkpoint_opt_param_scheduler=False,
        override_opt_param_scheduler=False,
        wsd_decay_steps=None,
        lr_wsd_decay_style="exponential",
    )
    writer = tensorboard.SummaryWriter(str(directory))
    for iteration in range(1, 960 // global_batch + 1):
        param.grad = torch.zeros(1)
        optimizer.step()
        scheduler.step(increment=global_batch)
        writer.add_scalar("learning-rate", optimizer.param_groups[0]["lr"], iteration)
    writer.close()
    return directory


def test_faster_with_train_samples_names_the_global_batch(tmp_path: Path) -> None:
    script = tmp_path / "samples.sh"
    script.write_text(SAMPLES_COMMAND)
    log = samples_run(tmp_path / "tb", 2 * GBS)
    result = runner.invoke(app, ["check", str(script), "--against", str(log), "-o", str(tmp_path / "x.png")])
    output = flat(result.output)
    assert result.exit_code == 1 and "the log runs 2x faster than the plan" in output, output
    assert "Megatron-LM counts this schedule in samples" in output
    assert f"a global batch 2 x the plan's {GBS} advances it 2x faster per iteration" in output
    assert re.search(rf"Is the run's --global-batch-size .* {2 * GBS}\?", output)
    assert "Accelerate" not in output
    # the cause named is the cause: the plan with the run's global batch matches the log
    script.write_text(SAMPLES_COMMAND.replace(f"--global-batch-size {GBS}", f"--global-batch-size {2 * GBS}"))
    fixed = runner.invoke(app, ["check", str(script), "--against", str(log)])
    assert fixed.exit_code == 0, fixed.output
