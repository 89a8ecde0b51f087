"""Warnings about a schedule that is valid but probably not what the user meant.

Each framework's rules live with it (``lrviz.frameworks.<name>``); this module asks the
adapter that read the run. ``run_findings`` looks at the validated run before anything
is stepped; ``check_curve`` at the stepped curve, without repeating ``run_findings``.
Each finding is one line of plain text; the CLI prints them to stderr as ``warning: ...``.
"""

from __future__ import annotations

from lrviz import frameworks
from lrviz.model import Curve, Finding, RunConfig


def run_findings(run: RunConfig) -> list[Finding]:
    """Findings about the configuration itself, before anything is stepped."""
    return frameworks.for_run(run).run_findings(run)


def check_run(run: RunConfig) -> list[str]:
    """The messages of ``run_findings``, one line each (what the CLI prints before stepping)."""
    return [f.message for f in run_findings(run)]


def check_curve(curve: Curve) -> list[Finding]:
    """Findings that need the recorded LRs."""
    return frameworks.for_run(curve.run).curve_findings(curve)
