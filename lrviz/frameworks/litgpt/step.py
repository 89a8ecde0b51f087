"""litgpt's finetune scheduler, built and stepped as its finetune scripts do.

``get_lr_scheduler(optimizer, warmup_steps=train.lr_warmup_steps, max_steps=lr_max_steps)``
(a ``SequentialLR`` of a ``LambdaLR`` warmup and a ``CosineAnnealingLR``, defined alike in each
``litgpt/finetune/*.py``; lrviz imports ``litgpt.finetune.lora``'s), then ``scheduler.step()``
after every optimizer step (``fit``). litgpt is imported only here.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

from lrviz.dummy import _TORCH_ERRORS
from lrviz.errors import ConfigError
from lrviz.frameworks._stepping import PerUpdate
from lrviz.frameworks.base import one_line, rejected
from lrviz.frameworks.litgpt.read import settings
from lrviz.model import RunConfig

if TYPE_CHECKING:
    pass


def get_lr_scheduler() -> Any:
    """``litgpt.finetune.lora.get_lr_scheduler`` of the installed litgpt."""
    if importlib.util.find_spec("litgpt") is None:
        raise ConfigError("needs litgpt: pip install --no-deps litgpt (with lightning and jsonargparse installed)")
    try:
        return importlib.import_module("litgpt.finetune.lora").get_lr_scheduler
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"litgpt is installed but its finetune script does not import: {one_line(exc)}") from None


class Finetune(PerUpdate):
    """litgpt's finetune scripts' way of building and stepping their scheduler."""

    def build_scheduler(self, run: RunConfig, optimizer: Any) -> tuple[Any, RunConfig]:
        fw = settings(run)
        build = get_lr_scheduler()
        try:
            return build(optimizer, warmup_steps=fw.warmup_steps, max_steps=fw.lr_max_steps), run
        except _TORCH_ERRORS as exc:
            raise rejected({"": "train.lr_warmup_steps"}, exc, "litgpt's get_lr_scheduler") from None
