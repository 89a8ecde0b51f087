"""diffusers' scheduler, built and stepped as its training scripts do.

``diffusers.optimization.get_scheduler(name, optimizer, step_rules, num_warmup_steps,
num_training_steps, num_cycles, power)`` (train_dreambooth_lora.py 1156-1163 passes all of them;
train_text_to_image.py 856-861 leaves num_cycles and power at get_scheduler's defaults, which are
the flags' defaults), wrapped by ``accelerator.prepare``: the script calls ``lr_scheduler.step()``
after every micro-batch, and accelerate's ``AcceleratedScheduler`` steps the real scheduler
``num_processes`` times when the gradients are synchronised (once per optimizer step) and not
at all otherwise. Point k is the LR of optimizer step k, read before it. Resuming loads the
scheduler's ``state_dict()``, as ``accelerator.load_state`` does. diffusers is imported only here.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
from array import array
from typing import TYPE_CHECKING, Any

from lrviz.dummy import _TORCH_ERRORS
from lrviz.errors import ConfigError, LrvizError
from lrviz.frameworks._stepping import nothing_to_quiet, recorder, rises_after, stepping_error
from lrviz.frameworks.base import rejected
from lrviz.frameworks.diffusers.read import settings
from lrviz.model import RunConfig

if TYPE_CHECKING:
    from lrviz.frameworks._stepping import Progress, Stepped


def optimization() -> Any:
    """``diffusers.optimization`` (pure Python on torch)."""
    if importlib.util.find_spec("diffusers") is None:
        raise ConfigError("needs diffusers: pip install 'lrviz[diffusers]'")
    return importlib.import_module("diffusers.optimization")


class TrainingScript:
    """diffusers' example scripts' way of building, stepping and resuming their scheduler."""

    def build_scheduler(self, run: RunConfig, optimizer: Any) -> tuple[Any, RunConfig]:
        module = optimization()
        fw = settings(run)
        installed = [t.value for t in module.SchedulerType]
        if fw.name not in installed:
            raise ConfigError(
                f"lr_scheduler {fw.name}: not a scheduler of the installed diffusers; it has {', '.join(installed)}"
            )
        try:
            scheduler = module.get_scheduler(
                fw.name,
                optimizer,
                step_rules=fw.step_rules,
                num_warmup_steps=fw.num_warmup_steps,
                num_training_steps=fw.num_training_steps,
                num_cycles=fw.num_cycles,
                power=fw.power,
            )
        except _TORCH_ERRORS as exc:
            raise rejected(fw.where, exc, f"diffusers' get_scheduler ({fw.name})") from None
        return scheduler, run

    def loop(
        self, run: RunConfig, optimizer: Any, scheduler: Any, span: range, momentum: bool, progress: Progress | None
    ) -> Stepped:
        groups = optimizer.param_groups
        lrs, moms, record = recorder(groups, momentum)
        optimizer.step()  # a no-op on the dummy's grad-less parameters, so the scheduler sees it was called
        calls = range(settings(run).processes)
        step = scheduler.step
        try:
            for k in span:
                record()
                for _ in calls:
                    step()
                if progress is not None and k % 65536 == 0:
                    progress(k)
        except LrvizError:
            raise
        except _TORCH_ERRORS as exc:
            raise stepping_error(run, lrs, exc) from None
        return lrs, moms, []

    def resume(self, run: RunConfig, scheduler: Any, state: Any, resume_at: int) -> None:
        scheduler.load_state_dict(state)

    def restarts(self, run: RunConfig, series: array[float]) -> tuple[int, ...]:
        fw = settings(run)
        if fw.name != "cosine_with_restarts":
            return ()
        return rises_after(series, -(-fw.num_warmup_steps // fw.processes))

    def quiet(self, into: list[str]) -> contextlib.AbstractContextManager[None]:
        return nothing_to_quiet(into)
