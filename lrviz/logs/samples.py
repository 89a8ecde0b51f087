"""Megatron-LM's ``<tag> vs samples`` scalars, put on its iterations when every iteration consumes the same
global batch.

``training_log`` (NVIDIA/Megatron-LM d98e8a64 ``megatron/training/training.py`` 3380-3381) writes the LR
twice to TensorBoard: ``learning-rate`` at the iteration and ``learning-rate vs samples`` at
``args.consumed_train_samples``, which grows by the global batch every iteration, skipped ones included
(4811-4818; ``--iterations-to-skip`` 4648-4659). With a constant global batch ``B``, consumed samples
``n`` are iteration ``n / B``, exactly: the value there is the one ``learning-rate`` holds at that
iteration (``CONVENTIONS['megatron']``). A batch that ramps up or shrinks has no such division, and a
count that is not a whole multiple of ``B`` says the plan's batch is not the run's: both are refused, as is
such a name in another format (Megatron's W&B writer logs ``learning-rate`` at the iteration only, 3382-3383).
"""

from __future__ import annotations

from array import array
from dataclasses import replace

from lrviz.errors import ConfigError, option
from lrviz.logs.runlog import CONVENTIONS, RunLog

#: what Megatron-LM appends to a tag written against the consumed samples
SUFFIX = " vs samples"


def on_samples(name: str | None) -> bool:
    """Whether a series or tag name is one Megatron-LM writes against the consumed samples."""
    return name is not None and name.endswith(SUFFIX)


def to_iterations(log: RunLog, per_step: int | str | None) -> RunLog:
    """``log``'s consumed-samples series on iterations: ``per_step`` is the run's constant global batch, or
    why it has none (None: no plan to say). A ConfigError names the tag, the reason and the iteration tag."""
    out = []
    for series in log.series:
        if not on_samples(series.name):
            out.append(series)
            continue
        same = f"compare {series.name.removesuffix(SUFFIX)!r}, the same values at Megatron's iteration ({option('y')})"
        if log.format != "tensorboard":  # only its TensorBoard writer logs at the samples (training.py 3381)
            raise ConfigError(
                f"{log.source}: {series.name!r}: Megatron-LM writes its consumed-samples tags to TensorBoard only; "
                f"in a {log.format} log the steps may not be samples; {same}"
            )
        if not isinstance(per_step, int):
            why = per_step or "no plan gives the run's global batch size (check it against the run's config)"
            raise ConfigError(
                f"{log.source}: {series.name!r} is logged against the consumed samples, not the iteration, and "
                f"cannot be put on iterations: {why}; {same}"
            )
        steps = array("q")
        for samples in series.steps:
            iteration, rest = divmod(samples, per_step)
            if rest:
                raise ConfigError(
                    f"{log.source}: {series.name!r}: {samples:,} consumed samples is not a whole number of "
                    f"iterations of the plan's global batch {per_step:,}: the run's batch differs from the plan's "
                    f"or changed during the run (--rampup-batch-size); {same}"
                )
            steps.append(iteration)
        out.append(replace(series, steps=steps, first=None, last=None))
    return replace(log, convention=CONVENTIONS["megatron"], series=tuple(out))
