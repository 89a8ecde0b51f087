"""An mmengine config (``param_scheduler``, ``optim_wrapper``, ``train_cfg``, ...) -> a run.

What mmengine's ``Runner`` decides before the first iteration is decided the same way here
(mmengine/runner/runner.py, at 25434293):

* the train loop: ``train_cfg.type``, or ``by_epoch`` (True: ``EpochBasedTrainLoop``, else
  ``IterBasedTrainLoop``) (``build_train_loop``);
* each scheduler's ``end`` defaults to ``max_epochs`` (``by_epoch``, the default) or ``max_iters``
  (``_build_param_scheduler``); ``convert_to_iter_based`` is applied by mmengine's own registry build;
* iterations per epoch are ``len(train_dataloader)``: the dataset split over the ranks by
  ``DefaultSampler`` (``ceil(dataset / world_size)`` each, ``round_up``), then batched, the last
  incomplete batch kept unless ``drop_last``;
* ``auto_scale_lr`` with ``enable=True`` scales every LR by ``world_size x batch_size /
  base_batch_size`` (``Runner.scale_lr``).

The schedulers themselves are mmengine's, built and stepped in ``step``. Nothing here imports
mmengine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lrviz.config.layer import Layer
from lrviz.config.values import MAX_POINTS, describe_value
from lrviz.errors import ConfigError, option
from lrviz.frameworks.base import Fields, require
from lrviz.model import FrameworkSettings, GroupConfig, OptimizerConfig, RunConfig, SchedulerConfig

#: The hook that steps the schedulers when ``default_hooks.param_scheduler`` does not name another.
HOOK = "ParamSchedulerHook"
#: torch optimizers and the options of theirs the dummy keeps (the LR does not depend on the class;
#: momentum does, through ``momentum`` or ``betas``).
_OPTIONS = {
    "SGD": ("momentum", "dampening", "weight_decay", "nesterov"),
    "Adam": ("betas", "eps", "weight_decay", "amsgrad"),
    "AdamW": ("betas", "eps", "weight_decay", "amsgrad"),
    "RMSprop": ("alpha", "eps", "weight_decay", "momentum", "centered"),
    "Adagrad": ("lr_decay", "weight_decay", "eps"),
    "Adamax": ("betas", "eps", "weight_decay"),
    "NAdam": ("betas", "eps", "weight_decay"),
    "RAdam": ("betas", "eps", "weight_decay"),
}


@dataclass(frozen=True)
class MMEngineSettings(FrameworkSettings):
    """What mmengine's Runner builds its schedulers from, and how its train loop steps them."""

    #: each scheduler's config as ``PARAM_SCHEDULERS.build`` receives it (``end`` defaulted as the Runner does)
    schedulers: tuple[Mapping[str, Any], ...] = ()
    by_epoch: bool = True  # EpochBasedTrainLoop (else IterBasedTrainLoop)
    max_epochs: int = 1
    max_iters: int = 1
    #: ``len(train_dataloader)``: the ``epoch_length`` given to the schedulers (0: not known, not needed)
    epoch_length: int = 0
    stepped: bool = True  # False when default_hooks.param_scheduler is None: nothing steps them
    #: the optimizer value recorded beside the LR: ``momentum`` (or Adam's beta1), or ``weight_decay``
    second: str = "momentum"
    #: where each scheduler came from (``config.py: param_scheduler[1]``), for mmengine's own rejections
    where: tuple[str, ...] = ()


def settings(run: RunConfig) -> MMEngineSettings:
    """The run's mmengine settings (``run.settings``, typed)."""
    if not isinstance(run.settings, MMEngineSettings):
        raise TypeError(f"not an mmengine run: {run.scheduler.describe()}")
    return run.settings


