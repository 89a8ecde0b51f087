"""The GRPO recipe's step count (``recipes/dev/grpo_full_finetune_distributed.py`` of torchtune 0.6.1).

What differs from the finetuning recipes (``read``):

* the loader (``_setup_data``): a ``StatefulDistributedSampler`` over the ranks (``ceil(N / ranks)`` each)
  and a ``StatefulDataLoader`` with ``drop_last=True``: ``floor(per_rank / batch_size)`` batches;
* ``steps_per_epoch = len(dataloader)`` (no gradient accumulation, no ``max_steps_per_epoch``), and the
  scheduler is sized ``num_training_steps = epochs x steps_per_epoch``;
* ``train``: for each batch, ``ppo_epochs`` times: ``optimizer.step()`` then ``lr_scheduler.step()``; training
  stops after ``num_steps`` batches (``_steps_run == _total_steps``) or at the end of ``epochs``.

So a run of ``ppo_epochs > 1`` takes more optimizer steps than its schedule is sized for: the scheduler
is stepped past ``num_training_steps`` exactly as the recipe steps it. Nothing here imports torch.
"""

from __future__ import annotations

from lrviz.errors import ConfigError, option
from lrviz.frameworks._recipe import number, run_option
from lrviz.frameworks.base import Fields

#: a key only the GRPO recipe's configs have (``recipes/configs/dev/*grpo*.yaml``)
MARK = "grpo_samples"
#: keys the finetuning recipes read that the GRPO recipe does not
NOT_READ = ("gradient_accumulation_steps", "max_steps_per_epoch")


def steps(f: Fields, epochs: int, ppo_epochs: int) -> tuple[int, int, int, str, list[str]]:
    """(steps per epoch, num_training_steps, optimizer steps, how they follow, notes) of a GRPO config."""
    notes = [
        f"{f.at(key)}: not read by the GRPO recipe (grpo_full_finetune_distributed.py steps once per batch)"
        for key in NOT_READ
        if f.given(key)
    ]
    num_steps = number(f, "num_steps", None, integer=True, low=1)
    if num_steps is None:
        raise ConfigError(f"{f.at('num_steps')}: the GRPO recipe reads cfg.num_steps (the batches it trains on)")
    given = run_option(f, "steps_per_epoch")
    dataset = run_option(f, "dataset_size")
    if given is not None:
        per_epoch, text = given, f"batches per epoch: {given:,} (given)"
    elif dataset is not None:
        batch = number(f, "batch_size", None, integer=True, low=1)
        if batch is None:
            raise ConfigError(f"{f.at('batch_size')}: the recipe reads cfg.batch_size, which this file does not set")
        world = run_option(f, "world_size") or 1
        per_rank = -(-dataset // world)
        per_epoch = per_rank // batch
        text = (
            f"batches per epoch: {dataset:,} samples"
            + (f" / {world} ranks = {per_rank:,} per rank (ceil)" if world > 1 else "")
            + f" // batch {batch} = {per_epoch:,} (drop_last)"
        )
    else:
        raise ConfigError(
            f"{f.prefix}the recipe counts the steps from the dataset: pass {option('dataset_size')} N (the samples) "
            f"or {option('steps_per_epoch')} N (batches per epoch: the GRPO recipe steps once per batch and "
            "ppo_epoch)"
        )
    if per_epoch == 0:
        raise ConfigError(f"{f.at('batch_size')}: the loader drops its last, partial batch: no batch to train on")
    sized = epochs * per_epoch
    batches = min(sized, num_steps)
    total = batches * ppo_epochs
    text += (
        f"; schedule sized for {epochs} epochs x {per_epoch:,} = {sized:,} steps; the run trains on "
        + (f"num_steps {num_steps:,} batches" if num_steps < sized else f"{sized:,} batches")
        + (f" x ppo_epochs {ppo_epochs} = {total:,} optimizer steps" if ppo_epochs > 1 else " (one step each)")
    )
    return per_epoch, sized, total, text, notes
