"""The steps a comparison looks at, so a log is read in memory proportional to them, not to the file.

``read_log(path, window=Window(0, n))`` (``check --against``, ``compare CONFIG LOG``: ``n`` is the
plan's optimizer steps) keeps the points of the optimizer steps ``start <= k < stop`` and only
counts the others as they stream past: how many distinct logged steps lay before and after the
window, and the lowest and highest logged step (``LogSeries.before``, ``after``, ``first``,
``last``), which is all the comparison says of them ("the log runs past the plan: 49,000,000 logged
steps after its last step"). The readers filter on the logged step with a margin of ``MARGIN``
steps each side (the step convention, which shifts a logged step by 0 or 1, is known only once
the column names are), and ``lrviz.logs.reading.trim`` cuts the built log to the window exactly.

A step left out is counted when it is higher than every step left out before it on its side of
the window: exact for a log whose steps go forward, and for a resumed run that logs some steps
again (they are not counted twice); a log in no order at all is undercounted, never overcounted.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Any

__all__ = ["MARGIN", "Tally", "Window", "inside"]

#: Logged steps kept each side of the window while reading, for the convention's shift (0 or 1, then +-1).
MARGIN = 2


@dataclass(frozen=True)
class Window:
    """Optimizer steps ``start <= k < stop`` (lrviz's convention) whose logged LRs are kept."""

    start: int
    stop: int

    @classmethod
    def of_plan(cls, points: int) -> Window:
        """The steps of a plan of ``points`` optimizer steps: ``0 <= k < points``."""
        return cls(0, max(0, int(points)))

    @property
    def low(self) -> int:
        """The lowest logged step a reader keeps (before the convention's shift)."""
        return self.start - MARGIN

    @property
    def high(self) -> int:
        """One past the highest logged step a reader keeps."""
        return self.stop + MARGIN


class Tally:
    """What a reader left out of one series: distinct steps before and after the window, lowest and highest."""

    __slots__ = ("after", "before", "first", "last", "_top_after", "_top_before")

    def __init__(self) -> None:
        self.before = self.after = 0
        self.first: int | None = None
        self.last: int | None = None
        self._top_before: int | None = None
        self._top_after: int | None = None

    def add(self, step: int, window: Window) -> None:
        """One logged step left out (below ``window.low`` or at or above ``window.high``)."""
        self.first = step if self.first is None or step < self.first else self.first
        self.last = step if self.last is None or step > self.last else self.last
        if step < window.low:
            if self._top_before is None or step > self._top_before:
                self.before += 1
                self._top_before = step
        elif self._top_after is None or step > self._top_after:
            self.after += 1
            self._top_after = step

    def add_many(self, steps: Any, window: Window) -> None:
        """Many left-out steps at once (a numpy int64 array, in the order logged)."""
        import numpy as np

        if not len(steps):
            return
        low, high = int(steps.min()), int(steps.max())
        self.first = low if self.first is None else min(self.first, low)
        self.last = high if self.last is None else max(self.last, high)
        for side, part in (("before", steps[steps < window.low]), ("after", steps[steps >= window.high])):
            if not len(part):
                continue
            top = getattr(self, f"_top_{side}")
            running = np.maximum.accumulate(part)
            previous = np.empty_like(running)
            previous[0] = np.iinfo(np.int64).min if top is None else top
            previous[1:] = running[:-1]
            if top is not None:
                np.maximum(previous, top, out=previous)
            setattr(self, side, getattr(self, side) + int(np.count_nonzero(part > previous)))
            setattr(self, f"_top_{side}", int(running[-1]) if top is None else max(top, int(running[-1])))

    def shifted(self, offset: int) -> tuple[int, int, int | None, int | None]:
        """(before, after, first, last) with the logged steps moved to optimizer steps (``- offset``)."""
        first = None if self.first is None else self.first - offset
        last = None if self.last is None else self.last - offset
        return self.before, self.after, first, last


def inside(steps: array[int], window: Window, tally: Tally) -> list[bool] | None:
    """Which of ``steps`` (logged, in the order read) a reader keeps: None when all of them, else a
    flag each; the others are counted in ``tally``."""
    if not steps:
        return None
    import numpy as np

    logged = np.frombuffer(steps, dtype=np.int64)
    if int(logged.min()) >= window.low and int(logged.max()) < window.high:
        return None
    mask = (logged >= window.low) & (logged < window.high)
    tally.add_many(logged[~mask], window)
    kept: list[bool] = mask.tolist()
    return kept
