"""YAML files and CLI flags -> one validated, immutable ``RunConfig``.

Both sources are first put in one canonical shape, keyed by PyTorch's own
argument names::

    {"epochs": 50, "steps_per_epoch": 1,
     "optimizer": {"name": "SGD", "lr": 0.1, "param_groups": [...]},
     "scheduler": {"name": "CosineAnnealingLR", "T_max": 10, ...},
     "metrics": [...], "label": ..., "title": ..., "warmup": ...}

each value remembering where it came from (``--t-max`` or ``wr.yaml:7:
scheduler.T_max``). Flags are merged over the file, then ``build_run``
validates everything in one place against the registry in ``schedules.py``.
Hydra (``_target_``) and LightningCLI (``class_path`` + ``init_args``) nodes are
read too, but only names inside ``torch.optim`` resolve; nothing is imported.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrviz.errors import ConfigError
from lrviz.expr import Expression
from lrviz.keys import KeyPath, dotted
from lrviz.schedules import (
    OPTIMIZER_ARGS,
    Arg,
    SchedulerSpec,
    get_optimizer,
    get_scheduler,
    suggest,
)

#: Upper bound on recorded values (epochs x steps per epoch x param groups), 8 bytes each.
MAX_POINTS = 50_000_000
#: Integers beyond this are refused outright (no epoch count or step size is anywhere near).
MAX_INT = 10**15
#: Upper bound on the number of param groups.
MAX_GROUPS = 64
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
# The validated result


@dataclass(frozen=True)
class SchedulerConfig:
    """A validated scheduler node: class name, arguments as given, nested schedulers."""

    name: str
    args: Mapping[str, Any]
    children: tuple[SchedulerConfig, ...] = ()

    @property
    def spec(self) -> SchedulerSpec:
        return get_scheduler(self.name)

    def describe(self) -> str:
        """``CosineAnnealingWarmRestarts(T_0=5, T_mult=2)``: the arguments that were set."""
        parts = [f"{k}={_show(v)}" for k, v in self.args.items() if k not in ("schedulers",)]
        if self.children:
            parts.insert(0, "[" + ", ".join(c.describe() for c in self.children) + "]")
        return f"{self.name}({', '.join(parts)})"

    def walk(self) -> list[SchedulerConfig]:
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


def _show(value: Any) -> str:
    if isinstance(value, Expression):
        return repr(value.source)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@dataclass(frozen=True)
class GroupConfig:
    """One param group: its name, initial LR and other optimizer options."""

    name: str
    lr: float
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OptimizerConfig:
    """The dummy optimizer: a torch.optim class name, its options and param groups."""

    name: str
    lr: float  # the optimizer-wide default, which groups without their own lr take
    options: Mapping[str, Any]
    groups: tuple[GroupConfig, ...]

    def describe(self) -> str:
        lrs = ", ".join(f"{g.lr:g}" for g in self.groups)
        return f"{self.name}(lr={lrs})"


@dataclass(frozen=True)
class RunConfig:
    """Everything needed to step one schedule, validated."""

    scheduler: SchedulerConfig
    optimizer: OptimizerConfig
    epochs: int
    steps_per_epoch: int = 1
    interval: str = "epoch"
    metrics: tuple[float, ...] | None = None
    label: str = ""
    title: str | None = None
    milestones: tuple[int, ...] = ()  # SequentialLR switch points, in the scheduler's own steps
    expect: Mapping[str, Any] = field(default_factory=dict)  # what `lrviz check` verifies
    geometry: str | None = None  # how steps_per_epoch follows from dataset and batch sizes

    @property
    def points(self) -> int:
        return self.epochs * self.steps_per_epoch

    @property
    def fractional(self) -> bool:
        """CosineAnnealingWarmRestarts stepped with ``step(epoch + i / N)`` every iteration."""
        return (
            self.scheduler.name == "CosineAnnealingWarmRestarts"
            and self.interval == "epoch"
            and self.steps_per_epoch > 1
        )


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
    from lrviz.yamlfile import read_yaml  # PyYAML only when a file is read

    data, lines = read_yaml(path)
    return from_document(data, path, key, lines)


def from_document(
    data: dict[str, Any], path: Path | str = "<config>", key: str | None = None, lines: dict[KeyPath, int] | None = None
) -> Layer:
    """A layer from an already-parsed document (the mapping a YAML file holds)."""
    path = Path(path)
    doc = _Doc(path, lines or {})
    layer = Layer({}, {}, str(path))
    if key is None and "scheduler" not in data and "lr_scheduler" not in data:
        found = _find_scheduler_nodes(data, ())
        if len(found) > 1:
            choices = ", ".join(dotted(p) for p in found)
            raise ConfigError(f"{path}: several scheduler nodes ({choices}); pick one with --key")
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
            raise ConfigError(f"{path}: --key {key}: no key {part!r} under {here}{suggest(part, options)}")
        parent, root, root_path = root, root[part], (*root_path, part)
    if not isinstance(root, dict):
        raise ConfigError(f"{doc.at(root_path)}: --key must name a mapping, got {type(root).__name__}")
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
                hint = f"; use --key {k}.<node> to pick it out of a larger config"
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


# ---------------------------------------------------------------------------
# Validation: the one place values are checked


def parse_flag_value(arg: Arg, text: str, flag: str) -> Any:
    """Turn a flag's text into the value the registry expects for ``arg`` (ConfigError naming ``flag``)."""
    text = text.strip()
    try:
        if arg.kind in ("int", "optional_int"):
            return int(text)
        if arg.kind in ("float", "floats"):
            if "," in text:
                return [float(p) for p in text.split(",")]
            return float(text)
        if arg.kind == "ints":
            return [int(p) for p in text.split(",") if p.strip()] if text else []
    except ValueError:
        raise ConfigError(f"{flag}: expected {arg.expects()}, got {text!r}") from None
    return text


