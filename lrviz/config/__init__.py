"""Config documents and flags -> one validated ``RunConfig``.

``files`` reads YAML safely, ``document`` turns a document (lrviz's own, Hydra,
LightningCLI) or flags into a canonical ``Layer``, ``values`` checks single
values, and ``build`` validates a merged layer into a run.
"""

from __future__ import annotations

from lrviz.config.build import build_run, load_run
from lrviz.config.document import RUN_KEYS, from_document, load_composed, load_file
from lrviz.config.layer import Layer, from_flags, merge
from lrviz.config.values import MAX_POINTS, parse_expectations, parse_flag_value, read_metrics

__all__ = [
    "MAX_POINTS",
    "RUN_KEYS",
    "Layer",
    "build_run",
    "load_run",
    "from_document",
    "from_flags",
    "load_composed",
    "load_file",
    "merge",
    "parse_expectations",
    "parse_flag_value",
    "read_metrics",
]
