"""Before/after, interleaved: ``lrviz.logs.discover`` over a directory of unrelated text files per source tree.

``check --against DIR`` sniffs every ``*.log``, ``*.out``, ``*.txt`` and ``*.err`` under the directory for a
Megatron-LM stdout log (``lrviz.logs.layout.SNIFF_BYTES`` each). The directory is written once (``--files``
files of ``--size`` bytes, 100 to a folder, as a dataset's shards are), read once to warm the page cache,
then each round runs ``discover`` in a fresh process per tree and reports CPU and wall seconds.

    python bench/discovery.py --tree ../lrviz-main --tree . [--files 2000] [--size 200000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import sys, time
from pathlib import Path
from lrviz.logs import discover
c, t = time.process_time(), time.perf_counter()
found = discover(Path(sys.argv[1]))
print(time.process_time() - c, time.perf_counter() - t, len(found))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", action="append", type=Path, required=True, help="an lrviz source tree")
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    line = b"a dataset's text, iteration of nothing | value\n"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for i in range(args.files):
            folder = root / f"shard{i // 100:03d}"
            folder.mkdir(exist_ok=True)
            (folder / f"part{i}.txt").write_bytes(line * (args.size // len(line)))
        for path in root.rglob("*.txt"):  # the page cache: every tree reads warm files
            path.read_bytes()
        times: dict[Path, list[tuple[float, float]]] = {tree: [] for tree in args.tree}
        for _ in range(args.rounds):
            for tree in args.tree:
                env = {**os.environ, "PYTHONPATH": str(tree.resolve())}
                out = subprocess.run(  # outside the current directory, which would shadow the tree
                    [sys.executable, "-c", CHILD, str(root)],
                    env=env,
                    cwd=tmp,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                cpu, wall, found = out.stdout.split()
                assert found == "0", out.stdout
                times[tree].append((float(cpu), float(wall)))
        print(f"{args.files:,} files of {args.size:,} bytes, {args.rounds} rounds, load {os.getloadavg()[0]:.2f}")
        for tree, rounds in times.items():
            cpu = statistics.median(c for c, _ in rounds)
            wall = statistics.median(w for _, w in rounds)
            print(f"  {tree}: median CPU {cpu:.3f} s, wall {wall:.3f} s")


if __name__ == "__main__":
    main()
