"""A merged layer -> one validated, immutable ``RunConfig``: the one place a run is checked.

``build_run`` validates the optimizer, the scheduler tree, the run length and the
training geometry against the registry in ``schedules.py``; problems are
``ConfigError``s naming where the value came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lrviz.budget import STEPS
from lrviz.config.layer import Layer
from lrviz.config.values import (
    MAX_POINTS,
    check_arg,
    describe_value,
    number,
    parse_expectations,
    read_metrics,
)
from lrviz.errors import ConfigError, option
from lrviz.frameworks.torch.optimizer import build_optimizer
from lrviz.frameworks.torch.provenance import accounting as _accounting
from lrviz.frameworks.torch.provenance import digits as _digits
from lrviz.frameworks.torch.provenance import sources as _sources
from lrviz.keys import KeyPath
from lrviz.model import RunConfig, SchedulerConfig
from lrviz.schedules import Arg, SchedulerSpec, get_scheduler, suggest
from lrviz.signatures import SCHEDULER_MODULE, parameters

#: Upper bound on the number of param groups.


def build_run(layer: Layer) -> RunConfig:
    """Validate a merged layer into a RunConfig; every problem is a ConfigError naming its source."""
    data = layer.data
    _resolved(data, (), layer)  # a ${...} or ??? lrviz reads, unless a flag replaced it
    optimizer = build_optimizer(data.get("optimizer", {}), layer)
    groups = len(optimizer.groups)
    spe = number(data.get("steps_per_epoch", 1), layer.at(("steps_per_epoch",)), integer=True, bound=_POS)
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
        raise ConfigError(f"{layer.at(('interval',))}: expected epoch or step, got {describe_value(interval)}")
    unit = spe if interval == "step" else 1
    frequency = number(data.get("frequency", 1), layer.at(("frequency",)), integer=True, bound=_POS)
    if (
        interval == "step"
        and frequency > 1
        and number(data.get("grad_accum", 1), layer.at(("grad_accum",)), integer=True, bound=_POS) > 1
    ):
        raise ConfigError(
            f"{layer.at(('frequency',))}: Lightning counts a per-step frequency in batches from the epoch's start "
            "(batch_idx), not in optimizer steps, and lrviz does not model that with gradient accumulation; "
            f"give the run without it ({option('grad_accum')} 1 and {option('steps_per_epoch')} N optimizer steps)"
        )
    processes = number(
        data.get("accelerate_processes", 1), layer.at(("accelerate_processes",)), integer=True, bound=_POS
    )
    split_batches = data.get("split_batches", False)
    if not isinstance(split_batches, bool):
        raise ConfigError(
            f"{layer.at(('split_batches',))}: expected true or false, got {describe_value(split_batches)}"
        )
    scheduler_calls = 1 if split_batches else processes
    if interval == "step" and frequency > 1 and "steps_per_epoch" not in data and geometry is None:
        # counted from each epoch's start, a frequency never reached by lrviz's 1-step epochs draws a flat line
        raise ConfigError(
            f"{layer.at(('frequency',))}: Lightning steps a per-step scheduler every {frequency} batches counted from "
            "each epoch's start (batch_idx), so the curve depends on the steps per epoch, which the file does not "
            f"say; give {option('steps_per_epoch')} N (the batches of an epoch)"
        )
    notes: list[str] = []
    if layer.foreign and interval == "step" and "steps_per_epoch" not in data and geometry is None:
        notes.append(
            f"{layer.at(('interval',)) if 'interval' in data else layer.origin}: the scheduler steps every optimizer "
            f"step, but the file does not say how many steps an epoch has; lrviz drew 1 per epoch; give "
            f"{option('steps_per_epoch')} N, or {option('dataset_size')} and {option('batch_size')}"
        )

    metrics = _metrics(data, layer)
    epochs_given = "epochs" in data
    if warmup is not None:
        warmup = number(warmup, layer.at(("warmup",)), integer=True, bound=_POS)
        sf = number(
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

    length_from = ""
    if epochs_given:
        epochs = number(_digits(data, "epochs", layer, notes), layer.at(("epochs",)), integer=True, bound=_POS)
        if "max_steps" in data:
            # Lightning stops at whichever limit comes first: max_epochs or max_steps
            max_steps = number(
                _digits(data, "max_steps", layer, notes), layer.at(("max_steps",)), integer=True, bound=_POS
            )
            if -(-max_steps // spe) < epochs:
                notes.append(
                    f"{layer.at(('max_steps',))}: {max_steps:,} steps end the run before {layer.at(('epochs',))} "
                    f"({epochs:,} epochs of {spe:,} steps); lrviz draws {-(-max_steps // spe):,} epochs, as the "
                    "trainer stops at whichever limit comes first"
                )
                epochs = -(-max_steps // spe)
                length_from = layer.at(("max_steps",))
    elif "max_steps" in data:
        max_steps = number(_digits(data, "max_steps", layer, notes), layer.at(("max_steps",)), integer=True, bound=_POS)
        epochs = -(-max_steps // spe)
        if max_steps % spe:
            notes.append(
                f"{layer.at(('max_steps',))}: {max_steps:,} steps is not a whole number of {spe:,}-step epochs; "
                f"lrviz draws {epochs:,} whole epochs"
            )
    elif scheduler.custom:
        raise ConfigError(
            f"{layer.at(('scheduler',))}: give the number of epochs ({option('epochs')}): lrviz cannot tell the run's "
            "length from a scheduler outside torch.optim.lr_scheduler"
        )
    elif metrics is not None:
        epochs = len(metrics)
    else:
        steps = _default_epochs(scheduler, unit)
        epochs = max(1, -(-steps // unit))
        if layer.foreign:  # a training config that does not say how long the run is
            notes.append(
                f"{layer.origin}: the file does not give the run's length; lrviz drew {epochs:,} epochs, the "
                f"scheduler's own span; give {option('epochs')} N (or trainer.max_epochs) for the run's"
            )
    if epochs * spe * groups > MAX_POINTS:
        per_group = f" x {groups} param groups" if groups > 1 else ""
        sources = ", ".join(layer.at(("scheduler", k)) for k in scheduler.args)
        where = layer.at(("epochs",)) if epochs_given else f"the default run length from {sources}"
        raise ConfigError(
            f"{where}: {epochs:,} epochs x {spe:,} steps per epoch{per_group} = "
            f"{epochs * spe * groups:,} values is more than the limit of {MAX_POINTS:,} (raise the limit with LRVIZ_MAX_POINTS=N if the run needs it); "
            + (
                f"lower {option('epochs')} or {option('steps_per_epoch')}"
                if epochs_given
                else f"give {option('epochs')} (or `epochs:`) explicitly"
            )
        )
    if scheduler_calls > 1 and epochs * spe * scheduler_calls > STEPS.value:
        raise STEPS.refusal(
            layer.at(("accelerate_processes",)),
            f"{epochs:,} epochs x {spe:,} steps x {scheduler_calls:,} scheduler steps each (Accelerate's processes) "
            f"= {epochs * spe * scheduler_calls:,} scheduler steps",
        )
    if scheduler.name == "ReduceLROnPlateau":
        if metrics is None:
            raise ConfigError(
                f"{layer.at(('scheduler',))}: ReduceLROnPlateau needs one metric per epoch: "
                f"`metrics: [...]` in the file or {option('metrics')} FILE"
            )
        if len(metrics) < epochs:
            raise ConfigError(
                f"{layer.at(('metrics',))}: {len(metrics)} metric values for {epochs} epochs; "
                f"give one per epoch or lower {option('epochs')}"
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
        raise ConfigError(f"{layer.at(('label',))}: expected a string, got {describe_value(label)}")
    title = data.get("title")
    if title is not None and not isinstance(title, str):
        raise ConfigError(f"{layer.at(('title',))}: expected a string, got {describe_value(title)}")
    expect = parse_expectations(data.get("expect"), layer.at(("expect",)))
    default_label = Path(layer.origin).stem if layer.origin != "flags" else scheduler.name
    provenance = _sources(layer, scheduler, optimizer, epochs, spe, length_from)
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
        frequency=frequency,
        scheduler_calls=scheduler_calls,
        notes=tuple(dict.fromkeys([*layer.live_notes(), *notes])),
        sources=provenance,
        accounting=_accounting(layer),
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
        return int(number(data.get(key, default), layer.at((key,)), integer=True, bound=_POS))

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
    if not isinstance(node, dict) or node.get("custom"):
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
        raise ConfigError(
            f"{where}: more than {MAX_POINTS:,} values (raise the limit with LRVIZ_MAX_POINTS=N if the run needs it)"
        )
    return tuple(float(number(v, f"{where}[{i}]", integer=False)) for i, v in enumerate(raw))


def _build_scheduler(raw: Any, path: KeyPath, layer: Layer, groups: int, depth: int) -> SchedulerConfig:
    where = layer.at(path)
    if not isinstance(raw, dict) or "name" not in raw:
        raise ConfigError(f"{where}: expected a scheduler mapping with `name:`")
    if raw.get("custom"):  # a user's class (allow_import): its own constructor checks its arguments
        given = {k: v for k, v in raw.items() if k not in ("name", "custom")}
        return SchedulerConfig(str(raw["name"]), given, custom=True)
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
            installed = parameters(SCHEDULER_MODULE, spec.name) or ()
            if key == "last_epoch":
                if value == -1:
                    continue  # the default: a fresh schedule
                raise ConfigError(f"{kwhere}: lrviz always starts a schedule at epoch 0; remove last_epoch")
            if key == "verbose" and key not in installed:
                layer.notes.append(f"{kwhere}: this torch's {spec.name} no longer takes verbose; ignored")
                continue
            if isinstance(key, str) and key in installed and key != "optimizer":
                args[key] = value  # accepted by the installed class; torch checks it
                continue
            valid = list(dict.fromkeys([*valid, *(p for p in installed if p not in ("optimizer", "last_epoch"))]))
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
        args[key] = check_arg(arg, value, kwhere, groups)
    for arg in spec.args:
        if arg.required and arg.name not in args and not (arg.kind == "schedulers" and children):
            prefix = "" if layer.origin == "flags" else f"{where}: "
            raise ConfigError(
                f"{prefix}{spec.name} needs {arg.name} ({arg.expects()}){_flag_hint(layer, spec, arg, path)}"
            )
    _check_relations(spec, args, children, where, layer, path)
    return SchedulerConfig(spec.name, args, children)


def _flag_hint(layer: Layer, spec: SchedulerSpec, arg: Arg, path: KeyPath = ("scheduler",)) -> str:
    if layer.origin == "flags" and spec.command and arg.cli:
        return f": pass {option('scheduler.' + arg.name)} (or set scheduler.{arg.name} in {option('config')} FILE)"
    orig = layer.origins.get(path)
    if orig is None:
        return f": set {arg.name}"
    key = ".".join(str(p) for p in (*orig, arg.name))
    return f": set {arg.name} in the file, or {option('overrides')} {key}=VALUE"


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
    return SchedulerConfig(sched.name, args, children, custom=sched.custom)


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


def _resolved(node: Any, path: KeyPath, layer: Layer) -> None:
    """ConfigError at the first value OmegaConf could not resolve (``interpolation.Unresolved``)."""
    from lrviz.config.interpolation import Unresolved

    if isinstance(node, Unresolved):
        raise ConfigError(f"{layer.at(path)}: {node.reason}")
    if isinstance(node, dict):
        for k, v in node.items():
            _resolved(v, (*path, k), layer)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _resolved(v, (*path, i), layer)
