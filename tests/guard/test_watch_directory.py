"""``lrviz watch RUN_DIR``: a run directory that gains its log later is searched as ``check`` searches one.

The training process is tests/guard/test_watch.py's real loop (SGD + CosineAnnealingLR, TensorBoard events
written step by step into RUN_DIR/tb, which does not exist when watch starts).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lrviz.cli import app

pytest.importorskip("tensorboard")
pytest.importorskip("accelerate")

from tests.guard.test_watch import COSINE, _start  # noqa: E402  (after the skips: they need tensorboard, accelerate)

runner = CliRunner()


def test_watch_finds_the_log_a_run_directory_gains_later(tmp_path: Path) -> None:
    config = tmp_path / "cosine.yaml"
    config.write_text(COSINE)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[2]), os.environ.get("PYTHONPATH", "")]),
    }
    watch = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lrviz",
            "watch",
            str(tmp_path),
            "--plan",
            str(config),
            "--poll",
            "0.05",
            "--idle",
            "120",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert not (tmp_path / "tb").exists()  # the run has not started: watch waits for its log
    train = _start(tmp_path, processes=1, delay=0.02)
    try:
        out, err = watch.communicate(timeout=300)
        assert train.wait(timeout=120) == 0
    finally:
        train.kill()
        watch.kill()
    assert watch.returncode == 0, err
    assert "followed the plan at all 24 logged steps to the plan's end" in out


def test_several_logs_under_a_directory_are_named(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(COSINE)
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        (tmp_path / run / "trainer_state.json").write_text(
            '{"global_step": 1, "log_history": [{"learning_rate": 0.1, "step": 1}]}'
        )
    result = runner.invoke(app, ["watch", str(tmp_path), "--plan", str(config), "--once"])
    assert result.exit_code == 2, result.output
    assert "2 logs under this directory" in result.stderr
    assert str(tmp_path / "a" / "trainer_state.json") in result.stderr
    assert str(tmp_path / "b" / "trainer_state.json") in result.stderr


def test_a_directory_without_a_log_yet(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(COSINE)
    (tmp_path / "run").mkdir()
    result = runner.invoke(app, ["watch", str(tmp_path / "run"), "--plan", str(config), "--once"])
    assert result.exit_code == 2 and "no log under this directory yet" in result.stderr
    (tmp_path / "run" / "sub").mkdir()
    (tmp_path / "run" / "sub" / "metrics.csv").write_text("step,lr-SGD\n0,0.1\n")
    result = runner.invoke(app, ["watch", str(tmp_path / "run"), "--plan", str(config), "--once"])
    assert result.exit_code == 0, result.output
    assert "followed the plan at all 1 logged steps so far" in result.stdout
