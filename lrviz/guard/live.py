"""The engine of the live guard: logged LRs held against the plan one optimizer step at a time.

``LiveCheck`` keeps the logged points, and on the first LR beyond the tolerance it runs
``lrviz.comparison.compare_log`` (the same comparison and the same diagnoses as ``lrviz check``)
over what it has seen, until a diagnosis names the bug or ``patience`` more steps pass; the
``Verdict`` says where the run left the plan and why. Where the log counts the iterations its trainer
skipped (Megatron-LM's ``number of skipped iterations``, ``RunLog.skipped``), ``held`` holds the
plan there and the diagnosis is ``check``'s (``compare_reported_skips``).

The cost on a matching step is one list lookup and one comparison per param group; the plan is
simulated once, before training. Nothing here imports matplotlib or torch.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lrviz.comparison import LOG, LogReport, Tolerance, compare_log
from lrviz.comparison.replan import compare_reported_skips, held_steps
from lrviz.comparison.reports import CONTEXT
from lrviz.errors import ConfigError
from lrviz.logs import CONVENTIONS, LogSeries, RunLog
from lrviz.model import Curve, Finding

#: Consecutive observed steps a diagnosis must hold before the guard acts on it: a few points fit more
#: than one pattern (a linear warmup 4x slower is also the plan scaled by 1/4 until the warmup ends).
CONFIRM = 5
#: Steps observed after the first mismatch before the guard acts on whatever it has (a diagnosis not yet
#: confirmed, or none): the bug is then named, or the mismatch reported, within this many steps.
PATIENCE = 16
#: Diagnoses that say nothing about a run still in progress.
_NOT_YET = frozenset({"ends_early"})


class LRMismatchWarning(UserWarning):
    """The run's learning rate left the plan (the message holds the diagnosis)."""


@dataclass(frozen=True)
class Verdict:
    """A mismatch found while the run goes: where it began, when it was decided, and why."""

    first_step: int  # optimizer step (0-based) of the first LR beyond the tolerance
    decided_at: int  # the optimizer step at which the guard decided
    planned: float | None
    logged: float
    diagnoses: tuple[Finding, ...]
    report: LogReport

    @property
    def kind(self) -> str | None:
        """The first diagnosis' kind (``faster``, ``per_epoch``, ...), or None when no known pattern fits."""
        return self.diagnoses[0].code if self.diagnoses else None

    @property
    def message(self) -> str:
        where = (
            f"planned {self.planned!r}, logged {self.logged!r}"
            if self.planned is not None
            else f"logged {self.logged!r} past the plan's last step"
        )
        head = f"the learning rate left the plan at optimizer step {self.first_step} ({where})"
        if self.diagnoses:
            return f"{head}: " + "; ".join(d.message for d in self.diagnoses)
        return f"{head}; no known pattern explains it by step {self.decided_at}: " + " ".join(self.report.describe())


