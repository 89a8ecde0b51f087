"""Config documents -> canonical layers: lrviz's own files, Hydra and LightningCLI nodes, and flags.

Both sources are first put in one canonical shape, keyed by PyTorch's own
argument names::

    {"epochs": 50, "steps_per_epoch": 1,
     "optimizer": {"name": "SGD", "lr": 0.1, "param_groups": [...]},
     "scheduler": {"name": "CosineAnnealingLR", "T_max": 10, ...},
     "metrics": [...], "label": ..., "title": ..., "warmup": ...}

each value remembering where it came from (``--t-max`` or ``wr.yaml:7:
scheduler.T_max``). Flags are merged over the file, then ``build.build_run``
validates everything in one place. Hydra (``_target_``) and LightningCLI
(``class_path`` + ``init_args``) nodes are read too, but only names inside
``torch.optim`` resolve; nothing is imported.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lrviz.config.layer import Layer, _Doc
from lrviz.errors import ConfigError, option
from lrviz.frameworks.torch.nodes import _optimizer_node, _scheduler_node
from lrviz.keys import KeyPath, dotted
from lrviz.schedules import get_scheduler, suggest

RUN_KEYS = (
    "epochs",
    "steps_per_epoch",
    "interval",
    "optimizer",
    "lr",
    "scheduler",
    "lr_scheduler",
    "metrics",
    "label",
    "title",
    "warmup",
    "warmup_start_factor",
    "expect",
    "dataset_size",
    "batch_size",
    "grad_accum",
    "world_size",
    "drop_last",
    "accelerate_processes",
    "split_batches",
    "trainer",
)


def from_document(
    data: Mapping[str, Any],
    path: Path | str = "<config>",
    key: str | None = None,
    lines: Mapping[KeyPath, int] | None = None,
    *,
    allow_import: tuple[str, ...] = (),
) -> Layer:
    """A layer from an already-parsed document: lrviz's own format, or a training config."""
    from lrviz.frameworks.torch import classes, training
    from lrviz.frameworks.torch.refusals import refuse

    label = str(path)
    doc = _Doc(path if isinstance(path, Path) or "(composed" in label else Path(path), lines or {}, allow_import)
    layer = Layer({}, {}, label)
    if not isinstance(data, Mapping):
        raise ConfigError(f"{label}: the top level must be a mapping")
    if key:
        node_path = _key_path(data, key, doc)
        node = training.get(data, node_path)
        if isinstance(node, Mapping) and native(node) and native(data):
            _root_node(dict(node), node_path, doc, layer)  # a part of an lrviz file
        elif isinstance(node, Mapping) and not _is_node(node) and isinstance(node.get("scheduler"), Mapping):
            training.read(data, (*node_path, "scheduler"), doc, layer)  # --key model: its scheduler node
        else:
            training.read(data, node_path, doc, layer)
        return layer
    refuse(data, label, doc.at, strong_only=True)  # a project registry's layout, before anything else
    data = _named_with_params(data, doc, layer)
    if native(data):
        _root_node(dict(data), (), doc, layer)
        return layer
    found = training.find_scheduler_nodes(data, known_scheduler)
    named_root = names_a_class(data) or not found  # a `name: plateau` label beside a class node is no node
    if classes.is_torch_scheduler_node(data, known_scheduler) and "scheduler" not in data and named_root:
        training.read(data, (), doc, layer)  # the file is itself one scheduler node
        return layer
    if not found and training.custom_scheduler_root(data):
        training.read(data, (), doc, layer)  # a project's own scheduler class: refused unless allowed
        return layer
    named = [p for p in found if p and p[-1] in training.SCHEDULER_KEYS]
    if len(found) > 1 and len(named) == 1:  # the one under a scheduler key is the run's (MONAI's lr_scheduler)
        others = ", ".join(_typed_key(p) for p in found if p != named[0])
        layer.notes.append(
            f"{label}: read {_typed_key(named[0])}; other scheduler nodes: {others} (pick with {option('key')})"
        )
        training.read(data, named[0], doc, layer)
        return layer
    if len(found) > 1:
        choices = ", ".join(_typed_key(p) for p in found)
        raise ConfigError(f"{label}: several scheduler nodes; pick one with {option('key')} (one of: {choices})")
    if found:
        training.read(data, found[0], doc, layer)
        return layer
    refuse(data, label, doc.at)
    defaults = data.get("defaults")
    picks = [str(d) for d in defaults if "sched" in str(d)] if isinstance(defaults, list) else []
    composed = (
        f"; its `defaults:` list {'picks it (' + '; '.join(picks) + ')' if picks else 'may pull one in'}: "
        f"compose the project with {option('config_dir')} DIR {option('config_name')} NAME"
        if isinstance(defaults, list)
        else ""
    )
    raise ConfigError(
        f"{label}: no scheduler found: lrviz looks for a `scheduler:`/`lr_scheduler:` node, or a node whose "
        f"_target_ or class_path names a torch.optim.lr_scheduler class{composed}"
    )


