"""The live guard as a training callback: ``LRGuard``.

``LRGuard`` is a Hugging Face ``TrainerCallback`` and a Lightning ``Callback`` (it becomes an
instance of whichever of the two frameworks' base classes the training script has imported, so
``isinstance(guard, TrainerCallback)`` holds and nothing is imported here), and
``guard.observe(step, optimizer)`` serves any other loop. Each step is held against the plan by
``lrviz.guard.live.LiveCheck``. Nothing here imports matplotlib.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from lrviz.comparison import LOG
from lrviz.errors import ConfigError
from lrviz.guard.live import CONFIRM, PATIENCE, LiveCheck, LRMismatchWarning, Verdict
from lrviz.model import Curve, RunConfig
from lrviz.simulation import simulate


def _plan_of(plan: Any, options: Mapping[str, Any]) -> Curve | list[float] | None:
    """A plan from a Curve, a Run, a config path or mapping, or a list of LRs (None: build it later)."""
    if plan is None or isinstance(plan, Curve):
        return plan
    if isinstance(plan, RunConfig | str | os.PathLike | Mapping):
        return simulate(plan, **options)
    if isinstance(plan, Sequence):
        return [float(v) for v in plan]
    raise ConfigError(
        f"plan: expected a config path, a lrviz Run or Curve, or a list of LRs, got {type(plan).__name__}"
    )


def hf_plan(args: Any, max_steps: int) -> Curve:
    """The plan a transformers ``Trainer`` follows, from its ``TrainingArguments`` and the optimizer steps it
    computed from its dataloader (``state.max_steps``); the warmup from ``args.get_warmup_steps`` itself."""
    kind = getattr(args.lr_scheduler_type, "value", args.lr_scheduler_type)
    doc: dict[str, Any] = {
        "lr_scheduler_type": str(kind),
        "learning_rate": float(args.learning_rate),
        "warmup_steps": int(args.get_warmup_steps(max_steps)),
        "max_steps": int(max_steps),
    }
    if getattr(args, "lr_scheduler_kwargs", None):
        doc["lr_scheduler_kwargs"] = dict(args.lr_scheduler_kwargs)
    return simulate(doc)


class LRGuard:
    """Stop a run whose learning rate leaves the plan, within its first optimizer steps.

    ``plan`` is a config path (read as ``lrviz check`` reads it, with the run ``options`` as
    ``lrviz.simulate`` takes them: ``accelerate_processes=8``, ``steps_per_epoch=...``), a
    ``lrviz.Run`` or ``Curve``, or a list of LRs; for a transformers ``Trainer`` it may be left
    out, and the plan is built from the Trainer's ``TrainingArguments`` and ``state.max_steps``.
    ``on_mismatch`` is ``"warn"`` (an ``LRMismatchWarning`` with the diagnosis) or ``"stop"``
    (the warning, then ``control.should_training_stop`` / ``trainer.should_stop``).

    Use it as ``Trainer(..., callbacks=[LRGuard()])``, ``L.Trainer(callbacks=[LRGuard("train.yaml")])``,
    or in any loop: ``if guard.observe(step, optimizer): break`` before ``optimizer.step()``.
    After the run, ``guard.verdict`` holds the mismatch (None when the run followed the plan).
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> LRGuard:
        return object.__new__(_with_framework_bases(cls))

    def __init__(
        self,
        plan: Any = None,
        *,
        on_mismatch: str = "warn",
        rtol: float = LOG.rtol,
        atol: float = 0.0,
        patience: int = PATIENCE,
        confirm: int = CONFIRM,
        **options: Any,
    ) -> None:
        if on_mismatch not in ("warn", "stop"):
            raise ConfigError(f"on_mismatch: expected 'warn' or 'stop', got {on_mismatch!r}")
        self.on_mismatch = on_mismatch
        self._unguarded = False
        self._tolerance: dict[str, Any] = {"rtol": rtol, "atol": atol, "patience": patience, "confirm": confirm}
        resolved = _plan_of(plan, options)
        self.check: LiveCheck | None = (
            LiveCheck(resolved, **self._tolerance, source="LRGuard") if resolved is not None else None
        )

    @property
    def verdict(self) -> Verdict | None:
        return self.check.verdict if self.check is not None else None

    def observe(self, step: int, lrs: Any) -> bool:
        """Check the LR(s) optimizer step ``step`` (0-based) uses: an optimizer (its param groups' ``lr``)
        or the LRs themselves. True when the run should stop (``on_mismatch="stop"`` and a mismatch)."""
        if self.check is None:
            raise ConfigError("LRGuard: no plan; give LRGuard(plan=CONFIG) (only the transformers Trainer has its own)")
        groups = getattr(lrs, "param_groups", None)
        values = [g["lr"] for g in groups] if groups is not None else lrs
        if isinstance(values, int | float):
            values = [values]
        verdict = self.check.observe(int(step), values)
        if verdict is not None:
            warnings.warn(LRMismatchWarning("lrviz: " + verdict.message), stacklevel=3)
        return self.verdict is not None and self.on_mismatch == "stop"

    # transformers TrainerCallback hooks -------------------------------------------------------

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
        if self.check is None and not self._unguarded:
            from lrviz.errors import LrvizError

            try:
                self.check = LiveCheck(hf_plan(args, state.max_steps), **self._tolerance, source="LRGuard")
            except LrvizError as exc:  # a schedule lrviz cannot plan: say so, and never stop the run for it
                self._unguarded = True
                warnings.warn(f"lrviz: LRGuard cannot plan this run, so it is not guarded: {exc}", stacklevel=2)
        return control

    def on_pre_optimizer_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
        optimizer = kwargs.get("optimizer")
        if self._unguarded or self.check is None:
            return control
        if optimizer is not None and self.observe(state.global_step, optimizer):
            control.should_training_stop = True
        return control

    # Lightning Callback hooks -----------------------------------------------------------------

    def on_before_optimizer_step(self, trainer: Any, pl_module: Any, optimizer: Any) -> None:
        if self.observe(trainer.global_step, optimizer):
            trainer.should_stop = True

    def on_train_end(self, *args: Any, **kwargs: Any) -> Any:
        # both frameworks call it, with different arguments: transformers expects its control back
        return kwargs.get("control", args[2] if len(args) > 2 else None)


_SUBCLASSES: dict[tuple[type, ...], type] = {}


def _framework_bases() -> tuple[type, ...]:
    """The callback base classes of the frameworks the process has imported (never imported here)."""
    bases: list[type] = []
    module = sys.modules.get("transformers.trainer_callback")
    if module is None and "transformers" in sys.modules:
        import importlib

        module = importlib.import_module("transformers.trainer_callback")
    if module is not None:
        bases.append(module.TrainerCallback)
    for name in ("lightning.pytorch.callbacks.callback", "pytorch_lightning.callbacks.callback"):
        found = sys.modules.get(name)
        if found is not None:
            bases.append(found.Callback)
    return tuple(bases)


def _with_framework_bases(cls: type) -> type:
    bases = _framework_bases()
    if not bases:
        return cls
    key = (cls, *bases)
    if key not in _SUBCLASSES:
        _SUBCLASSES[key] = type(cls.__name__, (cls, *bases), {"__module__": cls.__module__})
    return _SUBCLASSES[key]
