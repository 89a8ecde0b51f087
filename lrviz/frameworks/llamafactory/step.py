"""The scheduler LLaMA-Factory v1's ``BaseTrainer`` builds, stepped as ``BaseTrainer.fit`` steps it.

``_init_lr_scheduler`` with no ``lr_scheduler_config``:
``torch.optim.lr_scheduler.LambdaLR(self.optimizer, lr_lambda=lambda x: 1.0)``; ``fit`` calls
``self.lr_scheduler.step()`` once after each optimizer step (``core/base_trainer.py`` of
hiyouga/LLaMA-Factory ff6d4d12). The class is torch's, so torch is the only import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lrviz.frameworks._stepping import PerUpdate
from lrviz.model import RunConfig

if TYPE_CHECKING:
    pass


def _constant(x: int) -> float:
    return 1.0  # BaseTrainer's `lambda x: 1.0`


class BaseTrainer(PerUpdate):
    """LLaMA-Factory v1's way of building, stepping and resuming its scheduler."""

    def build_scheduler(self, run: RunConfig, optimizer: Any) -> tuple[Any, RunConfig]:
        import torch

        return torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=_constant), run
