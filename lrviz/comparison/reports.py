"""What a planned-vs-actual comparison reports: per param group, the log as a whole, and the diagnoses.

Plain data (``lrviz.comparison.log.compare_log`` builds them; ``LogReport.describe`` words them for a
terminal). A diagnosis is a ``Finding`` (lrviz's one diagnosis type): ``code`` the pattern (faster,
slower, per_epoch, per_step, restart, scaled, shifted, lag, past_plan, ends_early,
plateau_per_process; ``skipped``, the iterations a trainer reports it skipped and the plan was held for, is
context, not a cause), ``message`` one line naming the setting to change, ``data`` its ``factor``
(k for faster/slower/per_step/per_epoch, the ratio for scaled, +-1 for shifted) and ``step`` (the
resume step for restart, the last logged step for past_plan/ends_early).
"""

from __future__ import annotations

from dataclasses import dataclass

from lrviz.comparison.difference import Difference
from lrviz.comparison.tolerance import LOG, Tolerance
from lrviz.model import Finding

__all__ = ["CONTEXT", "CheckReport", "GroupReport", "LogReport", "diagnosis"]

#: Diagnosis codes that say how the log was read, not what is wrong with it.
CONTEXT = frozenset({"skipped"})


def diagnosis(code: str, message: str, factor: float | None = None, step: int | None = None) -> Finding:
    """A known pattern the difference fits, as a ``Finding`` whose data holds its factor and step."""
    data = {k: v for k, v in (("factor", factor), ("step", step)) if v is not None}
    return Finding(code, message, data)


@dataclass(frozen=True)
class GroupReport:
    """One param group: the plan's series against one logged series, at the logged steps."""

    plan_group: int
    log_group: str
    compared: int  # logged steps inside the plan
    mismatched: int  # of those, beyond the tolerance
    first_diff: int | None  # optimizer step (0-based) of the first mismatch
    planned: float | None  # the plan's LR there
    logged: float | None  # the log's LR there
    max_abs: float
    max_abs_at: int | None
    max_rel: float
    max_rel_at: int | None
    outside: int  # logged steps before step 0 or after the plan's last step
    first_step: int
    last_step: int
    diagnoses: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return self.mismatched == 0 and self.outside == 0

    @property
    def difference(self) -> Difference:
        """The first mismatch and the largest differences, on optimizer steps."""
        return Difference(
            self.first_diff,
            self.planned,
            self.logged,
            self.mismatched,
            self.max_abs,
            self.max_abs_at,
            self.max_rel,
            self.max_rel_at,
        )


@dataclass(frozen=True)
class LogReport:
    """The result of ``compare_log``: one ``GroupReport`` per compared param group."""

    source: str
    format: str
    convention: str
    plan_points: int
    tolerance: Tolerance = LOG
    complete: bool = False
    groups: tuple[GroupReport, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every logged LR inside the plan matches, none lies outside it, and (with
        ``complete=True``) the log does not end early."""
        if not all(g.ok for g in self.groups):
            return False
        return not (self.complete and any(d.code == "ends_early" for d in self.diagnoses))

    @property
    def diagnoses(self) -> tuple[Finding, ...]:
        seen: dict[str, Finding] = {}
        for g in self.groups:
            for d in g.diagnoses:
                seen.setdefault(d.message, d)
        return tuple(seen.values())

    @property
    def causes(self) -> tuple[Finding, ...]:
        """The diagnoses that explain a mismatch (not the ``skipped`` context)."""
        return tuple(d for d in self.diagnoses if d.code not in CONTEXT)

    def describe(self) -> list[str]:
        """Lines for a terminal: the verdict per group, then one line per diagnosis."""
        lines = []
        for g in self.groups:
            where = f"{self.source} [{g.log_group}]"
            if g.first_diff is None:
                verdict = f"matches the plan at all {g.compared:,} logged steps (rtol {self.tolerance.rtol:g})"
            else:
                verdict = (
                    f"first differs at optimizer step {g.first_diff}: planned {g.planned!r}, logged {g.logged!r}; "
                    f"{g.mismatched:,} of {g.compared:,} logged steps differ; largest difference {g.max_abs:.6g} "
                    f"at step {g.max_abs_at} (relative {g.max_rel:.3g} at step {g.max_rel_at})"
                )
            lines.append(f"{where}: {verdict}")
        lines.extend(d.message for d in self.diagnoses)
        return lines


@dataclass(frozen=True)
class CheckReport:
    """What ``lrviz.check`` found: one ``Finding`` per failed check (``ok`` when there is none).

    ``code`` is ``baseline`` (the curve left its baseline), ``expectation`` (a stated expectation
    failed), or, against a log, the diagnosis (``faster``, ``restart``, ...) or ``log_mismatch``
    when no known pattern fits. ``baseline`` and ``log`` keep the comparisons themselves.
    """

    findings: tuple[Finding, ...] = ()
    baseline: Difference | None = None
    log: LogReport | None = None

    @property
    def ok(self) -> bool:
        return not self.findings

    def describe(self) -> list[str]:
        """One line per failure (empty when every check passed)."""
        return [f.message for f in self.findings]
