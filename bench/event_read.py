"""Reading a large TensorBoard event file: time and peak memory of ``read_log`` (issue 23: streaming).

A real event file is written by torch's ``SummaryWriter`` (tensorboard's own record format): the LR
and ``--other`` more scalar tags at every step, up to about ``--mib`` MiB (the limit,
``LRVIZ_MAX_EVENT_FILE_BYTES``, is 128 MiB). Each read runs in a fresh process, so its peak RSS
(``ru_maxrss``) is its own, and ``tracemalloc`` gives the peak of the Python objects the read holds
(the imports' own peak hides the read in RSS at this size).

    python bench/event_read.py [--mib 30] [--other 4] [--traced] [--lrviz PATH ...] [--rounds N] [--file F]

With several ``--lrviz`` trees (e.g. before and after a change) the reads are interleaved, round by
round, so the machine's load falls on both alike; ``--file`` reads an event file already written
(``--mib`` then only names it). The limit is raised for the run, so a file over it is read too.
Measured (issue 23, 2 cores shared with other jobs, load average 2-2.7): tensorboard's loader
plus a second pass checking the CRCs took 17-18 s for 32 MiB and 41 s for 80 MiB; the buffered
TFRecord reader with google_crc32c 2.0 s and 5.4 s (bench/README.md has the table).
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
    env = {**os.environ, "PYTHONPATH": lrviz, "LRVIZ_MAX_EVENT_FILE_BYTES": str(2**40)}
    how = "traced" if traced else "plain"
    out = subprocess.run(
        [sys.executable, "-c", READ, str(path), mode, how],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=path,  # not the current directory: `-c` puts it before PYTHONPATH, shadowing the tree measured
    )
    took, points, rss, peak = out.stdout.split()
    return float(took), int(points), int(rss), int(peak)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=30)
    parser.add_argument("--other", type=int, default=4)
    parser.add_argument("--traced", action="store_true", help="also a run under tracemalloc (several times slower)")
    parser.add_argument("--lrviz", nargs="*", default=[str(Path(__file__).resolve().parent.parent)])
    parser.add_argument("--rounds", type=int, default=1, help="reads of each tree, interleaved")
    parser.add_argument("--file", type=Path, help="an event file already written (its directory is read)")
    args = parser.parse_args()
    start = time.perf_counter()
    if args.file is not None:
        run_dir = args.file.parent
    else:
        run_dir = write(Path(tempfile.mkdtemp(prefix="lrviz-bench-events-")), args.mib, args.other)
    size = next(run_dir.glob("events.out.tfevents.*")).stat().st_size
    print(f"event file: {size / 2**20:.1f} MiB, lr + {args.other} tags, written in {time.perf_counter() - start:.0f} s")
    for round_ in range(args.rounds):
        for lrviz in args.lrviz:
            _, _, base, _ = run(lrviz, run_dir, "baseline")
            took, points, rss, _ = run(lrviz, run_dir, "read")
            peak = run(lrviz, run_dir, "read", traced=True)[3] if args.traced else 0
            print(
                f"round {round_ + 1} {lrviz}: read {points:,} LR points in {took:.2f} s (load {os.getloadavg()[0]:.1f}); "
                f"Python objects held at the peak of the read {peak / 2**20:.1f} MiB (tracemalloc, with --traced: "
                f"slow); peak RSS {rss / 1024:.0f} MiB (after imports {base / 1024:.0f} MiB)",
                flush=True,
            )


if __name__ == "__main__":
    main()
