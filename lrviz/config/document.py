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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lrviz.errors import ConfigError, option
from lrviz.keys import KeyPath, dotted
from lrviz.schedules import get_scheduler, suggest

#: Upper bound on nested scheduler depth (SequentialLR inside SequentialLR ...).
MAX_DEPTH = 8

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
    "trainer",
)
_HYDRA_META = ("_partial_", "_recursive_", "_convert_", "_args_")
_IGNORED_SCHEDULER_KEYS = ("optimizer", "verbose")
_SCHEDULER_PREFIX = "torch.optim.lr_scheduler."
_OPTIMIZER_PREFIX = "torch.optim."

# ---------------------------------------------------------------------------
# Raw layers: canonical dicts plus where each value came from


@dataclass
class Layer:
    """Canonical-shaped values from one source, and where each came from."""

    data: dict[str, Any]
    where: dict[KeyPath, str]
    origin: str  # "flags" or a file name: used for values with no recorded location
    foreign: bool = False  # a training config (Hydra/Lightning): extra top-level keys are fine

    def at(self, path: KeyPath) -> str:
        for end in range(len(path), 0, -1):
            if path[:end] in self.where:
                found = self.where[path[:end]]
                return found if end == len(path) else f"{found}{dotted(path[end:]) and '.' + dotted(path[end:])}"
        return f"{self.origin}: {dotted(path)}" if self.origin != "flags" else dotted(path)


def from_flags(values: Mapping[KeyPath, tuple[str, Any]]) -> Layer:
    """A layer from CLI flags: {canonical path: (flag name, value)}; None values are skipped."""
    layer = Layer({}, {}, "flags")
    for path, (flag, value) in values.items():
        if value is None:
            continue
        node: dict[Any, Any] = layer.data
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
        layer.where[path] = flag
    return layer


class _Doc:
    """Locations inside one YAML file."""

    def __init__(self, path: Path, lines: dict[KeyPath, int]) -> None:
        self.path = path
        self.lines = lines

    def at(self, orig: KeyPath) -> str:
        for end in range(len(orig), -1, -1):
            if orig[:end] in self.lines:
                return f"{self.path}:{self.lines[orig[:end]]}: {dotted(orig)}"
        return f"{self.path}: {dotted(orig)}"


def load_file(path: Path, key: str | None = None) -> Layer:
    """Read a YAML config (optionally the node at dotted ``key``) into a canonical layer."""
    from lrviz.config.files import read_yaml  # PyYAML only when a file is read

    data, lines = read_yaml(path)
    return from_document(data, path, key, lines)


def from_document(
    data: dict[str, Any], path: Path | str = "<config>", key: str | None = None, lines: dict[KeyPath, int] | None = None
) -> Layer:
    """A layer from an already-parsed document (the mapping a YAML file holds)."""
    path = Path(path)
    from lrviz.config.dialects import detect  # other frameworks' files (HF, timm): read by their own modules

    framework = detect(data, path, lines or {}, key)
    if framework is not None:
        return framework
    doc = _Doc(path, lines or {})
    layer = Layer({}, {}, str(path))
    if key is None and "scheduler" not in data and "lr_scheduler" not in data:
        found = _find_scheduler_nodes(data, ())
        if len(found) > 1:
            choices = ", ".join(dotted(p) for p in found)
            raise ConfigError(f"{path}: several scheduler nodes ({choices}); pick one with {option('key')}")
        if found:
            key = dotted(found[0])
    if not key:
        _root_node(data, (), doc, layer)
        return layer
    root: Any = data
    root_path: KeyPath = ()
    parent: Any = None
    for part in key.split("."):
        if not isinstance(root, dict) or part not in root:
            here = dotted(root_path) or "the top level"
            options = sorted(str(k) for k in root) if isinstance(root, dict) else []
            raise ConfigError(f"{path}: {option('key')} {key}: no key {part!r} under {here}{suggest(part, options)}")
        parent, root, root_path = root, root[part], (*root_path, part)
    if not isinstance(root, dict):
        raise ConfigError(f"{doc.at(root_path)}: {option('key')} must name a mapping, got {type(root).__name__}")
    if not _is_scheduler_node(root) and not (_names_a_class(root) and "scheduler" not in root):
        _root_node(root, root_path, doc, layer)
        return layer
    layer.foreign = True
    layer.data["scheduler"] = _scheduler_node(root, root_path, ("scheduler",), doc, layer, 0)
    if isinstance(parent, dict) and "optimizer" in parent:
        opt_path = (*root_path[:-1], "optimizer")
        layer.data["optimizer"] = _optimizer_node(parent["optimizer"], opt_path, doc, layer)
    trainer = data.get("trainer")
    if isinstance(trainer, dict) and "max_epochs" in trainer:
        layer.data["epochs"] = trainer["max_epochs"]
        layer.where[("epochs",)] = doc.at(("trainer", "max_epochs"))
    return layer


def _find_scheduler_nodes(node: Any, base: KeyPath, depth: int = 0) -> list[KeyPath]:
    """Paths of `scheduler:`/`lr_scheduler:` mappings naming a torch scheduler, inside a training config."""
    found: list[KeyPath] = []
    if not isinstance(node, dict) or depth > 6:
        return found
    for k, v in node.items():
        if not isinstance(v, dict):
            continue
        if k in ("scheduler", "lr_scheduler") and (_is_scheduler_node(v) or _names_a_class(v)):
            found.append((*base, k))
        else:
            found.extend(_find_scheduler_nodes(v, (*base, k), depth + 1))
    return found


def _is_scheduler_node(node: Mapping[str, Any]) -> bool:
    name = node.get("_target_") or node.get("class_path") or node.get("name")
    return isinstance(name, str) and (name.startswith(_SCHEDULER_PREFIX) or _known_scheduler(name))


