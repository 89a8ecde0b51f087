"""LLaMA-Factory's v1 layout (``model_class``, ``optim_config``, ``lr_scheduler_config``, ...), as its BaseTrainer runs it.

Read by ``read`` (BaseTrainer's step count), stepped by ``step`` (the LambdaLR BaseTrainer
builds), checked by ``rules``, written out by ``code``; ``keys`` classifies every argument of
the v1 parser. The classic layout (TrainingArguments keys) stays with the ``hf`` adapter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrviz.frameworks.base import Evidence, Inventory, LibraryAdapter, score_keys

#: v1 arguments no other format spells (``src/llamafactory/v1/config/*.py``).
STRONG = ("model_class", "train_dataset", "optim_config", "lr_scheduler_config", "dist_config", "batching_strategy")
WEAK = ("micro_batch_size", "global_batch_size", "cutoff_len", "num_train_epochs", "max_steps")


class LlamaFactoryV1(LibraryAdapter):
    modules = "lrviz.frameworks.llamafactory"
    stepper = "BaseTrainer"
    name = "llamafactory-v1"
    title = "LLaMA-Factory v1"
    applies = frozenset({"dataset_size", "world_size"})
    own_keys = {
        "optimizer": "learning_rate=VALUE",
        "lr": "learning_rate=VALUE",
        "epochs": "num_train_epochs=N (or max_steps=N)",
        "batch_size": "micro_batch_size=N",
    }

    def detect(self, data: Mapping[str, Any]) -> Evidence:
        """Its own keys' score; the shared batch keys count only beside one key only v1 spells."""
        evidence = score_keys(self.name, self.name, data, STRONG, WEAK)
        return evidence if any(k in STRONG for k in evidence.keys) else Evidence(self.name, self.name)

    def inventory(self, dialect: str) -> Inventory:
        from lrviz.frameworks.llamafactory import keys

        return keys.INVENTORY

    def caveats(self, dialect: str) -> Mapping[str, str]:
        from lrviz.frameworks.llamafactory import keys

        return keys.CAVEATS
