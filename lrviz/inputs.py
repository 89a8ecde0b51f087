"""Reading a user's file safely: one bounded read, every failure a one-line ConfigError.

The size limit is enforced by reading at most ``limit + 1`` bytes, so it holds
for pipes and devices too (their ``stat`` size is 0), and ``/dev/zero`` cannot
exhaust memory.
"""

from __future__ import annotations

from pathlib import Path

from lrviz.errors import ConfigError


def read_limited(path: Path, limit: int, label: str, missing_hint: str = "") -> bytes:
    """The bytes of ``path``; ``label`` starts every message (``wr.yaml``, ``--metrics loss.txt``)."""
    try:
        if path.is_dir():
            raise ConfigError(f"{label}: is a directory, not a file")
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
    except FileNotFoundError:
        raise ConfigError(f"{label}: no such file{missing_hint}") from None
    except PermissionError:
        raise ConfigError(f"{label}: permission denied; check the file's read permission") from None
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > limit:
        raise ConfigError(f"{label}: larger than the {limit:,}-byte limit")
    return raw
