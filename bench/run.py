"""Time lrviz against the floor (``import torch``) and the hand-written scripts it replaces.

Numbers that mean something on a busy machine: every round runs every command once, in a
shuffled order, so a burst of load hits all of them alike; each case is reported as the
median over rounds of its ratio to the floor *of the same round* (and of its difference
from it, in seconds), next to the plain medians. The goals are issue 24's:

    table (cosine, 50 epochs)   <= floor + 0.05 s
    PNG (cosine, 50 epochs)     <= floor + 0.15 s
    20 configs in one `render`  <= 0.05 x 20 separate runs
    lrviz --help                <= 0.05 x the peer script
    OneCycleLR 2M steps -> PNG  <= 0.20 x the peer script (issue 5)

The floor is ``python -c "import os, torch; os._exit(0)"``: what any command that steps a
real PyTorch scheduler pays at least. The peer (``peer_cosine.py``) is what a user writes
instead: torch, a loop, pyplot, savefig.

``--tree PATH`` (repeatable) times several lrviz source trees side by side in the same
rounds (each run with ``PYTHONPATH=PATH``), e.g. main against a branch: a before/after table
from one run. Without it, the lrviz that ``import lrviz`` finds here is timed.

Peak memory: the largest sum of the resident sizes of the command and its child processes,
sampled every 20 ms, or the command's own max RSS from wait4 when that is larger. Before
timing, each tree's modules are byte-compiled, as ``pip install`` does for the peer's torch and
matplotlib. Nothing here is a test: CI does not time anything.

    python bench/run.py                        # all cases, 7 rounds (the 2M-step case: 3)
    python bench/run.py --rounds 15 --skip-long --singles 5
    python bench/run.py --tree /src/lrviz-main --tree . --skip-long
"""

from __future__ import annotations

import argparse
import compileall
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable

CONFIG_TEMPLATES = [
    "scheduler: {{name: CosineAnnealingLR, T_max: {n}}}\nepochs: {e}\n",
    "scheduler: {{name: CosineAnnealingWarmRestarts, T_0: {n}, T_mult: 2}}\nepochs: {e}\n",
    "scheduler: {{name: StepLR, step_size: {n}, gamma: 0.5}}\nepochs: {e}\n",
    "scheduler: {{name: OneCycleLR, max_lr: 0.1}}\nepochs: {e}\nsteps_per_epoch: 20\n",
    "optimizer: {{name: AdamW, lr: 0.001}}\nwarmup: 3\nscheduler: {{name: CosineAnnealingLR, T_max: {e}}}\nepochs: {e}\n",
]
LONG_YAML = (
    "epochs: 400\nsteps_per_epoch: 5000\noptimizer: {name: SGD, lr: 0.1, momentum: 0.9}\n"
    "scheduler: {name: OneCycleLR, max_lr: 0.1}\n"
)
FLOOR = "floor: import torch"
PEER = "peer: cosine script"

PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants now (0 once it is gone)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * PAGE
            with open(f"/proc/{p}/task/{p}/children") as f:
                stack.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):
            continue
    return total