def build(layer: Layer) -> RunConfig:
    """Validate an mmengine layer into a run: one point per iteration (per epoch when nothing steps per iteration)."""
    require("mmengine", "mmengine")
    f = Fields(layer)
    notes: list[str] = []
    by_epoch, max_epochs, max_iters = _loop(f, layer)
    second = layer.data.get("param") or "momentum"
    if second not in ("momentum", "weight_decay"):
        raise ConfigError(f"{f.override_at('param')}: one of lr, momentum, weight_decay, got {describe_value(second)}")
    schedulers, where = _schedulers(f)
    stepped = _hook(f)
    _custom_hooks(f)
    converted = [s for s in schedulers if s.get("convert_to_iter_based")]
    per_iter = [s for s in schedulers if not s.get("by_epoch", True)]
    needs_length = bool(converted) or (by_epoch and bool(per_iter))
    epoch_length, geometry = _epoch_length(f, layer, needs_length, (converted or per_iter or [{}])[0])
    if by_epoch and epoch_length:
        max_iters = max_epochs * epoch_length  # EpochBasedTrainLoop: max_epochs x len(train_dataloader)
    built = []
    for s, at in zip(schedulers, where, strict=True):
        cfg = dict(s)
        unset = [k for k in ("by_epoch", "begin", "end") if k not in cfg]
        cfg.setdefault("end", max_epochs if cfg.get("by_epoch", True) else max_iters)  # Runner._build_param_scheduler
        if unset:  # the defaults that place the scheduler on the run
            shown = {"by_epoch": "by_epoch=True", "begin": "begin=0", "end": f"end={cfg['end']} (the train loop's)"}
            notes.append(f"{at}: {cfg['type']} not set, mmengine's defaults: {', '.join(shown[k] for k in unset)}")
        built.append(cfg)
    if layer.data.get("dataset_size") is not None and layer.data.get("world_size") is None and epoch_length:
        notes.append(f"{f.prefix}iterations per epoch for 1 GPU; give {option('world_size')} for more")
    for cfg, at in zip(schedulers, where, strict=True):
        param = cfg.get("param_name")
        if param not in (None, "lr", "momentum", second):
            notes.append(
                f"{at}: {cfg['type']} schedules {param}, stepped with the others; the curve shows the LR"
                + (f" ({option('param')} {param} draws it)" if param == "weight_decay" else "")
            )
    lr, optimizer, options = _optimizer(f, notes)
    lr = _scaled(f, layer, lr, notes)
    spe = epoch_length if by_epoch and epoch_length else 1
    if by_epoch:
        epochs, unit = max_epochs, "epoch"
    else:
        epochs, unit = max_iters, "step"
    if epochs * spe > MAX_POINTS:
        raise ConfigError(
            f"{f.at('train_cfg')}: {epochs:,} x {spe:,} iterations is more than {MAX_POINTS:,} values "
            "(raise the limit with LRVIZ_MAX_POINTS=N if the run needs it)"
        )
    if not schedulers:
        notes.append(f"{f.prefix}no param_scheduler: the Runner keeps the LR at optim_wrapper.optimizer.lr")
    elif not stepped:
        notes.append(
            f"{f.at('default_hooks', 'param_scheduler')}: None: no ParamSchedulerHook, so the schedulers are built "
            "(their first value applied) and never stepped"
        )
    fw = MMEngineSettings(
        schedulers=tuple(built),
        by_epoch=by_epoch,
        max_epochs=max_epochs,
        max_iters=max_iters,
        epoch_length=epoch_length,
        stepped=stepped,
        second=second,
        where=tuple(where),
    )
    names = "+".join(str(s["type"]) for s in built) or "constant"
    label = layer.data.get("label")
    title = layer.data.get("title")
    return RunConfig(
        scheduler=SchedulerConfig(names, {"loop": "epoch" if by_epoch else "iter"}, family="mmengine"),
        optimizer=OptimizerConfig(optimizer, lr, options, (GroupConfig("group 0", lr, {}),)),
        epochs=epochs,
        steps_per_epoch=spe,
        interval="step" if spe > 1 or not by_epoch else "epoch",
        label=str(label) if label is not None else (Path(f.origin).stem if f.origin != "flags" else "mmengine"),
        title=title if isinstance(title, str) else None,
        geometry=geometry,
        notes=tuple(notes),
        unit=unit,
        settings=fw,
        sources=_sources(f, by_epoch, epoch_length, geometry),
    )


