"""diffusers: its example training scripts' flags (a launch command) or a config that calls ``get_scheduler``.

Read by ``read`` (the scripts' defaults and the arithmetic before ``get_scheduler``),
stepped by ``step`` (``diffusers.optimization.get_scheduler``, stepped as accelerate's
prepared scheduler steps it), checked by ``rules``, written out by ``code``; ``keys``
classifies every documented flag.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrviz.frameworks.base import Evidence, Inventory, LibraryAdapter, score_keys

#: Flags only diffusers' scripts spell so.
_STRONG = ("lr_warmup_steps", "lr_num_cycles", "lr_power", "max_train_steps", "train_batch_size", "scale_lr")
_WEAK = ("learning_rate", "num_train_epochs", "gradient_accumulation_steps", "pretrained_model_name_or_path")
#: What a script's other flags say: a diffusion model (these are no TrainingArguments fields).
_MARKS = ("resolution", "center_crop", "random_flip", "instance_prompt", "validation_prompt", "snr_gamma", "use_ema")


class Diffusers(LibraryAdapter):
    modules = "lrviz.frameworks.diffusers"
    stepper = "TrainingScript"
    name = "diffusers"
    title = "diffusers training script"
    package = "diffusers"
    extra = "diffusers"
    applies = frozenset({"dataset_size", "world_size", "script"})
    own_keys = {
        "lr": "learning_rate=VALUE",
        "epochs": "max_train_steps=N (or num_train_epochs=N)",
        "batch_size": "train_batch_size=N",
        "grad_accum": "gradient_accumulation_steps=N",
    }

    def detect(self, data: Mapping[str, Any]) -> Evidence:
        evidence = score_keys(self.name, self.name, data, _STRONG, _WEAK)
        if not any(k in _STRONG for k in evidence.keys):
            return Evidence(self.name, self.name)
        found = tuple(k for k in _MARKS if k in data)
        if isinstance(data.get("lr_scheduler"), str):
            found = ("lr_scheduler", *found)
        return Evidence(
            self.name, self.name, evidence.score + len(found), (*evidence.keys, *found), (*evidence.weak, *found)
        )

    def inventory(self, dialect: str) -> Inventory:
        from lrviz.frameworks.diffusers import keys

        return keys.INVENTORY

    def caveats(self, dialect: str) -> Mapping[str, str]:
        from lrviz.frameworks.diffusers import keys

        return keys.CAVEATS
