"""DeepSpeed's scheduler module and its logger, shared by the adapters that step DeepSpeed's classes.

The DeepSpeed adapter (a ``ds_config.json`` on its own) and the Hugging Face adapter (a
TrainingArguments run whose DeepSpeed config carries a ``scheduler`` block, which the Trainer
hands to the DeepSpeed engine) both build ``deepspeed.runtime.lr_schedules`` classes. DeepSpeed
logs through its own ``logging`` logger (to stdout); while lrviz imports and steps it, a filter
on that logger turns its warnings into notes (dropping the "Setting accelerator to CPU" line),
and is removed again afterwards. deepspeed is imported only inside these functions.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import logging
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

from lrviz.dummy import _TORCH_ERRORS
from lrviz.errors import ConfigError
from lrviz.frameworks.base import one_line, rejected


def build_scheduler(kind: str, params: Mapping[str, Any], optimizer: Any, where: Mapping[str, str]) -> Any:
    """``getattr(lr_schedules, kind)(optimizer, **params)``, as ``DeepSpeedEngine._scheduler_from_config`` calls it.

    ``where`` names each param's file, line and key ("" the block) for DeepSpeed's own rejection.
    """
    lr_schedules = deepspeed_lr_schedules()
    cls = getattr(lr_schedules, kind, None)
    if cls is None:
        raise ConfigError(f"{where.get('', 'scheduler.type')}: {kind} is not in the installed deepspeed's lr_schedules")
    accepted = set(inspect.signature(cls).parameters) - {"self", "optimizer"}
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise ConfigError(
            f"{where.get(unknown[0], 'scheduler.params.' + unknown[0])}: not a parameter of the installed "
            f"deepspeed's {kind}; it takes {', '.join(sorted(accepted))}"
        )
    try:
        return cls(optimizer, **params)
    except (*_TORCH_ERRORS, AssertionError) as exc:
        raise rejected(where, exc, f"DeepSpeed's {kind}") from None


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
