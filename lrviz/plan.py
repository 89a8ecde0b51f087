"""Plan CosineAnnealingWarmRestarts cycles that end exactly when training ends.

``plan_restarts(epochs)`` lists every integer pair (T_0 >= 1, T_mult >= 1) whose
cycle boundaries land on ``epochs``: ``epochs == T_0 * (1 + T_mult + ... +
T_mult**(k-1))`` for some number of cycles k >= 2 (a single cycle, which is just
CosineAnnealingLR without a restart, is left out). T_0 or T_mult can be fixed and
k bounded. Candidates come sorted by number of cycles, then T_0, or, with
``useful_first=True`` (what ``lrviz plan`` lists), most useful first
(``usefulness``):

1. cycles that grow (2 <= T_mult <= 10) from a first cycle of T_0 >= 2 epochs,
   more cycles first, then the smaller T_mult: several restarts, the last and
   longest decay ending with training;
2. equal cycles (T_mult = 1, T_0 >= 2), fewer cycles first: the LR climbs back
   to the same peak at every restart;
3. degenerate plans last: T_0 = 1 (a one-epoch first cycle) or T_mult > 10 (a
   tiny first cycle, then one huge one), by cycles then T_0.

Finding the pairs is arithmetic on the plan (divisors of ``epochs``), not on
learning rates: no LR value is computed here. ``tests/engine/test_plan_restarts.py`` steps the real PyTorch
scheduler and compares the restart epochs PyTorch
produced, so the plan can be checked against PyTorch (the tests do, for every
candidate). Bad input raises ``ConfigError`` naming the CLI flag
(epochs, T_0, T_mult, max_cycles). Nothing here prints or imports torch
at module level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from lrviz.config import MAX_POINTS
from lrviz.errors import ConfigError, option

SCHEDULER = "CosineAnnealingWarmRestarts"


@dataclass(frozen=True)
class Candidate:
    """One (T_0, T_mult) whose last cycle ends with the run: ``cycles`` cycles, restarts at ``restarts``."""

    t_0: int
    t_mult: int
    cycles: int

    @property
    def restarts(self) -> tuple[int, ...]:
        """The epochs where a new cycle starts inside the run: T_0, T_0 + T_0*T_mult, ... (0 and the end excluded)."""
        starts: list[int] = []
        at, length = 0, self.t_0
        for _ in range(self.cycles - 1):
            at += length
            starts.append(at)
            length *= self.t_mult
        return tuple(starts)

    @property
    def lengths(self) -> tuple[int, ...]:
        """Cycle lengths in epochs: T_0, T_0*T_mult, ..., summing to the run's epochs."""
        return tuple(self.t_0 * self.t_mult**i for i in range(self.cycles))

    @property
    def epochs(self) -> int:
        """The run length this candidate was planned for (where its last cycle ends)."""
        m, k = self.t_mult, self.cycles
        return self.t_0 * (k if m == 1 else (m**k - 1) // (m - 1))

    def describe(self) -> str:
        """``T_0=5, T_mult=2: 4 cycles (5+10+20+40)``, with the lengths shortened past 6 cycles."""
        if self.cycles <= 6:
            shown = "+".join(str(n) for n in self.lengths)
        else:  # without building the lengths: T_0=1, T_mult=1 has one cycle per epoch
            shown = f"{self.t_0}+{self.t_0 * self.t_mult}+...+{self.t_0 * self.t_mult ** (self.cycles - 1)}"
        return f"T_0={self.t_0}, T_mult={self.t_mult}: {self.cycles} cycles ({shown})"

    def document(self, **scheduler_args: Any) -> dict[str, Any]:
        """A config document (the shape ``config.from_document`` reads) for this plan.

        Extra keyword arguments (``eta_min=1e-5``) go into the scheduler node; add
        ``optimizer`` or other run keys to the returned dict as needed.
        """
        return {
            "epochs": self.epochs,
            "scheduler": {"name": SCHEDULER, "T_0": self.t_0, "T_mult": self.t_mult, **scheduler_args},
        }


def _whole(value: object, flag: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{flag}: expected an integer >= {low}, got {value!r}")
    if value < low:
        raise ConfigError(f"{flag}: must be an integer >= {low}, got {value}")
    return value


def _divisors(n: int) -> list[int]:
    small, large = [], []
    for d in range(1, math.isqrt(n) + 1):
        if n % d == 0:
            small.append(d)
            if d != n // d:
                large.append(n // d)
    return small + large[::-1]


#: T_mult above this makes a tiny first cycle and one huge one: listed last.
USEFUL_T_MULT = 10


def usefulness(candidate: Candidate) -> tuple[int, int, int, int]:
    """A sort key, most useful plan first (the order is in the module docstring)."""
    c = candidate
    if c.t_0 >= 2 and 2 <= c.t_mult <= USEFUL_T_MULT:
        return (0, -c.cycles, c.t_mult, -c.t_0)
    if c.t_0 >= 2 and c.t_mult == 1:
        return (1, c.cycles, 0, -c.t_0)
    return (2, c.cycles, c.t_0, c.t_mult)


def plan_restarts(
    epochs: int,
    *,
    t_0: int | None = None,
    t_mult: int | None = None,
    max_cycles: int | None = None,
    useful_first: bool = False,
) -> list[Candidate]:
    """Every (T_0, T_mult) with >= 2 whole cycles ending at ``epochs``, sorted by cycles then T_0.

    ``t_0`` / ``t_mult`` fix that value; ``max_cycles`` (>= 2) bounds the number of
    cycles. ``useful_first`` sorts by ``usefulness`` instead: growing cycles first,
    equal cycles next, degenerate ones (T_0 = 1, T_mult > 10) last. An empty list
    means no integer plan fits (e.g. a fixed T_0 that does not divide ``epochs``).
    Runs in O(sqrt(epochs)) time.
    """
    epochs = _whole(epochs, option("epochs"), 1)
    if epochs > MAX_POINTS:
        raise ConfigError(
            f"{option('epochs')}: at most {MAX_POINTS:,} (the longest run lrviz steps; LRVIZ_MAX_POINTS raises it), got {epochs:,}"
        )
    if t_0 is not None:
        t_0 = _whole(t_0, option("t_0"), 1)
    if t_mult is not None:
        t_mult = _whole(t_mult, option("t_mult"), 1)
    if max_cycles is not None:
        max_cycles = _whole(max_cycles, option("max_cycles"), 2)
    limit = epochs if max_cycles is None else max_cycles

    # (T_mult, k) pairs whose geometric sum S = 1 + T_mult + ... + T_mult**(k-1) divides epochs;
    # then T_0 = epochs / S. Two cycles (S = 1 + T_mult) and T_mult = 1 (S = k) need S to be
    # a divisor; three or more cycles with T_mult >= 2 need T_mult**2 < S <= epochs.
    found: set[tuple[int, int]] = set()
    divisors = _divisors(epochs)
    for d in divisors:
        if d >= 2:
            found.add((d - 1, 2))  # two cycles: S = 1 + T_mult = d
            if limit >= d:
                found.add((1, d))  # T_mult = 1: d equal cycles
    mult = 2
    while 1 + mult + mult * mult <= epochs:
        total, power, k = 1 + mult, mult, 2
        while True:
            power *= mult
            total += power
            k += 1
            if total > epochs or k > limit:
                break
            if epochs % total == 0:
                found.add((mult, k))
        mult += 1

    out: list[Candidate] = []
    for mult, k in found:
        if k > limit or (t_mult is not None and mult != t_mult):
            continue
        candidate = Candidate(1, mult, k)
        first = epochs // candidate.epochs  # T_0 = epochs / (1 + T_mult + ... + T_mult**(k-1))
        if t_0 is not None and first != t_0:
            continue
        out.append(Candidate(first, mult, k))
    out.sort(key=usefulness if useful_first else lambda c: (c.cycles, c.t_0))
    return out
