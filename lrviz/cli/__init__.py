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


def out_of_range(argv: Sequence[str]) -> bool:
    """Whether the command line gives one of its scheduler's numeric arguments a value it refuses (``--t-max 0``).

    That command ends with a usage error before anything is stepped, so no child is forked for it:
    it exits as fast as ``--help``, without the part of torch a child would have imported by then
    (~40 MiB). A hint only, read from the registry without typer: the command reports the error
    itself, and a bad value this does not spot costs only the child's start.
    """
    from lrviz.schedules import SCHEDULERS

    words = [arg for arg in argv if not arg.startswith("-")]
    spec = next(
        (s for s in SCHEDULERS if s.command and words and words[0].lower() in {s.command, *map(str.lower, s.aliases)}),
        None,
    )
    if spec is None:
        return False
    numeric = {}
    for arg in spec.args:
        if arg.kind in ("int", "float") and arg.bound is not None:
            numeric[arg.flag_name] = numeric["--" + arg.name.lower().replace("_", "-")] = arg
    for i, token in enumerate(argv):
        name, given, value = token.partition("=")
        found = numeric.get(name)
        if found is None or found.bound is None:
            continue
        text = value if given else (argv[i + 1] if i + 1 < len(argv) else "")
        try:
            number = int(text) if found.kind == "int" else float(text)
        except ValueError:
            return True
        if not found.bound.contains(number):
            return True
    return False


def main() -> None:
    """Console-script entry point."""
    from lrviz.cli import _fork

    if steps_a_schedule(sys.argv[1:]) and not out_of_range(sys.argv[1:]):
        _fork.prestart()  # torch imports in a child from now on, while this process reads the command
    from lrviz.cli.commands import main as run

    run()


def __getattr__(name: str) -> Any:
    if name == "app":
        from lrviz.cli.commands import app

        return app
    raise AttributeError(f"module 'lrviz.cli' has no attribute {name!r}")
