"""The SAM 2 trainer's ``optim.options.lr`` (an fvcore ParamScheduler per param group) -> a run.

What SAM 2's trainer does with it (facebookresearch/sam2 at 2b90b9f, ``training/optimizer.py``
``construct_optimizer`` / ``Optimizer``, ``training/trainer.py`` ``train_epoch``):

* each ``options.lr[i].scheduler`` node is instantiated by Hydra (``_target_`` with the node's
  other keys as keyword arguments, nested nodes first); the entry without ``param_names`` and
  ``module_cls_names`` applies to every parameter the others do not name. ``Optimizer.__init__``
  calls ``step_schedulers(0.0)``;
* for batch ``data_iter`` of epoch ``epoch``, after forward and backward:
  ``where = (epoch + data_iter / iters_per_epoch) / max_epochs``; when ``where < 1`` each
  group's ``lr = scheduler(where)``; then ``optimizer.step()``. ``iters_per_epoch`` is
  ``len(train_loader)``, which the config does not say: ``--steps-per-epoch``.
* VGGT's trainer (facebookresearch/vggt ``training/trainer.py``, the same Optimizer) takes
  ``limit_train_batches`` beside ``max_epochs``: ``where`` divides by it, and its loop breaks only
  when ``data_iter > limit_train_batches``, so an epoch runs ``limit_train_batches + 1`` batches
  (``len(train_loader)`` when that is fewer), the last with the next epoch's ``where``.

So point ``epoch * N + data_iter`` is the LR that optimizer step uses, one series per entry.
With ``--param weight_decay`` the groups are those ``map_scheduler_cfgs_to_param_groups``
(``training/optimizer.py`` 131-170) forms: one per (lr entry, weight_decay entry) pair, each
setting both options from its two schedulers; the trainer keeps a pair only when some parameter
of the model matches both, which the config cannot tell, so every pair is drawn (a note says so).
fvcore's scheduler module is pure Python: it is imported here to check each node as Hydra
would build it (the arguments, the start value); torch is not.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrviz.config.interpolation import UnresolvedError, take, take_all
from lrviz.config.layer import Layer
from lrviz.config.values import MAX_POINTS, describe_value
from lrviz.errors import ConfigError, option
from lrviz.frameworks.base import Fields, mappings, one_line, rejected, require
from lrviz.frameworks.fvcore.nodes import MODULE, fvcore_targets
from lrviz.keys import KeyPath
from lrviz.model import FrameworkSettings, GroupConfig, OptimizerConfig, RunConfig, SchedulerConfig
from lrviz.schedules import OPTIMIZERS, suggest

#: Hydra's own keys of a node, which are not arguments of the class.
_HYDRA = ("_target_", "_recursive_", "_convert_")


@dataclass(frozen=True)
class FvcoreSettings(FrameworkSettings):
    """One fvcore scheduler tree per param group (``{"class": name, "args": {...}}``), and the trainer's length."""

    schedulers: tuple[Mapping[str, Any], ...]
    groups: tuple[str, ...]
    max_epochs: int
    #: the batches each epoch runs, and the number ``where`` divides ``data_iter`` by (``len(train_loader)``, or
    #: ``limit_train_batches`` in trainers that have it: VGGT's then runs ``limit_train_batches + 1`` batches)
    iters_per_epoch: int
    divisor: int
    #: where each group's scheduler node is (``file:line: key``), for fvcore's own rejections
    where: tuple[str, ...] = field(default=())
    #: ``weight_decay`` (``--param weight_decay``): each group's weight-decay scheduler tree, recorded beside the LR
    second: str = "momentum"
    weight_decays: tuple[Mapping[str, Any], ...] = ()


def param_scheduler_module() -> Any:
    """``fvcore.common.param_scheduler`` (pure Python: no torch, no other fvcore module)."""
    if importlib.util.find_spec("fvcore") is None:
        raise ConfigError("needs fvcore: pip install 'lrviz[fvcore]'")
    try:
        return importlib.import_module(MODULE)
    except ImportError as exc:
        raise ConfigError(f"fvcore is installed but {MODULE} does not import: {one_line(exc)}") from None


def instantiate(module: Any, node: Any) -> Any:
    """Build a scheduler tree as Hydra's ``instantiate`` does: nested nodes first, then the class."""
    if isinstance(node, Mapping) and "class" in node:
        args = {k: instantiate(module, v) for k, v in node["args"].items()}
        return getattr(module, node["class"])(**args)
    if isinstance(node, list):
        return [instantiate(module, v) for v in node]
    return node


