"""Errors lrviz raises. The CLI turns them into one-line messages and exit codes.

Core modules raise these and never print or exit; ``cli.py`` is the only place
where an ``LrvizError`` becomes ``Error: ...`` on stderr and an exit status.
"""

from __future__ import annotations


class LrvizError(Exception):
    """Base class: something the user can fix. Exit code 1 unless a subclass says otherwise."""

    exit_code = 1


class ConfigError(LrvizError):
    """Bad input: a flag, a YAML key or a value that cannot describe a schedule (exit 2)."""

    exit_code = 2


class OutputError(LrvizError):
    """An output file cannot be written (exit 1)."""


class ScheduleError(LrvizError):
    """PyTorch failed while stepping a schedule that looked valid (exit 1)."""
