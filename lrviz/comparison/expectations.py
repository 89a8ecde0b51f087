"""What a team states about a schedule, tested on its curve: ``expect:`` in the YAML, or flags.

``check_expectations`` tests the final LR below a value, the LR never above a value, and
restarts at given epochs. Each failure is one line naming the expectation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrviz.model import Curve

__all__ = ["check_expectations"]


def check_expectations(curve: Curve, expect: Mapping[str, Any]) -> list[str]:
    """One line per failed expectation (empty when all hold)."""
    failures = []
    stats = curve.summary()
    if "final_lr_below" in expect and not stats["final"] < expect["final_lr_below"]:
        failures.append(f"final_lr_below: the final LR {stats['final']!r} is not below {expect['final_lr_below']!r}")
    if "lr_never_above" in expect and stats["max"] > expect["lr_never_above"]:
        k = max(range(curve.points), key=lambda i: max(s[i] for s in curve.lrs))
        failures.append(
            f"lr_never_above: the LR reaches {stats['max']!r} at epoch {curve.epoch_at(k)}, above {expect['lr_never_above']!r}"
        )
    if "restarts" in expect:
        actual = curve.restart_epochs
        wanted = list(expect["restarts"])
        if actual != wanted:
            failures.append(f"restarts: expected restarts at {wanted}, the schedule restarts at {actual}")
    return failures
