"""diffusers' traps: the scripts' 500-step warmup default, and a warmup as long as the run."""

from __future__ import annotations

from lrviz.frameworks.diffusers.read import settings
from lrviz.model import Curve, Finding, RunConfig


def run_findings(run: RunConfig) -> list[Finding]:
    fw = settings(run)
    found = []
    warmup = fw.num_warmup_steps // fw.factor
    if fw.name != "constant" and warmup >= run.epochs:
        found.append(
            Finding(
                "diffusers-warmup-whole-run",
                f"diffusers {fw.name}: lr_warmup_steps {warmup:,} is not shorter than the run's {run.epochs:,} "
                "optimizer steps: the LR never reaches learning_rate",
                {"warmup": warmup, "steps": run.epochs},
            )
        )
    if fw.name == "constant" and fw.warmup_given and warmup:
        found.append(
            Finding(
                "diffusers-constant-ignores-warmup",
                f"diffusers constant: get_scheduler builds no warmup for `constant`, so lr_warmup_steps {warmup:,} "
                "does nothing; use constant_with_warmup to warm up",
            )
        )
    calls = run.epochs * fw.processes
    if fw.name not in ("constant", "constant_with_warmup", "piecewise_constant") and fw.num_training_steps != calls:
        found.append(
            Finding(
                "diffusers-schedule-length",
                f"diffusers {fw.name}: get_scheduler is sized for {fw.num_training_steps:,} scheduler steps, but the "
                f"run steps it {calls:,} times ({run.epochs:,} optimizer steps x {fw.processes} processes, as "
                "accelerate's prepared scheduler does): the schedule "
                + ("is cut short" if calls < fw.num_training_steps else "ends early and the LR stays at its end"),
                {"sized": fw.num_training_steps, "stepped": calls},
            )
        )
    return found


def curve_findings(curve: Curve) -> list[Finding]:
    return []