def find_options(doc: Mapping[str, Any]) -> tuple[KeyPath, Mapping[str, Any]] | None:
    """The path and node of the trainer's ``optim`` block: the mapping whose ``options.lr`` is a list."""
    for path, node in mappings(doc):
        options = node.get("options")
        if isinstance(options, Mapping) and isinstance(options.get("lr"), list):
            return path, node
    return None


def build(layer: Layer) -> RunConfig:
    """Validate a SAM 2 training config into a run of max_epochs x iters_per_epoch optimizer steps."""
    require("fvcore", "fvcore")
    module = param_scheduler_module()
    f = Fields(layer)
    found = find_options(f.doc)
    if found is None:
        targets = fvcore_targets(f.doc)
        where = f.at(*targets[0].split(".")) if targets else f.prefix.rstrip(": ") or "flags"
        raise ConfigError(
            f"{where}: an fvcore ParamScheduler outside the SAM 2 trainer's layout: which `where` it is "
            "called with, and how often, is the project's own code; lrviz reads the SAM 2 trainer's "
            "trainer.optim.options.lr list (VGGT's: optim.options.lr)"
        )
    optim_path, optim = found
    entries: list[Any] = optim["options"]["lr"]
    base = (*optim_path, "options", "lr")
    notes: list[str] = []
    if not entries:
        raise ConfigError(
            f"{f.at(*map(str, base))}: no LR schedulers: the trainer keeps the optimizer's own lr, a constant; "
            "there is no schedule to draw"
        )
    second = layer.data.get("param") or "momentum"
    try:
        return _build(layer, f, module, optim_path, optim, entries, base, second, notes)
    except UnresolvedError:  # name every value lrviz cannot resolve that the schedule needs, not only the first
        trainer: Any = f.doc
        for key in optim_path[:-1]:
            trainer = trainer[key]
        needed = [(entries, base)]
        if second == "weight_decay" and isinstance(optim["options"].get("weight_decay"), list):
            needed.append((optim["options"]["weight_decay"], (*optim_path, "options", "weight_decay")))
        if isinstance(trainer, Mapping) and "max_epochs" in trainer:
            needed.append((trainer["max_epochs"], (*optim_path[:-1], "max_epochs")))
        take_all(needed, lambda path: f.at(*map(str, path)))
        raise


def _build(
    layer: Layer,
    f: Fields,
    module: Any,
    optim_path: KeyPath,
    optim: Mapping[str, Any],
    entries: list[Any],
    base: KeyPath,
    second: str,
    notes: list[str],
) -> RunConfig:
    schedulers, groups, places = [], [], []
    for i, entry in enumerate(entries):
        here = (*base, i)
        if not isinstance(entry, Mapping) or not isinstance(entry.get("scheduler"), Mapping):
            raise ConfigError(f"{f.at(*map(str, here))}: expected a mapping with a scheduler node")
        node = _node(f, module, entry["scheduler"], (*here, "scheduler"))
        schedulers.append(node)
        groups.append(_group_name(entry))
        places.append(f.at(*map(str, (*here, "scheduler"))))
    if groups.count("default") > 1:
        raise ConfigError(
            f"{f.at(*map(str, base))}: SAM 2's trainer allows one entry without param_names and module_cls_names "
            f"(the default for every other parameter); this list has {groups.count('default')}"
        )
    decays: list[Any] = []
    if second == "weight_decay":
        schedulers, groups, places, decays = _pairs(f, module, optim, optim_path, schedulers, groups, places, notes)
    elif second != "momentum":
        raise ConfigError(f"{f.override_at('param')}: one of lr, momentum, weight_decay, got {describe_value(second)}")
    starts = [_start(module, node, place) for node, place in zip(schedulers, places, strict=True)]
    if "default" not in groups:
        notes.append(
            f"{f.at(*map(str, base))}: no entry without param_names: SAM 2's trainer leaves the other parameters at "
            "the optimizer's own lr, which lrviz does not draw"
        )
    if optim.get("param_group_modifiers"):
        notes.append(
            f"{f.at(*map(str, (*optim_path, 'param_group_modifiers')))}: the modifiers (layer decay) scale the "
            "LR of some parameters by a constant factor; the curves are the entries' own, unscaled"
        )
    for option_name in optim["options"]:
        if option_name not in ("lr", second):
            notes.append(
                f"{f.at(*map(str, (*optim_path, 'options', option_name)))}: {option_name} is scheduled too; "
                "lrviz draws the LR"
                + (f" ({option('param')} weight_decay draws it)" if option_name == "weight_decay" else "")
            )
    trainer_path = optim_path[:-1]
    max_epochs = _max_epochs(f, trainer_path)
    iters, divisor = _iters_per_epoch(layer, f, trainer_path, notes)
    if max_epochs * iters > MAX_POINTS:
        raise ConfigError(
            f"{f.prefix}{max_epochs * iters:,} steps is more than the limit of {MAX_POINTS:,} (raise the limit with "
            "LRVIZ_MAX_POINTS=N if the run needs it)"
        )
    name = _optimizer(f, optim, notes)
    top = schedulers[groups.index("default") if "default" in groups else 0]
    label = layer.data.get("label")
    title = layer.data.get("title")
    return RunConfig(
        scheduler=SchedulerConfig(str(top["class"]), _shown(top), family="fvcore"),
        optimizer=OptimizerConfig(
            name, starts[0], {}, tuple(GroupConfig(g, s, {}) for g, s in zip(groups, starts, strict=True))
        ),
        epochs=max_epochs,
        steps_per_epoch=iters,
        interval="step",
        label=str(label) if label is not None else Path(f.origin).stem,
        title=title if isinstance(title, str) else None,
        geometry=f"max_epochs {max_epochs:,} x {iters:,} batches = {max_epochs * iters:,} optimizer steps"
        + (f"; where = (epoch + data_iter / {divisor:,}) / {max_epochs:,}" if divisor != iters else ""),
        notes=tuple(notes),
        settings=FvcoreSettings(
            tuple(schedulers), tuple(groups), max_epochs, iters, divisor, tuple(places), second, tuple(decays)
        ),
    )


