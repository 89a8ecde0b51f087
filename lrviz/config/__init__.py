"""Config text -> documents and layers: YAML/JSON, OmegaConf interpolation, Hydra's compose, flags.

``files`` reads YAML and JSON safely (with each key's line), ``interpolation`` resolves
``${...}`` with OmegaConf and composes Hydra projects, ``layer`` holds values with where
each came from (and merges flags over a file), ``values`` checks single values. Which
framework a document is for, and what its keys mean, is ``lrviz.frameworks``' business;
``lrviz.reading`` joins the two.
"""

from __future__ import annotations

from lrviz.config.layer import Layer, from_flags, merge
from lrviz.config.values import MAX_POINTS, parse_expectations, parse_flag_value, read_metrics

__all__ = [
    "MAX_POINTS",
    "Layer",
    "from_flags",
    "merge",
    "parse_expectations",
    "parse_flag_value",
    "read_metrics",
]
