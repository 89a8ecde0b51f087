"""torchtune recipe configs (``_component_`` nodes, ``epochs``, ``max_steps_per_epoch``), as its recipes run them.

Read by ``read`` (the recipe's step count), stepped by ``step`` (the ``lr_scheduler`` component,
built with ``torchtune.config.instantiate`` and stepped once per optimizer step), checked by
``rules``, written out by ``code``; ``keys`` classifies a recipe config's keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrviz.config.lazy import children
from lrviz.frameworks.base import STRONG, Evidence, Inventory, LibraryAdapter, score_keys

#: keys of torchtune's recipes that no other format uses, and keys it shares
STRONG_KEYS = ("checkpointer", "max_steps_per_epoch", "clip_grad_norm", "optimizer_in_bwd", "resume_from_checkpoint")
WEAK_KEYS = ("gradient_accumulation_steps", "enable_activation_checkpointing", "log_every_n_steps")


class TorchTune(LibraryAdapter):
    modules = "lrviz.frameworks.torchtune"
    stepper = "Recipe"
    name = "torchtune"
    title = "torchtune recipe"
    package = "torchtune"
    extra = "torchtune"
    applies = frozenset({"dataset_size", "world_size", "steps_per_epoch"})
    own_keys = {
        "optimizer": "optimizer.lr=VALUE",
        "lr": "optimizer.lr=VALUE",
        "epochs": "epochs=N",
        "batch_size": "batch_size=N",
        "grad_accum": "gradient_accumulation_steps=N",
    }

    def detect(self, data: Mapping[str, Any]) -> Evidence:
        """``_component_`` nodes (torchtune's instantiate key) plus the recipe's own keys."""
        components = [k for k, v in children(data) if isinstance(v, Mapping) and "_component_" in v]
        if not components:
            return Evidence(self.name, self.name)
        base = score_keys(self.name, self.name, data, STRONG_KEYS, WEAK_KEYS)
        found = tuple(f"{k}._component_" for k in components)
        return Evidence(self.name, self.name, base.score + STRONG * len(components), found + base.keys, base.weak)

    def inventory(self, dialect: str) -> Inventory:
        from lrviz.frameworks.torchtune import keys

        return keys.INVENTORY

    def caveats(self, dialect: str) -> Mapping[str, str]:
        from lrviz.frameworks.torchtune import keys

        return keys.CAVEATS
