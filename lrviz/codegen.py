"""The code for a run: a standalone script that builds the same scheduler with its framework's own API.

Each framework writes its own (``lrviz.frameworks.<name>``); the script, run as is,
prints the LRs lrviz shows.
"""

from __future__ import annotations

from lrviz import frameworks
from lrviz.model import RunConfig


def pytorch_snippet(run: RunConfig) -> str:
    """A standalone Python script that builds this optimizer and scheduler and steps them as lrviz does."""
    return frameworks.for_run(run).code(run)
