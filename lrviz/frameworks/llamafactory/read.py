"""A LLaMA-Factory v1 file -> a run, counted in optimizer steps as ``BaseTrainer`` counts them.

Line numbers are those of ``src/llamafactory/v1`` at hiyouga/LLaMA-Factory ff6d4d12:

* ``BaseTrainer.__init__`` (``core/base_trainer.py``): ``num_training_steps = max_steps`` when it
  is > 0, else ``num_train_epochs * len(train_batch_generator)``; ``fit`` runs optimizer steps
  until ``global_step`` reaches it, stepping the scheduler once after each;
* ``BatchGenerator`` (``core/utils/batching.py``), ``batching_strategy: normal``: the DP size is
  ``dp_size`` (default ``world_size // cp_size``); ``global_batch_size`` (default ``dp x
  micro_batch_size``) must divide by ``dp x micro_batch_size``; the sampler
  (``StatefulDistributedSampler``, ``drop_last=True``) gives each rank ``floor(N / dp)`` samples
  and the loader (``drop_last=True``) ``floor(per_rank / (global_batch_size / dp))`` batches, one
  optimizer step each. The other strategies count batches from token lengths: they need ``max_steps``;
* ``_init_optimizer``: with no ``optim_config``, ``AdamW(lr=learning_rate)``; with ``optim_config:
  {name: muon}`` (the one ``OptimizerPlugin`` registered, ``plugins/trainer_plugins/optimizers/optimizer.py``),
  ``Muon(lr=optim_config.get("lr", 1e-3), ...)``: ``learning_rate`` is not read;
* ``_init_lr_scheduler``: with no ``lr_scheduler_config``, ``LambdaLR(optimizer, lambda x: 1.0)``
  (a constant ``learning_rate``, default 1e-4); with one, ``LRSchedulerPlugin(name)``, whose registry
  is empty in LLaMA-Factory (``plugins/trainer_plugins/lr_scheduler.py``), so the run stops with
  "Plugin ... is not registered under LRSchedulerPlugin".

Nothing here imports torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lrviz.config.layer import Layer
from lrviz.config.values import MAX_POINTS
from lrviz.errors import ConfigError, option
from lrviz.frameworks._recipe import number, run_option
from lrviz.frameworks.base import Fields
from lrviz.model import FrameworkSettings, GroupConfig, OptimizerConfig, RunConfig, SchedulerConfig

#: v1 ``TrainingArguments`` defaults that shape the curve (``config/training_args.py``).
DEFAULTS = {"learning_rate": 1e-4, "num_train_epochs": 3, "micro_batch_size": 1}


@dataclass(frozen=True)
class V1Settings(FrameworkSettings):
    """What ``BaseTrainer`` builds its scheduler from."""

    learning_rate: float
    num_training_steps: int
    #: how the LR was chosen when optim_config's optimizer ignores learning_rate
    optimizer_lr: str | None = None


def build(layer: Layer) -> RunConfig:
    """Validate a v1 layer into a run of ``num_training_steps`` optimizer steps at a constant LR."""
    f = Fields(layer)
    notes: list[str] = []
    scheduler = f.doc.get("lr_scheduler_config")
    if scheduler not in (None, {}):
        name = scheduler.get("name") if isinstance(scheduler, Mapping) else scheduler
        raise ConfigError(
            f"{f.at('lr_scheduler_config')}: LLaMA-Factory v1 builds this with LRSchedulerPlugin({name!r}), whose "
            "registry is empty in LLaMA-Factory (plugins/trainer_plugins/lr_scheduler.py registers no scheduler), so "
            'BaseTrainer stops with "Plugin ... is not registered under LRSchedulerPlugin"; remove it for the '
            f"constant LR BaseTrainer uses ({option('overrides')} lr_scheduler_config=null)"
        )
    lr, optimizer, optimizer_lr = _learning_rate(f, notes)
    max_steps = number(f, "max_steps", None, integer=True)
    sources = [("learning_rate", f"{lr:g}", f.source("learning_rate"))]
    if max_steps is not None and max_steps > 0:
        total, text = max_steps, f"max_steps = {max_steps:,} steps"
        sources.append(("max_steps", str(max_steps), f.source("max_steps")))
    else:
        total, text = _from_dataset(f, notes)
    if total > MAX_POINTS:
        raise ConfigError(
            f"{f.prefix}{total:,} steps is more than the limit of {MAX_POINTS:,} "
            "(raise the limit with LRVIZ_MAX_POINTS=N if the run needs it)"
        )
    label = layer.data.get("label")
    title = layer.data.get("title")
    return RunConfig(
        scheduler=SchedulerConfig("LambdaLR", {"lr_lambda": "lambda x: 1.0"}, family="llamafactory-v1"),
        optimizer=OptimizerConfig(optimizer, lr, {}, (GroupConfig("group 0", lr, {}),)),
        epochs=total,
        steps_per_epoch=1,
        interval="step",
        label=str(label) if label is not None else (Path(f.origin).stem if f.origin != "flags" else "llamafactory v1"),
        title=title if isinstance(title, str) else None,
        geometry=text + "; no lr_scheduler_config: BaseTrainer's LambdaLR(lambda x: 1.0), a constant LR",
        unit="step",
        notes=tuple(notes),
        settings=V1Settings(learning_rate=lr, num_training_steps=total, optimizer_lr=optimizer_lr),
        sources=tuple(sources),
    )


def _learning_rate(f: Fields, notes: list[str]) -> tuple[float, str, str | None]:
    """The LR BaseTrainer's optimizer starts at, the dummy optimizer to step, and why, when not learning_rate."""
    optim = f.doc.get("optim_config")
    if optim in (None, {}):
        lr = float(number(f, "learning_rate", DEFAULTS["learning_rate"], low=0.0))
        if not f.given("learning_rate"):
            notes.append(f"learning_rate is not set: LLaMA-Factory v1's default, {DEFAULTS['learning_rate']:g}")
        return lr, "AdamW", None
    name = optim.get("name") if isinstance(optim, Mapping) else optim
    if name != "muon":
        raise ConfigError(
            f"{f.at('optim_config')}: LLaMA-Factory v1 builds this with OptimizerPlugin({name!r}), which is not "
            'registered (muon is the only one), so BaseTrainer stops with "Plugin ... is not registered under '
            f'OptimizerPlugin"; use name: muon or remove it for AdamW ({option("overrides")} optim_config=null)'
        )
    raw = optim.get("lr", 1e-3)
    if isinstance(raw, str):
        try:
            raw = float(raw)
        except ValueError:
            raise ConfigError(f"{f.at('optim_config', 'lr')}: expected a number, got {raw!r}") from None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not raw >= 0:
        raise ConfigError(f"{f.at('optim_config', 'lr')}: expected a number >= 0, got {raw!r}")
    given = (
        f"optim_config.lr {float(raw):g}"
        if "lr" in optim
        else f"Muon's default lr {float(raw):g} (optim_config.lr unset)"
    )
    why = (
        f"{f.at('optim_config')}: the muon optimizer plugin builds Muon(lr=optim_config.get('lr', 1e-3)) and never "
        f"reads learning_rate"
        + (f" ({float(f.doc['learning_rate']):g})" if f.given("learning_rate") else "")
        + f": the run trains at {given}"
    )
    return float(raw), "SGD", why


