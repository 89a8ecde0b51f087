"""Build and step the schedulers of Hugging Face transformers, timm and DeepSpeed, as their trainers do.

* **transformers**: ``transformers.get_scheduler(type, optimizer, num_warmup_steps,
  num_training_steps, scheduler_specific_kwargs)``, exactly the call of
  ``Trainer.create_scheduler`` (trainer.py 1347-1376), stepped once per optimizer step
  after ``optimizer.step()`` (trainer.py 1943-1952); ``reduce_lr_on_plateau`` and
  ``greedy`` are stepped with a metric after each evaluation instead (trainer.py 3302-3340).
  Point k is the LR of param group 0 read before optimizer step k, the value the Trainer
  logs for ``step = k + 1`` (transformers >= 4.51).
* **timm**: ``create_scheduler_v2(optimizer, **scheduler_kwargs(args), updates_per_epoch=N)``
  as ``train.py`` calls it (1078-1083), then for every epoch of the ``num_epochs`` it
  returns: per update ``step_update(num_updates)`` after the update, and at the epoch's
  end ``step(epoch + 1, metric)`` (train.py 1199-1201, 1438-1439). The LR of an epoch (or
  update) is read before it runs; the first is what the constructor set.
* **DeepSpeed**: ``getattr(deepspeed.runtime.lr_schedules, type)(optimizer, **params)``, the
  call of ``DeepSpeedEngine._scheduler_from_config`` (deepspeed 0.19.8 ``runtime/engine.py``
  1923-1938), stepped once per optimizer step after ``optimizer.step()`` as
  ``_take_model_step`` does (engine.py 3534-3550; it skips ``lr_scheduler.step()`` only when
  an fp16 overflow skipped the optimizer step, which a dummy optimizer never has). Point k
  is the LR of param group 0 read before optimizer step k. Resuming loads both
  ``state_dict()``s as ``load_checkpoint`` does (engine.py 4701-4702).

No formula is re-implemented here: every value is read back from the optimizer the
library updated. transformers, timm and deepspeed are imported only here, and only when
a run needs them. DeepSpeed logs through its own ``logging`` logger (to stdout); while
lrviz imports and steps it, a filter on that logger turns its warnings into notes
(dropping the "Setting accelerator to CPU" line), and is removed again afterwards.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import importlib.util
import inspect
import logging
import math
import re
import sys
import types
import warnings
from array import array
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import torch

from lrviz.dummy import _TORCH_ERRORS, FLOAT32_MAX, build_optimizer
from lrviz.errors import ConfigError, LrvizError, ScheduleError, option
from lrviz.model import Curve, RunConfig

Progress = Callable[[int], None]


def simulate(run: RunConfig, *, momentum: bool = False, progress: Progress | None = None) -> Curve:
    """Step the framework's scheduler over the whole run; the returned curve's run has timm's epoch count."""
    logged: list[str] = []
    with warnings.catch_warnings(record=True) as caught, _deepspeed_logs(logged):
        warnings.simplefilter("always")
        optimizer = build_optimizer(run)
        scheduler, run = build_scheduler(run, optimizer)
        lrs, moms, metric_steps = _step(run, optimizer, scheduler, range(run.epochs), momentum, progress)
    _check_finite(run, lrs)
    notes = tuple(dict.fromkeys([*(str(w.message) for w in caught), *logged]))
    return Curve(
        run=run,
        lrs=lrs,
        momenta=moms,
        restarts=_restarts(run, lrs[0]),
        reductions=_reductions(lrs[0], metric_steps) if run.metrics is not None else (),
        torch_warnings=notes,
    )


