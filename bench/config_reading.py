"""What reading training configs costs: OmegaConf and Hydra imports, and a plain file against an interpolating one.

Each case runs ``--rounds`` times in an interleaved order (fresh processes); medians in seconds.

    python bench/config_reading.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
LRVIZ = str(BIN / "lrviz")
PY = sys.executable

PLAIN = "scheduler: {name: CosineAnnealingLR, T_max: 50}\nepochs: 50\noptimizer: {name: AdamW, lr: 0.001}\n"
HYDRA = """\
trainer: {max_epochs: 50}
model:
  optimizer: {_target_: torch.optim.AdamW, _partial_: true, lr: 0.001}
  scheduler: {_target_: torch.optim.lr_scheduler.CosineAnnealingLR, _partial_: true, T_max: "${trainer.max_epochs}"}
"""
PROJECT = {
    "train.yaml": "defaults:\n  - _self_\n  - scheduler: cosine\ntrainer: {max_epochs: 50}\noptimizer: {_target_: torch.optim.AdamW, lr: 0.001}\n",
    "scheduler/cosine.yaml": "_target_: torch.optim.lr_scheduler.CosineAnnealingLR\n_partial_: true\nT_max: ${trainer.max_epochs}\n",
}


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "plain.yaml").write_text(PLAIN)
        (root / "hydra.yaml").write_text(HYDRA)
        for name, text in PROJECT.items():
            (root / "conf" / name).parent.mkdir(parents=True, exist_ok=True)
            (root / "conf" / name).write_text(text)
        cases = {
            "import torch (floor)": [PY, "-c", "import torch"],
            "import omegaconf": [PY, "-c", "import omegaconf"],
            "from hydra import compose, initialize_config_dir": [
                PY,
                "-c",
                "from hydra import compose, initialize_config_dir",
            ],
            "lrviz render plain.yaml -o x.csv": [
                LRVIZ,
                "render",
                str(root / "plain.yaml"),
                "-o",
                str(root / "a.csv"),
                "-q",
            ],
            "lrviz render hydra.yaml (${...}) -o x.csv": [
                LRVIZ,
                "render",
                str(root / "hydra.yaml"),
                "-o",
                str(root / "b.csv"),
                "-q",
            ],
            "lrviz render --config-dir conf -o x.csv": [
                LRVIZ,
                "render",
                "--config-dir",
                str(root / "conf"),
                "--config-name",
                "train",
                "-o",
                str(root / "c.csv"),
                "-q",
            ],
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(rounds):
            for name, command in cases.items():
                times[name].append(timed(command))
    width = max(len(n) for n in times)
    for name, values in times.items():
        print(f"{name:<{width}}  {statistics.median(values):6.3f} s")


if __name__ == "__main__":
    main()
