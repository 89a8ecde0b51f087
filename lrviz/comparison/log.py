"""Planned vs actual: a simulated schedule against the LRs a training run logged.

``compare_log(plan, log)`` lines the plan (the LR of every optimizer step, as
``Curve.lrs`` holds it) up with a ``RunLog`` on optimizer steps (both on lrviz's
convention: point k is the LR optimizer step k uses) and compares them at the
logged steps only. It reports the first step where they differ beyond the
tolerance, the largest differences, the counts, and, when the difference fits a
known pattern, a diagnosis naming the setting to change:

* ``faster``: log[s] == plan[k*s + r], 0 <= r < k: the scheduler steps k times per optimizer step
  (Accelerate with k processes sized for per-process steps; accumulation not applied);
* ``slower``: log[s] == plan[s/k]: the schedule was sized for k times the optimizer steps;
* ``per_epoch``: log[s] == plan[s // N]: stepped once per epoch instead of per step;
* ``per_step``: log[s] == plan[N*s] for a plan that steps per epoch: stepped per step instead;
* ``restart``: the log follows the plan up to s0, then the plan from 0 again (a resume that
  lost the scheduler's state), from one full log or from the resumed job's own log;
* ``scaled``: log/plan is a constant other than 1 (the base LR differs);
* ``shifted``: the log is the plan one step early or late (a logger on another step convention);
* ``lag``: the log holds the LR for k steps, then follows the plan k steps late (the scheduler skipped
  k optimizer steps: AMP's GradScaler);
* ``past_plan`` / ``ends_early``: the run has more, or fewer, optimizer steps than the plan;
* ``plateau_per_process`` (``lrviz.comparison.replan``, from the run): ReduceLROnPlateau stepped once per
  process under Accelerate, its reductions k times sooner.

The causes named for ``faster`` and ``lag`` are the plan's framework's (``lrviz.comparison.causes``:
Megatron-LM's fp16 skipped iterations, litgpt's accumulation; Accelerate's and the HF Trainer's otherwise).

Pure Python over ``array('d')``/lists; nothing here imports torch. The report types live in
``lrviz.comparison.reports``; plans re-stepped to match a run (``--skipped-steps``, ReduceLROnPlateau
per process) in ``lrviz.comparison.replan``.
"""

from __future__ import annotations

import math
import operator
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Protocol, runtime_checkable

from lrviz.comparison import causes
from lrviz.comparison.alignment import log_axis, on_plan_steps
from lrviz.comparison.reports import GroupReport, LogReport, diagnosis
from lrviz.comparison.tolerance import LOG, Tolerance
from lrviz.errors import ConfigError, option
from lrviz.logs.runlog import CONVENTIONS, FAMILY_CONVENTIONS, LogSeries, RunLog
from lrviz.model import Finding

__all__ = ["FACTORS", "GroupReport", "LogReport", "Plan", "compare_log"]

#: Speed factors tried for the faster/slower diagnoses.
FACTORS = range(2, 65)
#: The most candidate resume steps verified against the whole log.
_MAX_RESUME_CANDIDATES = 64


@runtime_checkable
class Plan(Protocol):
    """What ``compare_log`` needs of a simulated curve (``lrviz``'s ``Curve`` is one)."""

    @property
    def lrs(self) -> Sequence[Sequence[float]]: ...

    @property
    def steps_per_epoch(self) -> int: ...


