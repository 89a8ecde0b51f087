"""Reading a user's file safely: one bounded read, every failure a one-line ConfigError.

The size limit is enforced by reading at most ``limit + 1`` bytes, so it holds
for pipes and devices too (their ``stat`` size is 0), and ``/dev/zero`` cannot
exhaust memory.

Every file read is remembered by identity (device and inode, ``remember``), so an
output about to be written can be refused when it is one of this process's inputs
(``lrviz.output``), whatever name or link reached it.
"""

from __future__ import annotations

import os
from pathlib import Path

from lrviz.errors import ConfigError

#: (device, inode) of every file this process has read -> (the name it was read by, its ctime then).
_READ: dict[tuple[int, int], tuple[str, int]] = {}


def remember(path: Path | str, stat: os.stat_result | None = None) -> None:
    """Record ``path`` as an input (by device and inode); an output may never replace it."""
    try:
        st = stat if stat is not None else os.stat(path)
    except (OSError, ValueError):
        return
    _READ.setdefault((st.st_dev, st.st_ino), (str(path), st.st_ctime_ns))


def read_as(st: os.stat_result) -> str | None:
    """The name the input ``st`` describes was read by, or None. An inode reused by a new file
    after the input was deleted is not that input (its change time differs)."""
    seen = _READ.get((st.st_dev, st.st_ino))
    return seen[0] if seen is not None and seen[1] == st.st_ctime_ns else None


def forget() -> None:
    """Start a new command: no file counts as an input yet (an in-process caller runs many)."""
    _READ.clear()


def read_limited(path: Path, limit: int, label: str, missing_hint: str = "", variable: str = "") -> bytes:
    """The bytes of ``path``; ``label`` starts every message (``wr.yaml``, ``--metrics loss.txt``);
    ``variable`` is the environment variable that raises ``limit``."""
    try:
        if path.is_dir():
            raise ConfigError(f"{label}: is a directory, not a file")
        with path.open("rb") as handle:
            remember(path, os.fstat(handle.fileno()))
            raw = handle.read(limit + 1)
    except FileNotFoundError:
        raise ConfigError(f"{label}: no such file{missing_hint}") from None
    except PermissionError:
        raise ConfigError(f"{label}: permission denied; check the file's read permission") from None
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:  # a NUL in the name
        raise ConfigError(f"{label}: cannot read: {exc}") from None
    if len(raw) > limit:
        raise ConfigError(
            f"{label}: larger than the {limit:,}-byte limit"
            + (f"; raise it with {variable}=N if the file really is that large" if variable else "")
        )
    return raw
