"""The diagnoses issue 20 adds, on real runs: a log lagging the plan (AMP's GradScaler skipping optimizer
steps) with --skipped-steps to model it; the same resumed run called a resume in TensorBoard and in CSV."""

from __future__ import annotations

import math
import time
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn
from typer.testing import CliRunner

from lrviz.cli import app
from tests import realruns

runner = CliRunner()

COSINE = """\
scheduler: {name: CosineAnnealingLR, T_max: 24}
optimizer: {name: SGD, lr: 0.1, momentum: 0.9}
epochs: 3
steps_per_epoch: 8
interval: step
"""


@pytest.fixture()
def config(tmp_path: Path) -> Path:
    path = tmp_path / "cosine.yaml"
    path.write_text(COSINE)
    return path


def _check(config: Path, log: Path, *extra: str) -> tuple[int, str]:
    result = runner.invoke(app, ["check", str(config), "--against", str(log), "-o", str(log.parent / "o.svg"), *extra])
    return result.exit_code, result.output


def gradscaler_run(out: Path, seed: int = 0) -> tuple[Path, int]:
    """SGD + CosineAnnealingLR with torch's real GradScaler, starting from a scale so large that the first
    steps overflow: the scaler skips optimizer.step() there and the loop (as the HF Trainer and Accelerate
    do) skips scheduler.step() with it. Returns the CSV log and the number of skipped steps."""
    torch.manual_seed(seed)
    model = nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=24)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**127, growth_interval=10**6)
    rows, skipped = ["step,lr"], 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for step in range(24):
            x, y = realruns._batch(step)
            scaler.scale(nn.functional.mse_loss(model(x), y)).backward()
            rows.append(f"{step},{opt.param_groups[0]['lr']!r}")
            before = scaler.get_scale()
            scaler.step(opt)
            scaler.update()
            opt.zero_grad()
            if scaler.get_scale() < before:  # the step was skipped: inf/NaN gradients
                skipped += 1
                continue
            sched.step()
    path = out / f"amp{seed}.csv"
    path.write_text("\n".join(rows) + "\n")
    return path, skipped


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_gradscaler_skipped_steps_are_a_lag_and_modelled(config: Path, tmp_path: Path, seed: int) -> None:
    log, skipped = gradscaler_run(tmp_path, seed)
    assert 1 <= skipped <= 10  # the real scaler found the overflows and skipped those steps
    code, output = _check(config, log)
    assert code == 1
    assert f"lags the plan by {skipped} optimizer step(s) from step " in output and "(lag)" in output
    import re

    model = re.search(r"--skipped-steps ([\d@,]+)", output)
    assert model is not None
    assert sum(int(part.split("@")[0]) for part in model.group(1).split(",")) == skipped
    code, output = _check(config, log, "--skipped-steps", model.group(1))
    assert code == 0, output
    bad = runner.invoke(app, ["check", str(config), "--against", str(log), "--skipped-steps", "x"])
    assert bad.exit_code == 2 and "K@STEP" in bad.stderr


def test_a_resume_logged_every_second_step_is_a_resume_in_tensorboard_and_csv(config: Path, tmp_path: Path) -> None:
    """Two event files in one run directory (the resumed job writes its own), every second step logged."""
    pytest.importorskip("tensorboard")
    from torch.utils.tensorboard import SummaryWriter

    plan = [0.1 * 0.5 * (1 + math.cos(math.pi * k / 24)) for k in range(24)]
    for resume in (8, 12, 16):
        tb, values = tmp_path / f"tb{resume}", {}
        writer = SummaryWriter(str(tb))
        for step in range(0, 24, 2):
            if step == resume:
                writer.close()
                time.sleep(1.05)  # the event file name holds the start time in seconds
                writer = SummaryWriter(str(tb))
            values[step] = plan[step] if step < resume else plan[step - resume]
            writer.add_scalar("lr", values[step], step)
        writer.close()
        assert len(list(tb.glob("events.out.tfevents.*"))) == 2
        csv = tmp_path / f"resumed{resume}.csv"
        csv.write_text("step,lr\n" + "".join(f"{k},{v!r}\n" for k, v in values.items()))
        expected = f"starts the schedule over at step {resume}"
        for log in (tb, csv):
            code, output = _check(config, log)
            assert code == 1 and expected in output and "slower" not in output, (log, output)


PLATEAU = """\
optimizer: {name: SGD, lr: 0.1}
scheduler: {name: ReduceLROnPlateau, mode: min, factor: 0.5, patience: 2}
metrics: [2.3, 1.8, 1.5, 1.32, 1.21, 1.15, 1.12, 1.11, 1.11, 1.12, 1.10, 1.10,
          1.11, 1.09, 1.09, 1.10, 1.09, 1.09, 1.09, 1.10, 1.09, 1.09, 1.09, 1.09]
"""


def accelerate_plateau_run(out: Path, processes: int) -> Path:
    """ReduceLROnPlateau prepared by Accelerate (AcceleratedScheduler, num_processes simulated as in
    tests/realruns.py), stepped once per epoch with the validation loss; the LR logged per epoch."""
    from unittest import mock

    import accelerate.scheduler
    import yaml
    from accelerate import Accelerator

    class _State:
        num_processes = processes

    metrics = yaml.safe_load(PLATEAU)["metrics"]
    rows = ["step,lr"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        accelerator = Accelerator(cpu=True)
        model = nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=2)
        model, opt, sched = accelerator.prepare(model, opt, sched)
        with mock.patch.object(accelerate.scheduler, "AcceleratorState", _State):
            for epoch, loss in enumerate(metrics):
                x, y = realruns._batch(epoch)
                accelerator.backward(nn.functional.mse_loss(model(x), y))
                rows.append(f"{epoch},{opt.param_groups[0]['lr']!r}")
                opt.step()
                opt.zero_grad()
                sched.step(loss)  # once per epoch, with the validation loss
    path = out / f"plateau{processes}.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_reduce_lr_on_plateau_stepped_per_process_is_named(tmp_path: Path) -> None:
    pytest.importorskip("accelerate")
    config = tmp_path / "plateau.yaml"
    config.write_text(PLATEAU)
    right = accelerate_plateau_run(tmp_path, 1)
    code, output = _check(config, right)
    assert code == 0, output
    four = accelerate_plateau_run(tmp_path, 4)
    code, output = _check(config, four)
    assert (
        code == 1 and "ReduceLROnPlateau was stepped 4 times per epoch" in output and "(plateau_per_process)" in output
    )
    code, output = _check(config, four, "--accelerate-processes", "4")
    assert code == 0, output
