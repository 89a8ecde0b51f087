"""Several schedules side by side: aligned on the epoch axis, with their largest differences.

``compare`` takes simulated curves (the first is the reference) and lines them
up point by point on the union of their x values (epochs, fractional with
several steps per epoch). Differences are measured against the first schedule
on the points both have, for the first param group. Two LRs count as equal when
they agree within the tolerance (``math.isclose``; by default ``CURVES``: rtol 1e-9, atol 0,
as ``check --baseline``), so a last-digit float difference is no difference.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from lrviz.comparison.difference import Difference
from lrviz.comparison.tolerance import CURVES, Tolerance
from lrviz.model import Curve


@dataclass(frozen=True)
class Comparison:
    """Schedules aligned on one epoch axis, and how far each strays from the first."""

    labels: tuple[str, ...]
    curves: tuple[Curve, ...]
    epochs: tuple[float | int, ...]
    columns: tuple[tuple[float | None, ...], ...]  # per schedule, None where it has no point
    max_abs: float
    max_abs_at: float | int | None
    max_rel: float
    max_rel_at: float | int | None
    first_diff: float | int | None
    tolerance: Tolerance = CURVES
    within_tolerance: int = 0  # points that differ, but only within the tolerance
    differing: int = 0  # points that differ beyond it

    @property
    def difference(self) -> Difference:
        """Where the schedules first part and their largest differences, on the epoch axis."""
        at = self.first_diff
        k = self.epochs.index(at) if at is not None else None
        expected = None if k is None else self.columns[0][k]
        actual = None if k is None else next((c[k] for c in self.columns[1:] if c[k] != expected), None)
        return Difference(
            at, expected, actual, self.differing, self.max_abs, self.max_abs_at, self.max_rel, self.max_rel_at
        )

    def describe(self) -> str:
        if len(self.curves) < 2:
            return "one schedule: nothing to compare"
        if self.first_diff is None:
            tol = self.tolerance
            close = f" within rtol={tol.rtol:g}, atol={tol.atol:g}" if self.within_tolerance else ""
            return f"identical on every shared epoch{close} ({', '.join(self.labels)})"
        rel = "inf" if math.isinf(self.max_rel) else f"{self.max_rel:.3g}"
        return (
            f"first differs at epoch {self.first_diff:g}; largest absolute difference {self.max_abs:.6g} "
            f"at epoch {self.max_abs_at:g}; largest relative difference {rel} at epoch {self.max_rel_at:g} "
            f"(against {self.labels[0]})"
        )


def unique_labels(labels: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return tuple(out)


def compare(curves: Sequence[Curve], labels: Sequence[str], *, tolerance: Tolerance = CURVES) -> Comparison:
    """Align ``curves`` and measure their differences from the first one, beyond ``tolerance``."""
    rtol, atol = tolerance.rtol, tolerance.atol
    by_x = [{c.epoch_at(k): c.lrs[0][k] for k in range(c.points)} for c in curves]
    xs = sorted(set().union(*by_x))
    columns = tuple(tuple(m.get(x) for x in xs) for m in by_x)
    max_abs, max_rel = 0.0, 0.0
    abs_at: float | int | None = None
    rel_at: float | int | None = None
    first: float | int | None = None
    close = differing = 0
    base = by_x[0]
    for other in by_x[1:]:
        for x in xs:
            if x not in base or x not in other:
                continue
            a, b = base[x], other[x]
            if a == b:
                continue
            if math.isclose(a, b, rel_tol=rtol, abs_tol=atol):
                close += 1
                continue
            differing += 1
            if first is None or x < first:
                first = x
            diff = abs(b - a)
            rel = diff / abs(a) if a != 0 else math.inf
            if diff > max_abs:
                max_abs, abs_at = diff, x
            if rel > max_rel:
                max_rel, rel_at = rel, x
    return Comparison(
        labels=unique_labels(labels),
        curves=tuple(curves),
        epochs=tuple(xs),
        columns=columns,
        max_abs=max_abs,
        max_abs_at=abs_at,
        max_rel=max_rel,
        max_rel_at=rel_at,
        first_diff=first,
        tolerance=tolerance,
        within_tolerance=close,
        differing=differing,
    )
