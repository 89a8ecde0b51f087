"""timm: ``train.py``'s arguments (an ``args.yaml``, or ``lrviz timm`` flags), stepped as train.py does.

Read by ``read`` (train.py's defaults and what it computes before building the scheduler),
stepped by ``step`` (``create_scheduler_v2``), checked by ``rules``, written out by ``code``;
``keys`` classifies every train.py argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrviz.frameworks.base import Evidence, Inventory, LibraryAdapter, score_keys

#: train.py arguments that no other format uses.
_STRONG = (
    "sched_on_updates",
    "lr_base",
    "lr_base_size",
    "lr_cycle_limit",
    "warmup_prefix",
    "cooldown_epochs",
    "decay_epochs",
    "patience_epochs",
    "lr_noise_pct",
)
_WEAK = ("opt", "warmup_lr", "warmup_epochs", "min_lr", "decay_rate", "smoothing", "mixup", "opt_eps")


class Timm(LibraryAdapter):
    modules = "lrviz.frameworks.timm"
    stepper = "TrainPy"
    name = "timm"
    title = "timm args.yaml"
    package = "timm"
    extra = "timm"
    applies = frozenset({"epochs", "batch_size", "world_size", "steps_per_epoch", "dataset_size", "metrics"})
    own_keys = {"optimizer": "lr=VALUE (and opt=...)", "lr": "lr=VALUE", "grad_accum": "grad_accum_steps=N"}

    def detect(self, data: Mapping[str, Any]) -> Evidence:
        evidence = score_keys(self.name, self.name, data, _STRONG, _WEAK)
        if isinstance(data.get("sched"), str):
            evidence = Evidence(self.name, self.name, evidence.score + 3, ("sched", *evidence.keys))
        return evidence

    def inventory(self, dialect: str) -> Inventory:
        from lrviz.frameworks.timm import keys

        return keys.INVENTORY

    def caveats(self, dialect: str) -> Mapping[str, str]:
        from lrviz.frameworks.timm import keys

        return keys.CAVEATS
