"""DeepSpeed's scheduler, built and stepped as its engine does.

``getattr(deepspeed.runtime.lr_schedules, type)(optimizer, **params)``, the call of
``DeepSpeedEngine._scheduler_from_config`` (deepspeed 0.19.8 ``runtime/engine.py``
1923-1938), stepped once per optimizer step after ``optimizer.step()`` as
``_take_model_step`` does (engine.py 3534-3550; it skips ``lr_scheduler.step()`` only when
an fp16 overflow skipped the optimizer step, which a dummy optimizer never has). Point k is
the LR of param group 0 read before optimizer step k. Resuming loads both ``state_dict()``s
as ``load_checkpoint`` does (engine.py 4701-4702).

DeepSpeed logs through its own ``logging`` logger (to stdout); while lrviz imports and steps
it, a filter on that logger turns its warnings into notes (dropping the "Setting accelerator
to CPU" line), and is removed again afterwards. deepspeed is imported only here.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import logging
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from lrviz.dummy import _TORCH_ERRORS
from lrviz.errors import ConfigError
from lrviz.frameworks._stepping import PerUpdate
from lrviz.frameworks.base import one_line, rejected
from lrviz.frameworks.deepspeed.read import settings
from lrviz.model import RunConfig

if TYPE_CHECKING:
    pass


class Engine(PerUpdate):
    """The DeepSpeed engine's way of building, stepping and resuming its scheduler."""

    def build_scheduler(self, run: RunConfig, optimizer: Any) -> tuple[Any, RunConfig]:
        lr_schedules = deepspeed_lr_schedules()
        fw = settings(run)
        cls = getattr(lr_schedules, fw.type, None)
        if cls is None:
            raise ConfigError(f"scheduler.type {fw.type}: not in the installed deepspeed's lr_schedules")
        accepted = set(inspect.signature(cls).parameters) - {"self", "optimizer"}
        unknown = sorted(set(fw.params) - accepted)
        if unknown:
            raise ConfigError(
                f"scheduler.params.{unknown[0]}: not a parameter of the installed deepspeed's {fw.type}; "
                f"it takes {', '.join(sorted(accepted))}"
            )
        try:
            return cls(optimizer, **fw.params), run
        except (*_TORCH_ERRORS, AssertionError) as exc:
            raise rejected(fw.where, exc, f"DeepSpeed's {fw.type}") from None

    def quiet(self, into: list[str]) -> contextlib.AbstractContextManager[None]:
        return deepspeed_logs(into)


def deepspeed_lr_schedules() -> Any:
    """``deepspeed.runtime.lr_schedules``, imported with DeepSpeed's import-time log line dropped."""
    if importlib.util.find_spec("deepspeed") is None:
        raise ConfigError("needs deepspeed: pip install 'lrviz[deepspeed]'")
    with deepspeed_logs([]), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an import's deprecation warnings are not the schedule's
        try:
            return importlib.import_module("deepspeed.runtime.lr_schedules")
        except (ImportError, RuntimeError, OSError) as exc:
            raise ConfigError(f"deepspeed is installed but does not import: {one_line(exc)}") from None


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
def deepspeed_logs(into: list[str]) -> Iterator[None]:
    """While inside: DeepSpeed's log records go into ``into`` (warnings and up), not to stdout."""
    logger = logging.getLogger("DeepSpeed")
    collect = _Collect(into)
    logger.addFilter(collect)
    try:
        yield
    finally:
        logger.removeFilter(collect)
