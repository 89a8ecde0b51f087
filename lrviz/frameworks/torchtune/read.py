"""A torchtune recipe config -> a run, counted in optimizer steps as the recipe counts them.

Line numbers are those of ``recipes/full_finetune_single_device.py`` of meta-pytorch/torchtune
bd2a0fc7 (the LoRA, distributed, DPO and distillation recipes do the same):

* the loader (``_setup_data``, 496-515): a ``StatefulDistributedSampler`` over the data-parallel
  ranks (``drop_last`` False: each rank gets ``ceil(N / ranks)`` samples) and a loader of
  ``batch_size`` (``drop_last`` False: ``ceil(per_rank / batch_size)`` batches);
* ``steps_per_epoch = len(dataloader) // gradient_accumulation_steps``, replaced by
  ``max_steps_per_epoch`` when that is set and smaller (320-327);
* the scheduler (343-351, 452-465): ``config.instantiate(cfg.lr_scheduler, optimizer,
  num_training_steps=epochs * steps_per_epoch, last_epoch=global_step - 1)``; with no
  ``lr_scheduler`` the LR stays ``optimizer.lr``;
* the loop (577-640): per epoch, ``steps_per_epoch`` optimizer steps, each followed by
  ``lr_scheduler.step()``.

Nothing here imports torch or torchtune.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrviz.config.layer import Layer
from lrviz.config.values import MAX_POINTS, describe_value
from lrviz.errors import ConfigError, option
from lrviz.frameworks._recipe import number, run_option
from lrviz.frameworks.base import Fields, require
from lrviz.frameworks.torchtune import grpo
from lrviz.frameworks.torchtune.keys import INVENTORY
from lrviz.model import FrameworkSettings, GroupConfig, OptimizerConfig, RunConfig, SchedulerConfig

#: the schedulers torchtune has (``torchtune/training/lr_schedulers.py``), its re-export and an older spelling
COMPONENTS = (
    "torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup",
    "torchtune.training.get_cosine_schedule_with_warmup",
    "torchtune.modules.get_cosine_schedule_with_warmup",
)
#: spellings that name the same function: ``torchtune/training/__init__.py`` imports it from lr_schedulers
REEXPORTS = {"torchtune.training.get_cosine_schedule_with_warmup": COMPONENTS[0]}
#: the arguments get_cosine_schedule_with_warmup takes from the config (the recipe passes the rest)
ARGUMENTS = ("num_warmup_steps", "num_cycles")


@dataclass(frozen=True)
class TuneSettings(FrameworkSettings):
    """What the recipe instantiates its scheduler with, and the optimizer it wraps."""

    #: the lr_scheduler node (``_component_`` and its arguments), or None for a constant LR
    scheduler: Mapping[str, Any] | None
    optimizer: str
    num_training_steps: int
    steps_per_epoch: int
    uncapped_steps_per_epoch: int | None = None  # len(dataloader) // GA, when max_steps_per_epoch cut it
    ppo_epochs: int = 1  # GRPO: optimizer (and scheduler) steps per batch
    grpo: bool = False  # the GRPO recipe: num_steps batches, ppo_epochs steps each
    where: dict[str, str] = field(default_factory=dict)


def build(layer: Layer) -> RunConfig:
    """Validate a torchtune layer into a run of ``epochs x steps_per_epoch`` optimizer steps."""
    require("torchtune", "torchtune")
    f = Fields(layer)
    notes: list[str] = []
    node = f.doc.get("lr_scheduler")
    scheduler: dict[str, Any] | None = None
    if node is not None:
        scheduler = _scheduler(f, node)
    optimizer, lr = _optimizer(f)
    epochs = number(f, "epochs", None, integer=True, low=1)
    if epochs is None:
        raise ConfigError(f"{f.at('epochs')}: the recipe reads cfg.epochs, which this file does not set")
    ppo_epochs = number(f, "ppo_epochs", 1, integer=True, low=1)
    uncapped: int | None = None
    if grpo.MARK in f.doc:  # the GRPO recipe: once per batch and ppo_epoch, num_steps batches
        per_epoch, sized, total, text, found = grpo.steps(f, epochs, ppo_epochs)
        notes.extend(found)
    else:
        if ppo_epochs != 1 or "ppo_batch_size" in f.doc:
            key = "ppo_epochs" if f.given("ppo_epochs") else "ppo_batch_size"
            raise ConfigError(
                f"{f.at(key)}: a PPO config (ppo_full_finetune_single_device.py): that recipe builds no lr_scheduler "
                "(the LR stays optimizer.lr) and takes ppo_epochs x batch_size // ppo_batch_size optimizer steps per "
                "batch of trajectories, num_steps // batch_size batches; lrviz steps torchtune's finetuning, DPO, "
                "distillation and GRPO recipes only"
            )
        accum = number(f, "gradient_accumulation_steps", 1, integer=True, low=1)
        cap = number(f, "max_steps_per_epoch", None, integer=True, low=1)
        per_epoch, uncapped, text = _steps_per_epoch(f, accum, cap)
        sized = total = epochs * per_epoch
        text += f"; {epochs} epochs = {total:,} optimizer steps"
    if total > MAX_POINTS:
        raise ConfigError(
            f"{f.prefix}{total:,} steps is more than the limit of {MAX_POINTS:,} "
            "(raise the limit with LRVIZ_MAX_POINTS=N if the run needs it)"
        )
    if scheduler is None:
        _no_scheduler(f, lr)
        notes.append(f"{f.prefix}no lr_scheduler: the recipe keeps optimizer.lr {lr:g} for the whole run".lstrip())
    settings = TuneSettings(
        scheduler=scheduler,
        optimizer=optimizer,
        num_training_steps=sized,
        steps_per_epoch=per_epoch,
        uncapped_steps_per_epoch=uncapped,
        ppo_epochs=ppo_epochs if grpo.MARK in f.doc else 1,
        grpo=grpo.MARK in f.doc,
        where={"": f.at("lr_scheduler"), **{k: f.at("lr_scheduler", k) for k in scheduler or {}}},
    )
    name = str(scheduler["_component_"]).rsplit(".", 1)[-1] if scheduler else "constant"
    shown = {k: v for k, v in (scheduler or {}).items() if k != "_component_"}
    label = layer.data.get("label")
    title = layer.data.get("title")
    sources = tuple(
        (key, str(f.doc.get(key)), f.source(key))
        for key in (
            "epochs",
            "gradient_accumulation_steps",
            "max_steps_per_epoch",
            "batch_size",
            "num_steps",
            "ppo_epochs",
        )
        if f.given(key)
    )
    return RunConfig(
        scheduler=SchedulerConfig(name, shown, family="torchtune"),
        optimizer=OptimizerConfig("AdamW", lr, {}, (GroupConfig("group 0", lr, {}),)),
        epochs=total,
        steps_per_epoch=1,
        interval="step",
        label=str(label) if label is not None else (Path(f.origin).stem if f.origin != "flags" else "torchtune"),
        title=title if isinstance(title, str) else None,
        geometry=text,
        unit="step",
        notes=tuple(notes),
        settings=settings,
        sources=(("optimizer.lr", f"{lr:g}", f.at("optimizer", "lr")), *sources),
    )


def _scheduler(f: Fields, node: Any) -> dict[str, Any]:
    if not isinstance(node, Mapping) or not isinstance(node.get("_component_"), str):
        raise ConfigError(
            f"{f.at('lr_scheduler')}: expected a component node (_component_: ...), got {describe_value(node)}"
        )
    component = node["_component_"]
    if component not in COMPONENTS:
        raise ConfigError(
            f"{f.at('lr_scheduler', '_component_')}: {component} is not torchtune's scheduler; lrviz steps "
            f"{COMPONENTS[0]} (the recipe instantiates any callable, but lrviz imports no project code)"
        )
    if component.startswith("torchtune.modules.") and not _has_modules_lr_schedulers():
        raise ConfigError(
            f"{f.at('lr_scheduler', '_component_')}: {component} is an older torchtune's spelling "
            "(torchtune/modules/lr_schedulers.py), which the installed torchtune does not have: its recipe "
            f"fails to instantiate it; name the scheduler {COMPONENTS[0]}"
        )
    unknown = [k for k in node if k != "_component_" and k not in ARGUMENTS]
    if unknown:
        raise ConfigError(
            f"{f.at('lr_scheduler', unknown[0])}: not an argument of get_cosine_schedule_with_warmup that the config "
            f"gives (the recipe passes optimizer, num_training_steps and last_epoch); it takes {', '.join(ARGUMENTS)}"
        )
    if "num_warmup_steps" not in node:
        raise ConfigError(
            f"{f.at('lr_scheduler')}: get_cosine_schedule_with_warmup needs num_warmup_steps; the recipe fails without it"
        )
    return dict(node)


def _no_scheduler(f: Fields, lr: float) -> None:
    """Without ``lr_scheduler`` torchtune's recipes keep the LR; a project's own recipe (its own keys) may not."""
    if "lr_scheduler" in f.doc:  # lr_scheduler: null (in the file or --set) says the recipe builds none
        return
    own = [k for k in f.doc if INVENTORY.kind(str(k)) is None]
    if own:
        raise ConfigError(
            f"{f.prefix}no lr_scheduler, and {', '.join(map(str, own))} "
            f"{'is a key' if len(own) == 1 else 'are keys'} none of torchtune's recipes read: the file is for a "
            f"project's own recipe, which can set the LR in its code; torchtune's recipes keep optimizer.lr {lr:g}: "
            f"if the run uses one of them, draw that with {option('overrides')} lr_scheduler=null"
        )


def _optimizer(f: Fields) -> tuple[str, float]:
    node = f.doc.get("optimizer")
    if not isinstance(node, Mapping) or "_component_" not in node:
        raise ConfigError(f"{f.at('optimizer')}: the recipe instantiates optimizer._component_; the file has none")
    if node.get("lr") is None:
        raise ConfigError(
            f"{f.at('optimizer')}: no lr: the optimizer's own default would apply; set optimizer.lr "
            f"({option('overrides')} optimizer.lr=VALUE)"
        )
    lr = node["lr"]
    if isinstance(lr, str):
        try:
            lr = float(lr)
        except ValueError:
            raise ConfigError(f"{f.at('optimizer', 'lr')}: expected a number, got {describe_value(lr)}") from None
    if isinstance(lr, bool) or not isinstance(lr, int | float) or not lr >= 0:
        raise ConfigError(f"{f.at('optimizer', 'lr')}: expected a number >= 0, got {describe_value(lr)}")
    return str(node["_component_"]), float(lr)


def _steps_per_epoch(f: Fields, accum: int, cap: int | None) -> tuple[int, int | None, str]:
    """The recipe's ``steps_per_epoch`` (and the uncapped count, when the cap cut it) and how it follows."""
    given = run_option(f, "steps_per_epoch")
    dataset = run_option(f, "dataset_size")
    if given is not None:
        steps, text = given, f"steps per epoch: {given:,} optimizer steps (given)"
    elif dataset is not None:
        batch = number(f, "batch_size", None, integer=True, low=1)
        if batch is None:
            raise ConfigError(f"{f.at('batch_size')}: the recipe reads cfg.batch_size, which this file does not set")
        world = run_option(f, "world_size") or 1
        per_rank = -(-dataset // world)
        batches = -(-per_rank // batch)
        steps = batches // accum
        text = (
            f"steps per epoch: {dataset:,} samples"
            + (f" / {world} ranks = {per_rank:,} per rank (ceil)" if world > 1 else "")
            + f" / batch {batch} = {batches:,} batches (ceil)"
            + (f" // accumulate {accum} = {steps:,} optimizer steps (floor)" if accum > 1 else "")
        )
    else:
        capped = (
            f"; with max_steps_per_epoch {cap}, {option('steps_per_epoch')} {cap} draws the capped run if the data "
            "gives at least that many"
            if cap is not None
            else ""
        )
        raise ConfigError(
            f"{f.prefix}the recipe counts the steps from the dataset: pass {option('dataset_size')} N (the samples, "
            f"or packs with packed: true) or {option('steps_per_epoch')} N (optimizer steps per epoch){capped}"
        )
    if steps == 0:
        raise ConfigError(
            f"{f.at('gradient_accumulation_steps')}: the loader gives fewer batches than one accumulation of "
            f"{accum}: the recipe would take no optimizer step"
        )
    if cap is not None and cap < steps:
        return cap, steps, text + f"; max_steps_per_epoch {cap:,} cuts it to {cap:,}"
    return steps, None, text


def settings(run: RunConfig) -> TuneSettings:
    """The run's torchtune settings (``run.settings``, typed)."""
    if not isinstance(run.settings, TuneSettings):
        raise TypeError(f"not a torchtune run: {run.scheduler.describe()}")
    return run.settings


def _has_modules_lr_schedulers() -> bool:
    """Whether the installed torchtune still ships ``torchtune/modules/lr_schedulers.py`` (looked up, not imported)."""
    import importlib.util

    spec = importlib.util.find_spec("torchtune")
    places = spec.submodule_search_locations if spec is not None else None
    return any((Path(place) / "modules" / "lr_schedulers.py").is_file() for place in places or ())
