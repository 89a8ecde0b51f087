"""axolotl's own schedulers, built from the installed axolotl as ``SchedulerMixin.create_scheduler`` builds them.

``axolotl.utils.schedulers`` is plain torch code (``LambdaLR`` factories, ``RexLR``,
``JaggedLRRestartScheduler``); OneCycleLR is torch's. axolotl pins its own torch, so it is
installed without its dependencies (``pip install --no-deps axolotl``): only that module is
imported, and ``axolotl/__init__.py`` and ``axolotl/utils/__init__.py`` import nothing but the
standard library. The choice and the arguments come from ``lrviz.frameworks.hf.axolotl``.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import Any

from lrviz.errors import ConfigError
from lrviz.frameworks.base import one_line
from lrviz.frameworks.hf.axolotl import AxolotlScheduler

INSTALL = "pip install --no-deps axolotl (axolotl pins another torch; its schedulers need only torch)"


def schedulers_module() -> Any:
    """``axolotl.utils.schedulers`` of the installed axolotl."""
    if importlib.util.find_spec("axolotl") is None:
        raise ConfigError(f"needs axolotl for its own schedulers: {INSTALL}")
    try:
        return importlib.import_module("axolotl.utils.schedulers")
    except ImportError as exc:
        raise ConfigError(f"axolotl is installed but its schedulers module does not import: {one_line(exc)}") from None


def build(plan: AxolotlScheduler, optimizer: Any, transformers_scheduler: Callable[[], Any]) -> Any:
    """The scheduler create_scheduler returns; ``transformers_scheduler`` builds the Trainer's own when axolotl has none."""
    module = schedulers_module()
    if plan.kind == "transformers":
        inner = transformers_scheduler()
    elif plan.kind == "OneCycleLR":
        import torch

        inner = torch.optim.lr_scheduler.OneCycleLR(optimizer, **plan.kwargs)
    elif plan.kind == "RexLR":
        inner = module.RexLR(optimizer=optimizer, **plan.kwargs)
    else:
        inner = getattr(module, plan.kind)(optimizer, **plan.kwargs)
    if plan.jagged is None:
        return inner
    return module.JaggedLRRestartScheduler(
        optimizer,
        inner,
        plan.jagged["jagged_restart_steps"],
        plan.jagged["jagged_restart_warmup_steps"],
        plan.jagged["jagged_restart_anneal_steps"],
        min_lr_scale=plan.jagged["min_lr_scale"],
    )
