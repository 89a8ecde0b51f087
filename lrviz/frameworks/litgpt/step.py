"""litgpt's schedules, built and stepped as its scripts do; litgpt is imported only here (its config module: ``models``).

Finetuning: ``get_lr_scheduler(optimizer, warmup_steps=train.lr_warmup_steps, max_steps=lr_max_steps)``
(a ``SequentialLR`` of a ``LambdaLR`` warmup and a ``CosineAnnealingLR``, defined alike in each
``litgpt/finetune/*.py``; lrviz imports ``litgpt.finetune.lora``'s), then ``scheduler.step()`` after
every optimizer step (``fit``).

Pretraining: ``litgpt.pretrain.get_lr`` called before every iteration with ``fit``'s own arguments
(``warmup_iters`` from litgpt's ``TrainArgs.warmup_iters``), its value set on every param group; the
LR of the iteration that ends an accumulation is the one the optimizer steps with.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

from lrviz.dummy import _TORCH_ERRORS
from lrviz.errors import ConfigError
from lrviz.frameworks._stepping import PerUpdate, Progress, recorder, stepping_error
from lrviz.frameworks.base import one_line, rejected
from lrviz.frameworks.litgpt import pretrain
from lrviz.frameworks.litgpt.read import settings
from lrviz.model import RunConfig

if TYPE_CHECKING:
    from lrviz.frameworks._stepping import Stepped

_MISSING = "needs litgpt: pip install --no-deps litgpt (with lightning and jsonargparse installed)"


def _module(name: str, what: str) -> Any:
    if importlib.util.find_spec("litgpt") is None:
        raise ConfigError(_MISSING)
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ConfigError(f"litgpt is installed but {what} does not import: {one_line(exc)}") from None


def get_lr_scheduler() -> Any:
    """``litgpt.finetune.lora.get_lr_scheduler`` of the installed litgpt."""
    found = getattr(_module("litgpt.finetune.lora", "its finetune script"), "get_lr_scheduler", None)
    if found is None:
        raise ConfigError("litgpt is installed but its finetune script has no get_lr_scheduler")
    return found


class Iterations:
    """What ``fit`` keeps between iterations: ``state["iter_num"]`` (saved in its checkpoint) and ``get_lr``'s arguments."""

    def __init__(self, get_lr: Any, warmup_iters: int, fw: pretrain.PretrainSettings) -> None:
        self.get_lr = get_lr
        self.warmup_iters = warmup_iters
        self.fw = fw
        self.iter_num = 0

    def state_dict(self) -> dict[str, int]:
        return {"iter_num": self.iter_num}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.iter_num = state["iter_num"]


class Script(PerUpdate):
    """litgpt's scripts: the finetune scripts' scheduler once per optimizer step, or pretrain's ``get_lr`` per iteration."""

    def build_scheduler(self, run: RunConfig, optimizer: Any) -> tuple[Any, RunConfig]:
        if isinstance(run.settings, pretrain.PretrainSettings):
            return self._pretrain(run.settings), run
        fw = settings(run)
        build = get_lr_scheduler()
        try:
            return build(optimizer, warmup_steps=fw.warmup_steps, max_steps=fw.lr_max_steps), run
        except _TORCH_ERRORS as exc:
            raise rejected({"": "train.lr_warmup_steps"}, exc, "litgpt's get_lr_scheduler") from None

    @staticmethod
    def _pretrain(fw: pretrain.PretrainSettings) -> Iterations:
        get_lr = getattr(_module("litgpt.pretrain", "its pretrain script"), "get_lr", None)
        train_args = getattr(_module("litgpt.args", "its TrainArgs"), "TrainArgs", None)
        if get_lr is None or train_args is None:
            raise ConfigError("litgpt is installed but its pretrain script has no get_lr (or litgpt.args no TrainArgs)")
        try:
            train = train_args(
                global_batch_size=fw.global_batch_size,
                micro_batch_size=fw.micro_batch_size,
                lr_warmup_steps=fw.lr_warmup_steps,
                min_lr=fw.min_lr,
            )
            # the loader's length is read only for lr_warmup_fraction, which pretrain.build refuses
            warmup = train.warmup_iters(fw.devices, fw.num_nodes, fw.max_iters, ())
        except (ValueError, TypeError, AssertionError) as exc:
            raise rejected({"": "train"}, exc, "litgpt's TrainArgs") from None
        return Iterations(get_lr, int(warmup), fw)

    def loop(
        self, run: RunConfig, optimizer: Any, scheduler: Any, span: range, momentum: bool, progress: Progress | None
    ) -> Stepped:
        if not isinstance(scheduler, Iterations):
            return super().loop(run, optimizer, scheduler, span, momentum, progress)
        return _fit(run, optimizer, scheduler, span, momentum, progress)


def _fit(
    run: RunConfig, optimizer: Any, state: Iterations, span: range, momentum: bool, progress: Progress | None
) -> Stepped:
    """``fit``'s iterations for the optimizer steps in ``span``: ``get_lr`` before each, a step after every accumulation."""
    groups = optimizer.param_groups
    lrs, moms, record = recorder(groups, momentum)
    fw, get_lr, warmup = state.fw, state.get_lr, state.warmup_iters
    base = optimizer.defaults["lr"]
    try:
        for k in span:
            for _ in range(fw.accumulation):
                lr = get_lr(base, state.iter_num, warmup, fw.max_iters, fw.min_lr)
                for group in groups:
                    group["lr"] = lr
                state.iter_num += 1
            record()  # the iteration that ends the accumulation: the optimizer steps with this LR
            if progress is not None and k % 65536 == 0:
                progress(k)
    except (AssertionError, ArithmeticError) as exc:
        raise stepping_error(run, lrs, exc) from None
    return lrs, moms, []