def _loop(f: Fields, layer: Layer) -> tuple[bool, int, int]:
    """(by_epoch, max_epochs, max_iters) of the train loop ``Runner.build_train_loop`` builds."""
    cfg = f.doc.get("train_cfg")
    if not isinstance(cfg, Mapping):
        raise ConfigError(f"{f.at('train_cfg')}: an mmengine config needs train_cfg (max_epochs or max_iters)")
    kind = cfg.get("type")
    if kind is None:
        by_epoch = bool(cfg.get("by_epoch", False))  # Runner.build_train_loop pops it: missing is iter-based
    elif kind in ("EpochBasedTrainLoop", "IterBasedTrainLoop"):
        by_epoch = kind == "EpochBasedTrainLoop"
    else:
        raise ConfigError(
            f"{f.at('train_cfg', 'type')}: {kind} is not one of mmengine's train loops (EpochBasedTrainLoop, "
            "IterBasedTrainLoop); lrviz steps the schedulers as those do"
        )
    key = "max_epochs" if by_epoch else "max_iters"
    value = layer.data.get("epochs") if layer.data.get("epochs") is not None else cfg.get(key)
    where = f.override_at("epochs") if layer.data.get("epochs") is not None else f.at("train_cfg", key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where}: expected an integer >= 1, got {describe_value(value)}")
    return (True, value, value) if by_epoch else (False, 1, value)  # IterBasedTrainLoop: _max_epochs = 1


def _schedulers(f: Fields) -> tuple[list[dict[str, Any]], list[str]]:
    raw = f.doc.get("param_scheduler")
    if raw is None:
        return [], []
    items = raw if isinstance(raw, list) else [raw]
    if isinstance(raw, Mapping) and "type" not in raw:
        raise ConfigError(
            f"{f.at('param_scheduler')}: one scheduler list per optimizer ({', '.join(map(str, raw))}): "
            "lrviz steps the schedulers of a single optimizer"
        )
    out, where = [], []
    for i, item in enumerate(items):
        at = f.at("param_scheduler", i) if isinstance(raw, list) else f.at("param_scheduler")
        if not isinstance(item, Mapping) or "type" not in item:
            raise ConfigError(f"{at}: expected dict(type=..., ...), got {describe_value(item)}")
        cfg = dict(item)
        kind = cfg["type"]
        if isinstance(kind, type):  # a lazy config names the class itself
            cfg["type"] = (
                kind.__name__ if kind.__module__.startswith("mmengine.") else f"{kind.__module__}.{kind.__name__}"
            )
        if not isinstance(cfg["type"], str):
            raise ConfigError(f"{at}: type: expected a scheduler name, got {describe_value(kind)}")
        out.append(cfg)
        where.append(at)
    return out, where


def _hook(f: Fields) -> bool:
    hooks = f.doc.get("default_hooks")
    if not isinstance(hooks, Mapping) or "param_scheduler" not in hooks:
        return True
    hook = hooks["param_scheduler"]
    if hook is None:
        return False
    kind = hook.get("type") if isinstance(hook, Mapping) else hook
    name = getattr(kind, "__name__", kind)
    if name != HOOK:
        raise ConfigError(
            f"{f.at('default_hooks', 'param_scheduler')}: {name} steps the LR its own way (not mmengine's "
            f"{HOOK} over param_scheduler); lrviz does not step it, so it refuses to draw a curve the run would "
            f"not follow"
        )
    return True