#: Siblings that hold the arguments of a scheduler named by a bare class name (``lr_scheduler: StepLR``).
_PARAMS_SUFFIXES = ("_params", "_kwargs", "_args", "_cfg", "_config")


def _named_with_params(data: Mapping[str, Any], doc: _Doc, layer: Layer) -> Mapping[str, Any]:
    """``lr_scheduler: CosineAnnealingWarmRestarts`` beside ``lr_scheduler_params: {T_0: 100}``, as one node.

    The class name is a torch scheduler's and its arguments sit in the sibling mapping, as the
    project's code passes them (``getattr(lr_scheduler, name)(optimizer, **params)``).
    """
    from lrviz.frameworks.torch.training import SCHEDULER_KEYS

    for key in SCHEDULER_KEYS:
        name = data.get(key)
        if not isinstance(name, str) or not known_scheduler(name.rsplit(".", 1)[-1]):
            continue
        for suffix in _PARAMS_SUFFIXES:
            params = data.get(key + suffix)
            if isinstance(params, Mapping):
                merged = dict(data)
                merged[key] = {"name": name.rsplit(".", 1)[-1], **params}
                del merged[key + suffix]
                lines = dict(doc.lines)
                for k in params:
                    if (key + suffix, k) in lines:
                        lines[(key, k)] = lines[(key + suffix, k)]
                doc.lines = lines
                layer.notes.append(
                    f"{doc.at((key,))}: read as {name} with the arguments under {key + suffix}, as the project's "
                    "code passes them"
                )
                return merged
    return data


def native(node: Mapping[str, Any]) -> bool:
    """lrviz's own format: a top-level `scheduler:` named by `name:` (or a bare name), no trainer sections."""
    sched = node.get("scheduler")
    if sched is None or any(k in node for k in ("trainer", "model", "lr_scheduler", "data", "datamodule")):
        return False
    if not (isinstance(sched, str) or (isinstance(sched, Mapping) and "name" in sched and not names_a_class(sched))):
        return False
    name = sched if isinstance(sched, str) else sched.get("name")
    # a lower-case name no torch class has, in a file with keys lrviz does not use, is a project's registry name
    return not (isinstance(name, str) and not known_scheduler(name) and any(k not in RUN_KEYS for k in node))


def names_a_class(node: Any) -> bool:
    return isinstance(node, Mapping) and ("_target_" in node or "class_path" in node)


def _is_node(node: Mapping[str, Any]) -> bool:
    return names_a_class(node) or isinstance(node.get("name"), str)


def _typed_key(path: KeyPath) -> str:
    """A key path as typed after ``--key``: dots, list indices as numbers (``model.schedulers.1``)."""
    return ".".join(str(p) for p in path)


