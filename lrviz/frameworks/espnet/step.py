"""ESPnet's scheduler, built as ``build_schedulers`` builds it and stepped as its trainer steps it.

``scheduler_classes[name](optimizer, **scheduler_conf)``; then, per epoch, an optimizer step
every ``accum_grad`` batches followed by ``scheduler.step()`` for an ``AbsBatchStepScheduler``,
and ``scheduler.step()`` after the epoch for an ``AbsEpochStepScheduler`` (espnet2/train/trainer.py
773-787, 380-386). Which it is, is asked of the class (``isinstance`` against
``espnet2.schedulers.abs_scheduler``, which registers torch's classes as ESPnet does). Point k
is the LR read before optimizer step k. Resuming loads the scheduler's ``state_dict`` as
``Trainer.resume`` does. espnet2 (with typeguard) is imported only here.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
from array import array
from typing import TYPE_CHECKING, Any

from lrviz.dummy import _TORCH_ERRORS
from lrviz.errors import ConfigError, LrvizError
from lrviz.frameworks._stepping import nothing_to_quiet, recorder, rises_after, stepping_error
from lrviz.frameworks.base import one_line, rejected
from lrviz.frameworks.espnet.read import settings
from lrviz.model import RunConfig

if TYPE_CHECKING:
    from lrviz.frameworks._stepping import Progress, Stepped


def espnet_module(name: str) -> Any:
    """An ``espnet2.schedulers`` module (or torch's), imported with ESPnet's own imports only."""
    if importlib.util.find_spec("espnet2") is None:
        raise ConfigError("needs espnet: pip install 'lrviz[espnet]'")
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ConfigError(f"espnet is installed but {name} does not import: {one_line(exc)}") from None


def type_check_error() -> type[Exception]:
    """What ESPnet's ``@typechecked`` constructors raise for an argument of the wrong type (typeguard 4's own
    error; typeguard 2 raises TypeError)."""
    try:
        from typeguard import TypeCheckError
    except ImportError:
        return TypeError
    return TypeCheckError


def scheduler_class(run: RunConfig) -> tuple[Any, str]:
    """The class and how ESPnet's trainer steps it: ``batch`` or ``epoch``, by its base."""
    fw = settings(run)
    bases = espnet_module("espnet2.schedulers.abs_scheduler")
    cls = getattr(espnet_module(fw.module), fw.cls)
    if issubclass(cls, bases.AbsValEpochStepScheduler):
        kind = "validation"
    elif issubclass(cls, bases.AbsBatchStepScheduler):
        kind = "batch"
    elif issubclass(cls, bases.AbsEpochStepScheduler):
        kind = "epoch"
    else:
        raise ConfigError(f"scheduler {fw.name}: ESPnet's trainer never steps {fw.cls} (neither batch nor epoch)")
    return cls, kind


class Trainer:
    """ESPnet's trainer's way of building, stepping and resuming its scheduler."""

    def build_scheduler(self, run: RunConfig, optimizer: Any) -> tuple[Any, RunConfig]:
        fw = settings(run)
        cls, _ = scheduler_class(run)
        accepted = set(inspect.signature(cls).parameters) - {"self", "optimizer"}
        unknown = sorted(set(fw.conf) - accepted)
        if unknown:
            raise ConfigError(
                f"{fw.where.get(unknown[0], 'scheduler_conf')}: not an argument of {fw.cls}; it takes "
                f"{', '.join(sorted(accepted - {'last_epoch', 'verbose'}))}"
            )
        try:
            return cls(optimizer, **fw.conf), run
        except (*_TORCH_ERRORS, AssertionError, type_check_error()) as exc:
            raise rejected(fw.where, exc, f"ESPnet's {fw.cls}") from None

    def loop(
        self, run: RunConfig, optimizer: Any, scheduler: Any, span: range, momentum: bool, progress: Progress | None
    ) -> Stepped:
        _, kind = scheduler_class(run)
        groups = optimizer.param_groups
        lrs, moms, record = recorder(groups, momentum)
        per_batch = kind == "batch"
        updates = run.steps_per_epoch
        try:
            for _epoch in span:
                for _ in range(updates):
                    record()
                    optimizer.step()
                    if per_batch:
                        scheduler.step()
                if not per_batch:
                    scheduler.step()
                if progress is not None:
                    progress(len(lrs[0]))
        except LrvizError:
            raise
        except _TORCH_ERRORS as exc:
            raise stepping_error(run, lrs, exc) from None
        return lrs, moms, []

    def resume(self, run: RunConfig, scheduler: Any, state: Any, resume_at: int) -> None:
        scheduler.load_state_dict(state)

    def restarts(self, run: RunConfig, series: array[float]) -> tuple[int, ...]:
        if "restarts" not in settings(run).cls.lower():
            return ()
        return rises_after(series, int(settings(run).conf.get("warmup_steps", 0) or 0))

    def quiet(self, into: list[str]) -> contextlib.AbstractContextManager[None]:
        return nothing_to_quiet(into)
