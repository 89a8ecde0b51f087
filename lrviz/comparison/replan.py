"""Plans re-stepped to match what a run did: skipped scheduler steps (AMP's GradScaler, Megatron-LM's
fp16 loss scaling) and ReduceLROnPlateau stepped once per process under Accelerate (accelerate #3797).

``held_steps`` holds a plan's LR where the run's scheduler did not step (``--skipped-steps``);
``compare_reported_skips`` does so where the log itself counts the skipped iterations (Megatron-LM's
``number of skipped iterations``, ``RunLog.skipped``); ``plateau_per_process`` steps the real scheduler
again, k times per epoch, when a ReduceLROnPlateau log fits no pattern of ``lrviz.comparison.log``, and
names the k that matches.
"""

from __future__ import annotations

import dataclasses
from array import array
from collections.abc import Sequence
from typing import Any

from lrviz.comparison.causes import skipped_steps
from lrviz.comparison.log import compare_log
from lrviz.comparison.reports import LogReport, diagnosis
from lrviz.comparison.tolerance import LOG, Tolerance
from lrviz.errors import ConfigError
from lrviz.logs.runlog import LogSeries, RunLog
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


def skipped_through(skipped: Sequence[tuple[int, int, bool]], carry: bool = True) -> dict[int, int]:
    """The iterations skipped up to each logged step, from ``RunLog.skipped`` (each line counts its own log
    interval's). With ``carry`` a process's first line is counted again by its next line (Megatron-LM since
    ``is_first_iteration``: that line does not reset the counts); without, every line resets (older ones)."""
    through: dict[int, int] = {}
    base = pending = 0
    for step, count, first in skipped:
        if pending and not first:  # the line after a first line counts that line's skips again
            base, pending = base - pending, 0
        total = base + count
        through[step] = total
        base, pending = total, (count if first and carry else 0)
    return through


def reported_holds(through: dict[int, int]) -> list[tuple[int, int]] | None:
    """``held_steps``' holds that make plan[s - K(s)] the LR at each logged step s (K: ``skipped_through``),
    the skips of a log interval placed at its end (where in the interval is not logged, and no logged step
    sees the difference); None when the counts do not grow with the steps (a resume in the same file)."""
    holds: list[tuple[int, int]] = []
    done = 0
    for step in sorted(through):
        total = through[step]
        if total < done or total > step:
            return None
        if total > done and holds and holds[-1][1] == step - total:  # more skips before the same plan step
            holds[-1] = (holds[-1][0] + total - done, step - total)
        elif total > done:
            holds.append((total - done, step - total))
        done = total
    return holds


def placed_holds(
    lrs: Sequence[float], series: LogSeries, through: dict[int, int], tolerance: Tolerance
) -> list[tuple[int, int]] | None:
    """Holds for a log with more points than lines that count skips (Megatron-LM's TensorBoard log beside its
    stdout log, which counts them per log interval): K(t), the iterations skipped before logged step t, is
    ``through[s]`` at each counted step s; between two counted steps, the smallest K, never decreasing and
    within the counts on either side, that gives the logged LR (log[t] == plan[t - K]). After the last
    counted step K is unknown, at most t. None when no K fits a point."""
    counted = sorted(through)
    holds: list[tuple[int, int]] = []
    k = i = 0  # K so far; counted[i]: the first counted step at or after t
    for t, v in zip(series.steps, series.values, strict=True):
        while i < len(counted) and counted[i] < t:
            i += 1
        low = max(k, through[counted[i - 1]] if i else 0)
        high = through[counted[i]] if i < len(counted) else t
        if i < len(counted) and counted[i] == t:
            low = max(low, high)
        fits = (
            j
            for j in range(low, min(high, t) + 1)
            if t - j < len(lrs) and abs(v - lrs[t - j]) <= tolerance.atol + tolerance.rtol * abs(lrs[t - j])
        )
        found = next(fits, None)
        if found is None:
            return None
        if found > k:
            holds.append((found - k, t - found))
            k = found
    return holds


