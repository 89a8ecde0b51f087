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


def mismatch_cause(run: RunConfig, code: str, k: int) -> str | None:
    """litgpt's causes of ``check``'s ``faster`` pattern (``Adapter.mismatch_cause``; a litgpt log is read on
    the plan's accumulation, ``LitGPT.log_axis``)."""
    if code != "faster":
        return None
    if isinstance(run.settings, pretrain.PretrainSettings):
        return (
            "litgpt/pretrain.py sets the LR from the iteration count at every iteration (get_lr), so nothing steps "
            f"it twice: the run's schedule was computed for 1/{k} of the plan's iterations (max_iters and the "
            "warmup come from train.max_tokens, devices x num_nodes, micro_batch_size and the model's block_size): "
            "give the plan the run's values"
        )
    accumulation = getattr(run.settings, "accumulation", 1)
    causes = []
    if k == accumulation:
        causes.append(
            "the scheduler stepped after every micro-batch: litgpt's finetune scripts call scheduler.step() only "
            f"when an accumulation of {accumulation} batches ends (if not is_accumulating); step it there"
        )
    if accumulation % k == 0:
        causes.append(
            f"the run had {k} x the devices (devices x num_nodes) the plan was read with: litgpt accumulates "
            "global_batch_size // (devices x num_nodes) // micro_batch_size batches to an optimizer step "
            f"({accumulation // k} on {k} x the devices, {accumulation} here) and splits the data over the devices: "
            "give the plan the run's devices"
        )
    if not causes:
        causes.append(
            "litgpt's finetune scripts step the scheduler once per optimizer step, when an accumulation of "
            f"{accumulation} batches ends: the loop stepped it {k} times per optimizer step"
        )
    text = "; or ".join(causes)
    return text[0].upper() + text[1:]
