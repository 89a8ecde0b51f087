"""litgpt's traps: finetuning's ``train.min_lr`` not read and a run longer than its schedule; pretraining's
``train.max_steps``, which ``litgpt/pretrain.py`` only warns about."""

from __future__ import annotations

from lrviz.frameworks.litgpt import pretrain
from lrviz.frameworks.litgpt.read import settings
from lrviz.model import Curve, Finding, RunConfig


def run_findings(run: RunConfig) -> list[Finding]:
    if isinstance(run.settings, pretrain.PretrainSettings):
        ignored = run.settings.max_steps_ignored
        if ignored is None:
            return []
        return [
            Finding(
                "litgpt-max-steps-ignored",
                f"train.max_steps {ignored:,} does not end litgpt pretraining: pretrain.py only warns that it is for "
                "debug runs, and fit() runs until train.max_tokens",
                {"max_steps": ignored},
            )
        ]
    fw = settings(run)
    found = []
    if fw.min_lr_ignored:
        found.append(
            Finding(
                "litgpt-min-lr-ignored",
                f"train.min_lr {fw.min_lr_ignored:g} is not read by litgpt's finetune scripts: their "
                "CosineAnnealingLR decays to 0 (only litgpt/pretrain.py's get_lr uses min_lr)",
                {"min_lr": fw.min_lr_ignored},
            )
        )
    if fw.steps > fw.lr_max_steps:
        found.append(
            Finding(
                "litgpt-steps-past-schedule",
                f"the run takes {fw.steps:,} optimizer steps but the schedule is sized for {fw.lr_max_steps:,} "
                "(steps_per_epoch floors each epoch, the accumulation runs across epochs): past its end the "
                "CosineAnnealingLR rises again",
                {"steps": fw.steps, "lr_max_steps": fw.lr_max_steps},
            )
        )
    return found


def curve_findings(curve: Curve) -> list[Finding]:
    return []
