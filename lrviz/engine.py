"""Build a dummy optimizer and the real PyTorch scheduler, step it, record the curve.

The loop is the one a training script runs: for every optimizer step, read
``param_groups[i]["lr"]`` (the LR used for that step), call
``optimizer.step()``, then step the scheduler as PyTorch documents it: once per
epoch, once per step for OneCycleLR and CyclicLR, ``step(epoch + i / N)`` for
CosineAnnealingWarmRestarts with N steps per epoch, and ``step(metric)`` for
ReduceLROnPlateau. No formula is re-implemented here: every value is read back
from the optimizer PyTorch updated. This is the only module that imports torch.

The dummy parameters never get gradients, so ``optimizer.step()`` is a no-op
for them; and a real step never changes a param-group entry a scheduler reads
(``tests/engine/test_simulate_equals_pytorch.py`` checks this for every optimizer). lrviz installs a
no-op ``step`` before the scheduler wraps it and calls it once, before the
scheduler's first step, which is all PyTorch checks; the millions of further
no-op calls a long per-step schedule would make are skipped.

Library use leaves the process as it was: nothing here touches torch's caches
or the warning handler (the ``lrviz`` command's own speed-ups live in ``lrviz.cli``).
"""

from __future__ import annotations

import math
import warnings
from array import array
from collections.abc import Callable
from typing import Any

import torch
from torch.optim import lr_scheduler

from lrviz.dummy import _TORCH_ERRORS, FLOAT32_MAX, build_optimizer
from lrviz.errors import ConfigError, LrvizError, ScheduleError, option
from lrviz.model import Curve, RunConfig, SchedulerConfig

Progress = Callable[[int], None]


def build_scheduler(cfg: SchedulerConfig, optimizer: torch.optim.Optimizer) -> Any:
    """The real ``torch.optim.lr_scheduler`` class, built from a validated node."""
    if cfg.custom:
        return _build_custom(cfg, optimizer)
    cls = getattr(lr_scheduler, cfg.name)
    kwargs = dict(cfg.args)
    try:
        if cfg.children:
            children = [build_scheduler(c, optimizer) for c in cfg.children]
            if cfg.name == "ChainedScheduler":
                return cls(children, optimizer=optimizer)
            return cls(optimizer, schedulers=children, **kwargs)
        return cls(optimizer, **kwargs)
    except LrvizError:
        raise
    except _TORCH_ERRORS as exc:
        raise ConfigError(f"{cfg.describe()}: PyTorch rejected the arguments: {exc}") from None


def _build_custom(cfg: SchedulerConfig, optimizer: torch.optim.Optimizer) -> Any:
    """A user's own scheduler class (only named with allow_import): imported from the current directory."""
    import importlib
    import os
    import sys

    module_name, _, class_name = cfg.name.rpartition(".")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # the user's module failed to import: say how, in one line
        raise ConfigError(f"{cfg.name}: cannot import {module_name}: {type(exc).__name__}: {exc}") from None
    cls = getattr(module, class_name, None)
    if not callable(cls):
        raise ConfigError(f"{cfg.name}: {module_name} has no class {class_name}")
    if isinstance(cls, type) and not callable(getattr(cls, "step", None)):
        raise ConfigError(f"{cfg.name}: {class_name} is not a scheduler (it has no step() method)")
    try:
        scheduler = cls(optimizer, **cfg.args)  # a class, or a library's get_*_schedule function
    except Exception as exc:
        raise ConfigError(f"{cfg.name}: building it raised {type(exc).__name__}: {exc}") from None
    if not callable(getattr(scheduler, "step", None)):
        raise ConfigError(f"{cfg.name}: it returned {type(scheduler).__name__}, which has no step() method")
    return scheduler


def _restart_watchers(scheduler: Any) -> list[Any]:
    """Every CosineAnnealingWarmRestarts in the tree: a drop of its T_cur marks a restart."""
    found = []
    stack = [scheduler]
    while stack:
        s = stack.pop()
        if isinstance(s, lr_scheduler.CosineAnnealingWarmRestarts):
            found.append(s)
        stack.extend(getattr(s, "_schedulers", []))
    return found


#: Builds a scheduler for an optimizer: ``lambda opt: CosineAnnealingLR(opt, T_max=10)``.
SchedulerFactory = Callable[[torch.optim.Optimizer], Any]


