"""Plain-text renderings of a curve (no rich import: the -o path prints these too)."""

from __future__ import annotations

from lrviz.model import Curve


def fmt_lr(value: float) -> str:
    return f"{value:.6g}"


def fmt_x(x: float | int) -> str:
    return str(x) if isinstance(x, int) else f"{x:.4g}"


def summary_line(curve: Curve) -> str:
    run = curve.run
    stats = curve.summary()
    unit = run.length_text()
    parts = [
        run.scheduler.describe(),
        run.optimizer.describe(),
        unit,
        f"LR min {fmt_lr(stats['min'])}, max {fmt_lr(stats['max'])}, final {fmt_lr(stats['final'])}",
    ]
    if curve.restarts:
        parts.append("restarts at " + ", ".join(fmt_x(x) for x in curve.restart_epochs))
    elif run.scheduler.name == "CosineAnnealingWarmRestarts":
        parts.append("no restart within the run")
    if curve.milestones:
        parts.append("milestones at " + ", ".join(fmt_x(x) for x in curve.events(curve.milestones)))
    if run.metrics is not None:
        parts.append(
            "LR reduced at " + ", ".join(fmt_x(x) for x in curve.events(curve.reductions))
            if curve.reductions
            else "LR never reduced"
        )
    resumed = curve.resume_line()
    if resumed:
        parts.append(resumed)
    return " | ".join(parts)