def simulate_resume(run: RunConfig, resume_at: int) -> tuple[array[float], ...]:
    """The LRs of a run checkpointed and resumed at ``resume_at`` (an HF step, a timm epoch).

    transformers: the Trainer saves both ``state_dict()``s and loads them into a fresh
    optimizer and scheduler (``_load_optimizer_and_scheduler``). timm: train.py loads the
    optimizer's state, builds a fresh scheduler and calls ``step(start_epoch)``, or
    ``step_update(start_epoch * updates_per_epoch)`` with ``sched_on_updates`` (1091-1095).
    DeepSpeed: ``load_checkpoint`` loads the optimizer's state, then the scheduler's
    ``state_dict`` into the one the engine built (engine.py 4701-4702).
    """
    with warnings.catch_warnings(record=True), _deepspeed_logs([]):
        warnings.simplefilter("always")
        optimizer = build_optimizer(run)
        scheduler, run = build_scheduler(run, optimizer)
        if not 0 < resume_at < run.epochs:
            raise ConfigError(
                f"{option('resume_at')}: must be a{'' if run.unit == 'epoch' else 'n optimizer'} {run.unit} "
                f"between 1 and {run.epochs - 1}, got {resume_at}"
            )
        before = _step(run, optimizer, scheduler, range(resume_at), False, None)[0]
        saved = copy.deepcopy((optimizer.state_dict(), scheduler.state_dict() if scheduler is not None else None))
        optimizer = build_optimizer(run)
        scheduler, run = build_scheduler(run, optimizer)
        try:
            optimizer.load_state_dict(saved[0])
            if run.family in ("hf", "deepspeed"):
                scheduler.load_state_dict(saved[1])
            elif scheduler is not None:
                if run.interval == "step":
                    scheduler.step_update(resume_at * run.steps_per_epoch)
                else:
                    scheduler.step(resume_at)
        except _TORCH_ERRORS as exc:
            raise ScheduleError(f"{run.scheduler.describe()}: resuming failed: {exc}") from None
        after = _step(run, optimizer, scheduler, range(resume_at, run.epochs), False, None)[0]
    return tuple(a + b for a, b in zip(before, after, strict=True))


def build_scheduler(run: RunConfig, optimizer: torch.optim.Optimizer) -> tuple[Any, RunConfig]:
    """The framework's scheduler for ``optimizer``, and the run (timm decides its own epoch count)."""
    if run.family == "hf":
        return _hf_scheduler(run, optimizer), run
    if run.family == "deepspeed":
        return _deepspeed_scheduler(run, optimizer), run
    return _timm_scheduler(run, optimizer)


def deepspeed_lr_schedules() -> Any:
    """``deepspeed.runtime.lr_schedules``, imported with DeepSpeed's import-time log line dropped."""
    if importlib.util.find_spec("deepspeed") is None:
        raise ConfigError("needs deepspeed: pip install 'lrviz[deepspeed]'")
    with _deepspeed_logs([]), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an import's deprecation warnings are not the schedule's
        try:
            return importlib.import_module("deepspeed.runtime.lr_schedules")
        except (ImportError, RuntimeError, OSError) as exc:
            raise ConfigError(f"deepspeed is installed but does not import: {_one_line(exc)}") from None


def _deepspeed_scheduler(run: RunConfig, optimizer: torch.optim.Optimizer) -> Any:
    """``_scheduler_from_config``: the class named by ``type``, called with the params as written."""
    lr_schedules = deepspeed_lr_schedules()
    fw = run.framework
    cls = getattr(lr_schedules, fw["type"], None)
    if cls is None:
        raise ConfigError(f"scheduler.type {fw['type']}: not in the installed deepspeed's lr_schedules")
    accepted = set(inspect.signature(cls).parameters) - {"self", "optimizer"}
    unknown = sorted(set(fw["params"]) - accepted)
    if unknown:
        raise ConfigError(
            f"scheduler.params.{unknown[0]}: not a parameter of the installed deepspeed's {fw['type']}; "
            f"it takes {', '.join(sorted(accepted))}"
        )
    try:
        return cls(optimizer, **fw["params"])
    except (*_TORCH_ERRORS, AssertionError) as exc:
        raise _rejected(fw, exc, f"DeepSpeed's {fw['type']}") from None


#: DeepSpeed log lines that say nothing about the schedule: the accelerator it picked at import, and
#: the constructors' own ``get_lr()`` before the first step (WarmupLR, WarmupCosineLR log it every time).
_QUIET = ("Setting accelerator to", "Attempting to get learning rate from scheduler before it has started")


