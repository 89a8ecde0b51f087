"""A log written on another axis than optimizer steps (litgpt's batches under gradient accumulation), put on them.

Some trainers log at every batch (micro-batch, iteration) while the optimizer steps once per
``per_step`` of them. ``LogAxis`` says, from the trainer's own code, which optimizer step a logged
step belongs to: ``(s - shift) // per_step``, ``s`` being the step the trainer passed to its
logger. ``on_optimizer_steps`` applies it to a ``RunLog`` read whole: one point per optimizer step,
the last logged for it (the batch just before the optimizer steps: the LR that step used, also when
a buggy loop changes the LR between batches), on the convention the trainer's code gives the
converted log. Where a
logged step cannot be one the trainer writes (``aligned``: only the step that ends an accumulation
is logged), the conversion is refused naming the step, never guessed.

Nothing here imports torch or a framework: the adapter that knows the trainer builds the
``LogAxis`` (``Adapter.log_axis``).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, replace

from lrviz.errors import ConfigError
from lrviz.logs.runlog import CONVENTIONS, LogSeries, RunLog


@dataclass(frozen=True)
class LogAxis:
    """Logged step ``s`` (as the trainer passed it to its logger) is optimizer step ``(s - shift) // per_step``."""

    #: logged steps (batches, iterations) per optimizer step: the gradient accumulation
    per_step: int
    #: the logged step of optimizer step 0's first batch
    shift: int
    #: the key of ``CONVENTIONS`` the converted log is on (its source lines, whether it is logged after the step)
    convention: str
    #: the trainer logs only the step that ends an accumulation: any other logged step is not its log
    aligned: bool = False
    #: what the trainer logs at, for messages: "batch (step=iter_num)"
    what: str = "batch"

    def describe(self) -> str:
        """One line: how the log was put on optimizer steps."""
        if self.per_step == 1:
            return f"{CONVENTIONS[self.convention].name}: one logged {self.what} per optimizer step"
        return (
            f"{CONVENTIONS[self.convention].name}: logged {self.what}s put on optimizer steps, "
            f"{self.per_step} to a step (gradient accumulation)"
        )


def on_optimizer_steps(log: RunLog, axis: LogAxis) -> RunLog:
    """``log`` (read whole, as logged) with its steps put on optimizer steps by ``axis``: the last value logged
    for each optimizer step is kept. A log already put on them (``RunLog.axis``) is returned as it is."""
    if log.axis is not None:
        return log
    source = log.source
    series = []
    for s in log.series:
        if s.before or s.after:
            raise ConfigError(
                f"{source}: the log was read with a window of optimizer steps, but its trainer logs "
                f"{axis.what}s: read it whole with the plan (lrviz.read_log(path, plan=curve))"
            )
        steps, values = array("q"), array("d")
        last = None
        for raw, value in zip(s.steps, s.values, strict=True):
            logged = raw + log.convention.offset  # the step the trainer passed to its logger
            k, within = divmod(logged - axis.shift, axis.per_step)
            if axis.aligned and within:
                raise ConfigError(
                    f"{source}: {s.name} is logged at step {logged:,}, which does not end a gradient accumulation "
                    f"of {axis.per_step} {axis.what}s ({axis.what} {logged - axis.shift + 1:,} of the run): "
                    "the run's accumulation differs from the config's (global_batch_size // devices // "
                    "micro_batch_size), or the step column is not the logger's step; lrviz cannot put this "
                    "log on optimizer steps"
                )
            if k == last:  # a later batch of the same optimizer step: the LR nearest the step replaces it
                values[-1] = value
            else:
                steps.append(k)
                values.append(value)
                last = k
        series.append(LogSeries(s.name, steps, values))
    return replace(log, convention=CONVENTIONS[axis.convention], series=tuple(series), axis=axis.describe())
