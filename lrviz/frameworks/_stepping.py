"""Stepping shared by the adapters whose scheduler is another library's class (transformers, timm, DeepSpeed).

``simulate`` and ``simulate_resume`` are the skeleton: build the dummy optimizer, let the
adapter build its scheduler, step it with the adapter's loop, record every LR read from
the optimizer the library updated. ``per_update_loop`` is the loop of trainers that step
the scheduler once per optimizer step (the HF Trainer, the DeepSpeed engine). Nothing
here computes an LR.
"""

from __future__ import annotations

import contextlib
import copy
import math
import warnings
from array import array
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from lrviz.errors import ConfigError, LrvizError, ScheduleError, option
from lrviz.model import Curve, RunConfig

Progress = Callable[[int], None]
if TYPE_CHECKING:
    Series: TypeAlias = tuple[array[float], ...]
    #: (LRs, momenta or None, the points after which a metric was fed)
    Stepped: TypeAlias = tuple[Series, Series | None, list[int]]


class Library(Protocol):
    """What an adapter gives the skeleton: how to build, step, resume and mark its scheduler."""

    def build_scheduler(self, run: RunConfig, optimizer: Any) -> tuple[Any, RunConfig]: ...

    def loop(
        self, run: RunConfig, optimizer: Any, scheduler: Any, span: range, momentum: bool, progress: Progress | None
    ) -> Stepped: ...

    def resume(self, run: RunConfig, scheduler: Any, state: Any, resume_at: int) -> None: ...

    def restarts(self, run: RunConfig, series: array[float]) -> tuple[int, ...]: ...

    def quiet(self, into: list[str]) -> contextlib.AbstractContextManager[None]: ...


def simulate(library: Library, run: RunConfig, *, momentum: bool = False, progress: Progress | None = None) -> Curve:
    """Step the library's scheduler over the whole run; the returned curve's run may have the library's length."""
    from lrviz.dummy import build_optimizer  # torch: only now that a schedule is stepped

    logged: list[str] = []
    with warnings.catch_warnings(record=True) as caught, library.quiet(logged):
        warnings.simplefilter("always")
        optimizer = build_optimizer(run)
        scheduler, run = library.build_scheduler(run, optimizer)
        lrs, moms, metric_steps = library.loop(run, optimizer, scheduler, range(run.epochs), momentum, progress)
    check_finite(run, lrs)
    notes = tuple(dict.fromkeys([*(str(w.message) for w in caught), *logged]))
    return Curve(
        run=run,
        lrs=lrs,
        momenta=moms,
        restarts=library.restarts(run, lrs[0]),
        reductions=reductions(lrs[0], metric_steps) if run.metrics is not None else (),
        torch_warnings=notes,
    )


def simulate_resume(library: Library, run: RunConfig, resume_at: int) -> Series:
    """The LRs of a run checkpointed at ``resume_at`` and resumed as the library's trainer resumes."""
    from lrviz.dummy import _TORCH_ERRORS, build_optimizer

    with warnings.catch_warnings(record=True), library.quiet([]):
        warnings.simplefilter("always")
        optimizer = build_optimizer(run)
        scheduler, run = library.build_scheduler(run, optimizer)
        if not 0 < resume_at < run.epochs:
            raise ConfigError(
                f"{option('resume_at')}: must be a{'' if run.unit == 'epoch' else 'n optimizer'} {run.unit} "
                f"between 1 and {run.epochs - 1}, got {resume_at}"
            )
        before = library.loop(run, optimizer, scheduler, range(resume_at), False, None)[0]
        saved = copy.deepcopy((optimizer.state_dict(), scheduler.state_dict() if scheduler is not None else None))
        optimizer = build_optimizer(run)
        scheduler, run = library.build_scheduler(run, optimizer)
        try:
            optimizer.load_state_dict(saved[0])
            library.resume(run, scheduler, saved[1], resume_at)
        except _TORCH_ERRORS as exc:
            raise ScheduleError(f"{run.scheduler.describe()}: resuming failed: {exc}") from None
        after = library.loop(run, optimizer, scheduler, range(resume_at, run.epochs), False, None)[0]
    return tuple(a + b for a, b in zip(before, after, strict=True))


