"""lrviz: see a learning-rate schedule before you spend GPU hours on it.

The public API (see ``lrviz.api`` for each function's contract)::

    import lrviz
    curve = lrviz.simulate("configs/restarts_article.yaml")
    fig = lrviz.plot(curve)

Names without a leading underscore listed in ``__all__`` are the promise; modules
and names not listed here may change between releases.

The API's modules are imported on first use of one of its names (PEP 562), so that
the ``lrviz`` command, whose entry point lives in this package, can start PyTorch's
import in a child process before it reads anything else (``lrviz/cli/_fork.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lrviz._lazy import lazy
from lrviz._version import __version__
from lrviz.errors import ConfigError, LrvizError, OutputError, ScheduleError

if TYPE_CHECKING:
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

#: Where each lazily imported name lives: the functions are the API's.
_HOME = {
    **dict.fromkeys((name for name in __all__ if name.islower() and not name.startswith("_")), "lrviz.api"),
    **dict.fromkeys(("Curve", "Finding", "Run"), "lrviz.model"),
}


__getattr__, __dir__ = lazy("lrviz", _HOME, globals(), __all__)