def _pairs(
    f: Fields,
    module: Any,
    optim: Mapping[str, Any],
    optim_path: KeyPath,
    schedulers: list[Any],
    groups: list[str],
    places: list[str],
    notes: list[str],
) -> tuple[list[Any], list[str], list[str], list[Any]]:
    """One group per (lr entry, weight_decay entry), in ``itertools.product`` order, as the trainer pairs them."""
    base = (*optim_path, "options", "weight_decay")
    entries = optim["options"].get("weight_decay")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(
            f"{f.at(*map(str, base))}: {option('param')} weight_decay: the trainer schedules no weight decay "
            "here (no options.weight_decay list): it keeps the optimizer's own"
        )
    decays, names = [], []
    for j, entry in enumerate(entries):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("scheduler"), Mapping):
            raise ConfigError(f"{f.at(*map(str, (*base, j)))}: expected a mapping with a scheduler node")
        node = _node(f, module, entry["scheduler"], (*base, j, "scheduler"))
        _start(module, node, f.at(*map(str, (*base, j, "scheduler"))))
        decays.append(node)
        names.append(_group_name(entry))
    pairs = [(i, j) for i in range(len(schedulers)) for j in range(len(decays))]
    if len(pairs) > 1:
        notes.append(
            f"{f.at(*map(str, base))}: SAM 2's trainer makes a param group of each lr entry and weight_decay "
            "entry that some parameter matches both of (optimizer.py map_scheduler_cfgs_to_param_groups); lrviz "
            f"cannot see the model, so it draws all {len(pairs)} pairs"
        )
    return (
        [schedulers[i] for i, _ in pairs],
        [f"lr {groups[i]}; weight_decay {names[j]}" for i, j in pairs],
        [places[i] for i, _ in pairs],
        [decays[j] for _, j in pairs],
    )


def _node(f: Fields, module: Any, value: Any, path: KeyPath) -> Any:
    """A scheduler node as Hydra would build it, checked against the fvcore class it names."""
    where = f.at(*map(str, path))
    if isinstance(value, list):
        return [_node(f, module, v, (*path, i)) for i, v in enumerate(value)]
    if not isinstance(value, Mapping):
        return take(value, where)
    target = take(value.get("_target_"), f.at(*map(str, (*path, "_target_"))))
    if not isinstance(target, str) or not target.startswith(f"{MODULE}."):
        shown = describe_value(target) if target is not None else "no _target_"
        raise ConfigError(
            f"{f.at(*map(str, (*path, '_target_')))}: {shown} is not one of fvcore's param schedulers "
            f"({MODULE}.*): the project's own class computes this LR, and lrviz does not run project code"
        )
    name = target.rpartition(".")[2]
    cls = getattr(module, name, None)
    names = [n for n, c in vars(module).items() if inspect.isclass(c) and issubclass(c, module.ParamScheduler)]
    if cls is None or name not in names or name == "ParamScheduler":
        raise ConfigError(
            f"{f.at(*map(str, (*path, '_target_')))}: not a param scheduler of the installed fvcore"
            f"{suggest(name, names)}; it has {', '.join(sorted(n for n in names if n != 'ParamScheduler'))}"
        )
    if value.get("_partial_"):
        raise ConfigError(
            f"{f.at(*map(str, (*path, '_partial_')))}: a partial scheduler is completed by the project's code, "
            "with arguments the config does not hold"
        )
    accepted = set(inspect.signature(cls).parameters)
    args: dict[str, Any] = {}
    for key, arg in value.items():
        if key in _HYDRA or key == "_partial_":
            continue
        if key not in accepted:
            raise ConfigError(
                f"{f.at(*map(str, (*path, key)))}: not an argument of fvcore's {name}{suggest(str(key), sorted(accepted))}; "
                f"it takes {', '.join(sorted(accepted))}"
            )
        args[str(key)] = _node(f, module, arg, (*path, key))
    return {"class": name, "args": args}


