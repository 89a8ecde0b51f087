"""The live guard: each optimizer step's LR held against the plan while the run goes.

* ``live``: ``LiveCheck``, the engine (the logged points, the first mismatch, the diagnosis as
  ``lrviz check`` gives it) and its ``Verdict``;
* ``callback``: ``LRGuard``, the Hugging Face ``TrainerCallback`` / Lightning ``Callback`` (and
  ``guard.observe(step, optimizer)`` for any other loop);
* ``follow``: ``watch``, a growing log file or run directory followed (``lrviz watch``).

Nothing here imports matplotlib; torch only where the plan is simulated.
"""

from __future__ import annotations

from lrviz.guard.callback import LRGuard, hf_plan
from lrviz.guard.follow import WatchResult, watch
from lrviz.guard.live import CONFIRM, PATIENCE, LiveCheck, LRMismatchWarning, Verdict

__all__ = [
    "CONFIRM",
    "PATIENCE",
    "LRGuard",
    "LRMismatchWarning",
    "LiveCheck",
    "Verdict",
    "WatchResult",
    "hf_plan",
    "watch",
]