class LiveCheck:
    """Logged LRs compared with a plan one point at a time (``observe``); ``verdict`` once decided."""

    def __init__(
        self,
        plan: Curve | Sequence[float],
        *,
        rtol: float = LOG.rtol,
        atol: float = 0.0,
        patience: int = PATIENCE,
        confirm: int = CONFIRM,
        source: str = "live run",
    ) -> None:
        if not (rtol >= 0 and atol >= 0):
            raise ConfigError(f"rtol/atol: expected non-negative tolerances, got rtol={rtol!r}, atol={atol!r}")
        if isinstance(plan, Curve):
            self._groups: list[list[float]] = [s.tolist() for s in plan.lrs]
            self._plan: Curve | list[float] = plan
        else:
            self._groups = [[float(v) for v in plan]]
            self._plan = self._groups[0]
        if not self._groups or not self._groups[0]:
            raise ConfigError("plan: an empty schedule; nothing to guard")
        self.rtol, self.atol, self.patience, self.source = rtol, atol, max(0, patience), source
        self.confirm = max(1, confirm)
        self._streak: tuple[tuple[str, ...], int] = ((), 0)
        self._steps: array[int] = array("q")
        self._values: list[array[float]] = []
        self._first_bad: tuple[int, float | None, float] | None = None
        self._skipped: tuple[tuple[int, int, bool], ...] = ()  # the log's own counts (``hold``)
        self.verdict: Verdict | None = None

    @property
    def plan_steps(self) -> int:
        return len(self._groups[0])

    @property
    def observed(self) -> int:
        """How many steps were observed."""
        return len(self._steps)

    @property
    def last_step(self) -> int | None:
        return self._steps[-1] if self._steps else None

    def observe(self, step: int, lrs: Sequence[float]) -> Verdict | None:
        """Record the LR(s) optimizer step ``step`` (0-based) uses, one per param group; the ``Verdict``
        when this step decides a mismatch (once), else None. Steps at or before the last one are ignored."""
        steps = self._steps
        if self.verdict is not None or (steps and step <= steps[-1]) or not lrs:
            return None
        series = self._values
        if not series:
            width = len(self._groups) if len(lrs) == len(self._groups) else 1
            series = self._values = [array("d") for _ in range(width)]
        steps.append(step)
        if self._first_bad is None:
            # the hot path: one lookup and one comparison per param group
            rtol, atol = self.rtol, self.atol
            for g, column in enumerate(series):
                value = float(lrs[g])
                column.append(value)
                plan = self._groups[g]
                if 0 <= step < len(plan):
                    expected = plan[step]
                    if abs(value - expected) <= atol + rtol * abs(expected):
                        continue
                    self._first_bad = (step, expected, value)
                else:
                    self._first_bad = (step, None, value)
                for rest in range(g + 1, len(series)):
                    series[rest].append(float(lrs[rest]))
                break
            else:
                return None
        else:
            for g, column in enumerate(series):
                column.append(float(lrs[g]))
        return self._decide(step)

    def hold(self, log: RunLog) -> None:
        """Hold the plan where ``log`` (all of it read so far) counts skipped iterations (``RunLog.skipped``:
        Megatron-LM's fp16 overflows), as ``check`` does (``compare_reported_skips``), before its new steps are
        observed; a mismatch is then diagnosed as ``check`` diagnoses it. A plan given as bare LRs is not held."""
        if not log.skipped or log.skipped == self._skipped or not isinstance(self._plan, Curve):
            return
        report = compare_reported_skips(self._plan, log, tolerance=Tolerance(self.rtol, self.atol))
        holds = next((d.data["holds"] for d in report.diagnoses if d.code == "skipped"), None) if report else None
        if holds is None:  # counts that do not grow with the steps (a resume in the same file): as it is
            return
        self._skipped = log.skipped
        self._groups = [held_steps(s, [(k, at) for k, at in holds]) for s in self._plan.lrs]

    def finish(self) -> Verdict | None:
        """The run ended: a mismatch still waiting for its diagnosis is decided with what was seen."""
        if self.verdict is None and self._first_bad is not None and self._steps:
            return self._decide(self._steps[-1], final=True)
        return None

    def _decide(self, step: int, final: bool = False) -> Verdict | None:
        assert self._first_bad is not None
        first, planned, logged = self._first_bad
        log = RunLog(
            Path(self.source),
            "live",
            CONVENTIONS["lrviz"],
            tuple(LogSeries(f"pg{g}", self._steps, v) for g, v in enumerate(self._values)),
            axis="observed at the optimizer steps",
            skipped=self._skipped,
        )
        tolerance = Tolerance(self.rtol, self.atol)
        try:
            held = compare_reported_skips(self._plan, log, tolerance=tolerance) if self._skipped else None
            report = held or compare_log(self._plan, log, tolerance=tolerance)
        except ConfigError:  # every observed step lies outside the plan
            report = LogReport(
                self.source, "live", "lrviz", self.plan_steps, Tolerance(self.rtol, self.atol), False, ()
            )
        if self._skipped and report.ok:  # the log's counts explain it (they grew since the plan was held)
            self._first_bad, self._streak = None, ((), 0)
            return None
        found = tuple(d for d in report.diagnoses if d.code not in _NOT_YET)
        if all(d.code in CONTEXT for d in found):  # the skips alone explain nothing that is wrong
            found = ()
        names = tuple(d.message for d in found)
        streak = self._streak[1] + 1 if names == self._streak[0] else 1
        self._streak = (names, streak)
        confirmed = bool(found) and streak >= self.confirm
        if not (confirmed or final) and step - first < self.patience and first < self.plan_steps:
            return None
        self.verdict = Verdict(first, step, planned, logged, found, report)
        return self.verdict
