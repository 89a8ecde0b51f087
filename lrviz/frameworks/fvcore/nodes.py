"""Where a document holds fvcore scheduler nodes: read by the adapter's detection and by ``read``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrviz.frameworks.base import mappings

#: The module whose classes lrviz steps, as a Hydra ``_target_`` names them.
MODULE = "fvcore.common.param_scheduler"


def fvcore_targets(data: Mapping[str, Any]) -> list[str]:
    """The dotted paths of the document's ``_target_: fvcore.common.param_scheduler.*`` nodes."""
    found = []
    for path, node in mappings(data):
        target = node.get("_target_")
        if isinstance(target, str) and target.startswith(f"{MODULE}."):
            found.append(".".join(map(str, (*path, "_target_"))))
    return found
