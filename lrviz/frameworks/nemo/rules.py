"""NeMo's trap: a warmup that never starts at 0, read from the stepped LRs (which NeMo class warms up how varies)."""

from __future__ import annotations

from lrviz.frameworks.nemo.read import settings
from lrviz.model import Curve, Finding, RunConfig


def run_findings(run: RunConfig) -> list[Finding]:
    return []


def curve_findings(curve: Curve) -> list[Finding]:
    """``WarmupPolicy._get_warmup_lr`` gives ``lr x (step+1)/(warmup_steps+1)``: step 0 is already above 0.

    ``CosineAnnealing`` with ``constant_steps`` warms up from 0 instead (Megatron's linear warmup):
    the finding is made only when the first LR is the first of NeMo's warmup fractions."""
    fw = settings(curve.run)
    series = curve.lrs[0] if curve.lrs else None
    if fw.warmup <= 0 or not series or series[0] <= 0:
        return []
    lr = curve.run.optimizer.lr
    if series[0] >= lr:
        return []
    return [
        Finding(
            "nemo-warmup-start",
            f"NeMo's warmup starts at lr x 1/(warmup_steps+1) = {series[0]:.6g} (lr/{fw.warmup + 1}), not at 0: "
            f"WarmupPolicy._get_warmup_lr steps (step+1)/(warmup_steps+1) and reaches {lr:g} at step {fw.warmup}",
            {"warmup_steps": fw.warmup, "first_lr": series[0]},
        )
    ]
