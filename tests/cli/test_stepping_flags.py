"""The stepping flags on every command that runs a schedule, as ``render`` takes them (issue 20, part 6)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lrviz.cli import app

runner = CliRunner()


def _csv(result_path: Path) -> str:
    return result_path.read_text()


def test_scheduler_command_takes_interval_and_accelerate(tmp_path: Path) -> None:
    """The issue's command line: it failed with "No such option: --interval"."""
    out = tmp_path / "flags.csv"
    args = ["--t-max", "40", "--steps-per-epoch", "20", "--interval", "step", "--accelerate-processes", "2"]
    result = runner.invoke(app, ["cosine", *args, "--epochs", "2", "-o", str(out)])
    assert result.exit_code == 0, result.output
    config = tmp_path / "same.yaml"
    config.write_text(
        "scheduler: {name: CosineAnnealingLR, T_max: 40}\nepochs: 2\nsteps_per_epoch: 20\ninterval: step\n"
        "accelerate_processes: 2\n"
    )
    rendered = tmp_path / "render.csv"
    assert runner.invoke(app, ["render", str(config), "-o", str(rendered)]).exit_code == 0
    assert _csv(out) == _csv(rendered)
    # Accelerate on 2 processes: the cosine of T_max 40 reaches its minimum at optimizer step 20
    rows = _csv(out).splitlines()[1:]
    assert float(rows[20].split(",")[2]) == pytest.approx(0.0, abs=1e-12)


def test_interval_epoch_on_a_scheduler_command(tmp_path: Path) -> None:
    out = tmp_path / "epoch.csv"
    result = runner.invoke(
        app,
        ["cosine", "--t-max", "4", "--epochs", "4", "--steps-per-epoch", "3", "--interval", "epoch", "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    lrs = [row.split(",")[2] for row in _csv(out).splitlines()[1:]]
    assert len(lrs) == 12 and lrs[0] == lrs[1] == lrs[2] != lrs[3]


@pytest.mark.parametrize(
    ("command", "flags"),
    [
        (["timm", "cosine"], ["--steps-per-epoch", "5", "--dataset-size", "100", "--world-size", "2"]),
        (["deepspeed", "WarmupDecayLR", "--total-num-steps", "20"], ["--epochs", "2", "--steps-per-epoch", "10"]),
        (["hf", "linear", "--max-steps", "20"], ["--dataset-size", "40", "--world-size", "2"]),
    ],
)
def test_framework_commands_take_the_run_flags_their_files_take(command: list[str], flags: list[str]) -> None:
    result = runner.invoke(app, [*command, *flags, "--no-chart"])
    assert result.exit_code == 0, result.output
    bad = runner.invoke(app, [*command, "--interval", "step"])
    assert bad.exit_code == 2 and "No such option: --interval" in bad.output
