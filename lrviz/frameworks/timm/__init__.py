"""timm: ``train.py``'s arguments (an ``args.yaml``, or ``lrviz timm`` flags), stepped as train.py does.

Read by ``read`` (train.py's defaults and what it computes before building the scheduler),
stepped by ``step`` (``create_scheduler_v2``), checked by ``rules``, written out by ``code``;
``keys`` classifies every train.py argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrviz.frameworks.base import STRONG, Evidence, Inventory, LibraryAdapter, score_keys

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
        # a command's `--sched none` is typed None by the generic reading (train.py keeps the word)
        if isinstance(data.get("sched"), str) or ("__script__" in data and "sched" in data and data["sched"] is None):
            evidence = Evidence(self.name, self.name, evidence.score + 3, ("sched", *evidence.keys))
        if data.get("__wrapper__") == "distributed_train.sh":  # timm's own launcher of its train.py
            evidence = Evidence(self.name, self.name, evidence.score + STRONG, ("distributed_train.sh", *evidence.keys))
        return evidence

    def read_command(self, parsed: Any) -> dict[str, Any]:
        """The generic reading, with train.py's ``type=str`` arguments kept as written (``--sched none``)."""
        from lrviz.frameworks.timm.read import ARGS

        data = dict(parsed.data)
        for key in ("sched", *(key for key, kind, _, _ in ARGS if kind == "str")):
            flag = parsed.flags.get(key)
            if flag is not None and len(flag.values) == 1:
                data[key] = flag.values[0].text
        if "b" in data and "batch_size" not in data:  # train.py's `-b`, `--batch-size` (lr_base scaling, updates)
            data["batch_size"] = data.pop("b")
            parsed.flags["batch_size"] = parsed.flags["b"]
        return data

    def inventory(self, dialect: str) -> Inventory:
        from lrviz.frameworks.timm import keys

        return keys.INVENTORY

    def caveats(self, dialect: str) -> Mapping[str, str]:
        from lrviz.frameworks.timm import keys

        return keys.CAVEATS
