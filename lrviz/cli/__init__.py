"""The ``lrviz`` command line: a thin Typer layer over the library.

``app`` holds the commands (``schedulers``, ``files``, ``plan``), ``options`` the
shared flags and the key -> flag map, ``show`` the printing. ``_fork`` and
``_batch`` run PyTorch in a forked child where ``_platform`` says that is safe.
"""

from __future__ import annotations

from lrviz.cli.commands import app, main

__all__ = ["app", "main"]