def _custom_hooks(f: Fields) -> None:
    """A custom hook that sets the LR (mmyolo's ``YOLOv5ParamSchedulerHook``, an mmcv ``LrUpdaterHook``) is refused."""
    hooks = f.doc.get("custom_hooks")
    for i, hook in enumerate(hooks if isinstance(hooks, list) else []):
        kind = hook.get("type") if isinstance(hook, Mapping) else None
        name = str(getattr(kind, "__name__", kind))
        if re.search(r"ParamScheduler|LrUpdater|LRScheduler|Lr(Scheduler)?Hook", name):
            raise ConfigError(
                f"{f.at('custom_hooks', i)}: {name} sets the LR during training, which lrviz does not step; it "
                "refuses to draw a curve the run would not follow"
            )


def _epoch_length(f: Fields, layer: Layer, needed: bool, first: Mapping[str, Any]) -> tuple[int, str | None]:
    """``len(train_dataloader)`` from --steps-per-epoch, or --dataset-size, the batch size and --world-size."""
    given = layer.data.get("steps_per_epoch")
    dataset = layer.data.get("dataset_size")
    world = _positive(layer.data.get("world_size", 1), f.override_at("world_size"))
    if given is not None:
        n = _positive(given, f.override_at("steps_per_epoch"))
        return n, f"iterations per epoch: {n:,} (given)"
    if dataset is None:
        if needed:
            what = (
                f"{first['type']} (convert_to_iter_based)"
                if first.get("convert_to_iter_based")
                else f"{first['type']} (by_epoch=False)"
            )
            raise ConfigError(
                f"{f.at('param_scheduler')}: {what} steps every iteration, and an epoch's iterations are "
                f"len(train_dataloader): pass {option('dataset_size')} N (training samples, as vis_scheduler.py's "
                f"--dataset-size) and {option('world_size')} GPUS, or {option('steps_per_epoch')} N"
            )
        return 0, None
    dataset = _positive(dataset, f.override_at("dataset_size"))
    loader = f.doc.get("train_dataloader")
    loader = loader if isinstance(loader, Mapping) else {}
    batch = layer.data.get("batch_size")
    batch_at = f.override_at("batch_size") if batch is not None else f.at("train_dataloader", "batch_size")
    if batch is None:
        batch = loader.get("batch_size")
    if batch is None:
        raise ConfigError(f"{batch_at}: the batch size per GPU is needed with {option('dataset_size')}")
    batch = _positive(batch, batch_at)
    drop_last = bool(loader.get("drop_last", False))
    per_rank = -(-dataset // world)  # DefaultSampler(round_up=True)
    n = per_rank // batch if drop_last else -(-per_rank // batch)
    if n < 1:
        raise ConfigError(f"{f.override_at('dataset_size')}: {per_rank:,} samples per GPU make no batch of {batch}")
    geometry = (
        f"iterations per epoch: {dataset:,} samples"
        + (f" / {world} GPUs = {per_rank:,} per GPU (ceil, DefaultSampler round_up)" if world > 1 else "")
        + f" / batch {batch} = {n:,} ({'floor, drop_last' if drop_last else 'ceil: the last batch is kept'})"
    )
    return n, geometry


def _optimizer(f: Fields, notes: list[str]) -> tuple[float, str, dict[str, Any]]:
    wrapper = f.doc.get("optim_wrapper")
    if not isinstance(wrapper, Mapping) or not isinstance(wrapper.get("optimizer"), Mapping):
        if isinstance(wrapper, Mapping) and wrapper and all(isinstance(v, Mapping) for v in wrapper.values()):
            raise ConfigError(
                f"{f.at('optim_wrapper')}: one optimizer per model part ({', '.join(map(str, wrapper))}): "
                "lrviz steps the schedulers of a single optimizer"
            )
        raise ConfigError(f"{f.at('optim_wrapper')}: expected dict(optimizer=dict(type=..., lr=...))")
    opt = wrapper["optimizer"]
    lr = opt.get("lr")
    if isinstance(lr, bool) or not isinstance(lr, int | float) or lr < 0:
        raise ConfigError(
            f"{f.at('optim_wrapper', 'optimizer', 'lr')}: expected a number >= 0, got {describe_value(lr)}"
        )
    name = str(getattr(opt.get("type"), "__name__", opt.get("type")))
    torch_name = name if name in _OPTIONS else "SGD"
    if torch_name != name:
        notes.append(
            f"{f.at('optim_wrapper', 'optimizer', 'type')}: {name}: the curve is drawn with a torch SGD over the same "
            "lr (the LR schedule does not depend on the optimizer class; momentum curves do)"
        )
    options = {k: (tuple(v) if isinstance(v, list) else v) for k, v in opt.items() if k in _OPTIONS[torch_name]}
    for key, what in (
        ("paramwise_cfg", "scales some parameters' LR (lr_mult) or decay: the curve is the base LR's"),
        ("constructor", "builds the param groups its own way: the curve is the base LR's"),
        ("accumulative_counts", "accumulates gradients, but mmengine still steps the schedulers every iteration"),
    ):
        if wrapper.get(key):
            notes.append(f"{f.at('optim_wrapper', key)}: {what}")
    return float(lr), torch_name, options


def _scaled(f: Fields, layer: Layer, lr: float, notes: list[str]) -> float:
    """``Runner.scale_lr``: only with ``auto_scale_lr.enable`` (tools/train.py's --auto-scale-lr sets it)."""
    auto = f.doc.get("auto_scale_lr")
    if not isinstance(auto, Mapping):
        return lr
    if not auto.get("enable"):
        notes.append(
            f"{f.at('auto_scale_lr')}: not enabled, so lr is drawn as written; OpenMMLab's tools/train.py "
            f"--auto-scale-lr enables it (lr x GPUs x batch / base_batch_size {auto.get('base_batch_size')}): "
            f"{option('overrides')} auto_scale_lr.enable=True draws that"
        )
        return lr
    base = _positive(auto.get("base_batch_size"), f.at("auto_scale_lr", "base_batch_size"))
    loader = f.doc.get("train_dataloader")
    batch = layer.data.get("batch_size") or (loader.get("batch_size") if isinstance(loader, Mapping) else None)
    if batch is None:
        raise ConfigError(
            f"{f.at('auto_scale_lr', 'enable')}: the Runner scales lr by GPUs x train_dataloader.batch_size / "
            f"base_batch_size {base}, and the config has no train_dataloader.batch_size: give it with "
            f"{option('batch_size')} N, or draw the lr as written with {option('overrides')} auto_scale_lr.enable=False"
        )
    batch = _positive(batch, f.at("train_dataloader", "batch_size"))
    world = _positive(layer.data.get("world_size", 1), f.override_at("world_size"))
    scaled = lr * (world * batch / base)
    notes.append(
        f"{f.at('auto_scale_lr', 'enable')}: the Runner scales lr {lr:g} by {world} GPUs x batch {batch} / "
        f"base_batch_size {base} = {scaled:g}"
        + ("" if layer.data.get("world_size") is not None else f" (1 GPU assumed: give {option('world_size')})")
    )
    return scaled


def _sources(f: Fields, by_epoch: bool, epoch_length: int, geometry: str | None) -> tuple[tuple[str, str, str], ...]:
    loop = "max_epochs" if by_epoch else "max_iters"
    train = f.doc.get("train_cfg") or {}
    out = [
        ("train loop", "EpochBasedTrainLoop" if by_epoch else "IterBasedTrainLoop", f.at("train_cfg")),
        (loop, str(train.get(loop)), f.at("train_cfg", loop)),
        (
            "lr",
            str((f.doc.get("optim_wrapper") or {}).get("optimizer", {}).get("lr")),
            f.at("optim_wrapper", "optimizer", "lr"),
        ),
    ]
    if epoch_length:
        out.append(("iterations per epoch", str(epoch_length), "the arithmetic below" if geometry else "given"))
    return tuple(out)


def _positive(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where}: expected an integer >= 1, got {describe_value(value)}")
    return value
