"""Whether a run's log can be put on the plan's optimizer steps at all (``Adapter.log_alignment``)."""

from __future__ import annotations

from typing import Any

from lrviz import frameworks
from lrviz.errors import ConfigError
from lrviz.model import RunConfig


def refuse_unaligned(plan: Any) -> None:
    """A ConfigError when the plan's framework logs on an axis lrviz cannot put on its optimizer steps
    (``Adapter.log_alignment``): a refusal, never a comparison of misaligned steps."""
    run = getattr(plan, "run", None)
    if isinstance(run, RunConfig):
        why = frameworks.for_run(run).log_alignment(run)
        if why is not None:
            raise ConfigError(why)
