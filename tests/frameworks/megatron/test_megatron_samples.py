"""Megatron-LM's ``learning-rate vs samples`` TensorBoard tag, put on iterations by the plan's global batch.

The event files come from ``megatron_run`` (``test_megatron_logs``): megatron-core's ``OptimizerParamScheduler``
stepped as ``train_step`` steps it, and ``writer.add_scalar('learning-rate vs samples', lr,
args.consumed_train_samples)`` as ``training_log`` writes it (NVIDIA/Megatron-LM d98e8a64 ``training.py``
3380-3381), the consumed samples growing by the global batch every iteration, skipped ones too (4811-4818).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import lrviz
from lrviz.cli import app
from lrviz.errors import ConfigError
from tests.frameworks.megatron.test_megatron_logs import COMMAND, GBS, ITERS, megatron_run

pytest.importorskip("megatron.core.optimizer_param_scheduler")
pytest.importorskip("torch.utils.tensorboard")
runner = CliRunner()
TAG = "learning-rate vs samples"


def _script(tmp_path: Path, command: str = COMMAND) -> Path:
    path = tmp_path / "pretrain.sh"
    path.write_text(command)
    return path


def test_the_samples_axis_is_the_iteration_tag_on_iterations(tmp_path: Path) -> None:
    megatron_run(tmp_path)
    plan = lrviz.load(_script(tmp_path))
    on_samples = lrviz.read_log(tmp_path / "tensorboard", y=TAG, plan=plan)
    on_iterations = lrviz.read_log(tmp_path / "tensorboard")
    assert on_samples.convention.name == "megatron"
    assert list(on_samples.series[0].steps) == list(on_iterations.series[0].steps) == list(range(1, ITERS + 1))
    assert list(on_samples.series[0].values) == list(on_iterations.series[0].values)


@pytest.mark.parametrize("per_micro_batch", [False, True], ids=["right", "stepped per micro-batch"])
def test_check_reads_the_samples_tag(tmp_path: Path, per_micro_batch: bool) -> None:
    """The right run overflowed twice at the start: --skipped-steps models it, as for the iteration tag."""
    megatron_run(tmp_path, per_micro_batch=per_micro_batch, overflows=frozenset() if per_micro_batch else {1, 2})
    args = ["check", str(_script(tmp_path)), "--against", str(tmp_path / "tensorboard"), "--y", TAG]
    result = runner.invoke(app, [*args] if per_micro_batch else [*args, "--skipped-steps", "2"])
    if per_micro_batch:
        assert result.exit_code == 1 and "the scheduler steps 4 times per optimizer step" in result.output
    else:
        assert result.exit_code == 0, result.output
        assert "matches the plan at all 59 logged steps" in result.output


def test_watch_reads_the_samples_tag_as_check_does(tmp_path: Path) -> None:
    megatron_run(tmp_path)
    args = ["watch", str(tmp_path / "tensorboard"), "--plan", str(_script(tmp_path)), "--y", TAG, "--once"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "no plan" not in result.output and "followed the plan" in result.output


def test_a_batch_that_may_change_keeps_the_refusal_with_its_reason(tmp_path: Path) -> None:
    megatron_run(tmp_path)
    script = _script(tmp_path, COMMAND.replace("--lr 3e-4", "--decrease-batch-size-if-needed --lr 3e-4"))
    result = runner.invoke(app, ["check", str(script), "--against", str(tmp_path / "tensorboard"), "--y", TAG])
    assert result.exit_code == 2
    assert "is logged against the consumed samples" in result.output
    assert "--decrease-batch-size-if-needed may lower it at run time" in result.output
    assert "compare 'learning-rate'" in result.output


def test_a_plan_with_another_global_batch_is_refused_not_misaligned(tmp_path: Path) -> None:
    megatron_run(tmp_path)
    script = _script(tmp_path, COMMAND.replace(f"--global-batch-size {GBS}", "--global-batch-size 24"))
    result = runner.invoke(app, ["check", str(script), "--against", str(tmp_path / "tensorboard"), "--y", TAG])
    assert result.exit_code == 2
    assert "16 consumed samples is not a whole number of iterations of the plan's global batch 24" in result.output


def test_without_a_megatron_plan_the_global_batch_is_unknown(tmp_path: Path) -> None:
    megatron_run(tmp_path)
    with pytest.raises(ConfigError, match="no plan gives the run's global batch size"):
        lrviz.read_log(tmp_path / "tensorboard", y=TAG)
    torch_plan = tmp_path / "cosine.yaml"
    torch_plan.write_text("optimizer: {name: AdamW, lr: 3.0e-4}\nscheduler: {name: CosineAnnealingLR, T_max: 60}\n")
    with pytest.raises(ConfigError, match="does not say how many samples each optimizer step consumes"):
        lrviz.read_log(tmp_path / "tensorboard", y=TAG, plan=lrviz.load(torch_plan))


def test_a_samples_name_outside_tensorboard_is_not_divided(tmp_path: Path) -> None:
    """Megatron writes the samples axis to TensorBoard only (3381); elsewhere the steps may be iterations."""
    csv = tmp_path / "export.csv"
    csv.write_text("step,learning-rate vs samples\n" + "".join(f"{k * GBS},{3e-4}\n" for k in range(1, 6)))
    plan = lrviz.load(_script(tmp_path))
    with pytest.raises(ConfigError, match="writes its consumed-samples tags to TensorBoard only"):
        lrviz.read_log(csv, y=TAG, plan=plan)