def compare_log(
    plan: Plan | Sequence[float],
    log: RunLog,
    *,
    group: str | int | None = None,
    steps_per_epoch: int | None = None,
    tolerance: Tolerance = LOG,
    complete: bool = False,
) -> LogReport:
    """Compare a planned schedule with a logged one at the logged optimizer steps.

    ``plan`` is a ``Curve`` (its param groups are matched to the log's series in the
    logger's order, pg1, pg2, ...) or the LRs of one param group, one per optimizer step;
    ``steps_per_epoch`` (taken from a Curve) enables the per-epoch/per-step diagnoses.
    ``group`` picks one logged series (name, logger suffix such as ``pg2``, or index).
    A value matches when ``|logged - planned| <= atol + rtol * |planned|`` (``tolerance``; ``LOG``,
    float32's, by default; ``Tolerance.for_log`` widens it to the log's own digits). With
    ``complete=True`` a log that ends before the plan fails too (by default it may be a run
    still in progress). Raises ``ConfigError`` when no logged step lies inside the plan.
    """
    log = on_plan_steps(plan, log)  # litgpt logs batches: put on optimizer steps (Adapter.log_axis)
    rtol, atol = tolerance.rtol, tolerance.atol
    if isinstance(plan, Plan):
        plan_groups = [list(s) for s in plan.lrs]
        spe = steps_per_epoch if steps_per_epoch is not None else plan.steps_per_epoch
    else:
        plan_groups = [list(plan)]
        spe = steps_per_epoch if steps_per_epoch is not None else 1
    if not plan_groups or not plan_groups[0]:
        raise ConfigError("plan: an empty schedule; nothing to compare with the log")
    pairs = _pairs(plan_groups, log, group)
    after, explain = after_the_step(plan, log), causes.explainer(plan)
    reports = tuple(
        _compare_series(plan_groups[p], log.series[s], p, spe, rtol, atol, str(log.source), after, explain)
        for p, s in pairs
    )
    return LogReport(
        source=str(log.source),
        format=log.format,
        convention=log.convention.name,
        plan_points=len(plan_groups[0]),
        tolerance=tolerance,
        complete=complete,
        groups=reports,
    )


def after_the_step(plan: Plan | Sequence[float], log: RunLog) -> bool:
    """Whether the log's last step may hold the LR after the run's last scheduler step (``StepConvention.after_step``):
    the log's convention says so (Megatron's ``learning-rate``), or the plan's framework logs so on this offset;
    a log put on optimizer steps from its trainer's axis (``RunLog.axis``) only by that axis's convention."""
    if log.convention.after_step or (log.axis is not None and log_axis(plan) is not None):
        return log.convention.after_step
    family = getattr(getattr(plan, "run", None), "family", None)
    own = CONVENTIONS.get(FAMILY_CONVENTIONS.get(family or "", ""))
    return own is not None and own.after_step and own.offset == log.convention.offset


def _pairs(plan_groups: list[list[float]], log: RunLog, group: str | int | None) -> list[tuple[int, int]]:
    """(plan group, log series) index pairs: same position in the logger's order."""
    n_plan, n_log = len(plan_groups), len(log.series)
    if group is not None:
        s = log.index_of(group)
        return [(s if n_plan == n_log else 0, s)]
    if n_plan == n_log:
        return [(i, i) for i in range(n_plan)]
    if n_log == 1:
        return [(0, 0)]  # e.g. transformers logs only param group 0's LR
    raise ConfigError(
        f"{log.source}: the log has {n_log} LR series ({', '.join(log.groups)}) and the plan {n_plan} param "
        f"group(s); choose the series to compare with {option('y')} NAME"
    )