def _start(module: Any, node: Mapping[str, Any], where: str) -> float:
    """The LR ``Optimizer.__init__`` gives the group (``scheduler(0.0)``), built and called as the trainer does."""
    try:
        value = instantiate(module, node)(0.0)
    except (TypeError, ValueError, AssertionError, RuntimeError, KeyError, IndexError, ZeroDivisionError) as exc:
        raise rejected({"": where}, exc, f"fvcore's {node['class']}") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"{where}: fvcore's {node['class']} gives the LR {value!r} at the start; expected >= 0")
    return float(value)


def _group_name(entry: Mapping[str, Any]) -> str:
    named = [
        f"{key}: {', '.join(map(str, entry[key]))}"
        for key in ("param_names", "module_cls_names")
        if isinstance(entry.get(key), list) and entry[key]
    ]
    return "; ".join(named) if named else "default"


def _max_epochs(f: Fields, trainer: KeyPath) -> int:
    node: Any = f.doc
    for key in trainer:
        node = node[key]
    path = (*trainer, "max_epochs")
    where = f.at(*map(str, path))
    if not isinstance(node, Mapping) or "max_epochs" not in node:
        raise ConfigError(f"{where}: SAM 2's Trainer requires max_epochs (the schedule's `where` divides by it)")
    value = take(node["max_epochs"], where)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where}: expected an integer >= 1, got {describe_value(value)}")
    return value


def _iters_per_epoch(layer: Layer, f: Fields, trainer: KeyPath, notes: list[str]) -> tuple[int, int]:
    """(batches per epoch, the divisor of ``where``): ``--steps-per-epoch`` is ``len(train_loader)``."""
    given = f.override("steps_per_epoch")
    if given is not None and (isinstance(given, bool) or not isinstance(given, int) or given < 1):
        raise ConfigError(f"{f.override_at('steps_per_epoch')}: expected an integer >= 1, got {describe_value(given)}")
    node: Any = f.doc
    for key in trainer:
        node = node[key]
    path = (*trainer, "limit_train_batches")
    limit = take(node.get("limit_train_batches"), f.at(*map(str, path))) if isinstance(node, Mapping) else None
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ConfigError(f"{f.at(*map(str, path))}: expected an integer >= 1, got {describe_value(limit)}")
        if given is None:
            notes.append(
                f"{f.at(*map(str, path))}: the trainer breaks when data_iter > {limit}, so an epoch runs "
                f"{limit + 1} batches if the loader has that many (the last at the next epoch's `where`); give "
                f"{option('steps_per_epoch')} N for a loader of N batches"
            )
            return limit + 1, limit
        return min(given, limit + 1), limit
    if given is None:
        notes.append(
            f"{f.prefix}iters_per_epoch is len(train_loader), which the config does not say: drawn with 1 step "
            f"per epoch (the LR of each epoch's first step); give {option('steps_per_epoch')} N"
        )
        return 1, 1
    return given, given


def _optimizer(f: Fields, optim: Mapping[str, Any], notes: list[str]) -> str:
    node = optim.get("optimizer")
    target = node.get("_target_") if isinstance(node, Mapping) else None
    name = target.rpartition(".")[2] if isinstance(target, str) and target.startswith("torch.optim.") else None
    if name in OPTIMIZERS:
        return str(name)
    notes.append(
        f"{f.prefix}optimizer {target or '(none)'}: lrviz steps SGD; the schedulers set each group's lr, so the "
        "curve does not depend on the optimizer"
    )
    return "SGD"


def _shown(node: Mapping[str, Any]) -> dict[str, Any]:
    """The top scheduler's arguments as ``describe()`` shows them: nested schedulers by class name."""

    def show(value: Any) -> Any:
        if isinstance(value, Mapping) and "class" in value:
            return value["class"]
        if isinstance(value, list):
            return [show(v) for v in value]
        return value

    return {k: show(v) for k, v in node["args"].items()}


def settings(run: RunConfig) -> FvcoreSettings:
    """The run's fvcore settings (``run.settings``, typed)."""
    if not isinstance(run.settings, FvcoreSettings):
        raise TypeError(f"not an fvcore run: {run.scheduler.describe()}")
    return run.settings


__all__ = ["FvcoreSettings", "build", "find_options", "instantiate", "param_scheduler_module", "settings"]
