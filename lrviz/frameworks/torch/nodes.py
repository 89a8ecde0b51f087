"""Reading one scheduler or optimizer node of a config into the canonical shape.

A node names its class by ``name:`` (lrviz), ``_target_`` (Hydra) or ``class_path`` plus
``init_args`` (LightningCLI). Only ``torch.optim`` classes resolve; a project's own class is
kept only when ``allow_import`` names its package (it is imported later, by the engine).
"""

from __future__ import annotations

from typing import Any

from lrviz.config.layer import Layer, _Doc
from lrviz.errors import ConfigError, option
from lrviz.frameworks.torch.classes import ALIASES, refuse_custom, type_name, unwrap_partial
from lrviz.keys import KeyPath
from lrviz.schedules import get_scheduler

#: Upper bound on nested scheduler depth (SequentialLR inside SequentialLR ...).
MAX_DEPTH = 8

_HYDRA_META = ("_partial_", "_recursive_", "_convert_", "_args_")
_IGNORED_SCHEDULER_KEYS = ("optimizer",)
_SCHEDULER_PREFIX = "torch.optim.lr_scheduler."
_TIMM_SCHEDULER = "timm.scheduler."
#: Libraries whose ``get_*`` functions build a torch ``LambdaLR`` from the optimizer and keyword arguments:
#: called as the project's Hydra node calls them, with no opt-in (they are not the project's own code).
_LIBRARY_FACTORIES = ("transformers", "transformers.optimization", "diffusers.optimization")
_OPTIMIZER_PREFIX = "torch.optim."


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

    node = unwrap_partial(node)
    if not any(k in node for k in ("name", "_target_", "class_path")) and isinstance(node.get("type"), str):
        if type_name(node, _known):  # RT-DETR's `lr_scheduler: {type: MultiStepLR, ...}`
            node = {"name": node["type"], **{k: v for k, v in node.items() if k != "type"}}
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

    where = doc.at((*orig, name_key))
    if name.startswith(_TIMM_SCHEDULER):
        raise ConfigError(
            f"{where}: {name} is timm's own scheduler class: the project's code steps it (step(epoch) or "
            "step_update(updates), each project its own way), which lrviz cannot see in the config; lrviz steps timm "
            "schedulers as timm's train.py does: `lrviz timm --sched NAME ...` with train.py's argument names"
        )
    library = name.rsplit(".", 1)[0] in _LIBRARY_FACTORIES and name.rsplit(".", 1)[1].startswith("get_")
    if not library and not any(name == p or name.startswith(p.rstrip(".") + ".") for p in doc.allow_import):
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

    node = unwrap_partial(node)
    out: dict[str, Any] = {}
    layer.where[("optimizer",)] = doc.at(orig)
    for k, v in node.items():
        where = (*orig, k)
        if k == "params" and isinstance(v, list) and any(isinstance(g, dict) and "lr" in g for g in v):
            layer.notes.append(
                f"{doc.at(where)}: the project's own param groups give some parameters their own lr; lrviz draws "
                "the optimizer's lr"
            )
        if k in _HYDRA_META or k == "params":
            continue
        if k == "type" and not any(c in node for c in ("name", "_target_", "class_path")) and isinstance(v, str):
            k = "name"  # RT-DETR's `optimizer: {type: AdamW, lr: ...}`
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


def _known(name: str) -> bool:
    try:
        get_scheduler(name)
    except ConfigError:
        return False
    return True