def _number(value: Any, where: str, *, integer: bool, bound: Any = None) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        kind = "an integer" if integer else "a number"
        raise ConfigError(f"{where}: expected {kind}, got {_describe(value)}")
    if isinstance(value, int) and abs(value) > MAX_INT:
        raise ConfigError(f"{where}: {str(value)[:12]}... is far too large (the limit is {MAX_INT:,})")
    if not math.isfinite(value):
        raise ConfigError(f"{where}: expected a finite number, got {value}")
    if integer and not isinstance(value, int):
        if float(value).is_integer():
            value = int(value)
        else:
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
    if bound is not None and not bound.contains(value):
        kind = "an integer" if integer else "a number"
        raise ConfigError(f"{where}: must be {kind} {bound.describe()}, got {value!r}")
    return value


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f"the string {value!r}"
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)


def _check_arg(arg: Arg, value: Any, where: str, groups: int) -> Any:
    kind = arg.kind
    if kind == "int":
        return _number(value, where, integer=True, bound=arg.bound)
    if kind == "optional_int":
        return None if value is None else _number(value, where, integer=True, bound=arg.bound)
    if kind == "float":
        return _number(value, where, integer=False, bound=arg.bound)
    if kind == "floats":
        if isinstance(value, list):
            if len(value) != groups:
                raise ConfigError(f"{where}: a list needs one value per param group ({groups}), got {len(value)}")
            return [_number(v, f"{where}[{i}]", integer=False, bound=arg.bound) for i, v in enumerate(value)]
        return _number(value, where, integer=False, bound=arg.bound)
    if kind == "ints":
        if not isinstance(value, list) or not value:
            raise ConfigError(f"{where}: expected a non-empty list of integers, e.g. [30, 80]")
        items = [_number(v, f"{where}[{i}]", integer=True, bound=arg.bound) for i, v in enumerate(value)]
        for i in range(1, len(items)):
            if items[i] <= items[i - 1]:
                problem = "repeats" if items[i] == items[i - 1] else "is not sorted"
                raise ConfigError(f"{where}: {problem} at {items[i]}; list each epoch once, in increasing order")
        return items
    if kind == "choice":
        if value not in arg.choices:
            raise ConfigError(
                f"{where}: expected one of {', '.join(arg.choices)}, got {_describe(value)}{suggest(str(value), arg.choices)}"
            )
        return value
    if kind == "bool":
        if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
            return value.lower() in ("true", "yes", "1")
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {_describe(value)}")
        return value
    if kind == "expr":
        exprs = value if isinstance(value, list) else [value]
        if isinstance(value, list) and len(value) != groups:
            raise ConfigError(f"{where}: a list needs one expression per param group ({groups}), got {len(value)}")
        out = []
        for i, text in enumerate(exprs):
            if isinstance(text, int | float) and not isinstance(text, bool):
                text = repr(text)
            try:
                out.append(Expression(text))
            except ConfigError as exc:
                label = f"{where}[{i}]" if isinstance(value, list) else where
                raise ConfigError(f"{label}: {exc}") from None
        return out if isinstance(value, list) else out[0]
    raise AssertionError(f"unhandled kind {kind}")  # pragma: no cover - registry bug