def simulate(
    run: RunConfig,
    *,
    momentum: bool = False,
    progress: Progress | None = None,
    factory: SchedulerFactory | None = None,
) -> Curve:
    """Step the real scheduler over ``run.points`` optimizer steps and record every LR.

    ``factory`` builds the scheduler instead of ``run.scheduler`` (a user's own class):
    it is called once with the dummy optimizer and must return an object with ``step()``.
    A transformers or timm run is built and stepped by ``lrviz.frameworks``, as its trainer does.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        optimizer = build_optimizer(run)
        scheduler = build_scheduler(run.scheduler, optimizer) if factory is None else _from_factory(factory, optimizer)
        curve = _step(run, optimizer, scheduler, momentum, progress)
    notes = tuple(dict.fromkeys(str(w.message) for w in caught))
    return Curve(
        run=run,
        lrs=curve[0],
        momenta=curve[1],
        restarts=curve[2],
        milestones=curve[3],
        reductions=curve[4],
        torch_warnings=notes,
    )


def _from_factory(factory: SchedulerFactory, optimizer: torch.optim.Optimizer) -> Any:
    try:
        scheduler = factory(optimizer)
    except _TORCH_ERRORS as exc:
        raise ConfigError(f"the scheduler factory raised {type(exc).__name__}: {exc}") from None
    if not callable(getattr(scheduler, "step", None)):
        raise ConfigError(f"the scheduler factory returned {type(scheduler).__name__}, which has no step() method")
    return scheduler


def simulate_resume(run: RunConfig, resume_at: int) -> tuple[array[float], ...]:
    """The LRs of a run checkpointed at epoch ``resume_at`` and resumed, as a training script does it.

    Steps a first optimizer and scheduler to ``resume_at``, saves both ``state_dict()``s
    (deep copies, as a checkpoint file would hold), builds a fresh optimizer and a fresh
    scheduler, loads the optimizer's state and then the scheduler's (PyTorch's documented
    order: the scheduler's constructor overwrites the LRs), and steps on to the end.
    """
    import copy

    if not 0 < resume_at < run.epochs:
        raise ConfigError(f"{option('resume_at')}: must be an epoch between 1 and {run.epochs - 1}, got {resume_at}")
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        optimizer = build_optimizer(run)
        scheduler = build_scheduler(run.scheduler, optimizer)
        before = _step(run, optimizer, scheduler, False, None, range(resume_at))[0]
        saved = copy.deepcopy((optimizer.state_dict(), scheduler.state_dict()))
        optimizer = build_optimizer(run)
        scheduler = build_scheduler(run.scheduler, optimizer)
        try:
            optimizer.load_state_dict(saved[0])
            scheduler.load_state_dict(saved[1])
        except _TORCH_ERRORS as exc:
            raise ScheduleError(f"{run.scheduler.name}: resuming from its state_dict failed: {exc}") from None
        after = _step(run, optimizer, scheduler, False, None, range(resume_at, run.epochs))[0]
    return tuple(a + b for a, b in zip(before, after, strict=True))


def _step(
    run: RunConfig,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    want_momentum: bool,
    progress: Progress | None,
    span: range | None = None,
) -> tuple[
    tuple[array[float], ...], tuple[array[float], ...] | None, tuple[int, ...], tuple[int, ...], tuple[int, ...]
]:
    """Step over the epochs in ``span`` (default: the whole run), recording every point."""
    span = range(run.epochs) if span is None else span
    groups = optimizer.param_groups
    n_groups = len(groups)
    lrs = tuple(array("d") for _ in range(n_groups))
    moms = tuple(array("d") for _ in range(n_groups)) if want_momentum else None
    watchers = _restart_watchers(scheduler)
    # (T_cur, last_epoch) of each: T_cur falling, or standing still while the scheduler
    # advanced (a cycle one epoch long), is a restart
    last_t = [(w.T_cur, w.last_epoch) for w in watchers]
    restarts: list[int] = []
    n = run.steps_per_epoch
    per_step = run.interval == "step"
    fractional = run.fractional
    plateau = run.metrics is not None and run.scheduler.name == "ReduceLROnPlateau"
    metrics = run.metrics or ()
    # optimizer.step() is a no-op on the dummy's grad-less parameters; PyTorch checks only that it
    # was called before the scheduler's first step, so it is called once here, not once per step.
    optimizer.step()
    sched_step = scheduler.step if run.scheduler_calls == 1 else _accelerated(scheduler, run.scheduler_calls)
    # The common case (one group, nothing else to watch, stepped every step) gets a tight loop.
    every = run.frequency  # Lightning's scheduler dict: step every `frequency` intervals
    simple = n_groups == 1 and moms is None and not watchers and per_step and every == 1
    lr_append = lrs[0].append
    first = groups[0]
    index = span.start * n
    try:
        for epoch in span:
            if simple:
                for _ in range(n):
                    lr_append(first["lr"])
                    sched_step()
                index += n
            else:
                for i in range(n):
                    for g in range(n_groups):
                        lrs[g].append(groups[g]["lr"])
                    if moms is not None:
                        for g in range(n_groups):
                            moms[g].append(_momentum(groups[g]))
                    for w_index, w in enumerate(watchers):
                        t_cur, stepped = w.T_cur, w.last_epoch
                        before, before_epoch = last_t[w_index]
                        if t_cur < before or (t_cur == before and stepped > before_epoch):
                            restarts.append(index)
                        last_t[w_index] = (t_cur, stepped)
                    if fractional:
                        sched_step(epoch + i / n)
                    elif per_step and (i + 1) % every == 0:  # Lightning counts batch_idx, from 0 each epoch
                        sched_step()
                    index += 1
            if not per_step and not fractional and (epoch + 1) % every == 0:
                if plateau:
                    sched_step(metrics[epoch])
                else:
                    sched_step()
            if progress is not None:
                progress(index)
    except LrvizError:
        raise
    except _TORCH_ERRORS as exc:
        # the scheduler step that raised came right after the last recorded point
        epoch, i = divmod(max(len(lrs[0]) - 1, 0), n)
        at = f"epoch {epoch}" + (f", step {i}" if n > 1 else "")
        raise ScheduleError(f"{run.scheduler.name} raised at {at}: {exc}") from None
    for g, series in enumerate(lrs):
        # A float32 parameter cannot take a step with an LR past float32's range (training would
        # crash there) and a NaN LR turns every parameter into NaN. max/min skip a NaN that is not
        # first, so NaN is found by the sum (finite values this small cannot add up to inf or NaN).
        if not (max(series) <= FLOAT32_MAX and min(series) >= -FLOAT32_MAX and not math.isnan(sum(series))):
            bad = next(k for k, v in enumerate(series) if not abs(v) <= FLOAT32_MAX)
            epoch, i = divmod(bad, n)
            at = f"epoch {epoch}" + (f", step {i}" if n > 1 else "")
            what = (
                "training would turn the parameters into NaN"
                if math.isnan(series[bad])
                else "beyond what a float32 optimizer step can use (training would fail there)"
            )
            raise ScheduleError(
                f"{run.scheduler.describe()}: the LR of param group {g} became {series[bad]!r} at {at}, {what}; "
                "check gamma, factors and lr_lambda"
            )
    unique_restarts = tuple(sorted(set(restarts)))
    spacing = 1 if per_step else n
    milestones = tuple(m * spacing for m in run.milestones if 0 < m * spacing < index)
    reductions: tuple[int, ...] = ()
    if plateau:
        series = lrs[0]
        reductions = tuple(k for k in range(1, len(series)) if any(lrs[g][k] < lrs[g][k - 1] for g in range(n_groups)))
    return lrs, moms, unique_restarts, milestones, reductions


def _accelerated(scheduler: Any, processes: int) -> Any:
    """``scheduler.step`` as Accelerate's ``AcceleratedScheduler.step`` calls it on ``processes`` processes.

    accelerate/scheduler.py (1.15, lines 58-82): without ``split_batches`` every process loads a
    full batch, so the wrapped scheduler is stepped ``num_processes`` times per optimizer step;
    a scheduler with ``total_steps`` (OneCycleLR) is not stepped past it. Gradient accumulation
    needs nothing here: lrviz records one point per optimizer step, where Accelerate steps.
    """
    plain = scheduler.step

    def step(*args: Any) -> None:
        for _ in range(processes):
            if hasattr(scheduler, "total_steps"):
                if scheduler._step_count <= scheduler.total_steps:
                    plain(*args)
            else:
                plain(*args)

    return step


def _momentum(group: dict[str, Any]) -> float:
    if "momentum" in group:
        return float(group["momentum"])
    if "betas" in group:
        return float(group["betas"][0])
    return math.nan
