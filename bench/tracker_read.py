"""Before/after, interleaved: reading and comparing a 1,000,000-point MLflow database and W&B file per source tree.

The logs are written once (``bench/tracker_logs.py``'s writers: MLflow creates ``mlflow.db``, the
million rows go in with executemany; the W&B file is wandb's own ``Record``s in its framing), then
each round reads each log with each tree's lrviz in a fresh process: ``read_log`` and
``compare_log`` against the simulated plan, CPU and wall seconds and the process's peak RSS, with
the load average, so trees are compared in the same rounds on a busy machine.

    python bench/tracker_read.py --tree ../lrviz-main --tree . [--points 1000000] [--rounds 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import warnings
from array import array
from pathlib import Path

CHILD = r"""
import resource, sys, time, warnings
from array import array
from pathlib import Path
warnings.simplefilter("ignore")
from lrviz.comparison import compare_log
from lrviz.logs import read_log
import wandb.proto.wandb_internal_pb2  # imported once per process by any W&B read: not timed
import lrviz
assert Path(lrviz.__file__).resolve().is_relative_to(Path(sys.argv[3]).resolve()), lrviz.__file__  # the tree measured
plan = array("d")
plan.frombytes(Path(sys.argv[2]).read_bytes())
plan = plan.tolist()
c, t = time.process_time(), time.perf_counter()
log = read_log(Path(sys.argv[1]))
c1, t1 = time.process_time(), time.perf_counter()
report = compare_log(plan, log)
c2, t2 = time.process_time(), time.perf_counter()
assert report.ok, report.describe()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"read {c1 - c:.2f} s CPU ({t1 - t:.2f} wall), compare {c2 - c1:.2f} s CPU ({t2 - t1:.2f} wall), "
      f"{len(log.series[0]):,} points, peak RSS {peak:.0f} MB")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", action="append", required=True, help="a source tree of lrviz (repeatable)")
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--keep", type=Path, default=None, help="write (or reuse) the logs in this folder")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import tracker_logs  # the writers

    from lrviz.api import simulate

    out = args.keep or Path(tempfile.mkdtemp(prefix="lrviz-bench-trackers-"))
    out.mkdir(parents=True, exist_ok=True)
    plan_file = out / f"plan-{args.points}.f64"
    if not plan_file.exists():
        plan_file.write_bytes(array("d", simulate(tracker_logs.plan_config(args.points)).lrs[0]).tobytes())
    plan = array("d")
    plan.frombytes(plan_file.read_bytes())
    values = plan.tolist()
    db = out / "mlflow.db"
    if not db.exists():
        tracker_logs.mlflow_db(out, values)
    wandb_file = next(out.glob("run-*.wandb"), None) or tracker_logs.wandb_file(out, values)
    for round_ in range(args.rounds):
        for tree in args.tree:
            for log in (db, wandb_file):
                env = {**os.environ, "PYTHONPATH": str(Path(tree).resolve())}
                # cwd: ``python -c`` puts the working directory first on sys.path, ahead of PYTHONPATH
                proc = subprocess.run(
                    [sys.executable, "-c", CHILD, str(log.resolve()), str(plan_file.resolve()), tree],
                    capture_output=True, text=True, env=env, cwd=tree,
                )  # fmt: skip
                result = proc.stdout.strip() or proc.stderr.strip()[-300:]
                print(f"round {round_} load {os.getloadavg()[0]:.1f} {tree:20} {log.name:22} {result}", flush=True)


if __name__ == "__main__":
    main()
