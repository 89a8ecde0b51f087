"""What a run at each documented limit costs: wall time and peak memory of the installed command.

Each case runs ``python -m lrviz ...`` in a subprocess at (or just under) one limit of
``lrviz/budget.py`` and reports its wall time and the child's peak resident memory
(``getrusage(RUSAGE_CHILDREN).ru_maxrss``), plus, for a few hostile inputs, how quickly they are
refused. The README's limits table quotes these numbers; a limit whose run takes longer than a
user waits (about half a minute) is lowered. Usage:

    python bench/limits.py [--only NAME ...] [--log-rows N]

Writes its inputs into a temporary folder (a 50,000,000-row log is ~640 MB).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float, int, str, float]:
    """(seconds, peak MB, exit status, last stderr line, CPU seconds) of ``python -m lrviz ARGS``."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "lrviz", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = usage.ru_maxrss
    last = (proc.stderr.strip().splitlines() or [""])[-1][:140]
    # ru_maxrss of children is the largest child so far: report it only when this child raised it
    return seconds, max(peak, before) / 1024, proc.returncode, last, usage.ru_utime + usage.ru_stime - cpu


def points(folder: Path) -> list[tuple[str, list[str], dict[str, str] | None]]:
    from lrviz.budget import POINTS, STEPS

    spe = 1000
    epochs = POINTS.value // spe
    text = f"scheduler: {{name: CosineAnnealingLR, T_max: {epochs * spe}}}\nepochs: {epochs}\nsteps_per_epoch: {spe}\ninterval: step\n"
    (folder / "points.yaml").write_text(text)
    steps = STEPS.value // 4
    (folder / "steps.yaml").write_text(
        f"scheduler: {{name: StepLR, step_size: 100}}\nepochs: {steps // spe}\nsteps_per_epoch: {spe}\naccelerate_processes: 4\n"
    )
    return [
        (f"{POINTS.value:,} points -> PNG", ["render", "points.yaml", "-o", "points.png", "-q"], None),
        (f"{POINTS.value:,} points -> CSV", ["render", "points.yaml", "-o", "points.csv", "-q"], None),
        (f"{POINTS.value:,} points -> table", ["render", "points.yaml", "-q"], None),
        (f"{STEPS.value:,} scheduler steps (4 processes)", ["render", "steps.yaml", "-o", "steps.csv", "-q"], None),
    ]


def logs(folder: Path, rows: int) -> list[tuple[str, list[str], dict[str, str] | None]]:
    log = folder / "run.csv"
    if not log.exists():
        with log.open("w") as out:
            # the 50,000,000-line log was 639 MB: step and LR, about 13 bytes a line
            out.write("step,lr\n")
            chunk = 1_000_000
            for start in range(0, rows, chunk):
                out.write("".join(f"{i},0.1\n" for i in range(start, min(rows, start + chunk))))
    constant = "scheduler: {name: StepLR, step_size: 1000000000}\ninterval: step\n"  # the LR stays 0.1
    (folder / "plan.yaml").write_text(constant + "epochs: 1000\nsteps_per_epoch: 1000\n")
    (folder / "short.yaml").write_text(constant + "epochs: 1\nsteps_per_epoch: 1000\n")
    # the log is read through the plan's window: only the plan's steps are held, the rest counted.
    # In ascending memory: ru_maxrss of children is the largest child's so far.
    return [
        ("a 1,000-step plan alone (the baseline)", ["render", "short.yaml", "-q"], None),
        (f"a {rows:,}-row CSV log vs a 1,000-step plan", ["check", "short.yaml", "--against", "run.csv"], None),
        (f"a {rows:,}-row CSV log vs a 1,000,000-step plan", ["check", "plan.yaml", "--against", "run.csv"], None),
    ]  # fmt: skip


def bombs(folder: Path) -> list[tuple[str, list[str], dict[str, str] | None]]:
    lightning = (
        "model:\n  optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}\n"
        "  scheduler: {class_path: torch.optim.lr_scheduler.StepLR, init_args: {step_size: 2}}\n"
        "trainer: {max_epochs: 5}\njunk:\n  k0: xxxxxxxxxxxxxxxxxxxxxxxx\n"
    )
    doubling = "".join(f"  k{i + 1}: ${{junk.k{i}}}${{junk.k{i}}}\n" for i in range(40))
    (folder / "interp.yaml").write_text(lightning + doubling)
    alias = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)
    )
    (folder / "alias.yaml").write_text(alias)
    (folder / "huge.yaml").write_text("x: " + "y" * (2 * 1024 * 1024) + "\n")
    (folder / "step.yaml").write_text("scheduler: {name: StepLR, step_size: 2}\nepochs: 5\nsteps_per_epoch: 100\n")
    return [
        ("interpolation doubling bomb (40 levels) in an unread key", ["render", "interp.yaml", "-q"], None),
        ("alias bomb (10**8 values)", ["render", "alias.yaml"], None),
        ("2 MiB config", ["render", "huge.yaml"], None),
        ("--accelerate-processes 1e9", ["render", "step.yaml", "--accelerate-processes", "1000000000"], None),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=["points", "logs", "bombs"])
    parser.add_argument("--log-rows", type=int, default=None)
    args = parser.parse_args()
    from lrviz.budget import LOG_ROWS

    rows = args.log_rows or LOG_ROWS.value
    groups: dict[str, Callable[[Path], list[tuple[str, list[str], dict[str, str] | None]]]] = {
        "points": points,
        "logs": lambda folder: logs(folder, rows),
        "bombs": bombs,
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(
            f"load average {os.getloadavg()[0]:.1f} (2 cores: CPU seconds say more than wall seconds on a busy machine)"
        )
        print(f"{'case':60} {'seconds':>8} {'CPU s':>8} {'peak MB':>8} exit  message")
        for name in args.only:
            for label, argv, env in groups[name](folder):
                seconds, peak, code, last, cpu = run(argv, folder, env)
                print(f"{label:60} {seconds:8.1f} {cpu:8.1f} {peak:8.0f} {code:4}  {last}", flush=True)


if __name__ == "__main__":
    main()
