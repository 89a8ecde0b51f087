"""``lrviz check CONFIG --against runs/``: every log under a directory found, listed and checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lrviz.cli import app
from lrviz.logs import discover
from tests import realruns, trackers

pytest.importorskip("tensorboard")
pytest.importorskip("accelerate")
pytest.importorskip("mlflow")

runner = CliRunner()

COSINE = """\
scheduler: {name: CosineAnnealingLR, T_max: 24}
optimizer: {name: SGD, lr: 0.1, momentum: 0.9}
epochs: 3
steps_per_epoch: 8
interval: step
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("runs")
    realruns.torch_tb_run(base / "tb" / "right")
    realruns.accelerate_tb_run(base / "tb" / "accelerate4", processes=4)
    trackers.mlflow_db(base / "mlflow", "right", lambda log: trackers.train(log))
    trackers.mlflow_db(base / "mlflow", "resumed", lambda log: trackers.train(log, resume_at=10))
    trackers.comet_zip(base / "comet", "right", lambda log: trackers.train(log))
    trackers.dvclive_dir(base / "exp", "per2", lambda log: trackers.train(log, sched_steps=2))
    hf = base / "hf" / "checkpoint-8"
    hf.mkdir(parents=True)
    (hf / "trainer_state.json").write_text("{}")  # a checkpoint's copy: not a log of its own
    (base / ".git").mkdir()
    (base / "notes.csv").write_text("a,b\n1,2\n")  # a CSV that is no log
    return base


def test_discover_lists_every_log_once(runs: Path) -> None:
    found = [(kind, str(path.relative_to(runs))) for kind, path in discover(runs)]
    assert found == [
        ("comet", next(p for p in (runs / "comet").glob("*.zip")).relative_to(runs).as_posix()),
        ("dvclive", "exp"),
        ("mlflow", "mlflow"),
        ("tensorboard", "tb/accelerate4"),
        ("tensorboard", "tb/right"),
    ]


def test_check_against_a_directory_checks_each_log_and_run(
    runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "cosine.yaml"
    config.write_text(COSINE)
    result = runner.invoke(app, ["check", str(config), "--against", str(runs)])
    assert result.exit_code == 1
    out, err = result.stdout, result.stderr
    assert "6 logs found:" in out  # the MLflow store's two runs are two logs
    assert out.count("--run ") == 2
    assert "matches the plan at all 24 logged steps" in out  # tb/right, comet, mlflow 'right'
    assert "4x faster" in err and "2x faster" in err and "starts the schedule over at step 10" in err
    assert "3 check(s) failed" in err
    assert not list(tmp_path.glob("*.png"))  # no overlay per log in a directory check
    several = runner.invoke(app, ["check", str(config), "--against", str(runs), "-o", str(tmp_path / "o.png")])
    assert several.exit_code == 2 and "holds 6 logs" in several.stderr