def compare_reported_skips(
    plan: Any, log: RunLog, *, tolerance: Tolerance = LOG, complete: bool = False
) -> LogReport | None:
    """``plan`` against a log that counts its skipped iterations (``RunLog.skipped``), held where they were
    skipped, with a ``skipped`` finding naming the count (its data holds the holds); None when the log reports
    none, or counts that do not grow with the steps (a resume logged into the same file: compared as it is).
    A mismatch beyond the skips is diagnosed on the log's scheduler steps (logged step s - K(s)), so a bug
    under them is named."""
    if not log.skipped:
        return None
    candidates: list[tuple[dict[int, int], list[tuple[int, int]]]] = []
    for carry in (True, False):  # Megatron-LM's rule since is_first_iteration, then the older one
        through = skipped_through(log.skipped, carry)
        holds = reported_holds(through)
        if holds is not None and all(holds != h for _, h in candidates):
            candidates.append((through, holds))
    if not candidates:
        return None
    tried = []
    for through, reported in candidates:
        placed = placed_holds(plan.lrs[0], log.series[0], through, tolerance) if len(log.series) == 1 else None
        for holds in [reported] + ([placed] if placed is not None and placed != reported else []):
            held = dataclasses.replace(plan, lrs=tuple(array("d", held_steps(g, holds)) for g in plan.lrs))
            tried.append((through, holds, compare_log(held, log, tolerance=tolerance, complete=complete)))
            if tried[-1][2].ok:
                break
        if tried[-1][2].ok:
            break
    through, holds, report = next((t for t in tried if t[2].ok), tried[0])
    total, last = max(through.values()), max(through)
    model = skipped_steps(holds)
    skipped = _with_holds(
        "skipped",
        f"Megatron-LM reports {total} skipped iteration(s) up to iteration {last} ('number of "
        "skipped iterations'): fp16 loss scaling found an overflow, so the optimizer skipped its step and "
        "train_step skipped opt_param_scheduler.step; the LR lags the plan by that many iterations, so the plan "
        f"was held where the log counts them (--skipped-steps {model})",
        total,
        holds,
    )
    coverage = ("ends_early", "past_plan")
    under: tuple[Finding, ...] = ()
    if not report.ok:  # the same log on its scheduler's steps (s - K(s)): the bug under the skips
        on_scheduler = dataclasses.replace(log, series=tuple(_reindexed(s, through) for s in log.series), skipped=())
        try:
            under = tuple(
                d for d in compare_log(plan, on_scheduler, tolerance=tolerance).diagnoses if d.code not in coverage
            )
        except ConfigError:
            under = ()
    groups = tuple(  # the skips first when they explain the log, after the cause when something else is wrong
        dataclasses.replace(
            g,
            diagnoses=(skipped, *g.diagnoses)
            if report.ok
            else (*under, *(d for d in g.diagnoses if not under or d.code in coverage), skipped),
        )
        for g in report.groups
    )
    return dataclasses.replace(report, groups=groups)


def _with_holds(code: str, message: str, total: int, holds: list[tuple[int, int]]) -> Finding:
    """A diagnosis whose data also holds the holds (``[[K, STEP], ...]``), to draw the held plan."""
    found = diagnosis(code, message, factor=total, step=holds[0][1] if holds else None)
    return Finding(found.code, found.message, {**found.data, "holds": [list(h) for h in holds]})


def _reindexed(series: LogSeries, through: dict[int, int]) -> LogSeries:
    """``series`` at the scheduler steps its logged steps had taken (s - K(s)), where K is known."""
    pairs = {s - through[s]: v for s, v in zip(series.steps, series.values, strict=True) if s in through}
    keys = sorted(pairs)
    return dataclasses.replace(
        series, steps=array("q", keys), values=array("d", (pairs[k] for k in keys)), first=None, last=None
    )


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
