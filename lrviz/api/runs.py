"""A run: loaded, stepped, explained, diagnosed, and the code that builds it (``lrviz.simulation`` does the work).

``RunOptions`` is the one table of run options as typed keywords (``lrviz.config.layer.RUN_OPTIONS``).
This module imports what reading a config needs and nothing of comparing or logs, so that a command
that only loads and steps a run (``--print-code``, ``--explain``) does not import those.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lrviz.simulation import RunOptions, SchedulerFactory, Source, diagnose, explain, load, run_of, simulate

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["RunOptions", "SchedulerFactory", "Source", "code", "diagnose", "explain", "load", "simulate"]


def code(source: Source, *, key: str | None = None, **options: Unpack[RunOptions]) -> str:
    """The code that builds exactly this optimizer and scheduler with its framework and steps it as lrviz does."""
    from lrviz.codegen import pytorch_snippet

    return pytorch_snippet(run_of(source, key=key, options=dict(options)))
