"""Training configs (Hydra, OmegaConf, LightningCLI, plain YAML/JSON) -> the parts of a run lrviz needs.

A training config is written for a trainer, not for lrviz: its keys mean what the
trainer means by them (a model's ``metrics:`` are not lrviz's metrics). From it lrviz
reads exactly these, where the trainer reads them:

* the scheduler node: the file itself (a Hydra ``configs/scheduler/x.yaml``), a
  ``scheduler``/``lr_scheduler`` node, any node whose ``_target_``/``class_path`` names a
  ``torch.optim.lr_scheduler`` class, or the one ``--key`` picks; inside a Lightning
  scheduler dict (``scheduler:`` plus ``interval``, ``frequency``, ``monitor``), the inner node;
* how often it steps: the Lightning dict's ``interval``/``frequency``, a sibling
  ``scheduler_config``/``lr_scheduler_config`` mapping, or a top-level ``interval:``;
* the optimizer: beside the scheduler node, then up the tree (the nearest
  ``optimizer``/``optim`` node), LightningCLI's top-level ``optimizer:``, ``model.optimizer``;
  when none is found, the default is used and a note says so;
* the run length: ``trainer.max_epochs``, else ``trainer.max_steps``; the steps per
  epoch from ``trainer.limit_train_batches`` and ``accumulate_grad_batches``; a
  top-level ``epochs``/``max_epochs``/``num_epochs`` when there is no trainer, with a note.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from lrviz.config.interpolation import Unresolved
from lrviz.config.lazy import children
from lrviz.errors import ConfigError, option
from lrviz.frameworks.torch.classes import (
    TORCH_SCHEDULER,
    is_torch_scheduler_node,
    names_a_class,
    partial_target,
    type_name,
)
from lrviz.frameworks.torch.nodes import _optimizer_node, _scheduler_node
from lrviz.keys import KeyPath

if TYPE_CHECKING:
    from lrviz.config.layer import Layer, _Doc

SCHEDULER_KEYS = ("scheduler", "lr_scheduler", "lr_scheduler_init")
OPTIMIZER_KEYS = ("optimizer", "optim", "optimizer_init")
LIGHTNING_KEYS = ("interval", "frequency", "monitor", "strict", "name")
CONFIG_SIBLINGS = ("scheduler_config", "lr_scheduler_config", "scheduler_cfg")
EPOCH_KEYS = ("epochs", "max_epochs", "num_epochs", "epoches")  # epoches: RT-DETR's own spelling


def custom_scheduler_root(data: Mapping[str, Any]) -> bool:
    """A file that is one node naming a class that looks like a scheduler (``configs/scheduler/x.yaml``)."""
    name = data.get("_target_") or data.get("class_path")
    return isinstance(name, str) and bool(
        re.search(r"sched|lr|warm|anneal|cosine|decay|cycl", name.rsplit(".", 1)[-1], re.I)
    )


def is_lightning_dict(node: Any) -> bool:
    """``{scheduler: {...}, interval: step, ...}``: what ``configure_optimizers`` returns, as config."""
    return (
        isinstance(node, Mapping)
        and isinstance(node.get("scheduler"), Mapping)
        and names_a_class(node["scheduler"])
        and any(k in node for k in ("interval", "frequency", "monitor"))
    )


def find_scheduler_nodes(data: Any, known: Any) -> list[KeyPath]:
    """Every scheduler node in a training config, outermost first; a found node is not searched further."""
    found: list[KeyPath] = []
    for path, key, node in _walk(data):
        if any(path[: len(f)] == f for f in found):
            continue
        if is_lightning_dict(node) or is_torch_scheduler_node(node, known) and names_a_class(node):
            found.append(path)
        elif key in SCHEDULER_KEYS and (names_a_class(node) or is_torch_scheduler_node(node, known)):
            found.append(path)
        elif type_name(node, known):
            found.append(path)
    return found


def _walk(node: Any, path: KeyPath = (), key: Any = None, depth: int = 0) -> Iterator[tuple[KeyPath, Any, Any]]:
    if depth > 10:
        return
    if isinstance(node, Mapping):
        if path:
            yield path, key, node
        for k, v in children(node):  # on a lazy document, only values that may be mappings are read
            yield from _walk(v, (*path, k), k, depth + 1)
    elif isinstance(node, list):
        for i, v in children(node):
            yield from _walk(v, (*path, i), key, depth + 1)


def get(data: Any, path: KeyPath) -> Any:
    node = data
    for part in path:
        node = node[part]
    return node


def read(data: Mapping[str, Any], path: KeyPath, doc: _Doc, layer: Layer) -> None:
    """Fill ``layer`` from the scheduler node at ``path`` of the training config ``data``."""

    layer.foreign = True
    node = get(data, path)
    sched_path = path
    stepping: dict[str, tuple[Any, KeyPath]] = {}
    if is_lightning_dict(node):
        stepping.update({k: (node[k], (*path, k)) for k in ("interval", "frequency") if k in node})
        sched_path = (*path, "scheduler")
        node = node["scheduler"]
    parent_path = sched_path[:-1]
    parent = get(data, parent_path) if sched_path else None
    if isinstance(parent, Mapping):
        for sibling, cfg in parent.items():
            # scheduler_config & co., or any sibling mapping that is Lightning's stepping (Matcha-TTS's
            # `lightning_args: {interval: step, frequency: 10}`): configure_optimizers passes it on
            if isinstance(cfg, Mapping) and (sibling in CONFIG_SIBLINGS or cfg.get("interval") in ("step", "epoch")):
                for k in ("interval", "frequency"):
                    if k in cfg and k not in stepping:
                        stepping[k] = (cfg[k], (*parent_path, sibling, k))
        # a Lightning-style sibling `interval: step|epoch` (and its `frequency`), never a lone `frequency`
        if parent is not data and parent.get("interval") in ("step", "epoch") and "interval" not in stepping:
            for k in ("interval", "frequency"):
                if k in parent and k not in stepping:
                    stepping[k] = (parent[k], (*parent_path, k))
    if "interval" in data and "interval" not in stepping:
        stepping["interval"] = (data["interval"], ("interval",))  # a top-level interval: is never dropped
    layer.data["scheduler"] = _scheduler_node(node, sched_path, ("scheduler",), doc, layer, 0)
    for k, (value, where) in stepping.items():
        layer.data[k] = value  # unresolved values fail in build_run, unless a flag replaced them
        layer.where[(k,)] = doc.at(where)
    trainer = data.get("trainer")
    accum = trainer.get("accumulate_grad_batches") if isinstance(trainer, Mapping) else None
    every = stepping.get("frequency", (1, ()))[0]
    per_step = stepping.get("interval", ("epoch", ()))[0] == "step"
    if per_step and isinstance(every, int) and every > 1 and isinstance(accum, int) and accum > 1:
        raise ConfigError(
            f"{doc.at(stepping['frequency'][1])}: Lightning counts a per-step frequency in batches from the epoch's "
            f"start (batch_idx), not in optimizer steps, and lrviz does not model that with accumulate_grad_batches "
            f"{accum}; to draw the run without accumulation: {option('overrides')} trainer.accumulate_grad_batches=1"
        )

    found = _find_optimizer(data, sched_path)
    if found is not None:
        layer.data["optimizer"] = _optimizer_node(get(data, found), found, doc, layer)
    else:
        layer.note_unless_set(
            (("optimizer", "name"), ("optimizer", "lr")),
            f"{doc.path}: no optimizer node found beside or above the scheduler; lrviz used SGD(lr=0.1); "
            f"set {option('optimizer')} and {option('lr')}, or {option('overrides')} optimizer.lr=...",
        )
    _top_level_lr(data, doc, layer)
    _run_length(data, doc, layer)
    _unread_lr_keys(data, sched_path, found, doc, layer)
    sched = layer.data["scheduler"]
    spe = sched.get("steps_per_epoch") if isinstance(sched, dict) and sched.get("name") == "OneCycleLR" else None
    if isinstance(spe, int) and not isinstance(spe, bool) and spe > 0 and "steps_per_epoch" not in layer.data:
        # OneCycleLR's own steps_per_epoch is how many steps an epoch of this run has
        layer.data["steps_per_epoch"] = spe
        layer.where[("steps_per_epoch",)] = layer.where[("scheduler", "steps_per_epoch")]


#: Words that make an unread key worth a note: it names a schedule of its own, not a plain number.
_SCHEDULE_WORDS = re.compile(r"warmup|sched|restart|cycle|anneal|decay_steps|decay_epochs|milestone", re.I)


def _unread_lr_keys(
    data: Mapping[str, Any], sched_path: KeyPath, optimizer_path: KeyPath | None, doc: _Doc, layer: Layer
) -> None:
    """A note for each key beside the scheduler (or at the top) that looks like a schedule lrviz did not read.

    RT-DETRv2's ``lr_warmup_scheduler: {type: LinearWarmup, ...}`` wraps the scheduler in the project's
    own warmup; lrviz cannot step it, and says so instead of drawing the run without it.
    """
    from lrviz.frameworks.base import looks_like_lr_key

    used = {sched_path[:1], sched_path, *(() if optimizer_path is None else (optimizer_path[:1], optimizer_path))}
    places: list[tuple[KeyPath, Mapping[str, Any]]] = (
        [((), data)] if sched_path else []
    )  # a root node's keys are its own
    if len(sched_path) > 1 and isinstance(get(data, sched_path[:-1]), Mapping):
        places.append((sched_path[:-1], get(data, sched_path[:-1])))
    skip = {"trainer", "defaults", "interval", "frequency", *EPOCH_KEYS, *CONFIG_SIBLINGS, *OPTIMIZER_KEYS}
    for base, node in places:
        for key in node:  # by name first: a value is read (interpolation resolved) only for a key that may matter
            path = (*base, key)
            name = str(key)
            if path in used or name in skip or not looks_like_lr_key(name):
                continue
            if _SCHEDULE_WORDS.search(name) or isinstance(node[key], Mapping):
                layer.notes.append(
                    f"{doc.at(path)}: not read; it looks like part of the schedule (the project's own code reads "
                    "it), so the real run may differ from this curve"
                )


def _top_level_lr(data: Mapping[str, Any], doc: _Doc, layer: Layer) -> None:
    """A top-level ``lr:``/``learning_rate:`` when the optimizer node gives none: the LR the project passes it."""
    optimizer = layer.data.get("optimizer")
    if isinstance(optimizer, dict) and "lr" in optimizer:
        return
    for key in ("lr", "learning_rate", "base_lr"):
        value = data.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            layer.data.setdefault("optimizer", {})["lr"] = value
            layer.where[("optimizer", "lr")] = doc.at((key,))
            layer.notes.append(f"{doc.at((key,))}: read as the optimizer's lr (the optimizer node gives none)")
            return


def _find_optimizer(data: Mapping[str, Any], sched_path: KeyPath) -> KeyPath | None:
    for end in range(len(sched_path) - 1, -1, -1):
        ancestor = get(data, sched_path[:end])
        if isinstance(ancestor, Mapping):
            for key in OPTIMIZER_KEYS:
                value = ancestor.get(key)
                if _optimizer_like(value):
                    return (*sched_path[:end], key)
            for key, value in ancestor.items():  # optimizer_partial:, optimizer_cfg:, ... naming a torch class
                target = (
                    partial_target(value) or value.get("_target_") or value.get("class_path")
                    if isinstance(value, Mapping)
                    else None
                )
                if "optim" in str(key) and isinstance(target, str) and target.startswith("torch.optim."):
                    if not target.startswith(TORCH_SCHEDULER):
                        return (*sched_path[:end], key)
    model = data.get("model")
    if isinstance(model, Mapping):
        init = model.get("init_args")
        for holder, base in ((model, ("model",)), (init, ("model", "init_args"))):
            if isinstance(holder, Mapping) and _optimizer_like(holder.get("optimizer")):
                return (*base, "optimizer")
    return None


def _optimizer_like(value: Any) -> bool:
    if isinstance(value, str):
        return value.startswith("torch.optim.") or value.replace("_", "").isalpha()
    target = partial_target(value)
    if target is not None:
        return target.startswith("torch.optim.") and not target.startswith(TORCH_SCHEDULER)
    return isinstance(value, Mapping) and any(k in value for k in ("_target_", "class_path", "name", "lr"))


def _run_length(data: Mapping[str, Any], doc: _Doc, layer: Layer) -> None:
    """Epochs and steps per epoch from the trainer section, as Lightning reads them."""
    trainer = data.get("trainer")
    trainer = trainer.get("init_args", trainer) if isinstance(trainer, Mapping) else None
    epochs_set = False
    if isinstance(trainer, Mapping):
        max_epochs = trainer.get("max_epochs")
        if max_epochs is not None and not (isinstance(max_epochs, int) and max_epochs < 0):
            layer.data["epochs"] = max_epochs
            layer.where[("epochs",)] = doc.at(("trainer", "max_epochs"))
            epochs_set = True
        max_steps = trainer.get("max_steps")
        if max_steps is not None and not (
            isinstance(max_steps, int) and not isinstance(max_steps, bool) and max_steps <= 0
        ):
            # a value lrviz cannot read yet (a string, an unresolved ${...}) is validated, never dropped
            layer.data["max_steps"] = max_steps
            layer.where[("max_steps",)] = doc.at(("trainer", "max_steps"))
        accum = trainer.get("accumulate_grad_batches")
        limit = trainer.get("limit_train_batches")
        if isinstance(limit, int) and not isinstance(limit, bool) and limit > 1:
            steps = limit if not isinstance(accum, int) or accum <= 1 else -(-limit // accum)
            layer.data["steps_per_epoch"] = steps
            layer.where[("steps_per_epoch",)] = doc.at(("trainer", "limit_train_batches"))
        elif isinstance(accum, int) and not isinstance(accum, bool) and accum > 1:
            layer.data["grad_accum"] = accum
            layer.where[("grad_accum",)] = doc.at(("trainer", "accumulate_grad_batches"))
    if epochs_set or "max_steps" in layer.data:
        return
    for key in EPOCH_KEYS:
        value = data.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            layer.data["epochs"] = value
            layer.where[("epochs",)] = doc.at((key,))
            layer.note_unless_set((("epochs",),), f"{doc.at((key,))}: read as the number of epochs ({value:,})")
            return
        if isinstance(value, Unresolved):
            return
