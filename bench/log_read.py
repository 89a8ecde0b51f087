"""Planned vs actual at scale: read a 1,000,000-point CSV log and compare it with its plan.

Simulates a OneCycleLR plan of 1,000,000 optimizer steps with lrviz (the plan alone),
writes it as a logged run would (``step,lr,loss``, full precision, and a Lightning-style
``metrics.csv`` with a loss row between LR rows), then times ``read_log`` and
``compare_log`` in alternating rounds and prints medians. Usage:

    python bench/log_read.py [--points N] [--rounds R]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from lrviz.comparison import compare_log
from lrviz.engine import simulate
from lrviz.logs import read_log
from lrviz.reading import build_run, from_document


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    n = args.points
    doc = {
        "epochs": 100,
        "steps_per_epoch": n // 100,
        "interval": "step",
        "lr": 0.1,
        "scheduler": {"name": "OneCycleLR", "max_lr": 0.1},
    }
    t0 = time.perf_counter()
    curve = simulate(build_run(from_document(doc, "bench.yaml")))
    plan_time = time.perf_counter() - t0
    lrs = curve.lrs[0]
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "log.csv"
        plain.write_text("step,lr,loss\n" + "".join(f"{k},{v!r},1.0\n" for k, v in enumerate(lrs)))
        lightning = Path(tmp) / "metrics.csv"
        lightning.write_text(
            "epoch,loss,lr-SGD,step\n" + "".join(f",,{v!r},{k}\n0,1.0,,{k}\n" for k, v in enumerate(lrs))
        )
        times: dict[str, list[float]] = {"read log.csv": [], "compare": [], "read metrics.csv (2 rows/step)": []}
        cpu: list[float] = []
        for _ in range(args.rounds):
            c0 = time.process_time()
            t0 = time.perf_counter()
            log = read_log(plain)
            t1 = time.perf_counter()
            report = compare_log(curve, log)
            t2 = time.perf_counter()
            cpu.append(time.process_time() - c0)
            read_log(lightning)
            t3 = time.perf_counter()
            assert report.ok and report.groups[0].compared == n, report.describe()
            times["read log.csv"].append(t1 - t0)
            times["compare"].append(t2 - t1)
            times["read metrics.csv (2 rows/step)"].append(t3 - t2)
    print(f"{n:,} points; plan alone (lrviz simulate, torch imported): {plan_time:.3f} s")
    for name, values in times.items():
        print(f"{name}: median {statistics.median(values):.3f} s over {len(values)} rounds")
    total = statistics.median(a + b for a, b in zip(times["read log.csv"], times["compare"], strict=True))
    print(
        f"read + compare: median {total:.3f} s wall, {statistics.median(cpu):.3f} s CPU (load: {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