def build_run(layer: Layer) -> RunConfig:
    """Validate a merged layer into a RunConfig; every problem is a ConfigError naming its source."""
    data = layer.data
    optimizer = _build_optimizer(data.get("optimizer", {}), layer)
    groups = len(optimizer.groups)
    spe = _number(data.get("steps_per_epoch", 1), layer.at(("steps_per_epoch",)), integer=True, bound=_POS)
    geometry = None
    if "dataset_size" in data or "batch_size" in data:
        if "steps_per_epoch" in data:
            raise ConfigError(
                f"{layer.at(('steps_per_epoch',))}: give either steps_per_epoch or dataset_size/batch_size, not both"
            )
        spe, geometry = _geometry(data, layer)

    if "scheduler" not in data:
        raise ConfigError(f"{layer.origin}: no scheduler given")
    warmup = data.get("warmup")
    sched_raw = data["scheduler"]
    interval_default = _interval_of(sched_raw)
    interval = data.get("interval", interval_default)
    if interval not in ("epoch", "step"):
        raise ConfigError(f"{layer.at(('interval',))}: expected epoch or step, got {_describe(interval)}")
    unit = spe if interval == "step" else 1

    metrics = _metrics(data, layer)
    epochs_given = "epochs" in data
    if warmup is not None:
        warmup = _number(warmup, layer.at(("warmup",)), integer=True, bound=_POS)
        sf = _number(
            data.get("warmup_start_factor", 0.01),
            layer.at(("warmup_start_factor",)),
            integer=False,
            bound=get_scheduler("LinearLR").arg("start_factor").bound,  # type: ignore[union-attr]
        )
        sched_raw = {
            "name": "SequentialLR",
            "schedulers": [
                {"name": "LinearLR", "start_factor": sf, "end_factor": 1.0, "total_iters": warmup * unit},
                sched_raw,
            ],
            "milestones": [warmup * unit],
        }
        _shift_where(layer, ("scheduler",), ("scheduler", "schedulers", 1))
    scheduler = _build_scheduler(sched_raw, ("scheduler",), layer, groups, 0)

    if epochs_given:
        epochs = _number(data["epochs"], layer.at(("epochs",)), integer=True, bound=_POS)
    elif metrics is not None:
        epochs = len(metrics)
    else:
        steps = _default_epochs(scheduler, unit)
        epochs = max(1, -(-steps // unit))
    if epochs * spe * groups > MAX_POINTS:
        per_group = f" x {groups} param groups" if groups > 1 else ""
        sources = ", ".join(layer.at(("scheduler", k)) for k in scheduler.args)
        where = layer.at(("epochs",)) if epochs_given else f"the default run length from {sources}"
        raise ConfigError(
            f"{where}: {epochs:,} epochs x {spe:,} steps per epoch{per_group} = "
            f"{epochs * spe * groups:,} values is more than the limit of {MAX_POINTS:,}; "
            + ("lower --epochs or --steps-per-epoch" if epochs_given else "give --epochs (or `epochs:`) explicitly")
        )
    if scheduler.name == "ReduceLROnPlateau":
        if metrics is None:
            raise ConfigError(
                f"{layer.at(('scheduler',))}: ReduceLROnPlateau needs one metric per epoch: "
                "`metrics: [...]` in the file or --metrics FILE"
            )
        if len(metrics) < epochs:
            raise ConfigError(
                f"{layer.at(('metrics',))}: {len(metrics)} metric values for {epochs} epochs; "
                "give one per epoch or lower --epochs"
            )
    elif any(s.name == "ReduceLROnPlateau" for s in scheduler.walk()):
        raise ConfigError(
            f"{layer.at(('scheduler',))}: ReduceLROnPlateau cannot be nested in SequentialLR or ChainedScheduler (PyTorch does not support it)"
        )
    scheduler = _derive_onecycle(scheduler, epochs, spe if interval == "step" else 1)
    milestones: tuple[int, ...] = ()
    if scheduler.name == "SequentialLR":
        milestones = tuple(scheduler.args["milestones"])
    label = data.get("label")
    if label is not None and not isinstance(label, str | int | float):
        raise ConfigError(f"{layer.at(('label',))}: expected a string, got {_describe(label)}")
    title = data.get("title")
    if title is not None and not isinstance(title, str):
        raise ConfigError(f"{layer.at(('title',))}: expected a string, got {_describe(title)}")
    from lrviz.check import parse_expectations

    expect = parse_expectations(data.get("expect"), layer.at(("expect",)))
    default_label = Path(layer.origin).stem if layer.origin != "flags" else scheduler.name
    return RunConfig(
        scheduler=scheduler,
        optimizer=optimizer,
        epochs=epochs,
        steps_per_epoch=spe,
        interval=interval,
        metrics=metrics,
        label=str(label) if label is not None else default_label,
        title=title,
        milestones=milestones,
        expect=expect,
        geometry=geometry,
    )


_POS = get_scheduler("StepLR").arg("step_size").bound  # type: ignore[union-attr]


def _geometry(data: Mapping[str, Any], layer: Layer) -> tuple[int, str]:
    """Optimizer steps per epoch from the dataset, batch size, gradient accumulation and world size.

    Each of ``world_size`` ranks sees ceil(dataset / world_size) samples (DistributedSampler
    pads); it makes ceil(that / batch_size) batches (floor with drop_last); the optimizer
    steps once per ``grad_accum`` batches, and on a last partial group (ceil), as PyTorch
    Lightning and the usual ``if (i + 1) % accum == 0 or last`` loop do.
    """
    missing = [k for k in ("dataset_size", "batch_size") if k not in data]
    if missing:
        raise ConfigError(f"{layer.at((missing[0],))}: dataset_size and batch_size go together; give both")

    def whole(key: str, default: int) -> int:
        return int(_number(data.get(key, default), layer.at((key,)), integer=True, bound=_POS))

    size, batch = whole("dataset_size", 1), whole("batch_size", 1)
    accum, world = whole("grad_accum", 1), whole("world_size", 1)
    drop_last = data.get("drop_last", False)
    if not isinstance(drop_last, bool):
        raise ConfigError(f"{layer.at(('drop_last',))}: expected true or false")
    per_rank = -(-size // world)
    batches = per_rank // batch if drop_last else -(-per_rank // batch)
    if batches == 0:
        raise ConfigError(
            f"{layer.at(('batch_size',))}: {batch} is larger than the {per_rank} samples per rank with drop_last"
        )
    steps = -(-batches // accum)
    text = f"{size:,} samples"
    text += f" / {world} ranks = {per_rank:,} per rank" if world > 1 else ""
    text += f" / batch {batch} = {batches:,} batches ({'floor' if drop_last else 'ceil'})"
    text += (
        f" / accumulate {accum} = {steps:,} optimizer steps per epoch (ceil)"
        if accum > 1
        else f" = {steps:,} optimizer steps per epoch"
    )
    return steps, text


def _shift_where(layer: Layer, old: KeyPath, new: KeyPath) -> None:
    moved = {new + p[len(old) :]: w for p, w in layer.where.items() if p[: len(old)] == old}
    layer.where.update(moved)


def _interval_of(node: Any) -> str:
    if not isinstance(node, dict):
        return "epoch"
    try:
        spec = get_scheduler(node.get("name", ""))
    except ConfigError:
        return "epoch"
    if spec.interval == "step":
        return "step"
    children = node.get("schedulers")
    if isinstance(children, list) and any(_interval_of(c) == "step" for c in children):
        return "step"
    return "epoch"


def _metrics(data: Mapping[str, Any], layer: Layer) -> tuple[float, ...] | None:
    if "metrics" not in data:
        return None
    raw = data["metrics"]
    where = layer.at(("metrics",))
    if isinstance(raw, Path):
        raw = read_metrics(raw)
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{where}: expected a non-empty list of numbers, one per epoch")
    if len(raw) > MAX_POINTS:
        raise ConfigError(f"{where}: more than {MAX_POINTS:,} values")
    return tuple(float(_number(v, f"{where}[{i}]", integer=False)) for i, v in enumerate(raw))


def read_metrics(path: Path) -> list[float]:
    """A column of numbers (one per line; a header line and extra CSV columns are ignored)."""
    from lrviz.inputs import read_limited
    from lrviz.yamlfile import MAX_CONFIG_BYTES

    raw = read_limited(path, 64 * MAX_CONFIG_BYTES, f"--metrics {path}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"--metrics {path}: not a UTF-8 text file") from None
    values: list[float] = []
    for number, line in enumerate(text.splitlines(), 1):
        cell = line.split(",")[-1].strip()
        if not cell or cell.startswith("#"):
            continue
        try:
            value = float(cell)
        except ValueError:
            if not values and number == 1:
                continue  # a header
            raise ConfigError(f"--metrics {path}:{number}: {cell!r} is not a number") from None
        if not math.isfinite(value):
            raise ConfigError(f"--metrics {path}:{number}: {cell!r} is not a finite number")
        values.append(value)
    if not values:
        raise ConfigError(f"--metrics {path}: no numbers found; put one metric value per line")
    return values


def _build_optimizer(raw: Any, layer: Layer) -> OptimizerConfig:
    where = layer.at(("optimizer",))
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping with `name:` and `lr:`")
    name = get_optimizer_at(raw.get("name", "SGD"), layer.at(("optimizer", "name")))
    lr = _number(raw.get("lr", 0.1), layer.at(("optimizer", "lr")), integer=False, bound=_NONNEG)
    options: dict[str, Any] = {}
    for k, v in raw.items():
        if k in ("name", "lr", "param_groups"):
            continue
        _check_option_name(name, k, layer.at(("optimizer", k)))
        options[k] = _option_value(v, layer.at(("optimizer", k)))
    groups_raw = raw.get("param_groups")
    groups: list[GroupConfig] = []
    if groups_raw is None:
        groups.append(GroupConfig("group 0", lr, {}))
    else:
        gwhere = layer.at(("optimizer", "param_groups"))
        if not isinstance(groups_raw, list) or not groups_raw:
            raise ConfigError(f"{gwhere}: expected a non-empty list of mappings like {{lr: 0.01}}")
        if len(groups_raw) > MAX_GROUPS:
            raise ConfigError(f"{gwhere}: more than {MAX_GROUPS} param groups")
        for i, g in enumerate(groups_raw):
            gw = layer.at(("optimizer", "param_groups", i))
            if not isinstance(g, dict):
                raise ConfigError(f"{gw}: expected a mapping like {{name: head, lr: 0.01}}")
            glr = _number(
                g.get("lr", lr), layer.at(("optimizer", "param_groups", i, "lr")), integer=False, bound=_NONNEG
            )
            gname = g.get("name", f"group {i}")
            if not isinstance(gname, str | int):
                raise ConfigError(f"{gw}.name: expected a string")
            gopts = {}
            for k, v in g.items():
                if k in ("lr", "name", "params"):
                    continue
                _check_option_name(name, k, layer.at(("optimizer", "param_groups", i, k)))
                gopts[k] = _option_value(v, layer.at(("optimizer", "param_groups", i, k)))
            groups.append(GroupConfig(str(gname), glr, gopts))
        names = [g.name for g in groups]
        for n in names:
            if names.count(n) > 1:
                raise ConfigError(f"{gwhere}: the group name {n!r} is used twice")
    return OptimizerConfig(name, lr, options, tuple(groups))


_NONNEG = get_scheduler("CosineAnnealingLR").arg("eta_min").bound  # type: ignore[union-attr]


def _check_option_name(optimizer: str, key: Any, where: str) -> None:
    valid = OPTIMIZER_ARGS[optimizer]
    if key not in valid:
        raise ConfigError(
            f"{where}: unknown option of {optimizer}{suggest(str(key), valid)}; it takes {', '.join(valid)}"
        )


def get_optimizer_at(name: Any, where: str) -> str:
    try:
        return get_optimizer(str(name))
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _option_value(value: Any, where: str) -> Any:
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, int | float):
        return _number(value, where, integer=False)
    if isinstance(value, list) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        return tuple(_number(v, f"{where}", integer=False) for v in value)
    raise ConfigError(f"{where}: expected a number, a string, true/false or a list of numbers, got {_describe(value)}")


def _build_scheduler(raw: Any, path: KeyPath, layer: Layer, groups: int, depth: int) -> SchedulerConfig:
    where = layer.at(path)
    if not isinstance(raw, dict) or "name" not in raw:
        raise ConfigError(f"{where}: expected a scheduler mapping with `name:`")
    spec = get_scheduler(raw["name"])
    args: dict[str, Any] = {}
    children: tuple[SchedulerConfig, ...] = ()
    valid = [a.name for a in spec.args]
    for key, value in raw.items():
        if key == "name":
            continue
        kwhere = layer.at((*path, key))
        arg = spec.arg(key) if isinstance(key, str) else None
        if arg is None:
            if key == "last_epoch":
                raise ConfigError(f"{kwhere}: lrviz always starts a schedule at epoch 0; remove last_epoch")
            raise ConfigError(
                f"{kwhere}: unknown argument of {spec.name}{suggest(str(key), valid)}; it takes {', '.join(valid)}"
            )
        if arg.kind == "schedulers":
            if not isinstance(value, list) or not value:
                raise ConfigError(f"{kwhere}: expected a non-empty list of scheduler mappings")
            children = tuple(
                _build_scheduler(c, (*path, key, i), layer, groups, depth + 1) for i, c in enumerate(value)
            )
            continue
        if value is None and arg.kind != "optional_int" and not arg.required and arg.default is None:
            continue
        args[key] = _check_arg(arg, value, kwhere, groups)
    for arg in spec.args:
        if arg.required and arg.name not in args and not (arg.kind == "schedulers" and children):
            prefix = "" if layer.origin == "flags" else f"{where}: "
            raise ConfigError(f"{prefix}{spec.name} needs {arg.name} ({arg.expects()}){_flag_hint(layer, spec, arg)}")
    _check_relations(spec, args, children, where, layer, path)
    return SchedulerConfig(spec.name, args, children)


def _flag_hint(layer: Layer, spec: SchedulerSpec, arg: Arg) -> str:
    if layer.origin == "flags" and spec.command and arg.cli:
        return f": pass {arg.flag_name} (or set scheduler.{arg.name} in --config FILE)"
    return f": set {arg.name}"


def _check_relations(
    spec: SchedulerSpec,
    args: Mapping[str, Any],
    children: tuple[SchedulerConfig, ...],
    where: str,
    layer: Layer,
    path: KeyPath,
) -> None:
    if spec.name == "SequentialLR" and len(args.get("milestones", [])) != len(children) - 1:
        raise ConfigError(
            f"{layer.at((*path, 'milestones'))}: SequentialLR with {len(children)} schedulers needs "
            f"{len(children) - 1} milestone(s), got {len(args.get('milestones', []))}"
        )
    if spec.name == "CyclicLR":
        base, peak = args.get("base_lr"), args.get("max_lr")
        if isinstance(base, float | int) and isinstance(peak, float | int) and base > peak:
            raise ConfigError(f"{layer.at((*path, 'base_lr'))}: base_lr ({base:g}) is above max_lr ({peak:g})")


def _derive_onecycle(sched: SchedulerConfig, epochs: int, spe: int, start: int = 0) -> SchedulerConfig:
    """Fill OneCycleLR's step count from the run when the user gave none.

    ``start`` is the step at which this scheduler takes over (a SequentialLR milestone, e.g.
    after a warmup): it then runs for the rest of the run, ``epochs * spe - start`` steps.
    """
    starts = [start] * len(sched.children)
    if sched.name == "SequentialLR":
        starts = [start] + [start + int(m) for m in sched.args["milestones"]]
    children = tuple(_derive_onecycle(c, epochs, spe, s) for c, s in zip(sched.children, starts, strict=True))
    args = dict(sched.args)
    if sched.name == "OneCycleLR" and args.get("total_steps") is None:
        if start > 0 and args.get("epochs") is None and args.get("steps_per_epoch") is None:
            args["total_steps"] = max(epochs * spe - start, 1)
        else:
            if args.get("epochs") is None:
                args["epochs"] = epochs
            if args.get("steps_per_epoch") is None:
                args["steps_per_epoch"] = spe
            args.pop("total_steps", None)
    return SchedulerConfig(sched.name, args, children)


def _default_epochs(sched: SchedulerConfig, unit: int) -> int:
    """Default run length in the scheduler's own steps (``unit`` steps per epoch), per the registry."""
    spec = sched.spec
    if spec.name == "SequentialLR":
        return int(sched.args["milestones"][-1]) + _default_epochs(sched.children[-1], unit)
    if spec.name == "ChainedScheduler":
        return max(_default_epochs(c, unit) for c in sched.children)
    if spec.name == "OneCycleLR":
        if sched.args.get("total_steps") is not None:
            return int(sched.args["total_steps"])
        if sched.args.get("epochs") is not None:
            return int(sched.args["epochs"]) * int(sched.args.get("steps_per_epoch") or unit)
        return 30 * unit
    if spec.default_epochs is None:
        return 50
    merged = {a.name: a.default for a in spec.args if not a.required}
    merged.update(sched.args)
    return spec.default_epochs(merged)