def _key_path(data: Mapping[str, Any], key: str, doc: _Doc) -> KeyPath:
    node: Any = data
    path: KeyPath = ()
    for part in key.split("."):
        here = dotted(path) or "the top level"
        if isinstance(node, list):
            if not part.lstrip("-").isdigit() or not -len(node) <= int(part) < len(node):
                raise ConfigError(
                    f"{doc.path}: {option('key')} {key}: {here} is a list of {len(node)}; use an index 0 to {len(node) - 1}"
                )
            index = int(part) % len(node)
            node, path = node[index], (*path, index)
            continue
        if not isinstance(node, Mapping):
            raise ConfigError(f"{doc.path}: {option('key')} {key}: {here} is not a mapping")
        match = part if part in node else next((k for k in node if str(k) == part), None)
        if match is None:
            options = sorted(str(k) for k in node)
            raise ConfigError(
                f"{doc.path}: {option('key')} {key}: no key {part!r} under {here}{suggest(part, options)}"
            )
        node, path = node[match], (*path, match)
    if not isinstance(node, Mapping):
        raise ConfigError(f"{doc.at(path)}: {option('key')} must name a mapping, got {type(node).__name__}")
    return path


def _is_scheduler_node(node: Mapping[str, Any]) -> bool:
    name = node.get("_target_") or node.get("class_path") or node.get("name")
    return isinstance(name, str) and (name.startswith("torch.optim.lr_scheduler.") or known_scheduler(name))


def known_scheduler(name: str) -> bool:
    try:
        get_scheduler(name)
    except ConfigError:
        return False
    return True


def _root_node(root: dict[str, Any], base: KeyPath, doc: _Doc, layer: Layer) -> None:
    sched_key = "scheduler" if "scheduler" in root else "lr_scheduler" if "lr_scheduler" in root else None
    if sched_key is None:
        hint = ""
        for k in root:
            if isinstance(root[k], dict) and any(
                isinstance(v, dict) and _is_scheduler_node(v) for v in root[k].values()
            ):
                hint = f"; use {option('key')} {k}.<node> to pick it out of a larger config"
        raise ConfigError(f"{doc.path}: no `scheduler:` mapping at {dotted(base) or 'the top level'}{hint}")
    node = root[sched_key]
    if isinstance(node, dict) and ("_target_" in node or "class_path" in node):
        layer.foreign = True
    if sched_key == "lr_scheduler" or "trainer" in root or "model" in root:
        layer.foreign = True
    layer.data["scheduler"] = _scheduler_node(node, (*base, sched_key), ("scheduler",), doc, layer, 0)
    for k, value in root.items():
        orig = (*base, k)
        if k in ("scheduler", "lr_scheduler"):
            continue
        if k == "optimizer":
            layer.data["optimizer"] = _optimizer_node(value, orig, doc, layer)
        elif k == "lr":
            continue  # after the loop, once `optimizer:` (wherever it stands) is in
        elif k == "trainer":
            if isinstance(value, dict) and "max_epochs" in value and "epochs" not in root:
                layer.data["epochs"] = value["max_epochs"]
                layer.where[("epochs",)] = doc.at((*orig, "max_epochs"))
        elif k in RUN_KEYS:
            layer.data[k] = value
            layer.where[(k,)] = doc.at(orig)
        elif not layer.foreign:
            raise ConfigError(
                f"{doc.at(orig)}: unknown key{suggest(str(k), RUN_KEYS)}; "
                f"top-level keys are {', '.join(k for k in RUN_KEYS if k not in ('lr_scheduler', 'trainer'))}"
            )
    if "lr" in root:
        optimizer = layer.data.setdefault("optimizer", {})
        if "lr" in optimizer:
            raise ConfigError(f"{doc.at((*base, 'lr'))}: lr is also set under optimizer:; set it in one place")
        optimizer["lr"] = root["lr"]
        layer.where[("optimizer", "lr")] = doc.at((*base, "lr"))
