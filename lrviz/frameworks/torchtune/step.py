"""torchtune's scheduler, built and stepped as its recipes do.

``config.instantiate(cfg.lr_scheduler, optimizer, num_training_steps=epochs * steps_per_epoch,
last_epoch=global_step - 1)`` (``_setup_lr_scheduler``; ``global_step`` is 0 on a fresh run), then
``lr_scheduler.step()`` after every optimizer step (``recipes/full_finetune_single_device.py``
343-351, 452-465, 632-638 of meta-pytorch/torchtune bd2a0fc7). With no ``lr_scheduler`` the
recipe keeps the optimizer's LR. Resuming: the recipe rebuilds the scheduler with
``last_epoch = global_step - 1``, which sets the LR of step ``global_step`` as loading the
scheduler's state does. torchtune is imported only here.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import logging
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from lrviz.dummy import _TORCH_ERRORS
from lrviz.errors import ConfigError
from lrviz.frameworks._stepping import PerUpdate, per_update_loop
from lrviz.frameworks.base import one_line, rejected
from lrviz.frameworks.torchtune.read import COMPONENTS, REEXPORTS, settings
from lrviz.model import RunConfig

if TYPE_CHECKING:
    from lrviz.frameworks._stepping import Progress, Stepped


def instantiate(node: Any, optimizer: Any, num_training_steps: int, last_epoch: int) -> Any:
    """The recipe's ``config.instantiate(cfg.lr_scheduler, optimizer, num_training_steps=..., last_epoch=...)``.

    ``torchtune.training.get_cosine_schedule_with_warmup`` is the package's re-export of the
    lr_schedulers function; the package ``__init__`` that makes it is not run here, so the function
    is named by its module. A component the installed torchtune does not have (the pre-0.3
    ``torchtune.modules.get_cosine_schedule_with_warmup``) fails as it fails in the recipe:
    torchtune's InstantiationError, raised as a ConfigError by the caller.
    """
    from omegaconf import OmegaConf

    node = {**node, "_component_": REEXPORTS.get(str(node["_component_"]), node["_component_"])}
    with torchtune_modules() as config:
        return config.instantiate(
            OmegaConf.create(node), optimizer, num_training_steps=num_training_steps, last_epoch=last_epoch
        )


@contextlib.contextmanager
def torchtune_modules() -> Iterator[Any]:
    """``torchtune.config``, with ``torchtune.training.lr_schedulers`` importable, even where ``import torchtune`` fails.

    ``torchtune/__init__.py`` imports its datasets, models and torchao (seconds, and it fails where
    torchtune is installed with ``--no-deps``); ``torchtune.training``'s imports its checkpointers.
    The scheduler module and ``torchtune.config`` need only torch and omegaconf. Unless torchtune
    is imported already, ``torchtune`` and ``torchtune.training`` are registered as the real package
    modules, made from their own import specs with ``__init__`` not run, while the two modules are
    imported and the scheduler built; the entries are removed afterwards, so a later ``import torchtune`` behaves as before.
    As for timm, no module is faked. torchao's import-time logging (a note that triton is missing)
    is kept out of the user's log.
    """
    if importlib.util.find_spec("torchtune") is None:
        raise ConfigError("needs torchtune: pip install --no-deps torchtune (see lrviz[torchtune] in the README)")
    if "torchtune" in sys.modules:  # imported already (by the user's code): use it as it is
        with _quiet_logger("torchao"):
            try:
                config = importlib.import_module("torchtune.config")
                importlib.import_module("torchtune.training.lr_schedulers")
            except ImportError as exc:
                raise ConfigError(f"torchtune does not import: {one_line(exc)}") from None
        yield config
        return
    bare = []  # the submodules a previous call imported stay in sys.modules and are reused
    try:
        for name in ("torchtune", "torchtune.training"):
            spec = importlib.util.find_spec(name)
            if spec is None or spec.submodule_search_locations is None:
                raise ConfigError(f"torchtune is installed without its {name} package; reinstall torchtune")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            bare.append((name, module))
        try:
            importlib.import_module("torchtune.training.lr_schedulers")
            config = importlib.import_module("torchtune.config")
        except ImportError as exc:
            raise ConfigError(f"torchtune is installed but its scheduler does not import: {one_line(exc)}") from None
        yield config
    finally:
        for name, module in bare:
            if sys.modules.get(name) is module:
                del sys.modules[name]


@contextlib.contextmanager
def _quiet_logger(name: str) -> Iterator[None]:
    logger = logging.getLogger(name)
    saved = logger.propagate, list(logger.handlers)
    logger.propagate = False
    logger.addHandler(logging.NullHandler())
    try:
        yield
    finally:
        logger.propagate = saved[0]
        logger.handlers[:] = saved[1]


class Recipe(PerUpdate):
    """A torchtune recipe's way of building, stepping and resuming its scheduler."""

    def build_scheduler(self, run: RunConfig, optimizer: Any) -> tuple[Any, RunConfig]:
        return self._build(run, optimizer, -1), run

    def _build(self, run: RunConfig, optimizer: Any, last_epoch: int) -> Any:
        fw = settings(run)
        if fw.scheduler is None:
            return None
        try:
            return instantiate(fw.scheduler, optimizer, fw.num_training_steps, last_epoch)
        except _TORCH_ERRORS as exc:
            raise rejected(fw.where, exc, f"torchtune's {fw.scheduler['_component_']}") from None
        except Exception as exc:  # torchtune.config's InstantiationError: a component this torchtune lacks
            if type(exc).__name__ != "InstantiationError":
                raise
            raise ConfigError(
                f"{fw.where.get('_component_') or 'lr_scheduler._component_'}: {fw.scheduler['_component_']} is not in "
                f"the installed torchtune {_version()}, so the recipe's config.instantiate fails ({one_line(exc)}); "
                f"its scheduler is {COMPONENTS[0]}"
            ) from None

    def loop(
        self, run: RunConfig, optimizer: Any, scheduler: Any, span: range, momentum: bool, progress: Progress | None
    ) -> Stepped:
        if scheduler is None:
            return per_update_loop(run, optimizer, _Still(), span, momentum, progress)
        return per_update_loop(run, optimizer, scheduler, span, momentum, progress)

    def resume(self, run: RunConfig, scheduler: Any, state: Any, resume_at: int) -> None:
        if scheduler is None:
            return
        scheduler.load_state_dict(state)


class _Still:
    """No scheduler: the recipe never touches the LR."""

    def step(self) -> None:
        return None


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("torchtune")
    except PackageNotFoundError:  # pragma: no cover - found by find_spec, so installed
        return "(version unknown)"
