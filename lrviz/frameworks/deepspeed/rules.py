"""DeepSpeed's traps: a WarmupLR that never decays, a OneCycle shorter than the run, a warmup as long as the run,
LR 0 for the first steps."""

from __future__ import annotations

from lrviz.frameworks._text import count
from lrviz.frameworks.deepspeed.read import settings
from lrviz.model import Curve, Finding, RunConfig


def run_findings(run: RunConfig) -> list[Finding]:
    return [Finding(code, message) for code, message in settings(run).findings]


def curve_findings(curve: Curve) -> list[Finding]:
    fw = settings(curve.run)
    series = curve.lrs[0]
    zeros = next((k for k, v in enumerate(series) if v != 0), len(series))
    if not zeros or not any(series):
        return []
    return [
        Finding(
            "deepspeed-zero-lr-first-steps",
            f"{fw.type}: the LR is 0 for the first {count(zeros)} optimizer step{'s' if zeros > 1 else ''}, "
            "which change nothing"
            + (
                " (the constructor sets the warmup's start, and the first step() computes warmup step 0, "
                "the start again)"
                if zeros == 2 and fw.type.startswith("Warmup")
                else ""
            )
            + "; this is what DeepSpeed does",
            {"steps": zeros},
        )
    ]