def _from_dataset(f: Fields, notes: list[str]) -> tuple[int, str]:
    """``num_train_epochs x len(BatchGenerator)`` for the normal batching strategy."""
    strategy = f.doc.get("batching_strategy", "normal")
    if strategy not in (None, "normal"):
        raise ConfigError(
            f"{f.at('batching_strategy')}: with batching_strategy {strategy}, LLaMA-Factory counts the batches "
            "from the samples' token lengths, which the file does not hold; set max_steps "
            f"({option('overrides')} max_steps=N)"
        )
    dataset = run_option(f, "dataset_size")
    if dataset is None:
        raise ConfigError(
            f"{f.prefix}LLaMA-Factory v1 counts the steps from the dataset size: pass {option('dataset_size')} N "
            f"(the training samples), or set {f.at('max_steps').split(': ')[-1]}"
        )
    epochs = number(f, "num_train_epochs", DEFAULTS["num_train_epochs"], integer=True, low=0)
    if not f.given("num_train_epochs"):
        notes.append(f"num_train_epochs is not set: LLaMA-Factory v1's default, {DEFAULTS['num_train_epochs']}")
    micro = number(f, "micro_batch_size", DEFAULTS["micro_batch_size"], integer=True, low=1)
    world = run_option(f, "world_size") or 1
    cp = number(f, "cp_size", 1, integer=True, low=1)
    dp = number(f, "dp_size", None, integer=True, low=1) or max(world // cp, 1)
    global_batch = number(f, "global_batch_size", None, integer=True, low=1)
    if global_batch is None:
        global_batch = dp * micro
    elif global_batch % (dp * micro):
        raise ConfigError(
            f"{f.at('global_batch_size')}: LLaMA-Factory refuses this: global batch size {global_batch} must be "
            f"divisible by DP size {dp} x micro_batch_size {micro}"
        )
    per_rank = dataset // dp
    batch = global_batch // dp
    steps = per_rank // batch
    if steps == 0:
        raise ConfigError(
            f"{f.override_at('dataset_size')}: {per_rank:,} samples per rank make no full batch of {batch} "
            "(LLaMA-Factory's loader drops the last incomplete batch)"
        )
    total = epochs * steps
    text = (
        f"steps per epoch: {dataset:,} samples"
        + (f" / {dp} DP ranks = {per_rank:,} per rank (floor)" if dp > 1 else "")
        + f" / global batch {global_batch}"
        + (f" ({global_batch // dp // micro} micro-batches of {micro} per rank)" if global_batch != dp * micro else "")
        + f" = {steps:,} steps (floor, drop_last); {epochs} epochs = {total:,} steps"
    )
    return total, text


def settings(run: RunConfig) -> V1Settings:
    """The run's LLaMA-Factory v1 settings (``run.settings``, typed)."""
    if not isinstance(run.settings, V1Settings):
        raise TypeError(f"not a LLaMA-Factory v1 run: {run.scheduler.describe()}")
    return run.settings
