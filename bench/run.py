"""Time lrviz against the hand-written scripts it replaces, side by side.

Each round runs every command once, in an interleaved order, so machine noise
hits both sides alike; the report gives medians, the ratio lrviz/peer, the goal
from issue #5 and peak memory: the largest sum of the resident sizes of the
command and its child processes, sampled every 20 ms (lrviz steps PyTorch in a
forked child while it imports matplotlib), or the command's own max RSS from
wait4 when that is larger.

Before timing, lrviz's modules are byte-compiled, as ``pip install`` does for
the peer's torch and matplotlib (an editable install under
PYTHONDONTWRITEBYTECODE=1 would otherwise compile them on every run).

    python bench/run.py                 # all cases, 5 rounds (the 2M-step case: 3)
    python bench/run.py --rounds 3 --skip-long
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
LRVIZ = str(BIN / "lrviz")
PY = sys.executable

CONFIG_TEMPLATES = [
    "scheduler: {{name: CosineAnnealingLR, T_max: {n}}}\nepochs: {e}\n",
    "scheduler: {{name: CosineAnnealingWarmRestarts, T_0: {n}, T_mult: 2}}\nepochs: {e}\n",
    "scheduler: {{name: StepLR, step_size: {n}, gamma: 0.5}}\nepochs: {e}\n",
    "scheduler: {{name: OneCycleLR, max_lr: 0.1}}\nepochs: {e}\nsteps_per_epoch: 20\n",
    "optimizer: {{name: AdamW, lr: 0.001}}\nwarmup: 3\nscheduler: {{name: CosineAnnealingLR, T_max: {e}}}\nepochs: {e}\n",
]


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


def run(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak memory (MiB, process tree) of one command."""
    peak = [0]
    done = threading.Event()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

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
    return elapsed, max(usage.ru_maxrss * 1024, peak[0]) / 2**20


def make_configs(folder: Path, count: int = 20) -> list[Path]:
    paths = []
    for i in range(count):
        text = CONFIG_TEMPLATES[i % len(CONFIG_TEMPLATES)].format(n=3 + i, e=40 + 5 * i)
        path = folder / f"cfg{i:02d}.yaml"
        path.write_text(text)
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--long-rounds", type=int, default=3)
    parser.add_argument("--skip-long", action="store_true", help="skip the 2-million-step case")
    args = parser.parse_args()
    import lrviz

    compileall.compile_dir(Path(lrviz.__file__).parent, quiet=1)
    tmp = Path(tempfile.mkdtemp(prefix="lrviz-bench-"))
    configs = make_configs(tmp)
    out = str(tmp / "x.png")

    commands: dict[str, list[str]] = {
        "peer: cosine script": [PY, str(HERE / "peer_cosine.py"), str(tmp / "peer.png")],
        "lrviz --help": [LRVIZ, "--help"],
        "lrviz cosine --help": [LRVIZ, "cosine", "--help"],
        "lrviz usage error": [LRVIZ, "cosine", "--t-max", "0"],
        "lrviz cosine table": [LRVIZ, "cosine", "--t-max", "5", "--epochs", "50"],
        "lrviz cosine -o x.png": [LRVIZ, "cosine", "--t-max", "5", "--epochs", "50", "-o", out],
        "floor: import torch, os._exit": [PY, "-c", "import os, torch; os._exit(0)"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    mem: dict[str, float] = {}
    batch_one: list[float] = []
    batch_many: list[float] = []
    for _ in range(args.rounds):
        for name, cmd in commands.items():
            seconds, rss = run(cmd)
            times[name].append(seconds)
            mem[name] = max(mem.get(name, 0.0), rss)
        batch_one.append(run([LRVIZ, "render", *map(str, configs), "--out-dir", str(tmp / "one"), "-q"])[0])
        start = time.perf_counter()
        for cfg in configs:
            run([LRVIZ, "render", str(cfg), "-o", str(tmp / "many" / f"{cfg.stem}.png"), "-q"])
        batch_many.append(time.perf_counter() - start)

    peer = statistics.median(times["peer: cosine script"])
    goals = {
        "floor: import torch, os._exit": 1.0,
        "lrviz --help": 0.10,
        "lrviz cosine --help": 0.10,
        "lrviz usage error": 0.10,
        "lrviz cosine table": 0.45,
        "lrviz cosine -o x.png": 0.55,
    }
    rows = [("case", "median s", "peer s", "ratio", "goal", "peak MiB", "met")]
    for name, goal in goals.items():
        median = statistics.median(times[name])
        ratio = median / peer
        rows.append(
            (
                name,
                f"{median:.3f}",
                f"{peer:.3f}",
                f"{ratio:.3f}",
                f"<= {goal}",
                f"{mem[name]:.0f}",
                "yes" if ratio <= goal else "NO",
            )
        )
    one, many = statistics.median(batch_one), statistics.median(batch_many)
    speedup = many / one
    rows.append(
        (
            "render 20 configs, 1 process",
            f"{one:.3f}",
            f"{many:.3f}",
            f"{speedup:.1f}x",
            ">= 10x",
            "",
            "yes" if speedup >= 10 else "NO",
        )
    )

    if not args.skip_long:
        long_yaml = tmp / "onecycle2m.yaml"
        long_yaml.write_text(
            "epochs: 400\nsteps_per_epoch: 5000\noptimizer: {name: SGD, lr: 0.1, momentum: 0.9}\nscheduler: {name: OneCycleLR, max_lr: 0.1}\n"
        )
        ours, theirs, ours_mem = [], [], 0.0
        for _ in range(args.long_rounds):
            seconds, rss = run([LRVIZ, "render", str(long_yaml), "-o", str(tmp / "long.png")])
            ours.append(seconds)
            ours_mem = max(ours_mem, rss)
            theirs.append(run([PY, str(HERE / "peer_onecycle.py"), str(tmp / "peer_long.png")])[0])
        a, b = statistics.median(ours), statistics.median(theirs)
        rows.append(
            (
                "onecycle 2M steps -> png",
                f"{a:.2f}",
                f"{b:.2f}",
                f"{a / b:.3f}",
                "<= 0.20",
                f"{ours_mem:.0f}",
                "yes" if a / b <= 0.20 and ours_mem <= 400 else "NO",
            )
        )

    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    print(f"({args.rounds} rounds, {args.long_rounds} for the 2M-step case; medians; files in {tmp})")


if __name__ == "__main__":
    main()
