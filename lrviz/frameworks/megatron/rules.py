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
