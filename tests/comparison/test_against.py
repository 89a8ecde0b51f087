"""`lrviz check CONFIG --against LOG`, `lrviz compare CONFIG LOG` and the stepping model, on logs real runs wrote."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lrviz.cli import app

runner = CliRunner()

pytest.importorskip("tensorboard")
pytest.importorskip("accelerate")

COSINE = """\
scheduler:
  name: CosineAnnealingLR
  T_max: 24
optimizer: {name: SGD, lr: 0.1, momentum: 0.9}
epochs: 3
steps_per_epoch: 8
interval: step
"""


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from tests import realruns

    base = tmp_path_factory.mktemp("runs")
    return {
        "right": realruns.accelerate_tb_run(base / "one", processes=1),
        "four": realruns.accelerate_tb_run(base / "four", processes=4),
    }


@pytest.fixture()
def config(tmp_path: Path) -> Path:
    path = tmp_path / "cosine.yaml"
    path.write_text(COSINE)
    return path


def test_a_correct_run_passes(config: Path, logs: dict[str, Path], tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", str(config), "--against", str(logs["right"])])
    assert result.exit_code == 0, result.stderr
    assert "matches the plan at all 24 logged steps" in result.stdout
    assert not list(tmp_path.glob("*.png"))  # no overlay when nothing is wrong and no -o


def test_accelerate_on_four_processes_is_diagnosed_and_plotted(
    config: Path, logs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["check", str(config), "--against", str(logs["four"])])
    assert result.exit_code == 1
    assert "first differs at optimizer step 1" in result.stderr
    assert "4 times" in result.stderr  # the diagnosis names the factor and the setting
    assert "Error: " in result.stderr and "1 check(s) failed" in result.stderr
    overlay = tmp_path / "cosine-vs-four.png"
    assert overlay.exists() and overlay.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_stepping_model_reproduces_the_buggy_curve(config: Path, logs: dict[str, Path]) -> None:
    """--accelerate-processes 4 steps the real scheduler as AcceleratedScheduler does: the log then matches."""
    result = runner.invoke(app, ["check", str(config), "--against", str(logs["four"]), "--accelerate-processes", "4"])
    assert result.exit_code == 0, result.stderr
    fixed = runner.invoke(
        app, ["check", str(config), "--against", str(logs["four"]), "--accelerate-processes", "4", "--split-batches"]
    )
    assert fixed.exit_code == 1  # split_batches steps once per optimizer step: the log is 4x faster than that


def test_compare_config_log_reports_without_failing(config: Path, logs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "overlay.svg"
    result = runner.invoke(app, ["compare", str(config), str(logs["four"]), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert "first differs at optimizer step 1" in result.stdout and out.exists()
    assert "<path" in out.read_text()


def test_bad_logs_are_one_line_exit_2(config: Path, tmp_path: Path) -> None:
    no_lr = tmp_path / "metrics.csv"
    no_lr.write_text("step,loss\n0,1.0\n1,0.9\n")
    result = runner.invoke(app, ["check", str(config), "--against", str(no_lr)])
    assert result.exit_code == 2 and result.stderr.startswith("Error: ")
    assert "loss" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert runner.invoke(app, ["check", str(config), "--against", str(empty)]).exit_code == 2
    other = tmp_path / "other.csv"
    other.write_text("step,lr\n1000,0.1\n1001,0.1\n")
    result = runner.invoke(app, ["check", str(config), "--against", str(other), "--x", "step", "--y", "lr"])
    assert result.exit_code == 2 and "no logged step of lr lies inside the" in result.stderr
    assert "is it another run's log?" in result.stderr
    corrupt = tmp_path / "events.out.tfevents.1.host"
    corrupt.write_bytes(b"\x00\x01garbage" * 10)
    result = runner.invoke(app, ["check", str(config), "--against", str(corrupt)])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.glob("*.png")) == []
