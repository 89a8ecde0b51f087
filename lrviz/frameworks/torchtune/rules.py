"""torchtune's traps: ``max_steps_per_epoch`` cutting every epoch, so the schedule spans fewer steps than the data;
GRPO's ``num_steps`` ending the run early in its schedule, and ``ppo_epochs`` stepping past its end."""

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
    if run.epochs > fw.num_training_steps:  # GRPO with ppo_epochs > 1
        found.append(
            Finding(
                "torchtune-steps-past-schedule",
                f"the run takes {run.epochs:,} optimizer steps (ppo_epochs {fw.ppo_epochs} per batch) but the GRPO "
                f"recipe sizes its schedule for one step per batch, {fw.num_training_steps:,}: the scheduler is "
                "stepped past its end (a cosine rises again)",
                {"steps": run.epochs, "num_training_steps": fw.num_training_steps},
            )
        )
    batches = run.epochs // fw.ppo_epochs
    if fw.grpo and batches < fw.num_training_steps:
        found.append(
            Finding(
                "torchtune-num-steps-cuts-schedule",
                f"num_steps stops the GRPO run after {batches:,} batches, but its schedule is sized for epochs x "
                f"len(dataloader) = {fw.num_training_steps:,} steps: the run ends at "
                f"{100 * run.epochs / fw.num_training_steps:.0f}% of its schedule",
                {"batches": batches, "num_training_steps": fw.num_training_steps},
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
