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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
    "accelerate_processes",
    "split_batches",
    "trainer",
)
_HYDRA_META = ("_partial_", "_recursive_", "_convert_", "_args_")
_IGNORED_SCHEDULER_KEYS = ("optimizer",)
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
    notes: list[str] = field(default_factory=list)  # what lrviz assumed or ignored, said as `note:` lines
    origins: dict[KeyPath, KeyPath] = field(default_factory=dict)  # canonical scheduler path -> path in the file

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

    def __init__(self, path: Path | str, lines: Mapping[KeyPath, int], allow_import: tuple[str, ...] = ()) -> None:
        self.path = path
        self.lines = lines
        self.allow_import = allow_import

    def at(self, orig: KeyPath) -> str:
        for end in range(len(orig), -1, -1):
            if orig[:end] in self.lines:
                return (
                    f"{self.path}:{self.lines[orig[:end]]}: {dotted(orig)}" if orig else f"{self.path}:{self.lines[()]}"
                )
        return f"{self.path}: {dotted(orig)}" if orig else str(self.path)


def load_file(
    path: Path, key: str | None = None, *, sets: Sequence[str] = (), allow_import: tuple[str, ...] = ()
) -> Layer:
    """Read a YAML or JSON config (optionally the node at dotted ``key``) into a canonical layer.

    ``sets`` are ``KEY=VALUE`` overrides applied to the document first (OmegaConf's dotlist);
    OmegaConf is imported only when they are given or the file interpolates (``${...}``, ``???``).
    """
    from lrviz.config.files import read_document  # PyYAML only when a file is read
    from lrviz.config.interpolation import needs_resolution, resolve

    data, lines = read_document(path)
    notes = []
    if isinstance(data.get("defaults"), list):
        notes.append(
            f"{path}: its `defaults:` list is not composed when the file is read on its own; to compose it as "
            f"Hydra does, use {option('config_dir')} DIR {option('config_name')} NAME"
        )
    if sets or needs_resolution(data):
        data = resolve(data, sets, str(path), lines)
    layer = from_document(data, path, key, lines, allow_import=allow_import)
    layer.notes[:0] = notes
    return layer


def load_composed(
    config_dir: Path,
    config_name: str,
    key: str | None = None,
    *,
    sets: Sequence[str] = (),
    allow_import: tuple[str, ...] = (),
) -> Layer:
    """A Hydra project's config, composed by Hydra as the training script sees it, as a canonical layer."""
    from lrviz.config.interpolation import compose

    data, label, notes = compose(config_dir, config_name, sets)
    layer = from_document(data, label, key, {}, allow_import=allow_import)
    layer.notes[:0] = notes
    return layer


def from_document(
    data: Mapping[str, Any],
    path: Path | str = "<config>",
    key: str | None = None,
    lines: Mapping[KeyPath, int] | None = None,
    *,
    allow_import: tuple[str, ...] = (),
) -> Layer:
    """A layer from an already-parsed document: lrviz's own format, or a training config."""
    from lrviz.config import training
    from lrviz.config.dialects import refuse
    from lrviz.config.families import detect

    label = str(path)
    framework = detect(dict(data), Path(label), lines or {}, key)  # HF TrainingArguments, timm args.yaml
    if framework is not None:
        return framework
    doc = _Doc(path if isinstance(path, Path) or "(composed" in label else Path(path), lines or {}, allow_import)
    layer = Layer({}, {}, label)
    if not isinstance(data, Mapping):
        raise ConfigError(f"{label}: the top level must be a mapping")
    if key:
        node_path = _key_path(data, key, doc)
        node = training.get(data, node_path)
        if isinstance(node, Mapping) and _native(node):
            _root_node(dict(node), node_path, doc, layer)
        else:
            training.read(data, node_path, doc, layer)
        return layer
    refuse(data, label, doc.at, strong_only=True)  # DeepSpeed, ESPnet, NeMo, yacs, ... before anything else
    if _native(data):
        _root_node(dict(data), (), doc, layer)
        return layer
    if training.is_torch_scheduler_node(data, _known_scheduler) and "scheduler" not in data:
        training.read(data, (), doc, layer)  # the file is itself one scheduler node
        return layer
    found = training.find_scheduler_nodes(data, _known_scheduler)
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


def _native(node: Mapping[str, Any]) -> bool:
    """lrviz's own format: a top-level `scheduler:` named by `name:` (or a bare name), no trainer sections."""
    sched = node.get("scheduler")
    if sched is None or any(k in node for k in ("trainer", "model", "lr_scheduler", "data", "datamodule")):
        return False
    return isinstance(sched, str) or (isinstance(sched, Mapping) and "name" in sched and not names_a_class(sched))


