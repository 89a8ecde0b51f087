"""Where a document holds NeMo's scheduler: read by the adapter's detection and by ``read``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrviz.frameworks.base import mappings
from lrviz.keys import KeyPath


def nemo_sched(data: Mapping[str, Any]) -> tuple[KeyPath, Mapping[str, Any]] | None:
    """The path of the mapping holding ``sched: {name: ...}`` (NeMo's ``model.optim``), and that mapping."""
    for path, node in mappings(data):
        sched = node.get("sched")
        if isinstance(sched, Mapping) and isinstance(sched.get("name"), str):
            return path, node
    return None
