"""LLaMA-Factory v1's trap: no warmup and no decay unless a scheduler is configured, and v1 has none yet."""

from __future__ import annotations

from lrviz.frameworks.llamafactory.read import settings
from lrviz.model import Curve, Finding, RunConfig


def run_findings(run: RunConfig) -> list[Finding]:
    fw = settings(run)
    found = []
    if fw.optimizer_lr is not None:
        found.append(Finding("llamafactory-v1-optimizer-lr", fw.optimizer_lr, {"lr": fw.learning_rate}))
    return found + [
        Finding(
            "llamafactory-v1-constant",
            f"LLaMA-Factory v1 trains at a constant LR ({fw.learning_rate:g}) for all {fw.num_training_steps:,} "
            "steps: with no lr_scheduler_config its BaseTrainer builds LambdaLR(lambda x: 1.0), no warmup and no "
            "decay; for a warmup or a cosine, train with the classic layout (lr_scheduler_type, warmup_ratio)",
            {"lr": fw.learning_rate, "steps": fw.num_training_steps},
        )
    ]


def curve_findings(curve: Curve) -> list[Finding]:
    return []