def run(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Wall seconds, peak memory (MiB, process tree) and CPU seconds (with its reaped children) of one command."""
    peak = [0]
    done = threading.Event()
    start = time.perf_counter()
    # run from a neutral folder: `python -m` puts the current directory first on sys.path
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tempfile.gettempdir()
    )

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], tree_rss(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 2):
        raise SystemExit(f"{' '.join(cmd)} exited {code}")
    return elapsed, max(usage.ru_maxrss * 1024, peak[0]) / 2**20, usage.ru_utime + usage.ru_stime


def make_configs(folder: Path, count: int = 20) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        text = CONFIG_TEMPLATES[i % len(CONFIG_TEMPLATES)].format(n=3 + i, e=40 + 5 * i)
        path = folder / f"cfg{i:02d}.yaml"
        path.write_text(text)
        paths.append(path)
    return paths


@dataclass
class Case:
    """A timed thing: a function running one or more commands, returning (seconds, MiB, CPU seconds)."""

    name: str
    measure: Callable[[], tuple[float, float, float]]
    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    mem: float = 0.0


@dataclass
class Tree:
    """An lrviz source tree to time (``PYTHONPATH``), or None for the one installed here."""

    label: str
    path: Path | None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("LRVIZ_NO_FORK", "LRVIZ_DEBUG")}
        if self.path is not None:
            env["PYTHONPATH"] = str(self.path)
        return env

    def lrviz(self, *args: str) -> list[str]:
        return [PY, "-m", "lrviz", *args] if self.path is not None else [str(Path(PY).parent / "lrviz"), *args]

    def compile(self) -> None:
        if self.path is not None:
            compileall.compile_dir(self.path / "lrviz", quiet=1)
        else:
            import lrviz

            compileall.compile_dir(Path(lrviz.__file__).parent, quiet=1)


def tree_cases(tree: Tree, tmp: Path, configs: list[Path], singles: int) -> list[Case]:
    """The cases of one tree: help, usage error, table, PNG, a batch of 20 and 20 separate runs."""
    env = tree.env()
    out = tmp / tree.label
    out.mkdir(parents=True, exist_ok=True)
    png = str(out / "x.png")
    cosine = ("cosine", "--t-max", "5", "--epochs", "50")
    counter = [0]

    def one(*args: str) -> Callable[[], tuple[float, float, float]]:
        return lambda: run(tree.lrviz(*args), env)

    def separate() -> tuple[float, float, float]:
        # 20 separate runs, one command per config; with --singles K < 20, K of them (a
        # different K each round) scaled to 20
        chosen = [configs[(counter[0] + i) % len(configs)] for i in range(singles)]
        counter[0] += singles
        total, peak, cpu = 0.0, 0.0, 0.0
        for cfg in chosen:
            seconds, rss, used = run(tree.lrviz("render", str(cfg), "-o", str(out / f"{cfg.stem}.png"), "-q"), env)
            total, peak, cpu = total + seconds, max(peak, rss), cpu + used
        scale = len(configs) / singles
        return total * scale, peak, cpu * scale

    return [
        Case(f"{tree.label}: lrviz --help", one("--help")),
        Case(f"{tree.label}: lrviz usage error", one("cosine", "--t-max", "0")),
        Case(f"{tree.label}: lrviz cosine table", one(*cosine)),
        Case(f"{tree.label}: lrviz cosine -o x.png", one(*cosine, "-o", png)),
        Case(
            f"{tree.label}: render 20 configs, 1 command",
            one("render", *map(str, configs), "--out-dir", str(out / "batch"), "-q"),
        ),
        Case(f"{tree.label}: render 20 configs, 20 commands", separate),
    ]


def ratio_rows(cases: dict[str, Case], trees: list[Tree]) -> list[tuple[str, ...]]:
    floor = cases[FLOOR].times
    peer = cases[PEER].times

    def over(name: str, against: list[float]) -> float:
        """Median over rounds of the case's time / the other's in the same round."""
        return statistics.median(a / b for a, b in zip(cases[name].times, against, strict=True))

    def minus(name: str, against: list[float]) -> float:
        """Median over rounds of the case's time - the other's in the same round."""
        return statistics.median(a - b for a, b in zip(cases[name].times, against, strict=True))

    def row(name: str, goal: str = "", met: str = "", with_peer: bool = True) -> tuple[str, ...]:
        c = cases[name]
        return (
            name,
            f"{statistics.median(c.times):.3f}",
            f"{over(name, floor):.3f}",
            f"{minus(name, floor):+.3f}",
            f"{over(name, peer):.3f}" if with_peer else "",
            f"{statistics.median(c.cpu):.3f}",
            f"{statistics.median(a - b for a, b in zip(c.cpu, cases[FLOOR].cpu, strict=True)):+.3f}",
            f"{c.mem:.0f}",
            goal,
            met,
        )

    def yes(ok: bool) -> str:
        return "yes" if ok else "NO"

    rows = [("case", "median s", "/ floor", "- floor s", "/ peer", "CPU s", "- floor CPU", "peak MiB", "goal", "met")]
    rows += [row(FLOOR), row(PEER)]
    for tree in trees:
        name = f"{tree.label}: lrviz --help"
        rows.append(row(name, "<= 0.05 x peer", yes(over(name, peer) <= 0.05)))
        name = f"{tree.label}: lrviz usage error"
        rows.append(row(name, "<= 0.05 x peer", yes(over(name, peer) <= 0.05)))
        name = f"{tree.label}: lrviz cosine table"
        rows.append(row(name, "<= floor + 0.05 s", yes(minus(name, floor) <= 0.05)))
        name = f"{tree.label}: lrviz cosine -o x.png"
        rows.append(row(name, "<= floor + 0.15 s", yes(minus(name, floor) <= 0.15)))
        one = f"{tree.label}: render 20 configs, 1 command"
        many = f"{tree.label}: render 20 configs, 20 commands"
        share = over(one, cases[many].times)
        rows.append(row(one, "<= 0.05 x 20 commands", f"{yes(share <= 0.05)} ({share:.3f})", with_peer=False))
        rows.append(row(many, with_peer=False))
    return rows


def long_rows(trees: list[Tree], tmp: Path, rounds: int) -> list[tuple[str, ...]]:
    """The 2-million-step OneCycleLR plot against the peer script, interleaved too."""
    long_yaml = tmp / "onecycle2m.yaml"
    long_yaml.write_text(LONG_YAML)
    theirs: list[float] = []
    ours: dict[str, list[float]] = {t.label: [] for t in trees}
    mem: dict[str, float] = {t.label: 0.0 for t in trees}
    for _ in range(rounds):
        order: list[Tree | None] = [*trees, None]
        random.shuffle(order)
        for tree in order:
            if tree is None:
                theirs.append(run([PY, str(HERE / "peer_onecycle.py"), str(tmp / "peer_long.png")])[0])
            else:
                out = str(tmp / tree.label / "long.png")
                seconds, rss, _ = run(tree.lrviz("render", str(long_yaml), "-o", out), tree.env())
                ours[tree.label].append(seconds)
                mem[tree.label] = max(mem[tree.label], rss)
    rows = []
    for tree in trees:
        ratio = statistics.median(a / b for a, b in zip(ours[tree.label], theirs, strict=True))
        rows.append(
            (
                f"{tree.label}: onecycle 2M steps -> png",
                f"{statistics.median(ours[tree.label]):.2f}",
                "",
                "",
                f"{ratio:.3f}",
                "",
                "",
                f"{mem[tree.label]:.0f}",
                "<= 0.20 x peer, 400 MiB",
                "yes" if ratio <= 0.20 and mem[tree.label] <= 400 else "NO",
            )
        )
    rows.append(("peer: onecycle script", f"{statistics.median(theirs):.2f}", "", "", "1.000", "", "", "", "", ""))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--long-rounds", type=int, default=3)
    parser.add_argument("--skip-long", action="store_true", help="skip the 2-million-step case")
    parser.add_argument(
        "--singles", type=int, default=20, help="separate runs timed per round for the batch comparison (scaled to 20)"
    )
    parser.add_argument(
        "--tree", action="append", type=Path, default=[], help="an lrviz source tree to time (repeatable)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the shuffled order")
    args = parser.parse_args()
    random.seed(args.seed)
    trees = [Tree(path.resolve().name, path.resolve()) for path in args.tree] or [Tree("lrviz", None)]
    if len({t.label for t in trees}) != len(trees):
        trees = [Tree(f"{i}:{t.label}", t.path) for i, t in enumerate(trees)]
    for tree in trees:
        tree.compile()
    tmp = Path(tempfile.mkdtemp(prefix="lrviz-bench-"))
    configs = make_configs(tmp / "configs")
    load_before = os.getloadavg()

    cases = {
        FLOOR: Case(FLOOR, lambda: run([PY, "-c", "import os, torch; os._exit(0)"])),
        PEER: Case(PEER, lambda: run([PY, str(HERE / "peer_cosine.py"), str(tmp / "peer.png")])),
    }
    for tree in trees:
        cases.update((c.name, c) for c in tree_cases(tree, tmp, configs, min(args.singles, len(configs))))
    started = time.perf_counter()
    for _ in range(args.rounds):
        order = list(cases.values())
        random.shuffle(order)
        for case in order:
            seconds, rss, cpu = case.measure()
            case.times.append(seconds)
            case.cpu.append(cpu)
            case.mem = max(case.mem, rss)
    rows = ratio_rows(cases, trees)
    if not args.skip_long:
        rows += long_rows(trees, tmp, args.long_rounds)
    load_after = os.getloadavg()

    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    print(
        f"({args.rounds} interleaved rounds in shuffled order, {args.long_rounds} for the 2M-step case; "
        f"ratios and differences are medians of per-round values; {os.cpu_count()} CPUs; "
        f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after; "
        f"{time.perf_counter() - started:.0f} s; files in {tmp})"
    )


if __name__ == "__main__":
    main()
