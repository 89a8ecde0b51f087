"""torchtune's trap: ``max_steps_per_epoch`` cutting every epoch, so the schedule spans fewer steps than the data."""

from __future__ import annotations

from lrviz.frameworks.torchtune.read import settings
from lrviz.model import Curve, Finding, RunConfig


def run_findings(run: RunConfig) -> list[Finding]:
    fw = settings(run)
    found = []
    warmup = (fw.scheduler or {}).get("num_warmup_steps")
    if isinstance(warmup, int) and warmup >= fw.num_training_steps:
        found.append(
            Finding(
                "torchtune-warmup-longer-than-run",
                f"num_warmup_steps {warmup:,} is not shorter than the run ({fw.num_training_steps:,} optimizer "
                f"steps): the LR never reaches optimizer.lr {run.optimizer.lr:g} and the cosine never starts",
                {"warmup": warmup, "steps": fw.num_training_steps},
            )
        )
    if fw.uncapped_steps_per_epoch is None:
        return found
    epochs = fw.num_training_steps // fw.steps_per_epoch
    return [
        *found,
        Finding(
            "torchtune-max-steps-per-epoch",
            f"max_steps_per_epoch {fw.steps_per_epoch:,} cuts each epoch from {fw.uncapped_steps_per_epoch:,} to "
            f"{fw.steps_per_epoch:,} optimizer steps: the recipe sees "
            f"{100 * fw.steps_per_epoch / fw.uncapped_steps_per_epoch:.0f}% of the data per epoch and its schedule "
            f"spans {fw.num_training_steps:,} steps ({epochs} x {fw.steps_per_epoch:,}), not "
            f"{epochs * fw.uncapped_steps_per_epoch:,}; set max_steps_per_epoch: null to train on all of it",
            {"steps_per_epoch": fw.steps_per_epoch, "uncapped": fw.uncapped_steps_per_epoch},
        ),
    ]


def curve_findings(curve: Curve) -> list[Finding]:
    return []
