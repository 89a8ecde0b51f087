"""Every key of NeMo's ``sched`` block, classified as ``prepare_lr_scheduler`` treats it.

nemo/core/optim/lr_scheduler.py of nemo-toolkit 3.0.0: ``maybe_update_config_version`` first
moves the keys of a ``params`` block into ``sched`` (Hydra 0.x configs) and renames ``cls`` to
``_target_``; ``prepare_lr_scheduler`` then pops ``name``, ``monitor``, ``reduce_on_plateau``
and the ``t_*`` keys ``setup_optimization`` writes, sets ``max_steps``, and passes EVERY other
key to the class ``name`` picks from ``AVAILABLE_SCHEDULERS`` as a keyword argument. A key the
class does not take makes NeMo fail building it (``TypeError``, or ``ValueError`` from
``functools.partial`` for a class without ``**kwargs``): lrviz refuses it the same way, before
stepping. With ``args``, the class's arguments come from ``args`` alone. ``CLASS_ARGS`` is pinned
to the installed classes by ``tests/frameworks/nemo/test_nemo_keys.py``. Nothing here imports NeMo.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lrviz.config.values import describe_value
from lrviz.errors import ConfigError
from lrviz.frameworks.base import Fields

REQUIRED = "required"

#: each name of ``AVAILABLE_SCHEDULERS`` -> the keyword arguments its class takes (its ``__init__`` and, through
#: ``**kwargs``, its bases'), with the default each has there (``REQUIRED``: none); ``optimizer`` left out
CLASS_ARGS: dict[str, dict[str, Any]] = {
    "WarmupPolicy": {"warmup_steps": None, "warmup_ratio": None, "max_steps": None, "min_lr": 0.0, "last_epoch": -1},
    "WarmupHoldPolicy": {
        "warmup_steps": None,
        "warmup_ratio": None,
        "hold_steps": None,
        "hold_ratio": None,
        "max_steps": None,
        "min_lr": 0.0,
        "last_epoch": -1,
    },
    "SquareAnnealing": {
        "max_steps": REQUIRED,
        "min_lr": 1e-05,
        "last_epoch": -1,
        "warmup_steps": None,
        "warmup_ratio": None,
    },
    "CosineAnnealing": {
        "max_steps": REQUIRED,
        "min_lr": 0,
        "last_epoch": -1,
        "warmup_steps": None,
        "warmup_ratio": None,
        "constant_steps": None,
        "constant_ratio": None,
    },
    "NoamAnnealing": {
        "d_model": REQUIRED,
        "warmup_steps": None,
        "warmup_ratio": None,
        "max_steps": None,
        "min_lr": 0.0,
        "last_epoch": -1,
    },
    "NoamHoldAnnealing": {
        "max_steps": REQUIRED,
        "decay_rate": 0.5,
        "min_lr": 0.0,
        "last_epoch": -1,
        "warmup_steps": None,
        "warmup_ratio": None,
        "hold_steps": None,
        "hold_ratio": None,
    },
    "WarmupHoldAnnealOneMinusSquareRoot": {
        "max_steps": REQUIRED,
        "last_epoch": -1,
        "min_lr": 0.0,
        "warmup_steps": None,
        "warmup_ratio": None,
        "hold_steps": None,
        "hold_ratio": None,
    },
    "WarmupHoldAnnealLinear": {
        "max_steps": REQUIRED,
        "last_epoch": -1,
        "min_lr": 0.0,
        "warmup_steps": None,
        "warmup_ratio": None,
        "hold_steps": None,
        "hold_ratio": None,
    },
    "WarmupAnnealing": {
        "max_steps": REQUIRED,
        "last_epoch": -1,
        "min_lr": 0.0,
        "warmup_steps": None,
        "warmup_ratio": None,
    },
    "InverseSquareRootAnnealing": {
        "max_steps": REQUIRED,
        "last_epoch": -1,
        "min_lr": 0.0,
        "warmup_steps": None,
        "warmup_ratio": None,
    },
    "T5InverseSquareRootAnnealing": {
        "max_steps": REQUIRED,
        "last_epoch": -1,
        "min_lr": 0.0,
        "constant_steps": None,
        "constant_ratio": None,
    },
    "SquareRootAnnealing": {
        "max_steps": REQUIRED,
        "min_lr": 0,
        "last_epoch": -1,
        "warmup_steps": None,
        "warmup_ratio": None,
    },
    "PolynomialDecayAnnealing": {
        "max_steps": REQUIRED,
        "min_lr": 0.0,
        "power": 1.0,
        "cycle": False,
        "last_epoch": -1,
        "warmup_steps": None,
        "warmup_ratio": None,
    },
    "PolynomialHoldDecayAnnealing": {
        "max_steps": REQUIRED,
        "min_lr": 0.0,
        "power": 1.0,
        "cycle": False,
        "last_epoch": -1,
        "warmup_steps": None,
        "warmup_ratio": None,
        "hold_steps": None,
        "hold_ratio": None,
    },
    "StepLR": {"step_size": REQUIRED, "gamma": 0.1, "last_epoch": -1},
    "ExponentialLR": {"gamma": REQUIRED, "last_epoch": -1},
    "ReduceLROnPlateau": {
        "mode": "min",
        "factor": 0.1,
        "patience": 10,
        "threshold": 0.0001,
        "threshold_mode": "rel",
        "cooldown": 0,
        "min_lr": 0,
        "eps": 1e-08,
    },
    "CyclicLR": {
        "base_lr": REQUIRED,
        "max_lr": REQUIRED,
        "step_size_up": 2000,
        "step_size_down": None,
        "mode": "triangular",
        "gamma": 1.0,
        "scale_fn": None,
        "scale_mode": "cycle",
        "cycle_momentum": True,
        "base_momentum": 0.8,
        "max_momentum": 0.9,
        "last_epoch": -1,
    },
}

#: keys ``prepare_lr_scheduler`` reads and does not pass to the class: why each leaves the LR curve as drawn
NO_EFFECT = {
    "monitor": "prepare_lr_scheduler puts it in Lightning's scheduler dict, as the metric a ReduceLROnPlateau "
    "would watch; the {name} curve does not read it",
    "reduce_on_plateau": "prepare_lr_scheduler pops it and sets Lightning's reduce_on_plateau from the class it "
    "built ({name}: false); the curve does not change",
}

_PAST_MAX = "NeMo's class applies min_lr only past max_steps, which the run never reaches"
#: arguments a class takes that never change its LR within max_steps: read by NeMo, named in a note
INERT: dict[str, dict[str, str]] = {
    "WarmupPolicy": {"min_lr": _PAST_MAX},
    "WarmupHoldPolicy": {
        "min_lr": _PAST_MAX,
        "hold_steps": "WarmupHoldPolicy holds the LR after the warmup whether it holds or not",
        "hold_ratio": "WarmupHoldPolicy holds the LR after the warmup whether it holds or not",
    },
    "InverseSquareRootAnnealing": {"min_lr": _PAST_MAX},
    "T5InverseSquareRootAnnealing": {"min_lr": _PAST_MAX},
    "PolynomialDecayAnnealing": {"cycle": "the decay's step never passes decay_steps before max_steps"},
    "CyclicLR": {
        "cycle_momentum": "it cycles the momentum (Adam's beta1), not the LR",
        "base_momentum": "it cycles the momentum (Adam's beta1), not the LR",
        "max_momentum": "it cycles the momentum (Adam's beta1), not the LR",
    },
}

#: keys users write in ``sched`` that NeMo passes to the class like any other, with what they are
HINTS = {
    "interval": "Lightning's scheduler-dict key: prepare_lr_scheduler sets interval itself ('step', 'epoch' for "
    "ExponentialLR and ReduceLROnPlateau)",
    "frequency": "Lightning's scheduler-dict key: prepare_lr_scheduler sets frequency 1 itself",
    "iters_per_batch": "named in prepare_lr_scheduler's docstring, read nowhere",
}


@dataclass(frozen=True)
class SchedKeys:
    """What was done with each key of ``sched``: the block the class gets, and the ``--explain`` lines."""

    sched: dict[str, Any]
    where: dict[str, str]
    lines: tuple[str, ...]
    notes: tuple[str, ...]


def classify(f: Fields, at: tuple[str, ...], given: Mapping[str, Any]) -> SchedKeys:
    """Account for every key of the ``sched`` block at ``at``: read, no effect (a note), or refused."""
    name = str(given["name"])
    block = ".".join((*at, "sched"))
    sched = {k: v for k, v in given.items() if k != "params"}
    where = {"": f.at(*at, "sched"), **{k: f.at(*at, "sched", k) for k in sched}}
    params = given.get("params")
    if isinstance(params, Mapping):  # maybe_update_config_version: params' keys replace sched's
        for key, value in params.items():
            sched[str(key)] = value
            where[str(key)] = f.at(*at, "sched", "params", str(key))
    elif params is not None:
        raise ConfigError(f"{f.at(*at, 'sched', 'params')}: expected a mapping of the scheduler's arguments")
    for key in ("cls", "_target_"):
        if key in sched:
            raise ConfigError(
                f"{where[key]}: NeMo instantiates this class path with Hydra; lrviz runs no project code: give the "
                "scheduler's parameters in sched: itself, with sched.name"
            )
    if "args" in sched:
        raise ConfigError(
            f"{where['args']}: with sched.args, NeMo's prepare_lr_scheduler takes the class's arguments from args "
            "alone (the other keys of sched are not passed), and with args.name it uses the Params class's "
            "defaults: args.params is already moved up and lost by then; lrviz reads the arguments in sched "
            "itself: move them there"
        )
    takes = CLASS_ARGS.get(name)
    if takes is None:
        model = f.doc.get("model")
        target = model.get("target") if isinstance(model, Mapping) else None
        # a model class may build its optimizer itself (RadTTSModel.configure_optimizers returns a bare RAdam)
        cls = str(target).rsplit(".", 1)[-1]
        own = (
            f"; but {cls} (model.target) builds its optimizer in its own configure_optimizers and never reads "
            "sched: the run's LR is optim.lr throughout, with no schedule to draw"
            if cls == "RadTTSModel"
            else f"; unless {cls} (model.target) builds its optimizer in its own configure_optimizers and never "
            "reads sched (then the LR is constant)"
            if isinstance(target, str)
            else ""
        )
        raise ConfigError(
            f"{where['name']}: NeMo has no scheduler {name} (AVAILABLE_SCHEDULERS: {', '.join(CLASS_ARGS)}): "
            f"setup_optimization would stop on it{own}"
        )
    read, no_effect, notes = ["name"], [], []
    for key, value in sched.items():
        if key == "name":
            continue
        if key in NO_EFFECT:
            no_effect.append(key)
            notes.append(f"{where[key]}: {NO_EFFECT[key].format(name=name)}")
        elif key in INERT.get(name, {}):
            no_effect.append(key)
            notes.append(f"{where[key]}: passed to NeMo's {name}, and does not change its LR: {INERT[name][key]}")
        elif key == "max_steps" or key in takes:
            if key == "last_epoch" and value != -1:
                raise ConfigError(
                    f"{where[key]}: last_epoch {describe_value(value)}: NeMo's {name} then starts as resumed at "
                    "that step and needs each param group's initial_lr, which a fresh optimizer lacks (KeyError); "
                    "set it to -1 (a resumed run continues from its checkpoint)"
                )
            read.append(key)
        elif not key.startswith("t_"):  # the t_* keys setup_optimization writes are refused by read
            hint = f" ({HINTS[key]})" if key in HINTS else ""
            raise ConfigError(
                f"{where[key]}: NeMo's prepare_lr_scheduler passes {key}{hint} to {name}, which does not take it: "
                f"the run fails before training; remove it ({name} takes {', '.join(takes)})"
            )
    for key, default in takes.items():
        if default == REQUIRED and key not in sched and key != "max_steps":
            raise ConfigError(f"{where['']}: NeMo's {name} needs {key}; set {block}.{key}=VALUE")
    defaults = [f"{k}={v!r}" for k, v in takes.items() if k not in sched and k not in ("max_steps", "last_epoch")]
    lines = [f"{block}: read: {', '.join(read)}"]
    if no_effect:
        lines.append(f"{block}: no effect on the LR: {', '.join(no_effect)}")
    if defaults:
        lines.append(f"{block}: {name}'s defaults: {', '.join(defaults)}")
    return SchedKeys(sched, where, tuple(lines), tuple(notes))
