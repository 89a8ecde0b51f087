"""What the optional frameworks cost: their import, and an HF cosine of 100,000 steps.

DeepSpeed: ``import deepspeed.runtime.lr_schedules`` runs ``deepspeed/__init__.py`` (accelerator
detection, ~400 modules); measured here through lrviz's loader, which also drops its stdout log line.

    python bench/frameworks.py        # medians of 5 fresh processes each

The budget (issue 12): `lrviz hf cosine --max-steps 100000` costs no more than
`import transformers` (with torch) + 0.3 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

MMSEG_80K = (
    Path(__file__).resolve().parents[1]
    / "tests/realworld/configs/mmengine/mmsegmentation/configs/_base_/schedules/schedule_80k.py"
)
CASES = {
    "import torch": [sys.executable, "-c", "import torch"],
    "import torch + transformers.get_scheduler": [
        sys.executable,
        "-c",
        "import torch; from transformers import get_scheduler",
    ],
    "import torch + timm.scheduler (lrviz's loader)": [
        sys.executable,
        "-c",
        "import torch; from lrviz.frameworks.timm.step import timm_scheduler_module; timm_scheduler_module()",
    ],
    "import torch + deepspeed.runtime.lr_schedules (lrviz's loader)": [
        sys.executable,
        "-c",
        "import torch; from lrviz.frameworks.deepspeed.step import deepspeed_lr_schedules; deepspeed_lr_schedules()",
    ],
    "lrviz deepspeed WarmupCosineLR --total-num-steps 100000 -o x.csv": [
        sys.executable,
        "-m",
        "lrviz",
        "deepspeed",
        "WarmupCosineLR",
        "--total-num-steps",
        "100000",
        "--warmup-num-steps",
        "1000",
        "--lr",
        "3e-4",
        "-q",
        "-o",
        "/tmp/lrviz_bench_deepspeed.csv",
    ],
    "lrviz hf cosine --max-steps 100000 -o x.csv": [
        sys.executable,
        "-m",
        "lrviz",
        "hf",
        "cosine",
        "--max-steps",
        "100000",
        "--warmup-steps",
        "0.1",
        "-q",
        "-o",
        "/tmp/lrviz_bench_hf.csv",
    ],
    "lrviz timm cosine --epochs 300 -o x.csv": [
        sys.executable,
        "-m",
        "lrviz",
        "timm",
        "cosine",
        "--lr",
        "0.1",
        "-q",
        "-o",
        "/tmp/lrviz_bench_timm.csv",
    ],
    # mmengine (OpenMMLab): the import of its scheduler registry, and mmseg's 80k PolyLR schedule run
    # for 100,000 iterations (--epochs replaces max_iters) through the Python config loader
    "import torch + mmengine.registry.PARAM_SCHEDULERS": [
        sys.executable,
        "-c",
        "import torch; from mmengine.registry import PARAM_SCHEDULERS; PARAM_SCHEDULERS.get('PolyLR')",
    ],
    "lrviz render schedule_80k.py --allow-exec --epochs 100000 -o x.csv": [
        sys.executable,
        "-m",
        "lrviz",
        "render",
        str(MMSEG_80K),
        "--allow-exec",
        "--epochs",
        "100000",
        "-q",
        "-o",
        "/tmp/lrviz_bench_mmengine.csv",
    ],
}


def main() -> None:
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(5):
        for name, argv in CASES.items():  # alternating, so drift hits every case alike
            start = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True)
            times[name].append(time.perf_counter() - start)
    torch_alone = statistics.median(times["import torch"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{median:6.2f} s  {median / torch_alone:5.2f} x import torch  {name}")


if __name__ == "__main__":
    main()
