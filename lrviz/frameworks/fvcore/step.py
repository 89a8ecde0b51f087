"""fvcore's param schedulers, called as SAM 2's trainer calls them.

``construct_optimizer`` builds one scheduler per param group and ``Optimizer.__init__`` calls
``step_schedulers(0.0)``; ``Trainer.train_epoch`` (facebookresearch/sam2 ``training/trainer.py``)
then, for batch ``data_iter`` of ``epoch``, computes
``exact_epoch = epoch + float(data_iter) / iters_per_epoch`` and
``where = float(exact_epoch) / max_epochs`` and, when ``where < 1``, sets each group's
``lr = scheduler(where)`` before ``optimizer.step()`` (VGGT's: ``limit_train_batches`` for
``iters_per_epoch``, over ``limit_train_batches + 1`` batches, see ``read``). That arithmetic is the trainer's, written
the same way here; every LR is fvcore's. The schedulers hold no state: a resumed run
computes ``where`` from its epoch and continues the same curve. fvcore is imported only here
and in ``read``.
"""

from __future__ import annotations

import contextlib
from array import array
from typing import TYPE_CHECKING, Any

from lrviz.dummy import _TORCH_ERRORS
from lrviz.errors import LrvizError
from lrviz.frameworks._stepping import nothing_to_quiet, recorder, stepping_error
from lrviz.frameworks.base import rejected
from lrviz.frameworks.fvcore.read import instantiate, param_scheduler_module, settings
from lrviz.model import RunConfig

if TYPE_CHECKING:
    from lrviz.frameworks._stepping import Progress, Stepped


class Schedulers(list[Any]):
    """One fvcore scheduler per param group (and its weight-decay one, ``decays``, with ``--param weight_decay``).
    They hold no state: a checkpoint keeps nothing of theirs."""

    def __init__(self) -> None:
        super().__init__()
        self.decays: list[Any] = []

    def state_dict(self) -> dict[str, Any]:
        return {}


class Sam2Trainer:
    """SAM 2's trainer's way of building and calling its fvcore schedulers."""

    def build_scheduler(self, run: RunConfig, optimizer: Any) -> tuple[Any, RunConfig]:
        module = param_scheduler_module()
        fw = settings(run)
        schedulers = Schedulers()
        for node, where in zip(fw.schedulers, fw.where, strict=True):
            try:
                schedulers.append(instantiate(module, node))
            except (*_TORCH_ERRORS, AssertionError) as exc:
                raise rejected({"": where}, exc, f"fvcore's {node['class']}") from None
        for node in fw.weight_decays:
            schedulers.decays.append(instantiate(module, node))  # built once already, in read
        for group, scheduler in zip(optimizer.param_groups, schedulers, strict=True):
            group["lr"] = scheduler(0.0)  # Optimizer.__init__: step_schedulers(0.0)
        for group, decay in zip(optimizer.param_groups, schedulers.decays, strict=bool(schedulers.decays)):
            group["weight_decay"] = decay(0.0)
        return schedulers, run

    def loop(
        self, run: RunConfig, optimizer: Any, scheduler: Any, span: range, momentum: bool, progress: Progress | None
    ) -> Stepped:
        groups = optimizer.param_groups
        lrs, moms, record = recorder(groups, momentum)
        fw = settings(run)
        decays = list(zip(groups, scheduler.decays, strict=True)) if scheduler.decays else []
        if decays and moms is not None:  # --param weight_decay: the value each group's decay scheduler set

            def record() -> None:
                for g, group in enumerate(groups):
                    lrs[g].append(group["lr"])
                    moms[g].append(float(group["weight_decay"]))

        pairs = list(zip(groups, scheduler, strict=True))
        batches, iters_per_epoch, max_epochs = run.steps_per_epoch, fw.divisor, run.epochs
        optimizer.step()  # a no-op on the dummy's grad-less parameters (see _stepping.per_update_loop)
        try:
            for epoch in span:
                for data_iter in range(batches):
                    exact_epoch = epoch + float(data_iter) / iters_per_epoch
                    where = float(exact_epoch) / max_epochs
                    if where < 1.0:
                        for group, each in pairs:
                            group["lr"] = each(where)
                        for group, decay in decays:
                            group["weight_decay"] = decay(where)
                    record()
                    optimizer.step()
                if progress is not None:
                    progress(len(lrs[0]))
        except LrvizError:
            raise
        except (*_TORCH_ERRORS, RuntimeError) as exc:
            raise stepping_error(run, lrs, exc) from None
        return lrs, moms, []

    def resume(self, run: RunConfig, scheduler: Any, state: Any, resume_at: int) -> None:
        """Nothing to load: the next ``where`` follows from the epoch the run resumes at."""

    def restarts(self, run: RunConfig, series: array[float]) -> tuple[int, ...]:
        return ()

    def quiet(self, into: list[str]) -> contextlib.AbstractContextManager[None]:
        return nothing_to_quiet(into)
