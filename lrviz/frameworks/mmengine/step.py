"""mmengine's schedulers, built and stepped as its Runner and ParamSchedulerHook do.

Built: each ``param_scheduler`` entry through ``PARAM_SCHEDULERS.build(cfg, default_args=
dict(optimizer=..., epoch_length=len(train_dataloader)))`` as ``Runner._build_param_scheduler``
calls it (mmengine's registry applies ``convert_to_iter_based``). Stepped: the LR of an
iteration is read before it (``RuntimeInfoHook.before_train_iter``); after every iteration
``ParamSchedulerHook.after_train_iter`` steps the schedulers whose ``by_epoch`` is False,
in list order; after every epoch ``after_train_epoch`` steps the others. Resuming loads the
optimizer's and every scheduler's state dict into freshly built ones (``Runner.resume``).
mmengine is imported only here.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import warnings
from array import array
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from lrviz.dummy import _TORCH_ERRORS
from lrviz.errors import ConfigError, LrvizError
from lrviz.frameworks._stepping import rises_after, stepping_error
from lrviz.frameworks.base import one_line
from lrviz.frameworks.mmengine.read import settings
from lrviz.model import RunConfig

if TYPE_CHECKING:
    from lrviz.frameworks._stepping import Progress, Stepped

#: schedulers whose LR rises again by design
_CYCLIC = ("CosineRestartLR", "CosineRestartParamScheduler", "OneCycleLR", "OneCycleParamScheduler")


class Schedulers:
    """The Runner's list of built schedulers, saved and loaded as one checkpoint entry."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def state_dict(self) -> list[dict[str, Any]]:
        return [s.state_dict() for s in self.items]

    def load_state_dict(self, states: list[dict[str, Any]]) -> None:
        for s, state in zip(self.items, states, strict=True):
            s.load_state_dict(state)


def registry() -> Any:
    """mmengine's ``PARAM_SCHEDULERS`` registry, filled by importing ``mmengine.optim`` (no OpenCV needed).

    ``mmengine.optim`` imports ``torch.distributed.optim``, whose ``torch.jit.script`` decorators
    warn on torch >= 2.10: a warning about mmengine's import, not about the schedule, so it is dropped.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            importlib.import_module("mmengine.optim")
        return importlib.import_module("mmengine.registry").PARAM_SCHEDULERS
    except ImportError as exc:
        raise ConfigError(f"mmengine is installed but does not import: {one_line(exc)}") from None


class RunnerLoop:
    """mmengine Runner's way of building, stepping and resuming its parameter schedulers."""

    def build_scheduler(self, run: RunConfig, optimizer: Any) -> tuple[Any, RunConfig]:
        fw = settings(run)
        schedulers = registry()
        built = []
        for cfg, where in zip(fw.schedulers, fw.where, strict=True):
            kind = cfg["type"]
            if schedulers.get(kind) is None:
                raise ConfigError(
                    f"{where}: {kind} is not one of mmengine's parameter schedulers (a downstream library's, or "
                    "misspelt); lrviz steps mmengine's own and refuses to draw a curve the run would not follow"
                )
            args = {k: v for k, v in cfg.items()}
            try:
                built.append(
                    schedulers.build(args, default_args={"optimizer": optimizer, "epoch_length": fw.epoch_length})
                )
            except LrvizError:
                raise
            except (*_TORCH_ERRORS, AssertionError, KeyError) as exc:
                raise ConfigError(f"{where}: mmengine's {kind} rejected the arguments: {one_line(exc)}") from None
        return Schedulers(built), run

    def loop(
        self, run: RunConfig, optimizer: Any, scheduler: Any, span: range, momentum: bool, progress: Progress | None
    ) -> Stepped:
        fw = settings(run)
        groups = optimizer.param_groups
        lrs = tuple(array("d") for _ in groups)
        moms = tuple(array("d") for _ in groups) if momentum else None
        per_iter = [s for s in scheduler.items if not s.by_epoch] if fw.stepped else []
        per_epoch = [s for s in scheduler.items if s.by_epoch] if fw.stepped else []
        optimizer.step()  # a no-op on the dummy's grad-less parameters (see _stepping.per_update_loop)
        n = run.steps_per_epoch
        second = fw.second
        try:
            for outer in span:
                for _ in range(n):
                    for g, group in enumerate(groups):  # RuntimeInfoHook.before_train_iter
                        lrs[g].append(group["lr"])
                        if moms is not None:
                            moms[g].append(_momentum(group) if second == "momentum" else float(group[second]))
                    for s in per_iter:  # ParamSchedulerHook.after_train_iter
                        s.step()
                if fw.by_epoch:
                    for s in per_epoch:  # ParamSchedulerHook.after_train_epoch
                        s.step()
                if progress is not None and outer % 4096 == 0:
                    progress(len(lrs[0]))
        except LrvizError:
            raise
        except _TORCH_ERRORS as exc:
            raise stepping_error(run, lrs, exc) from None
        return lrs, moms, []

    def resume(self, run: RunConfig, scheduler: Any, state: Any, resume_at: int) -> None:
        scheduler.load_state_dict(state)

    def restarts(self, run: RunConfig, series: array[float]) -> tuple[int, ...]:
        if any(cfg["type"] in _CYCLIC for cfg in settings(run).schedulers):
            return rises_after(series, 1)
        return ()

    def quiet(self, into: list[str]) -> contextlib.AbstractContextManager[None]:
        return _quiet_mmengine(into)


def _momentum(group: dict[str, Any]) -> float:
    if "momentum" in group:
        return float(group["momentum"])
    if "betas" in group:
        return float(group["betas"][0])
    return float("nan")


@contextlib.contextmanager
def _quiet_mmengine(into: list[str]) -> Iterator[None]:
    """mmengine's schedulers warn through its MMLogger: collect those lines as notes instead of printing them."""

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            into.append(record.getMessage())

    handler = Collect(logging.WARNING)
    loggers = [logging.getLogger(name) for name in ("mmengine",)]
    saved = [(lg, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.propagate = False
    try:
        yield
    finally:
        for lg, propagate in saved:
            lg.removeHandler(handler)
            lg.propagate = propagate
