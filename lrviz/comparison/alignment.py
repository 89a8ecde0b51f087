"""A run's log put on the plan's optimizer steps when its trainer logs another axis (``Adapter.log_axis``).

litgpt logs at every batch (``step=iter_num``); with gradient accumulation a logged step is not an
optimizer step. The plan's adapter says how its trainer numbers them (``lrviz.logs.axis.LogAxis``);
``on_plan_steps`` converts the log before any comparison, exactly, or refuses naming why.
"""

from __future__ import annotations

from typing import Any

from lrviz import frameworks
from lrviz.logs.axis import LogAxis, on_optimizer_steps
from lrviz.logs.runlog import RunLog
from lrviz.model import RunConfig


def log_axis(plan: Any) -> LogAxis | None:
    """The axis the plan's trainer logs on when it is not optimizer steps (``plan`` a ``Curve`` or a ``RunConfig``)."""
    run = plan if isinstance(plan, RunConfig) else getattr(plan, "run", None)
    if not isinstance(run, RunConfig):
        return None
    return frameworks.for_run(run).log_axis(run)


def on_plan_steps(plan: Any, log: RunLog) -> RunLog:
    """``log`` on the plan's optimizer steps: converted when the plan's trainer logs another axis (read whole, as
    ``lrviz.read_log(path, plan=...)`` reads it), as it is otherwise or when already converted."""
    axis = log_axis(plan)
    return log if axis is None else on_optimizer_steps(log, axis)


def samples_per_step(plan: Any) -> int | str | None:
    """The samples one optimizer step of ``plan`` (a ``Curve`` or a ``RunConfig``) consumes, which puts a log's
    consumed-samples axis on iterations (Megatron-LM's ``learning-rate vs samples``), or why that is not one
    number (its adapter's sentence); None without a plan."""
    run = plan if isinstance(plan, RunConfig) else getattr(plan, "run", None)
    if not isinstance(run, RunConfig):
        return None
    return frameworks.for_run(run).samples_per_step(run)
