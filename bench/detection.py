"""What choosing the dialect on evidence and accounting for every key cost a render (issue 18: at most 20 ms).

For every config of the real-world corpus, parsed once: the time of ``frameworks.choose`` (every
adapter's evidence) plus, for framework files, the key accounting (``base.account``) and the
caveat scan, in the same process, best of ``--rounds``. The first call also pays for building
the adapter registry (importing each adapter's module), reported on its own.

    python bench/detection.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lrviz.config.files import read_document  # noqa: E402
from lrviz.errors import LrvizError  # noqa: E402

CONFIGS = ROOT / "tests" / "realworld" / "configs"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    start = time.perf_counter()
    from lrviz import frameworks
    from lrviz.frameworks.base import account

    frameworks.adapters()
    registry = time.perf_counter() - start

    documents = []
    for path in sorted(CONFIGS.rglob("*")):
        if path.suffix not in (".yaml", ".yml", ".json") or not path.is_file():
            continue
        try:
            data, _ = read_document(path)
        except LrvizError:
            continue
        documents.append((path, data))

    costs = []
    for path, data in documents:
        best = float("inf")
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            try:
                evidence = frameworks.choose(data, str(path))
                adapter = frameworks.get(evidence.adapter)
                inventory = adapter.inventory(evidence.dialect)
                account(inventory, data, evidence)
                dict(adapter.caveats(evidence.dialect))
            except LrvizError:
                pass
            best = min(best, time.perf_counter() - t0)
        costs.append((best, path))
    costs.sort()
    ms = [c * 1000 for c, _ in costs]
    print(f"adapter registry, first use: {registry * 1000:.1f} ms (once per process)")
    print(f"choose + account, {len(ms)} real configs, best of {args.rounds}:")
    print(f"  median {statistics.median(ms):.3f} ms, p90 {ms[int(0.9 * len(ms))]:.3f} ms, max {ms[-1]:.3f} ms")
    print(f"  slowest: {costs[-1][1].relative_to(ROOT)}")


if __name__ == "__main__":
    main()
