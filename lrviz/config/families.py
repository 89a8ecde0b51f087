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
from lrviz.errors import ConfigError, option
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
    """``"hf"``, ``"axolotl"``, ``"timm"``, ``"deepspeed"`` or None (lrviz's own format, Hydra, Lightning).

    A document holding a torch scheduler node (``_target_``/``class_path``) is a training config for
    that node, whatever other keys it has: it is never taken for another framework's file.
    """
    if "scheduler" in data:
        return "deepspeed" if is_deepspeed_block(data["scheduler"]) else None
    if _has_class_node(data):
        return None
    if isinstance(data.get("sched"), str) or any(k in data for k in _TIMM_MARKS[1:]):
        return "timm"
    if any(k in data for k in _AXOLOTL_MARKS) or isinstance(data.get("lr_scheduler"), str) and "num_epochs" in data:
        return "axolotl"
    if any(k in data for k in _HF_MARKS) or "learning_rate" in data and ("warmup_steps" in data or "max_steps" in data):
        return "hf"
    return None


def _has_class_node(node: Any, depth: int = 0) -> bool:
    if isinstance(node, Mapping):
        if "_target_" in node or "class_path" in node:
            return True
        return depth < 8 and any(_has_class_node(v, depth + 1) for v in node.values())
    if isinstance(node, list):
        return depth < 8 and any(_has_class_node(v, depth + 1) for v in node)
    return False


def detect(data: dict[str, Any], path: Path, lines: Mapping[KeyPath, int], key: str | None) -> Layer | None:
    """A layer for a framework's document, or None when ``data`` is not one (or ``key`` picks a node)."""
    if key:
        return None
    if isinstance(data.get("log_history"), list):
        raise ConfigError(
            f"{path}: a trainer_state.json is a run's log, not its config; compare it with the plan: "
            f"lrviz check CONFIG {option('against')} {path}"
        )
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


#: The run options each framework's file takes from flags; any other is refused, never ignored.
_APPLIES = {
    "hf": {"dataset_size", "world_size", "metrics"},
    "axolotl": {"dataset_size", "world_size", "metrics"},
    "timm": {"epochs", "batch_size", "world_size", "steps_per_epoch", "dataset_size", "metrics"},
    "deepspeed": {"max_steps", "epochs", "steps_per_epoch"},
}
#: Where a framework's file keeps what a run option would set: the --set that does it instead.
_OWN_KEY = {
    ("hf", "optimizer"): "learning_rate=VALUE (and optim=...)",
    ("hf", "epochs"): "num_train_epochs=N (or max_steps=N)",
    ("hf", "batch_size"): "per_device_train_batch_size=N",
    ("hf", "grad_accum"): "gradient_accumulation_steps=N",
    ("timm", "optimizer"): "lr=VALUE (and opt=...)",
    ("timm", "grad_accum"): "grad_accum_steps=N",
    ("deepspeed", "optimizer"): "optimizer.params.lr=VALUE",
}
_NAMES = {
    "hf": "Hugging Face TrainingArguments",
    "axolotl": "axolotl",
    "timm": "timm args.yaml",
    "deepspeed": "DeepSpeed",
}


def _refuse_foreign_options(layer: Layer, dialect: str) -> None:
    for key in layer.data:
        if key in ("dialect", "document", "label", "title") or key in _APPLIES[dialect]:
            continue
        own = _OWN_KEY.get(("hf" if dialect == "axolotl" else dialect, key))
        fix = f"set the file's own key: {option('overrides')} {own}" if own else "it has no equivalent there"
        value = layer.data[key]
        path = (key, next(iter(value))) if isinstance(value, dict) and value else (key,)
        raise ConfigError(f"{layer.at(path)}: does not apply to a {_NAMES[dialect]} file; {fix}")


def build(layer: Layer) -> RunConfig:
    """Validate a framework's layer into a run (``hf``, ``timm`` or ``deepspeed``)."""
    dialect = layer.data["dialect"]
    _refuse_foreign_options(layer, dialect)
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
