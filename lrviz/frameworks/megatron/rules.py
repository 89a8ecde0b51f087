"""Megatron's traps: a schedule counted in samples, and a decay that outlasts (or ends before) the run."""

from __future__ import annotations

from lrviz.frameworks._text import lr as lr_text
from lrviz.frameworks.megatron.read import settings
from lrviz.model import Curve, Finding, RunConfig


def run_findings(run: RunConfig) -> list[Finding]:
    fw = settings(run)
    found = []
    if fw.by_samples:
        found.append(
            Finding(
                "megatron-counts-samples",
                f"Megatron counts this schedule in samples ({fw.increment:,} per iteration, the global batch "
                f"size): {fw.train_iters:,} iterations here; a different global batch size changes the number of "
                "iterations and the iteration at which each LR comes",
                {"increment": fw.increment, "iterations": fw.train_iters},
            )
        )
    total = fw.train_iters * fw.increment
    if fw.lr_decay_style not in ("constant", "inverse-square-root") and fw.lr_decay_steps > total:
        found.append(
            Finding(
                "megatron-decay-outlasts-run",
                f"the decay runs over {fw.lr_decay_steps:,} samples but training stops after {total:,}: the LR ends "
                f"{100 * (1 - total / fw.lr_decay_steps):.0f}% short of min_lr's end of the decay",
                {"decay": fw.lr_decay_steps, "samples": total},
            )
        )
    return found


def curve_findings(curve: Curve) -> list[Finding]:
    fw = settings(curve.run)
    series = curve.lrs[0]
    if not series or fw.lr_decay_style == "constant":
        return []
    if fw.min_lr and series[-1] == fw.min_lr and fw.lr_decay_steps < fw.train_iters * fw.increment:
        held = sum(1 for v in series if v == fw.min_lr)
        return [
            Finding(
                "megatron-min-lr-tail",
                f"the LR sits at min_lr {lr_text(fw.min_lr)} for the last {held:,} iterations (decay ends before training)",
            )
        ]
    return []


#: how Megatron-LM steps its scheduler (training.py 3213-3226 at d98e8a64)
_STEPPED = (
    "train_step steps opt_param_scheduler once per iteration, after a successful optimizer step, by the global "
    "batch (increment = num_microbatches x micro_batch_size x data_parallel_size)"
)


def mismatch_cause(run: RunConfig, code: str, k: int) -> str | None:
    """Megatron-LM's causes of ``check``'s ``faster`` and ``lag`` patterns (``Adapter.mismatch_cause``)."""
    fw = settings(run)
    if code == "lag":
        return (
            f"Megatron-LM skipped {k} iteration(s): fp16 loss scaling found an overflow, so the optimizer skipped "
            "its step and train_step skipped opt_param_scheduler.step while the iteration still advanced (expected "
            "in fp16's first iterations, as the loss scale falls); Megatron's stdout log gives the exact counts "
            "('number of skipped iterations' on each line) and lrviz reads them from it: check against the stdout log"
        )
    if code != "faster":
        return None
    if fw.by_samples:
        return (
            f"Megatron-LM counts this schedule in samples, and its {_STEPPED}: a global batch {k} x the plan's "
            f"{fw.increment:,} advances it {k}x faster per iteration. Is the run's --global-batch-size (without it, "
            "micro_batch_size x the data-parallel size, the world size over tensor x pipeline x context parallel) "
            f"{k * fw.increment:,}? Give the plan the run's; otherwise the loop stepped the scheduler {k} times per "
            "iteration (once per micro-batch?)"
        )
    return (
        f"Megatron-LM's {_STEPPED}; with --train-iters the warmup and decay are counted in iterations x "
        "the global batch, so another global batch size or data-parallel size does not change the LR an iteration "
        f"gets: the scheduler was stepped {k} times per iteration (once per micro-batch?) or by {k} x the global "
        "batch: step it once per iteration by the global batch, as train_step does"
    )
