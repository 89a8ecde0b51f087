"""When each process of one installed command does what: the fork's overlap, as a timeline.

``phases.py`` adds the phases up in one process; this runs the command as a user's shell
does (``lrviz.cli.main()``, forking), with probes on ``lrviz.cli._fork`` recording, on the
system-wide monotonic clock, in the parent: when ``prestart`` forks the child, when the job
is handed to it, when the parent starts waiting for the result (its renderer is imported by
then) and when the result has arrived; in the child: when it starts, when ``import torch``
(with lrviz's engine) is done, when the job has been read, when the result is sent. The
end is the moment the command's process was reaped. Times are seconds from the spawn.

    python bench/timeline.py --rounds 5                      # table, PNG, batch, usage error
    python bench/timeline.py --tree /work/main --tree . --rounds 5

Nothing here is a test; the probes only wrap functions, so the command runs its own code.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Runs inside the measured interpreter, before the command's entry point.
PROBE = r"""
import os, sys, time
_log = os.open(os.environ["LRVIZ_TIMELINE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
_main = os.getpid()
def mark(name):
    who = "parent" if os.getpid() == _main else "child"
    os.write(_log, f"{who}:{name} {time.monotonic():.6f}\n".encode())
mark("first line")
import lrviz.cli._fork as f
def wrap(owner, attr, before=None, after=None, when=None):
    inner = getattr(owner, attr)
    def probe(*args, **kwargs):
        ok = when is None or when(args)
        if ok and before:
            mark(before)
        try:
            return inner(*args, **kwargs)
        finally:
            if ok and after:
                mark(after)
    setattr(owner, attr, probe)
wrap(f, "prestart", "prestart", "prestarted")
wrap(f._Spare, "hand", None, "job handed")
wrap(f._Spare, "discard", "discard", "discarded")
wrap(f.Job, "result", "waits for result", "result arrived")
# in the child: _serve opens the request pipe right after importing torch and lrviz's engine
_fdopen = os.fdopen
def fdopen(fd, mode="r", *args, **kwargs):
    if os.getpid() != _main:
        mark("torch imported" if mode == "rb" else "job done, sending")
    return _fdopen(fd, mode, *args, **kwargs)
os.fdopen = fdopen
wrap(f, "_child", "job read", "result sent", when=lambda a: os.getpid() != _main)
wrap(f, "reap", "reap")
sys.argv = ["lrviz", *sys.argv[1:]]
from lrviz.cli import main
main()
"""

ORDER = (
    "parent:first line",
    "parent:prestart",
    "child:torch imported",
    "parent:prestarted",
    "parent:job handed",
    "parent:waits for result",
    "child:job read",
    "child:job done, sending",
    "child:result sent",
    "parent:result arrived",
    "parent:reap",
    "parent:discard",
    "parent:discarded",
    "end",
)


def once(tree: Path | None, args: list[str], log: Path) -> dict[str, float]:
    """{event: seconds from the spawn} of one run of ``lrviz ARGS``."""
    env = {k: v for k, v in os.environ.items() if k not in ("LRVIZ_NO_FORK", "LRVIZ_DEBUG")}
    env["LRVIZ_TIMELINE"] = str(log)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    log.unlink(missing_ok=True)
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-c", PROBE, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=tempfile.gettempdir(),
    )
    proc.wait()
    end = time.monotonic()
    events = {"end": end - start}
    for line in log.read_text().splitlines():
        name, _, when = line.rpartition(" ")
        events.setdefault(name, float(when) - start)  # the first time each happens
    return events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tree", action="append", type=Path, default=[])
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from run import make_configs

    tmp = Path(tempfile.mkdtemp(prefix="lrviz-timeline-"))
    configs = [str(p) for p in make_configs(tmp / "configs")]
    cosine = ["cosine", "--t-max", "5", "--epochs", "50"]
    cases = {
        "usage error": ["cosine", "--t-max", "0"],
        "table": cosine,
        "png": [*cosine, "-o", str(tmp / "x.png")],
        "batch": ["render", *configs, "--out-dir", str(tmp / "out"), "-q"],
    }
    trees: list[Path | None] = [t.resolve() for t in args.tree] or [None]
    floor: list[float] = []
    data: dict[tuple[str, str], list[dict[str, float]]] = {}
    load = os.getloadavg()[0]
    for _ in range(args.rounds):
        start = time.monotonic()
        subprocess.run([sys.executable, "-c", "import os, torch; os._exit(0)"], check=True)
        floor.append(time.monotonic() - start)
        for case, argv in cases.items():
            for tree in trees:
                name = tree.name if tree else "lrviz"
                data.setdefault((name, case), []).append(once(tree, argv, tmp / "timeline.log"))
    print(f"seconds from the spawn, medians of {args.rounds} runs; floor (import torch) {statistics.median(floor):.3f}")
    for (name, case), runs in data.items():
        print(f"\n{name}: {case}")
        for event in ORDER:
            values = [r[event] for r in runs if event in r]
            if values:
                print(f"  {event:28} {statistics.median(values):7.3f}")
        arrived = [r["end"] - r["parent:result arrived"] for r in runs if "parent:result arrived" in r]
        if arrived:
            print(f"  {'(after the result)':28} {statistics.median(arrived):7.3f}")
    print(f"\n(load average {load:.2f} before, {os.getloadavg()[0]:.2f} after; {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
