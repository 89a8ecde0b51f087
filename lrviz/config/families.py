"""Training configs of other frameworks lrviz steps: recognised here, read by ``hf`` and ``timm``.

``detect`` looks at a parsed document before lrviz reads it as its own format: a
Hugging Face ``TrainingArguments`` file (also as LLaMA-Factory, TRL and axolotl spell
it), a timm ``train.py`` ``args.yaml``, or a DeepSpeed config (``ds_config.json``) with a
top-level ``scheduler: {type, params}`` block. A recognised
document becomes a ``Layer`` holding the whole document under ``document`` and its
dialect under ``dialect``; flags merged over it (``--dataset-size``, ``--world-size``,
``--epochs``) stay at the top level. ``build`` turns such a layer into a ``RunConfig``
(``hf``, ``timm`` or ``deepspeed`` read it).

Nothing here imports torch, transformers, timm or deepspeed.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lrviz.config.layer import Layer
from lrviz.errors import ConfigError
from lrviz.keys import KeyPath, dotted
from lrviz.model import RunConfig

#: The pip extra that installs each framework.
EXTRAS = {"transformers": "hf", "timm": "timm", "deepspeed": "deepspeed"}

#: HF TrainingArguments fields that mark a document as one (LLaMA-Factory and TRL use the same names).
_HF_MARKS = ("lr_scheduler_type", "per_device_train_batch_size", "num_train_epochs", "gradient_accumulation_steps")
#: axolotl's own spellings.
_AXOLOTL_MARKS = ("micro_batch_size", "cosine_min_lr_ratio", "cosine_constant_lr_ratio")
#: timm train.py arguments that no other format uses.
_TIMM_MARKS = ("sched", "sched_on_updates", "lr_base", "lr_base_size", "lr_cycle_limit", "warmup_prefix")


def dialect_of(data: Mapping[str, Any]) -> str | None:
    """``"hf"``, ``"axolotl"``, ``"timm"``, ``"deepspeed"`` or None (lrviz's own format, Hydra, Lightning)."""
    if "scheduler" in data:
        return "deepspeed" if is_deepspeed_block(data["scheduler"]) else None
    if isinstance(data.get("sched"), str) or any(k in data for k in _TIMM_MARKS[1:]):
        return "timm"
    if any(k in data for k in _AXOLOTL_MARKS) or isinstance(data.get("lr_scheduler"), str) and "num_epochs" in data:
        return "axolotl"
    if any(k in data for k in _HF_MARKS) or "learning_rate" in data and ("warmup_steps" in data or "max_steps" in data):
        return "hf"
    return None


def detect(data: dict[str, Any], path: Path, lines: Mapping[KeyPath, int], key: str | None) -> Layer | None:
    """A layer for a framework's document, or None when ``data`` is not one (or ``key`` picks a node)."""
    if key:
        return None
    dialect = dialect_of(data)
    if dialect is None:
        return None
    layer = Layer({"dialect": dialect, "document": data}, {}, str(path), foreign=True)
    for kp, line in lines.items():
        layer.where[("document", *kp)] = f"{path}:{line}: {dotted(kp)}"
    return layer


def is_deepspeed_block(node: Any) -> bool:
    """A DeepSpeed ``scheduler: {type: Name, params: {...}}`` node (no other keys)."""
    return isinstance(node, Mapping) and isinstance(node.get("type"), str) and set(node) <= {"type", "params"}


def require(module: str) -> None:
    """ConfigError naming the pip extra when an optional framework is not installed."""
    if importlib.util.find_spec(module) is None:
        raise ConfigError(f"needs {module}: pip install 'lrviz[{EXTRAS[module]}]'")


def build(layer: Layer) -> RunConfig:
    """Validate a framework's layer into a run (``hf``, ``timm`` or ``deepspeed``)."""
    dialect = layer.data["dialect"]
    if dialect in ("hf", "axolotl"):
        from lrviz.config import hf

        return hf.build(layer)
    if dialect == "deepspeed":
        from lrviz.config import deepspeed

        return deepspeed.build(layer)
    from lrviz.config import timm

    return timm.build(layer)


class Fields:
    """A framework document's values, with where each came from (a file line, or a flag)."""

    def __init__(self, layer: Layer) -> None:
        self.layer = layer
        self.doc: dict[str, Any] = dict(layer.data["document"])
        self.origin = layer.origin

    def at(self, key: str, *more: str | int) -> str:
        path: KeyPath = ("document", key, *more)
        if path[:2] in self.layer.where or path in self.layer.where:
            return self.layer.at(path)
        return f"{self.origin}: {dotted((key, *more))}" if self.origin != "flags" else dotted((key, *more))

    @property
    def prefix(self) -> str:
        """``args.yaml: `` for a file; nothing for flags."""
        return "" if self.origin == "flags" else f"{self.origin}: "

    def given(self, key: str) -> bool:
        return key in self.doc and self.doc[key] is not None

    def override(self, key: str) -> Any:
        """A run option merged over the document (``--dataset-size``), or None."""
        return self.layer.data.get(key)

    def override_at(self, key: str) -> str:
        return self.layer.at((key,))
