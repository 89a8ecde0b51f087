"""Megatron's ``OptimizerParamScheduler``, built and stepped as its training loop does.

``OptimizerParamScheduler(optimizer, init_lr, max_lr, min_lr, lr_warmup_steps, lr_decay_steps,
lr_decay_style, start_wd, end_wd, wd_incr_steps, wd_incr_style, use_checkpoint_opt_param_scheduler,
override_opt_param_scheduler, wsd_decay_steps, lr_wsd_decay_style)`` as ``get_optimizer_param_scheduler``
calls it (Megatron-LM ``training.py`` 2588-2604), over a plain torch optimizer: the constructor sets
the first LR (``step(0)``), and after every successful iteration ``train_step`` calls
``step(increment=global_batch_size)`` (training.py 3213-3223). Point k is the LR of iteration k,
read before its optimizer step. Resuming: Megatron builds a fresh scheduler and loads its
``state_dict()`` (``load_state_dict`` replays ``step(increment=num_steps)``). megatron.core is imported
only here.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import logging
from array import array
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from lrviz.dummy import _TORCH_ERRORS
from lrviz.errors import ConfigError, LrvizError
from lrviz.frameworks._stepping import recorder, stepping_error
from lrviz.frameworks.base import rejected
from lrviz.frameworks.megatron.read import settings
from lrviz.model import RunConfig

if TYPE_CHECKING:
    from lrviz.frameworks._stepping import Progress, Series, Stepped


def scheduler_class() -> Any:
    """``megatron.core.optimizer_param_scheduler.OptimizerParamScheduler``."""
    if importlib.util.find_spec("megatron") is None or importlib.util.find_spec("megatron.core") is None:
        raise ConfigError("needs megatron-core: pip install 'lrviz[megatron]'")
    return importlib.import_module("megatron.core.optimizer_param_scheduler").OptimizerParamScheduler


class TrainingLoop:
    """Megatron's ``train`` loop: build the scheduler over the optimizer, step it by the global batch."""

    def build_scheduler(self, run: RunConfig, optimizer: Any) -> tuple[Any, RunConfig]:
        cls = scheduler_class()
        fw = settings(run)
        try:
            scheduler = cls(
                optimizer,
                init_lr=fw.init_lr,
                max_lr=fw.max_lr,
                min_lr=fw.min_lr,
                lr_warmup_steps=fw.lr_warmup_steps,
                lr_decay_steps=fw.lr_decay_steps,
                lr_decay_style=fw.lr_decay_style,
                start_wd=fw.start_wd,
                end_wd=fw.end_wd,
                wd_incr_steps=fw.wd_incr_steps,
                wd_incr_style=fw.wd_incr_style,
                use_checkpoint_opt_param_scheduler=False,
                override_opt_param_scheduler=False,
                wsd_decay_steps=fw.wsd_decay_steps,
                lr_wsd_decay_style=fw.lr_wsd_decay_style,
            )
        except (*_TORCH_ERRORS, AssertionError) as exc:
            text = str(exc) or (
                "its checks failed (min_lr <= lr, lr_warmup_init <= lr, warmup shorter than the decay, "
                "start weight decay <= end weight decay)"
            )
            raise rejected(fw.where, type(exc)(text), "Megatron's OptimizerParamScheduler") from None
        return scheduler, run

    def loop(
        self, run: RunConfig, optimizer: Any, scheduler: Any, span: range, momentum: bool, progress: Progress | None
    ) -> Stepped:
        groups = optimizer.param_groups
        lrs, moms, record = recorder(groups, momentum)
        fw = settings(run)
        increment = fw.increment
        if fw.second == "weight_decay" and moms is not None:  # the scheduler sets param_group["weight_decay"]
            record = _weight_decay_recorder(groups, lrs, moms)
        step = scheduler.step
        try:
            for k in span:
                record()
                step(increment=increment)
                if progress is not None and k % 65536 == 0:
                    progress(k)
        except LrvizError:
            raise
        except (*_TORCH_ERRORS, AssertionError) as exc:
            raise stepping_error(run, lrs, exc) from None
        return lrs, moms, []

    def resume(self, run: RunConfig, scheduler: Any, state: Any, resume_at: int) -> None:
        scheduler.load_state_dict(state)

    def restarts(self, run: RunConfig, series: array[float]) -> tuple[int, ...]:
        return ()

    def quiet(self, into: list[str]) -> contextlib.AbstractContextManager[None]:
        return _quiet_logger()


def _weight_decay_recorder(groups: list[dict[str, Any]], lrs: Series, wds: Series) -> Callable[[], None]:
    """Append each group's LR and the weight decay ``OptimizerParamScheduler.step`` set beside it."""

    def record() -> None:
        for g, group in enumerate(groups):
            lrs[g].append(group["lr"])
            wds[g].append(float(group["weight_decay"]))

    return record


@contextlib.contextmanager
def _quiet_logger() -> Iterator[None]:
    """megatron.core logs "> learning rate decay style" at INFO on every construction; keep it off the output."""
    logger = logging.getLogger("megatron.core.optimizer_param_scheduler")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)