def _compare_series(
    plan: list[float],
    series: LogSeries,
    plan_group: int,
    spe: int,
    rtol: float,
    atol: float,
    source: str,
    after_step: bool = False,
    explain: causes.Explain = causes.generic,
) -> GroupReport:
    n = len(plan)
    steps, values = series.steps, series.values
    lo, hi = bisect_left(steps, 0), bisect_left(steps, n)
    if lo == hi:
        raise ConfigError(
            f"{source}: no logged step of {series.name} lies inside the plan's {n:,} optimizer steps (the log covers "
            f"steps {series.first_step} to {series.last_step}): is it another run's log? check the plan's epochs "
            "and steps per epoch"
        )
    # points left out while reading (``lrviz.logs.window``) were outside the plan: counted, not held
    before = lo + series.before
    log_steps = steps[lo:hi]
    logged = values[lo:hi].tolist()
    planned = list(map(plan.__getitem__, log_steps))
    max_abs, max_abs_at, max_rel, max_rel_at = 0.0, None, 0.0, None
    if logged == planned:  # the common case, compared in C (a CSV written with repr() round-trips)
        bad: list[int] = []
    else:
        bad = [
            i for i, (v, p) in enumerate(zip(logged, planned, strict=True)) if not abs(v - p) <= atol + rtol * abs(p)
        ]
        diffs = [abs(v - p) for v, p in zip(logged, planned, strict=True)]
        for i in bad or range(len(diffs)):
            diff = diffs[i]
            rel = diff / abs(planned[i]) if planned[i] != 0 else (math.inf if diff else 0.0)
            if math.isnan(diff) or diff > max_abs:
                max_abs, max_abs_at = diff, log_steps[i]
            if math.isnan(rel) or rel > max_rel:
                max_rel, max_rel_at = rel, log_steps[i]
    ctx = _Context(plan, log_steps.tolist(), logged, bad, spe, rtol, atol, explain)
    diagnoses = _diagnose(ctx) if bad else []
    beyond = len(steps) - hi + series.after
    if after_step and beyond == 1 and series.last_step == n:  # the LR after the last step, logged at the run's end
        beyond = 0
    diagnoses.extend(_coverage(ctx, series.first_step, series.last_step, beyond, before))
    first = bad[0] if bad else None
    return GroupReport(
        plan_group=plan_group,
        log_group=series.name,
        compared=hi - lo,
        mismatched=len(bad),
        first_diff=log_steps[first] if first is not None else None,
        planned=planned[first] if first is not None else None,
        logged=logged[first] if first is not None else None,
        max_abs=max_abs,
        max_abs_at=max_abs_at,
        max_rel=max_rel,
        max_rel_at=max_rel_at,
        outside=before + beyond,
        first_step=series.first_step,
        last_step=series.last_step,
        diagnoses=tuple(diagnoses),
    )


@dataclass(frozen=True)
class _Context:
    plan: list[float]
    steps: list[int]  # logged steps inside the plan
    values: list[float]
    bad: list[int]  # indices into steps/values that differ
    spe: int
    rtol: float
    atol: float
    explain: causes.Explain = causes.generic  # the plan's framework's words (``lrviz.comparison.causes``)

    def close(self, logged: float, planned: float, slack: float = 1.0) -> bool:
        return abs(logged - planned) <= self.atol + slack * self.rtol * abs(planned)

    def fits(
        self, index: Callable[[int], int | None], scale: float = 1.0, slack: float = 1.0, explains: int = 1
    ) -> bool:
        """Whether log[s] == scale * plan[index(s)] wherever index(s) is in the plan (None: skip the point),
        checked first at the mismatches (cheap rejection), then everywhere; it must explain at least
        ``explains`` mismatches and rest on at least two points (a pattern that skips most points, as
        "k x slower" does, needs two mismatches explained: one can be a coincidence)."""
        plan, n = self.plan, len(self.plan)
        explained = 0
        for i in self.bad[:8]:
            j = index(self.steps[i])
            if j is None or not 0 <= j < n:
                continue
            if not self.close(self.values[i], scale * plan[j], slack):
                return False
            explained += 1
        if not explained:
            return False
        checked = mismatches = 0
        for s, v in zip(self.steps, self.values, strict=True):
            j = index(s)
            if j is None or not 0 <= j < n:
                continue
            if not self.close(v, scale * plan[j], slack):
                return False
            checked += 1
            if explains > 1 and not self.close(v, plan[s]):
                mismatches += 1
        return checked >= 2 and (explains <= 1 or mismatches >= explains)


def _per_epoch_plan(plan: list[float], spe: int) -> bool:
    """Whether the plan holds one LR through every epoch (its scheduler steps once per epoch)."""
    return spe > 1 and all(plan[k] == plan[k - k % spe] for k in range(len(plan)))


