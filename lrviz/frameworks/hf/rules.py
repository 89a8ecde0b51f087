"""The Hugging Face Trainer's traps: what its settings do that users may not expect."""

from __future__ import annotations

from lrviz.frameworks._text import count
from lrviz.frameworks.hf.read import settings
from lrviz.model import Curve, Finding, RunConfig

#: Types ``get_scheduler`` builds without a warmup.
_NO_WARMUP = ("constant", "reduce_lr_on_plateau", "greedy")


def run_findings(run: RunConfig) -> list[Finding]:
    """Before stepping: restarts that never happen, a warmup as long as the run, max_steps over epochs."""
    fw = settings(run)
    found: list[Finding] = []
    name, total, warmup = fw.type, fw.num_training_steps, fw.num_warmup_steps
    if fw.deepspeed is not None:  # the DeepSpeed config's scheduler runs: the Trainer's type and warmup do not
        name = fw.deepspeed.type
    elif name == "cosine_with_restarts" and "num_cycles" not in fw.scheduler_specific_kwargs:
        found.append(
            Finding(
                "hf-no-restart",
                "cosine_with_restarts: num_cycles defaults to 1, so no restart happens (the same curve as "
                "cosine); set lr_scheduler_kwargs: {num_cycles: N} for N cycles",
                {"type": name},
            )
        )
    if warmup >= total and name not in _NO_WARMUP:
        found.append(
            Finding(
                "hf-warmup-longer-than-run",
                f"{name}: the warmup of {count(warmup)} steps is not shorter than the run ({count(total)} steps): "
                "the LR never reaches learning_rate",
                {"warmup_steps": warmup, "total_steps": total},
            )
        )
    if fw.max_steps_overrides:
        found.append(
            Finding(
                "hf-max-steps-overrides-epochs",
                f"max_steps = {count(total)} overrides num_train_epochs = {fw.num_train_epochs:g}: the Trainer "
                "ignores the epochs when max_steps > 0",
                {"max_steps": total, "num_train_epochs": fw.num_train_epochs},
            )
        )
    return found


def curve_findings(curve: Curve) -> list[Finding]:
    """After stepping: a first optimizer step at LR 0."""
    run = curve.run
    fw = settings(run)
    series = curve.lrs[0]
    if fw.deepspeed is not None:  # DeepSpeed's class: its warmup starts at warmup_min_lr
        zeros = next((k for k, v in enumerate(series) if v != 0), len(series))
        if not zeros or not any(series):
            return []
        return [
            Finding(
                "hf-zero-lr-first-step",
                f"{fw.deepspeed.type} (the DeepSpeed config's): the LR is 0 for the first {count(zeros)} optimizer "
                f"step{'s' if zeros > 1 else ''}, which change nothing; this is what the DeepSpeed engine does",
                {"step": 0, "steps": zeros},
            )
        ]
    if fw.num_warmup_steps > 0 and series and series[0] == 0 and run.optimizer.lr > 0:
        return [
            Finding(
                "hf-zero-lr-first-step",
                f"{fw.type}: the LR is 0 at step 0 (the warmup starts from 0), so the first optimizer step "
                "changes nothing; this is what the Trainer does",
                {"step": 0},
            )
        ]
    return []
