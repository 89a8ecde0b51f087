"""timm's traps: an LR that train.py fills in, a seeded noise draw, a peak below lr."""

from __future__ import annotations

from lrviz.frameworks._text import lr as lr_text
from lrviz.frameworks.timm.read import settings
from lrviz.model import Curve, Finding, RunConfig


def run_findings(run: RunConfig) -> list[Finding]:
    fw = settings(run)
    found = []
    if fw.lr_assumed:
        found.append(Finding("timm-lr-assumed", fw.lr_assumed))
    if fw.noise:
        found.append(Finding("timm-noise", fw.noise))
    return found


def curve_findings(curve: Curve) -> list[Finding]:
    run = curve.run
    args = settings(run).args
    series = curve.lrs[0]
    peak = max(series) if series else 0.0
    lr = run.optimizer.lr
    if args["warmup_epochs"] and not args["warmup_prefix"] and args["sched"] != "wsd" and peak < 0.99 * lr:
        return [
            Finding(
                "timm-peak-below-lr",
                f"timm {args['sched']}: the LR peaks at {lr_text(peak)}, {100 * (1 - peak / lr):.1f}% below lr "
                f"{lr_text(lr)}: with warmup_prefix false the schedule's clock runs during the warmup; set "
                "warmup_prefix: true to reach lr after the warmup",
                {"peak": peak, "lr": lr},
            )
        ]
    return []