def _diagnose(ctx: _Context) -> list[Finding]:
    found: list[Finding] = []
    plan, spe = ctx.plan, ctx.spe
    i0 = next((i for i in ctx.bad if plan[ctx.steps[i]] != 0), None)
    if i0 is not None:
        ratio = ctx.values[i0] / plan[ctx.steps[i0]]
        # a ratio of 0 is an LR held at a warmup's 0 (skipped steps), not a base LR
        if ratio > 0 and ratio != 1 and math.isfinite(ratio) and ctx.fits(lambda s: s, ratio, slack=4.0):
            found.append(
                diagnosis(
                    "scaled",
                    f"the logged LR is {ratio:.6g} x the plan at every logged step: the base LR differs (scaled by "
                    f"batch size or world size?): set the optimizer's lr to {plan[0] * ratio:.6g} in the plan, "
                    "or fix the run's lr",
                    factor=ratio,
                )
            )
            return found
    held_at_start = bool(ctx.steps) and ctx.steps[0] == 0 and ctx.close(ctx.values[0], plan[0])
    for shift in (1, -1):
        if shift == -1 and held_at_start:
            continue  # step 0 logged with the plan's LR, then held: a lag (skipped steps), not a 1-based log
        if ctx.fits(lambda s, d=shift: s + d):  # type: ignore[misc]
            hint = (
                "the logger records the LR after scheduler.step() (transformers < 4.51 does): read the log with "
                "convention 'transformers<4.51'"
                if shift == 1
                else "the log numbers steps from 1 (transformers' global_step does): read it with convention "
                "'transformers'"
            )
            where = "ahead of" if shift == 1 else "behind"
            found.append(diagnosis("shifted", f"the log is one optimizer step {where} the plan: {hint}", factor=shift))
            return found
    per_epoch_plan = _per_epoch_plan(plan, spe)
    if spe > 1 and not per_epoch_plan and ctx.fits(lambda s: s // spe):
        found.append(
            diagnosis(
                "per_epoch",
                f"the scheduler stepped once per epoch ({spe} optimizer steps), the plan once per optimizer step: "
                "in Lightning return {'scheduler': ..., 'interval': 'step'} from configure_optimizers (the default "
                "is 'epoch'); in a loop call scheduler.step() after every optimizer.step()",
                factor=spe,
            )
        )
        return found
    if per_epoch_plan and ctx.fits(lambda s: s * spe):
        found.append(
            diagnosis(
                "per_step",
                f"the scheduler stepped after every optimizer step, the plan once per epoch ({spe} steps): "
                "in Lightning set 'interval': 'epoch'; in a loop call scheduler.step() once per epoch",
                factor=spe,
            )
        )
        return found
    for k, r in ((f, r) for f in FACTORS for r in range(f)):
        # r: scheduler steps taken before the optimizer's (k - 1 when it steps after every accumulated batch)
        if ctx.fits(lambda s, k=k, r=r: s * k + r, explains=2):  # type: ignore[misc]
            found.append(causes.faster(k, ctx.explain))
            return found
    for k in FACTORS:
        if ctx.fits(lambda s, k=k: s // k if s % k == 0 else None, explains=2):  # type: ignore[misc]
            found.append(
                diagnosis(
                    "slower",
                    f"the log runs {k}x slower than the plan: the schedule was sized for {k}x the optimizer steps "
                    f"(counted in batches while gradient accumulation {k} makes one optimizer step of {k} batches?): "
                    f"divide the scheduler's total steps (T_max, total_steps, num_training_steps) by {k}",
                    factor=k,
                )
            )
            return found
    # the LR held at the first mismatch (not thrown back to the start): skipped steps before a resume
    j = ctx.bad[0]
    held = j > 0 and ctx.steps[j] == ctx.steps[j - 1] + 1 and ctx.close(ctx.values[j], ctx.values[j - 1])
    for diagnose in (_lag, _resume) if held else (_resume, _lag):
        fitted = diagnose(ctx)
        if fitted is not None:
            found.append(fitted)
            return found
    return found


def _lag(ctx: _Context) -> Finding | None:
    """The log is the plan with steps held back: log[s] == plan[s - lag(s)], lag never decreasing, from 0
    to k > 0: the scheduler skipped k of the optimizer's steps (AMP's GradScaler skips optimizer.step() on
    inf/NaN gradients, and the HF Trainer then skips scheduler.step(): the schedule falls k steps behind)."""
    plan, lag, first = ctx.plan, 0, None
    held: list[tuple[int, int]] = []  # (steps skipped, the plan index of the held LR)
    for s, v in zip(ctx.steps, ctx.values, strict=True):
        if ctx.close(v, plan[s - lag]):
            continue
        # the smallest larger lag that explains the point (a held LR repeats plan[s - lag - d])
        for d in range(1, s - lag + 1):
            if ctx.close(v, plan[s - lag - d]):
                lag += d
                held.append((d, s - lag))  # the held LR is plan[s - lag]: that optimizer step did not step it
                first = s if first is None else first
                break
        else:
            return None
    if lag == 0 or first is None:
        return None
    return causes.lag(lag, first, held, ctx.explain)


def _resume(ctx: _Context) -> Finding | None:
    """The log follows the plan up to s0, then the plan from its start again: log[s] == plan[s - s0]."""
    j = ctx.bad[0]
    s_bad = ctx.steps[j]
    s_prev = ctx.steps[j - 1] if j > 0 else 0  # the resume step is after the last matching logged step
    target = ctx.values[j]
    # s0 = s_bad - d for d in [0, s_bad - s_prev - 1] (and s0 >= 1): the plan at d must be the logged value
    lowest = 1 if j == 0 else s_prev + 1
    candidates = [s_bad - d for d in range(0, s_bad - lowest + 1) if ctx.close(target, ctx.plan[d])]
    for s0 in candidates[:_MAX_RESUME_CANDIDATES]:
        tail = _Context(ctx.plan, ctx.steps[j:], ctx.values[j:], [0], ctx.spe, ctx.rtol, ctx.atol)
        if tail.fits(lambda s, s0=s0: s - s0):  # type: ignore[misc]
            own = j == 0
            what = (
                f"the log starts at step {ctx.steps[0]} and follows the plan from step 0 as if training began at "
                f"step {s0}"
                if own
                else f"the log follows the plan up to step {s_prev}, then starts the schedule over at step {s0}"
            )
            return diagnosis(
                "restart",
                f"{what}: a resume rebuilt the scheduler without loading its state: save scheduler.state_dict() "
                "in the checkpoint and load it after the optimizer's (transformers: keep scheduler.pt in the "
                "checkpoint; Lightning: resume with ckpt_path=)",
                step=s0,
            )
    return None


def _coverage(ctx: _Context, first: int, last: int, past: int, before: int) -> Iterable[Finding]:
    n = len(ctx.plan)
    if past:
        yield diagnosis(
            "past_plan",
            f"the log runs past the plan: {past:,} logged step(s) after its last step {n - 1} (up to step {last}): "
            "the run took more optimizer steps than planned (steps per epoch from dataset size, batch size, world "
            "size or accumulation differ, or more epochs): set the plan's epochs/steps per epoch to the run's",
            step=last,
        )
    if before:
        yield diagnosis(
            "past_plan",
            f"{before:,} logged step(s) before optimizer step 0 (from step {first}): the log's step convention "
            "differs from the one it was read with",
            step=first,
        )
    if not past and ctx.steps:
        gap = _usual_gap(ctx.steps)
        end = ctx.steps[-1]
        if end + gap <= n - 1:
            yield diagnosis(
                "ends_early",
                f"the log ends at optimizer step {end}, the plan runs to step {n - 1}: a run still in progress, or "
                "fewer optimizer steps per epoch than planned (dataset size, batch size, world size or accumulation "
                "differ)",
                step=end,
            )


def _usual_gap(steps: list[int]) -> int:
    """The most common gap between logged steps (the first seen among equals), 1 for a single step."""
    if len(steps) < 2:
        return 1
    first = steps[1] - steps[0]
    if len(steps) > 1024 and steps[-1] - steps[0] == first * (len(steps) - 1):  # evenly logged: checked in C
        import numpy as np

        logged = np.asarray(steps, dtype=np.int64)
        if bool(np.all(np.diff(logged) == first)):
            return first
    gaps = Counter(map(operator.sub, islice(steps, 1, None), steps))
    return int(gaps.most_common(1)[0][0])
