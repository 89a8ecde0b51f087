"""``lrviz doctor`` and ``lrviz --version``: what is installed, from package metadata (torch is never imported)."""

from __future__ import annotations

from lrviz.api.frontend import doctor, versions


def print_versions() -> None:
    """``lrviz --version``: lrviz, Python, torch and its build, and each installed extra (for bug reports)."""
    print("\n".join(versions()))


def doctor_command() -> None:
    """Which extras are installed, what each missing one would enable and how to install it, and torch's build.

    Reads package metadata only (no torch import), so it answers at once. Exit 1 when torch is missing.
    """
    from lrviz.cli.show import _Failed

    lines, usable = doctor()
    print("\n".join(lines))
    if not usable:
        raise _Failed("torch is not installed: lrviz cannot step a scheduler", 1)