class _Collect(logging.Filter):
    """Keeps the DeepSpeed logger's messages for lrviz's notes instead of letting them print."""

    def __init__(self, into: list[str]) -> None:
        super().__init__()
        self.into = into

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if record.levelno >= logging.WARNING and not text.startswith(_QUIET):
            self.into.append(f"DeepSpeed: {text}")
        return False


@contextlib.contextmanager
def _deepspeed_logs(into: list[str]) -> Iterator[None]:
    """While inside: DeepSpeed's log records go into ``into`` (warnings and up), not to stdout."""
    logger = logging.getLogger("DeepSpeed")
    collect = _Collect(into)
    logger.addFilter(collect)
    try:
        yield
    finally:
        logger.removeFilter(collect)


def _hf_scheduler(run: RunConfig, optimizer: torch.optim.Optimizer) -> Any:
    transformers = _import("transformers")
    fw = run.framework
    installed = [t.value for t in transformers.SchedulerType]
    if fw["type"] not in installed:
        raise ConfigError(
            f"lr_scheduler_type {fw['type']}: not a SchedulerType of the installed transformers "
            f"{transformers.__version__}; it has {', '.join(installed)}"
        )
    try:
        return transformers.get_scheduler(
            fw["type"],
            optimizer,
            num_warmup_steps=fw["num_warmup_steps"],
            num_training_steps=fw["num_training_steps"],
            scheduler_specific_kwargs=dict(fw["scheduler_specific_kwargs"]),
        )
    except _TORCH_ERRORS as exc:
        raise _rejected(fw, exc, f"transformers' {fw['type']} scheduler") from None


def _rejected(fw: Mapping[str, Any], exc: BaseException, who: str) -> ConfigError:
    """A framework's own rejection of a value, at the config's ``file:line: key`` of the value it names."""
    text = _one_line(exc) or type(exc).__name__
    where: Mapping[str, str] = fw.get("where") or {}
    named = [k for k in where if k and re.search(rf"\b{re.escape(k)}\b", text)]
    key = max(named, key=len) if named else ""
    place = where.get(key) or where.get("") or "the config"
    what = "rejected this value" if key else "rejected the arguments"
    return ConfigError(f"{place}: {who} {what}: {text}; fix it in the config")


def _timm_scheduler(run: RunConfig, optimizer: torch.optim.Optimizer) -> tuple[Any, RunConfig]:
    import dataclasses

    factory = timm_scheduler_module()
    fw = run.framework
    cfg = types.SimpleNamespace(**fw["args"])
    try:
        kwargs = factory.scheduler_kwargs(cfg, decreasing_metric=fw["decreasing_metric"])
        scheduler, num_epochs = factory.create_scheduler_v2(
            optimizer, **kwargs, updates_per_epoch=fw["updates_per_epoch"]
        )
    except (*_TORCH_ERRORS, AssertionError) as exc:
        raise _rejected(fw, exc, f"timm's create_scheduler_v2 ({fw['args']['sched']})") from None
    num_epochs = int(num_epochs)
    if num_epochs < 1:
        raise ConfigError(f"timm {fw['args']['sched']}: create_scheduler_v2 gives {num_epochs} epochs; raise epochs")
    if num_epochs != run.epochs:
        run = dataclasses.replace(run, epochs=num_epochs)
    return scheduler, run


def timm_scheduler_module() -> Any:
    """``timm.scheduler``, even where ``import timm`` fails for want of a working torchvision.

    ``timm/__init__.py`` imports its models and layers, which need torchvision; its scheduler
    package needs only torch (and numpy). When the normal import fails (torchvision missing,
    or built for another torch: "operator torchvision::nms does not exist"), the half-imported
    timm modules are dropped and ``timm`` is registered as the real package module, made from
    its own import spec but with ``__init__`` not run, just long enough to import
    ``timm.scheduler`` from the installed files; the entry is then removed again, so a later
    ``import timm`` behaves as it did before. No torchvision module is faked.
    """
    if importlib.util.find_spec("timm") is None:
        raise ConfigError("needs timm: pip install 'lrviz[timm]'")
    try:
        return importlib.import_module("timm.scheduler")
    except (ImportError, RuntimeError, OSError, AttributeError):
        pass
    for name in [m for m in sys.modules if m == "timm" or m.startswith("timm.")]:
        del sys.modules[name]
    spec = importlib.util.find_spec("timm")
    if spec is None or spec.submodule_search_locations is None:
        raise ConfigError("needs timm: pip install 'lrviz[timm]'")
    package = importlib.util.module_from_spec(spec)
    sys.modules["timm"] = package
    try:
        return importlib.import_module("timm.scheduler")
    except ImportError as exc:
        raise ConfigError(f"timm is installed but its scheduler package does not import: {_one_line(exc)}") from None
    finally:
        if sys.modules.get("timm") is package:
            del sys.modules["timm"]


