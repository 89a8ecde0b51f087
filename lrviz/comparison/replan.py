"""Plans re-stepped to match what a run did: skipped scheduler steps (AMP's GradScaler) and
ReduceLROnPlateau stepped once per process under Accelerate (accelerate #3797).

``held_steps`` holds a plan's LR where the run's scheduler did not step (``--skipped-steps``);
``plateau_per_process`` steps the real scheduler again, k times per epoch, when a ReduceLROnPlateau
log fits no pattern of ``lrviz.comparison.log``, and names the k that matches.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from lrviz.comparison.log import compare_log
from lrviz.comparison.reports import LogReport, diagnosis
from lrviz.comparison.tolerance import LOG, Tolerance
from lrviz.errors import ConfigError
from lrviz.logs.runlog import RunLog
from lrviz.model import Finding


def skip_steps(lrs: Sequence[float], skipped: int, at: int = 0) -> list[float]:
    """A plan whose scheduler did not step on ``skipped`` optimizer steps at the plan's step ``at``
    (GradScaler's skipped steps): its LR holds for those steps, and the rest comes that much later."""
    return held_steps(lrs, [(skipped, at)])


def held_steps(lrs: Sequence[float], holds: Sequence[tuple[int, int]]) -> list[float]:
    """A plan with several holds, (steps skipped, the plan step whose LR is held), as ``_lag`` reports them."""
    plan = list(lrs)
    out = list(plan)
    for skipped, at in sorted(holds, key=lambda h: h[1], reverse=True):  # later holds first: indices stay put
        if skipped < 0 or at < 0:
            raise ConfigError(f"--skipped-steps: expected non-negative numbers, got {skipped}@{at}")
        if skipped and at < len(out):
            out[at:at] = [plan[at]] * skipped
    return out[: len(plan)]


def plateau_per_process(run: Any, log: RunLog, *, tolerance: Tolerance = LOG) -> Finding | None:
    """A ReduceLROnPlateau log that matches the plan stepped k times per epoch (k = 2..8): Accelerate's
    ``AcceleratedScheduler.step`` calls ``scheduler.step(metric)`` once per process, so the patience runs
    out k times sooner (accelerate #3797). The variants are stepped by the real scheduler (``engine``)."""
    if run.scheduler.name != "ReduceLROnPlateau" or run.scheduler_calls != 1:
        return None
    from lrviz import engine

    for k in range(2, 9):
        variant = engine.simulate(dataclasses.replace(run, scheduler_calls=k))
        try:
            report = compare_log(variant, log, tolerance=tolerance)
        except ConfigError:
            return None
        if all(g.mismatched == 0 for g in report.groups):
            return diagnosis(
                "plateau_per_process",
                f"ReduceLROnPlateau was stepped {k} times per epoch: Accelerate's prepared scheduler calls "
                f"scheduler.step(metric) once per process, so its patience runs out {k}x sooner (accelerate "
                f"#3797): on {k} processes step the unwrapped scheduler once per epoch (or pass split_batches=True "
                f"to Accelerator); the log matches the plan with --accelerate-processes {k}",
                factor=k,
            )
    return None


def with_plateau_diagnosis(report: LogReport, run: Any, log: RunLog, tolerance: Tolerance = LOG) -> LogReport:
    """``report`` with the ``plateau_per_process`` diagnosis first, when the log fits no other pattern and
    the plan stepped k times per epoch matches it (what ``check --against`` reports)."""
    if report.ok or any(d.code != "ends_early" for d in report.diagnoses):
        return report
    extra = plateau_per_process(run, log, tolerance=tolerance)
    if extra is None:
        return report
    return dataclasses.replace(
        report, groups=tuple(dataclasses.replace(g, diagnoses=(extra, *g.diagnoses)) for g in report.groups)
    )