def names_a_class(node: Any) -> bool:
    return isinstance(node, Mapping) and ("_target_" in node or "class_path" in node)


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
    return isinstance(name, str) and (name.startswith(_SCHEDULER_PREFIX) or _known_scheduler(name))


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
    from lrviz.config.interpolation import take

    if depth > MAX_DEPTH:
        raise ConfigError(f"{doc.at(orig)}: schedulers nested more than {MAX_DEPTH} deep")
    node = take(node, doc.at(orig)) if not isinstance(node, dict) else node
    if isinstance(node, str):
        node = {"name": node}
    if not isinstance(node, dict):
        raise ConfigError(f"{doc.at(orig)}: expected a mapping with `name:` and the scheduler's arguments")
    layer.where[canon] = doc.at(orig)
    keys = [k for k in ("name", "_target_", "class_path") if k in node]
    if not keys:
        raise ConfigError(f"{doc.at(orig)}: missing `name:` (a torch.optim.lr_scheduler class, e.g. CosineAnnealingLR)")
    if len(keys) > 1 and not (layer.foreign and "name" in keys and len(keys) == 2):
        raise ConfigError(f"{doc.at(orig)}: give only one of {', '.join(keys)}")
    name_key = next(k for k in ("_target_", "class_path", "name") if k in keys)
    raw_name = take(node[name_key], doc.at((*orig, name_key)))
    items: list[tuple[Any, Any, KeyPath]] = []
    ignored = {name_key, *_HYDRA_META, *_IGNORED_SCHEDULER_KEYS}
    if layer.foreign:
        ignored |= {"monitor", "name"} - {name_key}  # LightningCLI's monitor; a Hydra node's label
    for k, v in node.items():
        if k in ignored or (not orig and layer.foreign and isinstance(v, dict) and k != "init_args"):
            continue  # a file that is one node: `trainer:` etc. there only feed its interpolations (--set)
        if k == "init_args" and name_key == "class_path":
            if not isinstance(v, dict):
                raise ConfigError(f"{doc.at((*orig, k))}: init_args must be a mapping")
            items.extend((ik, iv, (*orig, k, ik)) for ik, iv in v.items() if not (layer.foreign and ik == "monitor"))
        else:
            items.append((k, v, (*orig, k)))
    from lrviz.config.training import ALIASES

    raw_name = ALIASES.get(raw_name, raw_name) if isinstance(raw_name, str) else raw_name
    layer.origins[canon] = orig
    if isinstance(raw_name, str) and "." in raw_name and not raw_name.strip().startswith(_SCHEDULER_PREFIX):
        return _custom_node(raw_name.strip(), items, orig, canon, name_key, doc, layer)
    name = _class_name(raw_name, _SCHEDULER_PREFIX, "scheduler", doc.at((*orig, name_key)))
    try:
        spec = get_scheduler(name)
    except ConfigError as exc:
        raise ConfigError(f"{doc.at((*orig, name_key))}: {exc.message}") from None
    out: dict[str, Any] = {"name": spec.name}
    layer.where[(*canon, "name")] = doc.at((*orig, name_key))
    for k, v, where in items:
        if k == "schedulers" and spec.composite:
            if not isinstance(v, list) or not v:
                raise ConfigError(f"{doc.at(where)}: expected a non-empty list of scheduler mappings")
            out[k] = [
                _scheduler_node(child, (*where, i), (*canon, k, i), doc, layer, depth + 1) for i, child in enumerate(v)
            ]
        else:
            out[k] = _value(v, doc.at(where), layer)
        layer.where[(*canon, k)] = doc.at(where)
    return out


def _custom_node(
    name: str,
    items: list[tuple[Any, Any, KeyPath]],
    orig: KeyPath,
    canon: KeyPath,
    name_key: str,
    doc: _Doc,
    layer: Layer,
) -> dict[str, Any]:
    """A project's own scheduler class: refused unless ``allow_import`` names its package."""
    from lrviz.config.training import refuse_custom

    where = doc.at((*orig, name_key))
    if not any(name == p or name.startswith(p.rstrip(".") + ".") for p in doc.allow_import):
        raise refuse_custom(name, where)
    if name.rsplit(".", 1)[0] in ("", name) or not all(part.isidentifier() for part in name.split(".")):
        raise ConfigError(f"{where}: {name!r} is not a dotted module.Class path")
    out: dict[str, Any] = {"name": name, "custom": True}
    layer.where[(*canon, "name")] = where
    for k, v, here in items:
        out[k] = _value(v, doc.at(here), layer)
        layer.where[(*canon, k)] = doc.at(here)
    return out


def _value(value: Any, where: str, layer: Layer) -> Any:
    """A value lrviz reads: resolved, and not a MONAI reference it cannot evaluate."""
    from lrviz.config.interpolation import take

    take(value, where)
    if (
        layer.foreign
        and isinstance(value, str)
        and value[:1] in ("@", "%")
        or (isinstance(value, str) and value.startswith("$") and not value.startswith("${"))
    ):
        raise ConfigError(
            f"{where}: {value!r} is a MONAI bundle reference or expression; lrviz does not evaluate MONAI's "
            f"@/$/% syntax; give the number, e.g. {option('overrides')} KEY=VALUE"
        )
    return value


def _optimizer_node(node: Any, orig: KeyPath, doc: _Doc, layer: Layer) -> dict[str, Any]:
    from lrviz.config.interpolation import take

    node = take(node, doc.at(orig)) if not isinstance(node, dict) else node
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
            if k == "name" and any(c in node for c in ("_target_", "class_path")):
                continue  # a Hydra node's label beside its class
            v = take(v, doc.at(where))
            if isinstance(v, str) and v.strip().startswith(_OPTIMIZER_PREFIX) or not isinstance(v, str) or "." not in v:
                v = _class_name(v, _OPTIMIZER_PREFIX, "optimizer", doc.at(where))
            out["name"] = v  # another package's class is refused once flags are merged (--optimizer wins)
            layer.where[("optimizer", "name")] = doc.at(where)
        elif k == "init_args":
            if not isinstance(v, dict):
                raise ConfigError(f"{doc.at(where)}: init_args must be a mapping")
            for ik, iv in v.items():
                out[ik] = _value(iv, doc.at((*where, ik)), layer)
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
            out[k] = _value(v, doc.at(where), layer)
            layer.where[("optimizer", k)] = doc.at(where)
    return out


def merge(base: Layer, over: Layer) -> Layer:
    """``over``'s values replace ``base``'s, key by key (flags over a file)."""
    result = Layer(
        _deep_copy(base.data),
        dict(base.where),
        base.origin,
        base.foreign,
        [*base.notes, *over.notes],
        dict(base.origins),
    )
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