def recorder(groups: list[dict[str, Any]], momentum: bool) -> tuple[Series, Series | None, Callable[[], None]]:
    """Empty LR (and momentum) series per param group, and a function that appends the current values."""
    lrs = tuple(array("d") for _ in groups)
    moms = tuple(array("d") for _ in groups) if momentum else None

    def record() -> None:
        for g, group in enumerate(groups):
            lrs[g].append(group["lr"])
            if moms is not None:
                moms[g].append(float(group["betas"][0]) if "betas" in group else math.nan)

    return lrs, moms, record


def per_update_loop(
    run: RunConfig,
    optimizer: Any,
    scheduler: Any,
    span: range,
    momentum: bool,
    progress: Progress | None,
    evaluations: tuple[int, ...] = (),
) -> Stepped:
    """One scheduler step after every optimizer step (or, metric-driven, after each evaluation)."""
    from lrviz.dummy import _TORCH_ERRORS

    groups = optimizer.param_groups
    lrs, moms, record = recorder(groups, momentum)
    fed: list[int] = []
    # optimizer.step() is a no-op on the dummy's grad-less parameters; called once so the scheduler
    # sees it was called, as engine._step does
    optimizer.step()
    metric_driven = run.metrics is not None
    fed_at = dict(zip(evaluations, run.metrics or (), strict=False))
    step = scheduler.step
    try:
        if not metric_driven and moms is None and len(groups) == 1 and progress is None:
            append, first = lrs[0].append, groups[0]  # the common case: a tight loop
            for _ in span:
                append(first["lr"])
                step()
            span = range(0)
        for k in span:
            record()
            if not metric_driven:
                step()
            elif k + 1 in fed_at:
                step(fed_at[k + 1])
                fed.append(k)
            if progress is not None and k % 65536 == 0:
                progress(k)
    except LrvizError:
        raise
    except _TORCH_ERRORS as exc:
        raise stepping_error(run, lrs, exc) from None
    return lrs, moms, fed


def stepping_error(run: RunConfig, lrs: Series, exc: BaseException) -> ScheduleError:
    at = len(lrs[0]) - 1
    return ScheduleError(f"{run.scheduler.describe()} raised at {run.unit} {max(at, 0) // run.steps_per_epoch}: {exc}")


def check_finite(run: RunConfig, lrs: Series) -> None:
    from lrviz.dummy import FLOAT32_MAX

    for g, series in enumerate(lrs):
        # max/min skip a NaN that is not first; the sum catches it (as engine._step does)
        if not series or (max(series) <= FLOAT32_MAX and min(series) >= -FLOAT32_MAX and not math.isnan(sum(series))):
            continue
        for k, v in enumerate(series):
            if not abs(v) <= FLOAT32_MAX:
                raise ScheduleError(
                    f"{run.scheduler.describe()}: the LR of param group {g} became {v!r} at {run.unit} "
                    f"{k // run.steps_per_epoch}, which training cannot use"
                )


def rises_after(series: array[float], after: int) -> tuple[int, ...]:
    """Points after ``after`` where the LR jumps up: the starts of a cyclic schedule's cycles (read, not computed)."""
    return tuple(k for k in range(max(after, 1) + 1, len(series)) if series[k] > series[k - 1])


def reductions(series: array[float], fed: list[int]) -> tuple[int, ...]:
    """Points whose LR is below the previous one right after a metric was fed (plateau/greedy reductions)."""
    return tuple(k + 1 for k in fed if k + 1 < len(series) and series[k + 1] < series[k])


@contextlib.contextmanager
def nothing_to_quiet(into: list[str]) -> Iterator[None]:
    yield


class PerUpdate:
    """A ``Library`` whose trainer steps the scheduler once after every optimizer step, resumes it from its
    ``state_dict``, marks no restarts and logs nothing to quiet: the parts such trainers share."""

    def loop(
        self, run: RunConfig, optimizer: Any, scheduler: Any, span: range, momentum: bool, progress: Progress | None
    ) -> Stepped:
        return per_update_loop(run, optimizer, scheduler, span, momentum, progress)

    def resume(self, run: RunConfig, scheduler: Any, state: Any, resume_at: int) -> None:
        scheduler.load_state_dict(state)

    def restarts(self, run: RunConfig, series: array[float]) -> tuple[int, ...]:
        return ()

    def quiet(self, into: list[str]) -> contextlib.AbstractContextManager[None]:
        return nothing_to_quiet(into)
