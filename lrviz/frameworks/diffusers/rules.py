"""diffusers' traps: the scripts' 500-step warmup default, and a warmup as long as the run."""

from __future__ import annotations

from lrviz.frameworks.diffusers.read import settings
from lrviz.model import Curve, Finding, RunConfig


def run_findings(run: RunConfig) -> list[Finding]:
    fw = settings(run)
    found = []
    warmup = fw.num_warmup_steps // fw.processes
    if fw.name != "constant" and warmup >= run.epochs:
        found.append(
            Finding(
                "diffusers-warmup-whole-run",
                f"diffusers {fw.name}: lr_warmup_steps {warmup:,} is not shorter than the run's {run.epochs:,} "
                "optimizer steps: the LR never reaches learning_rate",
                {"warmup": warmup, "steps": run.epochs},
            )
        )
    if fw.name == "constant" and "lr_warmup_steps" in fw.where.get("num_warmup_steps", "") and warmup:
        found.append(
            Finding(
                "diffusers-constant-ignores-warmup",
                f"diffusers constant: get_scheduler builds no warmup for `constant`, so lr_warmup_steps {warmup:,} "
                "does nothing; use constant_with_warmup to warm up",
            )
        )
    return found


def curve_findings(curve: Curve) -> list[Finding]:
    return []
