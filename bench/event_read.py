"""Reading a large TensorBoard event file: time and peak memory of ``read_log`` (issue 23: streaming).

A real event file is written by torch's ``SummaryWriter`` (tensorboard's own record format): the LR
and ``--other`` more scalar tags at every step, up to about ``--mib`` MiB (under the 32 MiB
``LRVIZ_MAX_EVENT_FILE_BYTES``). Each read runs in a fresh process, so its peak RSS
(``ru_maxrss``) is its own, and ``tracemalloc`` gives the peak of the Python objects the read holds
(the imports' own peak hides the read in RSS at this size).

    python bench/event_read.py [--mib 30] [--other 4] [--traced] [--lrviz PATH ...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

READ = """
import resource, sys, time, tracemalloc
from pathlib import Path
import tensorboard.backend.event_processing.event_file_loader  # the baseline imports this too
if sys.argv[2] == "read":
    from lrviz.logs import read_log
    if sys.argv[3] == "traced":
        tracemalloc.start()
    start = time.perf_counter()
    log = read_log(Path(sys.argv[1]))
    took, points = time.perf_counter() - start, len(log.series[0])
    peak = tracemalloc.get_traced_memory()[1]
else:
    took, points, peak = 0.0, 0, 0
print(took, points, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, peak)
"""


def write(out: Path, mib: int, other: int) -> Path:
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(out))
    step = 0
    target = mib * 2**20
    while True:
        for _ in range(1000):
            writer.add_scalar("lr", 0.1 / (1 + step), step)
            for k in range(other):
                writer.add_scalar(f"metric_{k}", float(k + step), step)
            step += 1
        writer.flush()
        file = next(out.glob("events.out.tfevents.*"))
        if file.stat().st_size >= target:
            writer.close()
            return out


def run(lrviz: str, path: Path, mode: str, traced: bool = False) -> tuple[float, int, int, int]:
    env = {**os.environ, "PYTHONPATH": lrviz}
    how = "traced" if traced else "plain"
    out = subprocess.run(
        [sys.executable, "-c", READ, str(path), mode, how], capture_output=True, text=True, env=env, check=True
    )
    took, points, rss, peak = out.stdout.split()
    return float(took), int(points), int(rss), int(peak)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=30)
    parser.add_argument("--other", type=int, default=4)
    parser.add_argument("--traced", action="store_true", help="also a run under tracemalloc (several times slower)")
    parser.add_argument("--lrviz", nargs="*", default=[str(Path(__file__).resolve().parent.parent)])
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="lrviz-bench-events-"))
    start = time.perf_counter()
    run_dir = write(out, args.mib, args.other)
    size = next(run_dir.glob("events.out.tfevents.*")).stat().st_size
    print(f"event file: {size / 2**20:.1f} MiB, lr + {args.other} tags, written in {time.perf_counter() - start:.0f} s")
    for lrviz in args.lrviz:
        _, _, base, _ = run(lrviz, run_dir, "baseline")
        took, points, rss, _ = run(lrviz, run_dir, "read")
        peak = run(lrviz, run_dir, "read", traced=True)[3] if args.traced else 0
        print(
            f"{lrviz}: read {points:,} LR points in {took:.2f} s; Python objects held at the peak of the read "
            f"{peak / 2**20:.1f} MiB (tracemalloc, with --traced: slow); peak RSS {rss / 1024:.0f} MiB (after imports {base / 1024:.0f} MiB)"
        )


if __name__ == "__main__":
    main()
