"""Warnings about a schedule that is valid but probably not what the user meant.

``check_run`` looks at the validated configuration before anything is stepped.
Each finding is one line of plain text; the CLI prints them to stderr as
``warning: ...`` (``--quiet`` silences them). Nothing here imports torch.
"""

from __future__ import annotations

from lrviz.config import RunConfig, SchedulerConfig


def _min_lr_args(node: SchedulerConfig) -> list[tuple[str, float]]:
    out = []
    for key in ("eta_min", "min_lr"):
        value = node.args.get(key)
        if isinstance(value, int | float):
            out.append((key, float(value)))
    return out


def check_run(run: RunConfig) -> list[str]:
    """Findings about the configuration itself, one line each."""
    found: list[str] = []
    initial = min(g.lr for g in run.optimizer.groups)
    for node in run.scheduler.walk():
        for key, value in _min_lr_args(node):
            if value > initial:
                found.append(
                    f"{node.name}: {key} ({value:g}) is above the initial lr ({initial:g}), "
                    "so the schedule rises instead of decaying; was that meant?"
                )
    return found