def _import(name: str) -> Any:
    if importlib.util.find_spec(name) is None:
        raise ConfigError(f"needs {name}: pip install 'lrviz[hf]'")
    return importlib.import_module(name)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _step(
    run: RunConfig,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    span: range,
    want_momentum: bool,
    progress: Progress | None,
) -> tuple[tuple[array[float], ...], tuple[array[float], ...] | None, list[int]]:
    """Step the HF steps or timm epochs in ``span``; also the points after which a metric was fed."""
    groups = optimizer.param_groups
    lrs = tuple(array("d") for _ in groups)
    moms = tuple(array("d") for _ in groups) if want_momentum else None
    fed: list[int] = []
    # optimizer.step() is a no-op on the dummy's grad-less parameters; called once so the scheduler
    # sees it was called, as engine._step does
    optimizer.step()
    n = run.steps_per_epoch

    def record() -> None:
        for g, group in enumerate(groups):
            lrs[g].append(group["lr"])
            if moms is not None:
                moms[g].append(float(group["betas"][0]) if "betas" in group else math.nan)

    try:
        if run.family in ("hf", "deepspeed"):
            fw = run.framework
            metric_driven = run.metrics is not None
            evaluations = dict(zip(fw.get("evaluations", ()), run.metrics or (), strict=False))
            step = scheduler.step
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
                elif k + 1 in evaluations:
                    step(evaluations[k + 1])
                    fed.append(k)
                if progress is not None and k % 65536 == 0:
                    progress(k)
        else:
            plateau = run.metrics is not None
            num_updates = span.start * n
            for epoch in span:
                for _ in range(n):
                    record()
                    num_updates += 1
                    if scheduler is not None:
                        scheduler.step_update(num_updates=num_updates, metric=None)
                if scheduler is not None:
                    scheduler.step(epoch + 1, run.metrics[epoch] if plateau else None)  # type: ignore[index]
                    fed.append(len(lrs[0]) - 1)
                if progress is not None:
                    progress(len(lrs[0]))
    except LrvizError:
        raise
    except _TORCH_ERRORS as exc:
        at = len(lrs[0]) - 1
        raise ScheduleError(f"{run.scheduler.describe()} raised at {run.unit} {max(at, 0) // n}: {exc}") from None
    return lrs, moms, fed


def _check_finite(run: RunConfig, lrs: tuple[array[float], ...]) -> None:
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


def _restarts(run: RunConfig, series: array[float]) -> tuple[int, ...]:
    """Where a cyclic schedule starts a new cycle: the LR jumps up after the warmup.

    For HF ``cosine_with_restarts`` and timm schedulers with ``lr_cycle_limit > 1``; read
    from the recorded LRs, not computed.
    """
    fw = run.framework
    if run.family == "deepspeed":
        return ()
    if run.family == "hf":
        if fw["type"] != "cosine_with_restarts":
            return ()
        after = int(fw["num_warmup_steps"])
    else:
        if int(fw["args"].get("lr_cycle_limit") or 1) <= 1 or fw["args"].get("lr_noise") is not None:
            return ()
        after = int(fw["args"]["warmup_epochs"]) * run.steps_per_epoch
    return tuple(k for k in range(max(after, 1) + 1, len(series)) if series[k] > series[k - 1])


def _reductions(series: array[float], fed: list[int]) -> tuple[int, ...]:
    """Points whose LR is below the previous one right after a metric was fed (plateau/greedy reductions)."""
    return tuple(k + 1 for k in fed if k + 1 < len(series) and series[k + 1] < series[k])
