"""``lrviz watch LOG --plan CONFIG``: a run's growing log followed live, in another process.

The training process is a real loop (SGD + CosineAnnealingLR wrapped by Accelerate's
AcceleratedScheduler with ``num_processes`` simulated, as tests/realruns.py does) writing
TensorBoard events step by step; ``watch --stop --pid`` interrupts it with SIGINT at the
diagnosis, and the loop stops cleanly (it records the step it stopped at).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lrviz.cli import app

pytest.importorskip("tensorboard")
pytest.importorskip("accelerate")

runner = CliRunner()

COSINE = """\
scheduler: {name: CosineAnnealingLR, T_max: 24}
optimizer: {name: SGD, lr: 0.1, momentum: 0.9}
epochs: 3
steps_per_epoch: 8
interval: step
"""

TRAIN = textwrap.dedent(
    """
    import sys, time, warnings
    from pathlib import Path
    from unittest import mock
    warnings.simplefilter("ignore")
    import torch
    from torch import nn
    import accelerate.scheduler
    from accelerate import Accelerator
    from torch.utils.tensorboard import SummaryWriter

    out, processes, delay = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])

    class State:
        num_processes = processes

    accelerator = Accelerator(cpu=True)
    model = nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=24)
    model, opt, sched = accelerator.prepare(model, opt, sched)
    writer = SummaryWriter(str(out / "tb"))
    step = 0
    try:
        with mock.patch.object(accelerate.scheduler, "AcceleratorState", State):
            (out / "started").write_text("")
            for step in range(24):
                x = torch.randn(4, 3)
                accelerator.backward(nn.functional.mse_loss(model(x), x.sum(1, keepdim=True)))
                writer.add_scalar("lr", opt.param_groups[0]["lr"], step)
                writer.flush()
                opt.step(); sched.step(); opt.zero_grad()
                time.sleep(delay)
            step = 24
    except KeyboardInterrupt:
        pass  # the clean stop: close the writer, record where
    writer.close()
    (out / "stopped").write_text(str(step))
    """
)


def _start(tmp_path: Path, processes: int, delay: float) -> subprocess.Popen[bytes]:
    script = tmp_path / "train.py"
    script.write_text(TRAIN)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen([sys.executable, str(script), str(tmp_path), str(processes), str(delay)], env=env)


def _watch(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "cosine.yaml"
    config.write_text(COSINE)
    args = ["watch", str(tmp_path / "tb"), "--plan", str(config), "--poll", "0.05", "--idle", "60", *extra]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[2]), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run([sys.executable, "-m", "lrviz", *args], capture_output=True, text=True, env=env, timeout=240)


def test_watch_stops_a_run_stepping_the_scheduler_per_process(tmp_path: Path) -> None:
    train = _start(tmp_path, processes=8, delay=0.4)
    try:
        result = _watch(tmp_path, "--stop", "--pid", str(train.pid), "-o", str(tmp_path / "watch.sarif"), "--annotate")
        assert train.wait(timeout=60) == 0
    finally:
        train.kill()
    assert result.returncode == 1, result.stderr
    assert (
        "::error file=" in result.stdout and ",line=1," in result.stdout and "[T_max]" in result.stdout
    )  # T_max: line 1
    import json

    (found,) = json.loads((tmp_path / "watch.sarif").read_text())["runs"][0]["results"]
    assert found["ruleId"] == "lrviz/faster"
    assert "8x faster" in result.stderr and "Accelerate steps it once per process" in result.stderr
    assert "the LR left the plan at optimizer step 1 (faster)" in result.stderr
    stopped = int((tmp_path / "stopped").read_text())
    assert stopped < 20  # interrupted within its first 20 optimizer steps


def test_watch_follows_a_right_run_to_the_plans_end(tmp_path: Path) -> None:
    train = _start(tmp_path, processes=1, delay=0.02)
    try:
        result = _watch(tmp_path, "--stop", "--pid", str(train.pid))
        assert train.wait(timeout=60) == 0
    finally:
        train.kill()
    assert result.returncode == 0, result.stderr
    assert "followed the plan at all 24 logged steps to the plan's end" in result.stdout
    assert (tmp_path / "stopped").read_text() == "24"


def test_watch_once_and_bad_input(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(COSINE)
    log = tmp_path / "log.csv"
    log.write_text("step,lr\n0,0.1\n1,0.05\n")
    result = runner.invoke(app, ["watch", str(log), "--plan", str(config), "--once"])
    assert result.exit_code == 1 and "left the plan at optimizer step 1" in result.stderr  # decided at the end
    log.write_text("step,lr\n0,0.1\n")
    result = runner.invoke(app, ["watch", str(log), "--plan", str(config), "--once"])
    assert result.exit_code == 0 and "followed the plan at all 1 logged steps so far" in result.stdout
    missing = runner.invoke(app, ["watch", str(log)])
    assert missing.exit_code == 2 and "--plan CONFIG" in missing.stderr
    pid_alone = runner.invoke(app, ["watch", str(log), "--plan", str(config), "--pid", "1"])
    assert pid_alone.exit_code == 2 and "--pid needs --stop" in pid_alone.stderr
    absent = runner.invoke(app, ["watch", str(tmp_path / "nope.csv"), "--plan", str(config), "--once"])
    assert absent.exit_code == 2 and "no such file" in absent.stderr
