"""Megatron-LM / megatron-core: a launch command's flags (``pretrain_gpt.py --lr ... --lr-decay-style cosine``).

Read by ``read`` (Megatron's defaults and ``get_optimizer_param_scheduler``'s sample arithmetic),
stepped by ``step`` (megatron-core's ``OptimizerParamScheduler`` over a plain torch optimizer,
advanced by the global batch size each iteration), checked by ``rules``, written out by ``code``;
``keys`` classifies every Megatron argument. Only a launch command is read: a YAML file with
Megatron-style keys is GPT-NeoX's (refused in ``frameworks.refused``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrviz.frameworks.base import Evidence, Inventory, LibraryAdapter, score_keys

_STRONG = (
    "lr_decay_style",
    "lr_decay_iters",
    "lr_decay_samples",
    "lr_warmup_iters",
    "lr_warmup_fraction",
    "lr_warmup_samples",
    "train_iters",
    "train_samples",
    "global_batch_size",
    "tensor_model_parallel_size",
    "pipeline_model_parallel_size",
)
_WEAK = ("lr", "min_lr", "micro_batch_size", "num_layers", "hidden_size", "seq_length", "num_attention_heads")


class Megatron(LibraryAdapter):
    modules = "lrviz.frameworks.megatron"
    stepper = "TrainingLoop"
    name = "megatron"
    title = "Megatron-LM launch command"
    package = "megatron.core"
    extra = "megatron"
    applies = frozenset({"world_size"})
    own_keys = {
        "lr": "--lr VALUE",
        "epochs": "--train-iters N (or --train-samples N)",
        "batch_size": "--global-batch-size N",
    }

    def detect(self, data: Mapping[str, Any]) -> Evidence:
        if "__script__" not in data:  # a YAML file with these keys is GPT-NeoX's: refused there
            return Evidence(self.name, self.name)
        evidence = score_keys(self.name, self.name, data, _STRONG, _WEAK)
        script = str(data["__script__"]).rsplit("/", 1)[-1]
        if evidence and script.startswith("pretrain_"):
            return Evidence(
                self.name, self.name, evidence.score + 1, (*evidence.keys, script), (*evidence.weak, script)
            )
        return evidence if any(k in _STRONG for k in evidence.keys) else Evidence(self.name, self.name)

    def inventory(self, dialect: str) -> Inventory:
        from lrviz.frameworks.megatron import keys

        return keys.INVENTORY

    def caveats(self, dialect: str) -> Mapping[str, str]:
        from lrviz.frameworks.megatron import keys

        return keys.CAVEATS
