"""DeepSpeed's scheduler, built and stepped as its engine does.

``getattr(deepspeed.runtime.lr_schedules, type)(optimizer, **params)``, the call of
``DeepSpeedEngine._scheduler_from_config`` (deepspeed 0.19.8 ``runtime/engine.py``
1923-1938), stepped once per optimizer step after ``optimizer.step()`` as
``_take_model_step`` does (engine.py 3534-3550; it skips ``lr_scheduler.step()`` only when
an fp16 overflow skipped the optimizer step, which a dummy optimizer never has). Point k is
the LR of param group 0 read before optimizer step k. Resuming loads both ``state_dict()``s
as ``load_checkpoint`` does (engine.py 4701-4702).

DeepSpeed's log lines become notes while it is imported and stepped (``lrviz.frameworks._deepspeed``,
shared with the Hugging Face adapter). deepspeed is imported only through that module.
"""

from __future__ import annotations

import contextlib
from typing import Any

from lrviz.frameworks._deepspeed import build_scheduler, deepspeed_logs, deepspeed_lr_schedules
from lrviz.frameworks._stepping import PerUpdate
from lrviz.frameworks.deepspeed.read import settings
from lrviz.model import RunConfig


class Engine(PerUpdate):
    """The DeepSpeed engine's way of building, stepping and resuming its scheduler."""

    def build_scheduler(self, run: RunConfig, optimizer: Any) -> tuple[Any, RunConfig]:
        fw = settings(run)
        return build_scheduler(fw.type, fw.params, optimizer, fw.where), run

    def quiet(self, into: list[str]) -> contextlib.AbstractContextManager[None]:
        return deepspeed_logs(into)


__all__ = ["Engine", "deepspeed_logs", "deepspeed_lr_schedules"]
