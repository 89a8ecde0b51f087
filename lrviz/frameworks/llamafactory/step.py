"""The scheduler LLaMA-Factory v1's ``BaseTrainer`` builds, stepped as ``BaseTrainer.fit`` steps it.

``_init_lr_scheduler`` with no ``lr_scheduler_config``:
``torch.optim.lr_scheduler.LambdaLR(self.optimizer, lr_lambda=lambda x: 1.0)``; ``fit`` calls
``self.lr_scheduler.step()`` once after each optimizer step (``core/base_trainer.py`` of
hiyouga/LLaMA-Factory ff6d4d12). The class is torch's, so torch is the only import.
"""

from __future__ import annotations

import contextlib
from array import array
from typing import TYPE_CHECKING, Any

from lrviz.frameworks._stepping import nothing_to_quiet, per_update_loop
from lrviz.model import RunConfig

if TYPE_CHECKING:
    from lrviz.frameworks._stepping import Progress, Stepped


def _constant(x: int) -> float:
    return 1.0  # BaseTrainer's `lambda x: 1.0`


class BaseTrainer:
    """LLaMA-Factory v1's way of building, stepping and resuming its scheduler."""

    def build_scheduler(self, run: RunConfig, optimizer: Any) -> tuple[Any, RunConfig]:
        import torch

        return torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=_constant), run

    def loop(
        self, run: RunConfig, optimizer: Any, scheduler: Any, span: range, momentum: bool, progress: Progress | None
    ) -> Stepped:
        return per_update_loop(run, optimizer, scheduler, span, momentum, progress)

    def resume(self, run: RunConfig, scheduler: Any, state: Any, resume_at: int) -> None:
        scheduler.load_state_dict(state)

    def restarts(self, run: RunConfig, series: array[float]) -> tuple[int, ...]:
        return ()

    def quiet(self, into: list[str]) -> contextlib.AbstractContextManager[None]:
        return nothing_to_quiet(into)