def _names_a_class(node: Mapping[str, Any]) -> bool:
    """A Hydra/Lightning node (``_target_`` or ``class_path``), whatever class it names."""
    return "_target_" in node or "class_path" in node


def _known_scheduler(name: str) -> bool:
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


def _class_name(value: Any, prefix: str, what: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: expected a {what} class name, got {value!r}")
    value = value.strip()
    if "." in value:
        if not value.startswith(prefix) or "." in value[len(prefix) :]:
            raise ConfigError(
                f"{where}: {value!r}: only classes in {prefix.rstrip('.')} can be named "
                "(lrviz never imports other modules named in a file)"
            )
        value = value[len(prefix) :]
    return str(value)


def _scheduler_node(node: Any, orig: KeyPath, canon: KeyPath, doc: _Doc, layer: Layer, depth: int) -> dict[str, Any]:
    if depth > MAX_DEPTH:
        raise ConfigError(f"{doc.at(orig)}: schedulers nested more than {MAX_DEPTH} deep")
    if isinstance(node, str):
        node = {"name": node}
    if not isinstance(node, dict):
        raise ConfigError(f"{doc.at(orig)}: expected a mapping with `name:` and the scheduler's arguments")
    layer.where[canon] = doc.at(orig)
    keys = [k for k in ("name", "_target_", "class_path") if k in node]
    if not keys:
        raise ConfigError(f"{doc.at(orig)}: missing `name:` (a torch.optim.lr_scheduler class, e.g. CosineAnnealingLR)")
    if len(keys) > 1:
        raise ConfigError(f"{doc.at(orig)}: give only one of {', '.join(keys)}")
    name_key = keys[0]
    name = _class_name(node[name_key], _SCHEDULER_PREFIX, "scheduler", doc.at((*orig, name_key)))
    try:
        spec = get_scheduler(name)
    except ConfigError as exc:
        raise ConfigError(f"{doc.at((*orig, name_key))}: {exc}") from None
    out: dict[str, Any] = {"name": spec.name}
    layer.where[(*canon, "name")] = doc.at((*orig, name_key))
    items: list[tuple[Any, Any, KeyPath]] = []
    for k, v in node.items():
        if k == name_key or k in _HYDRA_META or k in _IGNORED_SCHEDULER_KEYS:
            continue
        if k == "init_args" and name_key == "class_path":
            if not isinstance(v, dict):
                raise ConfigError(f"{doc.at((*orig, k))}: init_args must be a mapping")
            items.extend((ik, iv, (*orig, k, ik)) for ik, iv in v.items())
        else:
            items.append((k, v, (*orig, k)))
    for k, v, where in items:
        if k == "schedulers" and spec.composite:
            if not isinstance(v, list) or not v:
                raise ConfigError(f"{doc.at(where)}: expected a non-empty list of scheduler mappings")
            out[k] = [
                _scheduler_node(child, (*where, i), (*canon, k, i), doc, layer, depth + 1) for i, child in enumerate(v)
            ]
        else:
            out[k] = v
        layer.where[(*canon, k)] = doc.at(where)
    return out


def _optimizer_node(node: Any, orig: KeyPath, doc: _Doc, layer: Layer) -> dict[str, Any]:
    if isinstance(node, str):
        node = {"name": node}
    if not isinstance(node, dict):
        raise ConfigError(f"{doc.at(orig)}: expected an optimizer name or a mapping with `name:` and `lr:`")
    out: dict[str, Any] = {}
    layer.where[("optimizer",)] = doc.at(orig)
    for k, v in node.items():
        where = (*orig, k)
        if k in _HYDRA_META or k == "params":
            continue
        if k in ("name", "_target_", "class_path"):
            out["name"] = _class_name(v, _OPTIMIZER_PREFIX, "optimizer", doc.at(where))
            layer.where[("optimizer", "name")] = doc.at(where)
        elif k == "init_args":
            if not isinstance(v, dict):
                raise ConfigError(f"{doc.at(where)}: init_args must be a mapping")
            for ik, iv in v.items():
                out[ik] = iv
                layer.where[("optimizer", ik)] = doc.at((*where, ik))
        elif k == "param_groups":
            out[k] = v
            layer.where[("optimizer", k)] = doc.at(where)
            if isinstance(v, list):
                for i, group in enumerate(v):
                    layer.where[("optimizer", k, i)] = doc.at((*where, i))
                    if isinstance(group, dict):
                        for gk in group:
                            layer.where[("optimizer", k, i, gk)] = doc.at((*where, i, gk))
        else:
            out[k] = v
            layer.where[("optimizer", k)] = doc.at(where)
    return out


def merge(base: Layer, over: Layer) -> Layer:
    """``over``'s values replace ``base``'s, key by key (flags over a file)."""
    result = Layer(_deep_copy(base.data), dict(base.where), base.origin, base.foreign)
    bs, os_ = base.data.get("scheduler"), over.data.get("scheduler")
    if isinstance(bs, dict) and isinstance(os_, dict) and "name" in os_ and bs.get("name") != os_["name"]:
        raise ConfigError(
            f"{base.at(('scheduler', 'name'))}: the file describes {bs.get('name')}, "
            f"but this command builds {os_['name']}; use `lrviz render {base.origin}` "
            "or the matching subcommand"
        )
    _merge_into(result.data, over.data)
    result.where.update(over.where)
    return result


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


def _merge_into(target: dict[str, Any], source: Mapping[str, Any]) -> None:
    for k, v in source.items():
        if isinstance(v, dict) and isinstance(target.get(k), dict):
            _merge_into(target[k], v)
        else:
            target[k] = _deep_copy(v)
