"""transformers' scheduler, built and stepped as the ``Trainer`` does.

``transformers.get_scheduler(type, optimizer, num_warmup_steps, num_training_steps,
scheduler_specific_kwargs)``, exactly the call of ``Trainer.create_scheduler`` (trainer.py
1347-1376 of transformers 5.24), stepped once per optimizer step after ``optimizer.step()``
(trainer.py 1943-1952); ``reduce_lr_on_plateau`` and ``greedy`` are stepped with a metric
after each evaluation instead (trainer.py 3302-3340). Point k is the LR of param group 0
read before optimizer step k, the value the Trainer logs for ``step = k + 1``
(transformers >= 4.51). Resuming loads both ``state_dict()``s, as
``Trainer._load_optimizer_and_scheduler`` does. When the run's DeepSpeed config has a ``scheduler``
block (``with_deepspeed``), the DeepSpeed engine's class is built instead
(``getattr(deepspeed.runtime.lr_schedules, type)(optimizer, **params)``) and stepped the same way:
the engine steps it once per Trainer optimizer step. transformers is imported only here.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
from array import array
from typing import TYPE_CHECKING, Any

from lrviz.dummy import _TORCH_ERRORS
from lrviz.errors import ConfigError
from lrviz.frameworks._deepspeed import deepspeed_logs
from lrviz.frameworks._stepping import per_update_loop, rises_after
from lrviz.frameworks.base import rejected
from lrviz.frameworks.hf.read import settings
from lrviz.model import RunConfig

if TYPE_CHECKING:
    from lrviz.frameworks._stepping import Progress, Stepped


class Trainer:
    """The HF Trainer's way of building, stepping and resuming its scheduler."""

    def build_scheduler(self, run: RunConfig, optimizer: Any) -> tuple[Any, RunConfig]:
        if importlib.util.find_spec("transformers") is None:
            raise ConfigError("needs transformers: pip install 'lrviz[hf]'")
        transformers = importlib.import_module("transformers")
        fw = settings(run)
        if fw.deepspeed is not None:  # the DeepSpeed engine builds the config's scheduler (with_deepspeed)
            from lrviz.frameworks._deepspeed import build_scheduler

            return build_scheduler(fw.deepspeed.type, fw.deepspeed.params, optimizer, fw.deepspeed.where), run
        installed = [t.value for t in transformers.SchedulerType]
        if fw.type not in installed:
            raise ConfigError(
                f"lr_scheduler_type {fw.type}: not a SchedulerType of the installed transformers "
                f"{transformers.__version__}; it has {', '.join(installed)}"
            )

        def trainers() -> Any:
            return transformers.get_scheduler(
                fw.type,
                optimizer,
                num_warmup_steps=fw.num_warmup_steps,
                num_training_steps=fw.num_training_steps,
                scheduler_specific_kwargs=dict(fw.scheduler_specific_kwargs),
            )

        who = f"transformers' {fw.type} scheduler" if fw.axolotl is None else f"axolotl's {run.scheduler.name}"
        try:
            if fw.axolotl is not None:  # axolotl's create_scheduler builds its own
                from lrviz.frameworks.hf import axolotl_step

                return axolotl_step.build(fw.axolotl, optimizer, trainers), run
            return trainers(), run
        except _TORCH_ERRORS as exc:
            raise rejected(fw.where, exc, who) from None

    def loop(
        self, run: RunConfig, optimizer: Any, scheduler: Any, span: range, momentum: bool, progress: Progress | None
    ) -> Stepped:
        return per_update_loop(run, optimizer, scheduler, span, momentum, progress, settings(run).evaluations)

    def resume(self, run: RunConfig, scheduler: Any, state: Any, resume_at: int) -> None:
        scheduler.load_state_dict(state)

    def restarts(self, run: RunConfig, series: array[float]) -> tuple[int, ...]:
        fw = settings(run)
        if fw.axolotl is not None and fw.axolotl.jagged is not None:  # JaggedLRRestartScheduler resets every N steps
            every = fw.axolotl.jagged["jagged_restart_steps"]
            return tuple(range(every, len(series), every))
        return rises_after(series, fw.num_warmup_steps) if fw.type == "cosine_with_restarts" and not fw.axolotl else ()

    def quiet(self, into: list[str]) -> contextlib.AbstractContextManager[None]:
        return deepspeed_logs(into)  # a filter on DeepSpeed's logger only: nothing is imported
