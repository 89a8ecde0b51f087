"""timm's scheduler, built and stepped as ``train.py`` does.

``create_scheduler_v2(optimizer, **scheduler_kwargs(args), updates_per_epoch=N)`` as
``train.py`` calls it (1078-1083), then for every epoch of the ``num_epochs`` it returns:
per update ``step_update(num_updates)`` after the update, and at the epoch's end
``step(epoch + 1, metric)`` (train.py 1199-1201, 1438-1439). The LR of an epoch (or update)
is read before it runs; the first is what the constructor set. Resuming: train.py loads the
optimizer's state, builds a fresh scheduler and calls ``step(start_epoch)``, or
``step_update(start_epoch * updates_per_epoch)`` with ``sched_on_updates`` (1091-1095).
timm is imported only here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import importlib.util
import sys
import types
from array import array
from typing import TYPE_CHECKING, Any

from lrviz.dummy import _TORCH_ERRORS
from lrviz.errors import ConfigError, LrvizError
from lrviz.frameworks._stepping import nothing_to_quiet, recorder, rises_after, stepping_error
from lrviz.frameworks.base import one_line
from lrviz.frameworks.timm.read import settings
from lrviz.model import RunConfig

if TYPE_CHECKING:
    from lrviz.frameworks._stepping import Progress, Stepped


class TrainPy:
    """timm train.py's way of building, stepping and resuming its scheduler."""

    def build_scheduler(self, run: RunConfig, optimizer: Any) -> tuple[Any, RunConfig]:
        factory = timm_scheduler_module()
        fw = settings(run)
        cfg = types.SimpleNamespace(**fw.args)
        try:
            kwargs = factory.scheduler_kwargs(cfg, decreasing_metric=fw.decreasing_metric)
            scheduler, num_epochs = factory.create_scheduler_v2(
                optimizer, **kwargs, updates_per_epoch=fw.updates_per_epoch
            )
        except (*_TORCH_ERRORS, AssertionError) as exc:
            raise ConfigError(
                f"timm {fw.args['sched']}: create_scheduler_v2 rejected the arguments: {one_line(exc)}"
            ) from None
        num_epochs = int(num_epochs)
        if num_epochs < 1:
            raise ConfigError(f"timm {fw.args['sched']}: create_scheduler_v2 gives {num_epochs} epochs; raise epochs")
        if num_epochs != run.epochs:
            run = dataclasses.replace(run, epochs=num_epochs)
        return scheduler, run

    def loop(
        self, run: RunConfig, optimizer: Any, scheduler: Any, span: range, momentum: bool, progress: Progress | None
    ) -> Stepped:
        groups = optimizer.param_groups
        lrs, moms, record = recorder(groups, momentum)
        fed: list[int] = []
        optimizer.step()  # a no-op on the dummy's grad-less parameters (see _stepping.per_update_loop)
        n = run.steps_per_epoch
        plateau = run.metrics is not None
        num_updates = span.start * n
        try:
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
            raise stepping_error(run, lrs, exc) from None
        return lrs, moms, fed

    def resume(self, run: RunConfig, scheduler: Any, state: Any, resume_at: int) -> None:
        if scheduler is None:
            return
        if run.interval == "step":
            scheduler.step_update(resume_at * run.steps_per_epoch)
        else:
            scheduler.step(resume_at)

    def restarts(self, run: RunConfig, series: array[float]) -> tuple[int, ...]:
        args = settings(run).args
        if int(args.get("lr_cycle_limit") or 1) <= 1 or args.get("lr_noise") is not None:
            return ()
        return rises_after(series, int(args["warmup_epochs"]) * run.steps_per_epoch)

    def quiet(self, into: list[str]) -> contextlib.AbstractContextManager[None]:
        return nothing_to_quiet(into)


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
        raise ConfigError(f"timm is installed but its scheduler package does not import: {one_line(exc)}") from None
    finally:
        if sys.modules.get("timm") is package:
            del sys.modules["timm"]
