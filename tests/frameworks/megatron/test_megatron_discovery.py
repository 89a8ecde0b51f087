"""``lrviz check CONFIG --against DIR`` finds Megatron-LM's stdout log in a run directory, by its content.

The run is ``megatron_run`` (``test_megatron_logs``): megatron-core's ``OptimizerParamScheduler`` stepped and
logged as Megatron-LM's ``train``/``training_log`` do, its stdout saved as SLURM saves it (``slurm-<job>.out``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lrviz.cli import app
from lrviz.logs import discover, layout
from tests.frameworks.megatron.test_megatron_logs import COMMAND, megatron_run

pytest.importorskip("megatron.core.optimizer_param_scheduler")
pytest.importorskip("torch.utils.tensorboard")
runner = CliRunner()

#: what Megatron-LM prints before its first iteration (``_print_args``, arguments.py 1994-2001)
ARGUMENTS = (
    "------------------------ arguments ------------------------\n"
    + "".join(f"  option_{i} {'.' * 40} {i}\n" for i in range(4000))  # ~250 KB: past the sniffed head
    + "-------------------- end of arguments ---------------------\n"
)


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A job's directory: TensorBoard, the SLURM stdout (after a long argument listing), a checkpoint, notes."""
    run = tmp_path / "job"
    run.mkdir()
    log = megatron_run(run, name="slurm-4242.out")
    log.write_text(ARGUMENTS + log.read_text())
    (run / "checkpoints" / "iter_0000060").mkdir(parents=True)
    (run / "checkpoints" / "iter_0000060" / "common.pt").write_bytes(b"\x80\x02" * 4096)
    (run / "checkpoints" / "latest_checkpointed_iteration.txt").write_text("60\n")
    (run / "notes.txt").write_text("lr sweep, iteration 3 of 5 | learning rate: see wiki\n" * 50_000)  # ~2.6 MB
    (tmp_path / "pretrain.sh").write_text(COMMAND)
    return run


def test_check_lists_the_stdout_log_with_the_others_and_checks_it(run_dir: Path) -> None:
    result = runner.invoke(app, ["check", str(run_dir.parent / "pretrain.sh"), "--against", str(run_dir)])
    assert result.exit_code == 0, result.output
    assert "2 logs found" in result.output
    listed = [line.split() for line in result.output.splitlines() if line.startswith("  ")]
    assert listed == [["megatron", str(run_dir / "slurm-4242.out")], ["tensorboard", str(run_dir / "tensorboard")]]
    assert f"{run_dir / 'slurm-4242.out'} [learning rate]: matches the plan" in result.output


def test_a_directory_holding_only_the_stdout_log_is_that_log(tmp_path: Path) -> None:
    megatron_run(tmp_path / "job", per_micro_batch=True)
    (tmp_path / "job" / "tensorboard").rename(tmp_path / "tb")
    (tmp_path / "pretrain.sh").write_text(COMMAND)
    result = runner.invoke(app, ["check", str(tmp_path / "pretrain.sh"), "--against", str(tmp_path / "job")])
    assert result.exit_code == 1
    assert "the scheduler steps 4 times per optimizer step" in result.output


def test_unrelated_text_costs_one_small_read(run_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every candidate is sniffed (SNIFF_BYTES); only the one that starts as Megatron's stdout is read on."""
    reads: list[tuple[str, int]] = []
    head = layout._head
    monkeypatch.setattr(layout, "_head", lambda path, size=4096: reads.append((path.name, size)) or head(path, size))
    assert ("megatron", run_dir / "slurm-4242.out") in discover(run_dir)
    assert all(size <= layout.SNIFF_BYTES for name, size in reads if name != "slurm-4242.out")
    assert {name for name, _ in reads} >= {"notes.txt", "latest_checkpointed_iteration.txt", "slurm-4242.out"}
    assert "common.pt" not in {name for name, _ in reads}
