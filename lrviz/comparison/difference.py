"""Where two learning-rate series part: one ``Difference`` for every comparison lrviz makes.

A curve against another curve (``compare.curves``, x on the epoch axis), against a baseline it
wrote (``compare.baseline``, x an epoch label), or against a run's log (``compare.log``, x an
optimizer step): each reports the first point beyond the tolerance, the values there, how many
points differ, and the largest absolute and relative differences.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Difference"]

X = float | int | str


@dataclass(frozen=True)
class Difference:
    """The first point beyond the tolerance (``at``; None when there is none) and the largest differences.

    ``expected`` is the reference's value there (the first curve, the baseline, the plan) and
    ``actual`` the compared one's; either is None where that series has no point (a run longer or
    shorter than its baseline).
    """

    at: X | None
    expected: float | None
    actual: float | None
    count: int = 0
    max_abs: float = 0.0
    max_abs_at: X | None = None
    max_rel: float = 0.0
    max_rel_at: X | None = None

    @property
    def ok(self) -> bool:
        return self.at is None
