"""``lrviz check`` against a Megatron-LM stdout log that counts skipped iterations (fp16 overflows).

The logs come from ``megatron_run`` (``test_megatron_logs``): megatron-core's own ``OptimizerParamScheduler``
stepped as ``train_step`` steps it, where an overflowing iteration skips both the optimizer's and the
scheduler's step but still advances ``iteration`` (NVIDIA/Megatron-LM d98e8a64 ``training.py`` 3213-3226),
and logged as ``training_log`` logs it, ``number of skipped iterations: k`` per line (3293-3302, 3638-3651).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import lrviz
from lrviz.cli import app
from lrviz.comparison.replan import held_steps
from tests.frameworks.megatron.test_megatron_logs import COMMAND, megatron_run

pytest.importorskip("megatron.core.optimizer_param_scheduler")
runner = CliRunner()

#: fp16's first iterations overflow while the loss scale falls from 2**32 (Megatron's default initial scale),
#: then one more mid-run
OVERFLOWS = frozenset({1, 2, 3, 4, 5, 6, 7, 23})


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "pretrain.sh"
    path.write_text(COMMAND)
    return path


def test_the_reader_keeps_each_line_s_count(tmp_path: Path) -> None:
    log = lrviz.read_log(megatron_run(tmp_path, overflows=OVERFLOWS, first_line=True))
    assert log.skipped[:4] == ((1, 1, True), (5, 5, False), (10, 2, False), (15, 0, False))
    assert (25, 1, False) in log.skipped
    assert lrviz.read_log(megatron_run(tmp_path / "clean")).skipped == ()


@pytest.mark.parametrize("first_line", [True, False], ids=["is_first_iteration", "older"])
def test_a_right_run_with_skips_passes_and_says_why(tmp_path: Path, script: Path, first_line: bool) -> None:
    log = megatron_run(tmp_path, overflows=OVERFLOWS, first_line=first_line)
    result = runner.invoke(app, ["check", str(script), "--against", str(log)])
    assert result.exit_code == 0, result.output
    assert "matches the plan" in result.output
    assert "Megatron-LM reports 8 skipped iteration(s) up to iteration 60" in result.output
    assert "fp16 loss scaling found an overflow" in result.output and "opt_param_scheduler.step" in result.output


def test_without_the_counts_the_same_log_lags_the_plan(tmp_path: Path, script: Path) -> None:
    log = megatron_run(tmp_path, overflows=OVERFLOWS, first_line=True)
    report = lrviz.check(script, against=log, reported_skips=False)
    assert not report.ok and report.findings[0].code == "lag"
    assert lrviz.check(script, against=log).ok


def test_a_bug_under_the_skips_is_still_named(tmp_path: Path, script: Path) -> None:
    log = megatron_run(tmp_path, per_micro_batch=True, overflows=OVERFLOWS, first_line=True)
    result = runner.invoke(app, ["check", str(script), "--against", str(log), "-o", str(tmp_path / "o.png")])
    assert result.exit_code == 1
    assert "Megatron-LM reports 8 skipped iteration(s)" in result.output
    assert "the scheduler steps 4 times per optimizer step" in result.output
    assert "(faster)" in result.output


def test_the_user_s_skipped_steps_replace_the_log_s_counts(tmp_path: Path, script: Path) -> None:
    log = megatron_run(tmp_path, overflows=frozenset({1, 2, 3}), first_line=True)
    result = runner.invoke(app, ["check", str(script), "--against", str(log), "--skipped-steps", "3"])
    assert result.exit_code == 0, result.output
    assert "skipped iteration(s)" not in result.output


def test_iterations_to_skip_is_named_not_passed_over(tmp_path: Path) -> None:
    """--iterations-to-skip advances the iteration without a train_step (training.py 4648-4659): the LR lags."""
    path = tmp_path / "skip.sh"
    path.write_text(COMMAND.replace("--lr 3e-4", "--iterations-to-skip 5 9 --lr 3e-4"))
    notes = lrviz.load(path).notes
    assert any("--iterations-to-skip" in n and "falls one iteration behind" in n for n in notes)


def test_the_overlay_draws_the_plan_as_compared(tmp_path: Path, script: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import lrviz.api.logs

    drawn: list[list[float]] = []
    monkeypatch.setattr(lrviz.api.logs, "save_overlay", lambda curve, log, report, *paths: drawn.append(curve.lr))
    log = megatron_run(tmp_path, overflows=OVERFLOWS, first_line=True)
    result = runner.invoke(app, ["check", str(script), "--against", str(log), "-o", str(tmp_path / "o.png")])
    assert result.exit_code == 0, result.output
    # 5 skips counted by iteration 5 (plan step 0), 2 more by iteration 10 (step 3), 1 by iteration 25 (step 17)
    assert drawn == [held_steps(lrviz.simulate(script).lr, [(5, 0), (2, 3), (1, 17)])]


def test_a_run_folder_s_tensorboard_log_takes_the_stdout_log_s_counts(tmp_path: Path, script: Path) -> None:
    """Megatron writes the same LR to TensorBoard but counts the skips only in stdout: one run, one verdict."""
    megatron_run(tmp_path, overflows=OVERFLOWS, first_line=True)
    result = runner.invoke(app, ["check", str(script), "--against", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "2 logs found" in result.output
    assert f"held where {tmp_path / 'train.log'} counts skipped iterations (the same LRs: one run)" in result.output
    assert result.output.count("Megatron-LM reports 8 skipped iteration(s)") == 2


def test_another_run_s_counts_are_not_taken(tmp_path: Path, script: Path) -> None:
    """A stdout log of another run (its LRs differ from the TensorBoard log's after its skips) lends nothing."""
    megatron_run(tmp_path / "skipping", overflows=OVERFLOWS, first_line=True)
    megatron_run(tmp_path / "clean")
    folder = tmp_path / "mixed"
    folder.mkdir()
    (tmp_path / "skipping" / "train.log").rename(folder / "train.log")
    (tmp_path / "clean" / "tensorboard").rename(folder / "tensorboard")
    result = runner.invoke(app, ["check", str(script), "--against", str(folder)])
    assert result.exit_code == 0, result.output  # each matches the plan on its own
    assert "counts skipped iterations" not in result.output
    assert result.output.count("Megatron-LM reports 8 skipped iteration(s)") == 1
