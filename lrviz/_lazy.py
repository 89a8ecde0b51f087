"""Lazy names for a package's ``__init__`` (PEP 562): each is imported from its home module when first used.

``lrviz`` and ``lrviz.api`` import nothing until a name is used, so ``import lrviz.cli`` stays cheap.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy(
    package: str, homes: Mapping[str, str], namespace: dict[str, Any], names: Iterable[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``homes`` maps a name to the module it lives in;
    a name found is stored in ``namespace`` (the package's globals), so later lookups are plain reads."""
    listed = sorted(set(names))

    def getattr_(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        namespace[name] = value
        return value

    def dir_() -> list[str]:
        return sorted({*namespace, *listed})

    return getattr_, dir_
