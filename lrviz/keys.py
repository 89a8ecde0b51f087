"""Key paths into a config document, and how messages spell them."""

from __future__ import annotations

KeyPath = tuple[str | int, ...]


def dotted(path: KeyPath) -> str:
    """``("scheduler", "schedulers", 0, "T_max")`` -> ``scheduler.schedulers[0].T_max``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
