"""Where a command's time goes: import, parse, simulate, render, write, one after the other.

Each phase of the table, PNG and batch commands is timed in a fresh interpreter, in one
process (as ``LRVIZ_NO_FORK=1`` runs), in CPU seconds (``time.process_time``: what the phase
costs whatever else the machine runs) and wall seconds:

    startup   the interpreter and ``import lrviz.cli`` (the console script's first line)
    import    the command line: typer and lrviz's CLI modules (``lrviz.cli.commands``)
    parse     typer reading the flags, the config read, the run built (up to stepping)
    simulate  ``import torch`` and lrviz's engine, then stepping the schedule(s)
    render    importing the renderer: rich's table, or matplotlib
    write     printing the table, or drawing and writing the file(s)

The installed command overlaps some of these (``lrviz/cli/_fork.py``); ``bench/run.py``
times the commands as users run them. ``--tree PATH`` (repeatable) times a source tree with
``PYTHONPATH=PATH``, so two trees can be compared in one run (rounds interleaved).

    python bench/phases.py --tree /src/lrviz-main --tree . --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PHASES = ("startup", "import", "parse", "simulate", "render", "write")

# Runs inside the measured interpreter: only names both old and new trees have.
PROBE = r"""
import sys, time
marks = {}
def mark(name):
    marks[name] = (time.process_time(), time.perf_counter())
import lrviz.cli
mark("startup")
import typer
import lrviz.cli.commands as commands
mark("import")
case, out, configs = sys.argv[1], sys.argv[2], sys.argv[3:]
captured = {}
class Stop(BaseException):  # past the command's own error handling
    pass
if case == "batch":
    import lrviz.cli._batch as batch
    def render_all(jobs, **kwargs):
        captured["runs"] = [job.run for job in jobs]
        captured["targets"] = [job.targets for job in jobs]
        raise Stop
    batch.render_all = render_all
    argv = ["render", *configs, "--out-dir", out, "-q"]
else:
    import lrviz.cli.schedulers as schedulers
    def show_command(run, outputs, kwargs):
        captured["runs"] = [run]
        captured["targets"] = [tuple(outputs)]
        raise Stop
    schedulers.show_command = show_command
    argv = ["cosine", "--t-max", "5", "--epochs", "50", "-q"] + (["-o", out] if case == "png" else [])
try:
    typer.main.get_command(commands._app_for(argv)).main(argv, prog_name="lrviz", standalone_mode=False)
except Stop:
    pass
mark("parse")
from lrviz.engine import simulate
curves = [simulate(run) for run in captured["runs"]]
mark("simulate")
from pathlib import Path
from lrviz.render import import_renderers, write_outputs
if case == "table":
    from rich.console import Console
    from lrviz.render.table import print_table
else:
    import_renderers([p for t in captured["targets"] for p in t])
mark("render")
if case == "table":
    import io
    print_table(curves[0], Console(file=io.StringIO()), None)
else:
    for curve, targets in zip(curves, captured["targets"]):
        write_outputs(curve, list(targets), log_y=False, title=curve.run.title, momentum=False)
mark("write")
import json, os
print(json.dumps(marks), flush=True)
os._exit(0)
"""


def measure(tree: Path, case: str, out: str, configs: list[str]) -> dict[str, tuple[float, float]]:
    """{phase: (cpu s, wall s)} of one fresh run of ``case`` with ``tree``'s lrviz."""
    env = {**os.environ, "PYTHONPATH": str(tree), "LRVIZ_NO_FORK": "1"}
    start = __import__("time").perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", PROBE, case, out, *configs],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=tempfile.gettempdir(),  # not a folder holding another lrviz: `-c` puts the cwd first on sys.path
    )
    marks = json.loads(result.stdout.strip().splitlines()[-1])
    phases: dict[str, tuple[float, float]] = {}
    cpu0, wall0 = 0.0, start
    for name in PHASES:
        cpu, wall = marks[name]
        phases[name] = (cpu - cpu0, wall - wall0) if name != "startup" else (cpu, 0.0)
        cpu0, wall0 = cpu, wall
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tree", action="append", type=Path, default=[])
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from run import make_configs

    trees = [t.resolve() for t in args.tree] or [HERE.parent]
    tmp = Path(tempfile.mkdtemp(prefix="lrviz-phases-"))
    configs = [str(p) for p in make_configs(tmp / "configs")]
    cases = {"table": "", "png": str(tmp / "x.png"), "batch": str(tmp / "out")}
    data: dict[tuple[str, str], list[dict[str, tuple[float, float]]]] = {}
    for _ in range(args.rounds):
        for case, out in cases.items():
            for tree in trees:
                data.setdefault((tree.name, case), []).append(measure(tree, case, out, configs))
    print("CPU seconds per phase, one process, medians of", args.rounds, "fresh runs (wall in brackets)")
    header = ["tree", "case", *PHASES, "total"]
    rows = [header]
    for (tree_name, case), runs in data.items():
        cells = [tree_name, case]
        for name in PHASES:
            cpu = statistics.median(r[name][0] for r in runs)
            wall = statistics.median(r[name][1] for r in runs)
            cells.append(f"{cpu:.3f}" + (f" ({wall:.3f})" if name != "startup" else ""))
        cells.append(f"{statistics.median(sum(r[n][0] for n in PHASES) for r in runs):.3f}")
        rows.append(cells)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    print(f"(load average {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
