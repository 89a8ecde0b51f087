"""lrviz: see a learning-rate schedule before you spend GPU hours on it.

The public API (see ``lrviz.api`` for each function's contract)::

    import lrviz
    curve = lrviz.simulate("configs/restarts_article.yaml")
    fig = lrviz.plot(curve)

Names without a leading underscore listed in ``__all__`` are the promise; modules
and names not listed here may change between releases.
"""

from __future__ import annotations

from lrviz._version import __version__
from lrviz.api import (
    check,
    code,
    compare,
    diagnose,
    explain,
    load,
    plan_restarts,
    plot,
    read_log,
    save,
    simulate,
    watch,
)
from lrviz.errors import ConfigError, LrvizError, OutputError, ScheduleError
from lrviz.model import Curve, Finding, Run

__all__ = [
    "ConfigError",
    "Curve",
    "Finding",
    "LrvizError",
    "OutputError",
    "Run",
    "ScheduleError",
    "__version__",
    "check",
    "code",
    "compare",
    "diagnose",
    "explain",
    "load",
    "plan_restarts",
    "plot",
    "read_log",
    "save",
    "simulate",
    "watch",
]
