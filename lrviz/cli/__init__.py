"""The ``lrviz`` command line: a thin Typer layer over the library.

``app`` holds the commands (``schedulers``, ``files``, ``plan``), ``options`` the
shared flags and the key -> flag map, ``show`` the printing. ``_fork`` and
``_batch`` run PyTorch in a forked child where ``_platform`` says that is safe.

``main``, the console script, is defined here and imports almost nothing before it
forks the child that imports torch (``_fork.prestart``); ``app`` and the rest of the
command line are imported after that, on first use.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lrviz.cli.commands import app

__all__ = ["app", "main"]

#: The commands (besides one per scheduler and its aliases) that step a schedule.
_STEPPING = ("render", "hf", "timm", "deepspeed")
#: Flags after which no schedule is stepped.
_NOT_STEPPING = ("-h", "--help", "--version", "--print-code", "--debug", "--install-completion", "--show-completion")


def steps_a_schedule(argv: Sequence[str]) -> bool:
    """Whether the command line names a command that steps a schedule (so torch will be needed)."""
    if any(arg in _NOT_STEPPING for arg in argv) or os.environ.get("LRVIZ_DEBUG", "") not in ("", "0"):
        return False
    if any(name.startswith("_LRVIZ_COMPLETE") for name in os.environ):  # shell completion
        return False
    words = [arg for arg in argv if not arg.startswith("-")]
    if not words:
        return False
    from lrviz.schedules import SCHEDULERS

    names = {*_STEPPING, *(s.command for s in SCHEDULERS if s.command)}
    names.update(alias.lower() for s in SCHEDULERS if s.command for alias in s.aliases)
    return words[0] in names or words[0].lower() in names


def main() -> None:
    """Console-script entry point."""
    from lrviz.cli import _fork

    if steps_a_schedule(sys.argv[1:]):
        _fork.prestart()  # torch imports in a child from now on, while this process reads the command
    from lrviz.cli.commands import main as run

    run()


def __getattr__(name: str) -> Any:
    if name == "app":
        from lrviz.cli.commands import app

        return app
    raise AttributeError(f"module 'lrviz.cli' has no attribute {name!r}")
