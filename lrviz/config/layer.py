"""Canonical layers: a config's values in lrviz's shape, each remembering where it came from.

A ``Layer`` holds ``{"scheduler": {...}, "optimizer": {...}, "epochs": ...}`` keyed by
PyTorch's own argument names, plus the location of each value (``wr.yaml:7:
scheduler.T_max``, or the flag that set it). Flags are merged over a file with ``merge``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrviz.errors import ConfigError
from lrviz.keys import KeyPath, dotted

#: The run options flags and keyword arguments set, by name, and where each goes in a config.
RUN_OPTIONS: dict[str, KeyPath] = {
    "epochs": ("epochs",),
    "steps_per_epoch": ("steps_per_epoch",),
    "lr": ("optimizer", "lr"),
    "optimizer": ("optimizer", "name"),
    "warmup": ("warmup",),
    "warmup_start_factor": ("warmup_start_factor",),
    "dataset_size": ("dataset_size",),
    "batch_size": ("batch_size",),
    "grad_accum": ("grad_accum",),
    "world_size": ("world_size",),
    "interval": ("interval",),
    "accelerate_processes": ("accelerate_processes",),
    "split_batches": ("split_batches",),
    "metrics": ("metrics",),
    "label": ("label",),
    "title": ("title",),
    "param": ("param",),  # the second series recorded beside the LR: weight_decay (mmengine's schedulers)
}

# ---------------------------------------------------------------------------
# Raw layers: canonical dicts plus where each value came from


@dataclass
class Layer:
    """Canonical-shaped values from one source, and where each came from."""

    data: dict[str, Any]
    where: dict[KeyPath, str]
    origin: str  # "flags" or a file name: used for values with no recorded location
    foreign: bool = False  # a training config (Hydra/Lightning): extra top-level keys are fine
    notes: list[str] = field(default_factory=list)  # what lrviz assumed or ignored, said as `note:` lines
    origins: dict[KeyPath, KeyPath] = field(default_factory=dict)  # canonical scheduler path -> path in the file
    #: notes that hold only while these values are still the file's: ((path, location then), ...) -> note
    pending: list[tuple[tuple[tuple[KeyPath, str | None], ...], str]] = field(default_factory=list)
    #: the adapter that reads this layer (``lrviz.frameworks``) and the dialect it was detected as
    adapter: str = "torch"
    dialect: str = ""
    decided_by: tuple[str, ...] = ()  # the keys that decided the dialect
    top_keys: tuple[str, ...] = ()  # the document's top-level keys, for the accounting of what was read

    def note_unless_set(self, paths: tuple[KeyPath, ...], note: str) -> None:
        """A note that is dropped when a later layer (a flag) sets any of ``paths``."""
        self.pending.append((tuple((path, self.where.get(path)) for path in paths), note))

    def live_notes(self) -> list[str]:
        """The notes, with pending ones whose values a flag replaced left out."""
        held = [note for conds, note in self.pending if all(self.where.get(p) == w for p, w in conds)]
        return [*self.notes, *held]

    def at(self, path: KeyPath) -> str:
        for end in range(len(path), 0, -1):
            if path[:end] in self.where:
                found = self.where[path[:end]]
                return found if end == len(path) else f"{found}{dotted(path[end:]) and '.' + dotted(path[end:])}"
        return f"{self.origin}: {dotted(path)}" if self.origin != "flags" else dotted(path)


def from_flags(values: Mapping[KeyPath, tuple[str, Any]]) -> Layer:
    """A layer from CLI flags: {canonical path: (flag name, value)}; None values are skipped."""
    layer = Layer({}, {}, "flags")
    for path, (flag, value) in values.items():
        if value is None:
            continue
        node: dict[Any, Any] = layer.data
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
        layer.where[path] = flag
    return layer


class _Doc:
    """Locations inside one YAML file."""

    def __init__(self, path: Path | str, lines: Mapping[KeyPath, int], allow_import: tuple[str, ...] = ()) -> None:
        self.path = path
        self.lines = lines
        self.allow_import = allow_import

    def at(self, orig: KeyPath) -> str:
        for end in range(len(orig), -1, -1):
            if orig[:end] in self.lines:
                return (
                    f"{self.path}:{self.lines[orig[:end]]}: {dotted(orig)}" if orig else f"{self.path}:{self.lines[()]}"
                )
        return f"{self.path}: {dotted(orig)}" if orig else str(self.path)


def merge(base: Layer, over: Layer) -> Layer:
    """``over``'s values replace ``base``'s, key by key (flags over a file)."""
    result = Layer(
        _deep_copy(base.data),
        dict(base.where),
        base.origin,
        base.foreign,
        [*base.notes, *over.notes],
        dict(base.origins),
        [*base.pending, *over.pending],
        adapter=base.adapter,
        dialect=base.dialect,
        decided_by=base.decided_by,
        top_keys=base.top_keys,
    )
    bs, os_ = base.data.get("scheduler"), over.data.get("scheduler")
    if isinstance(bs, dict) and isinstance(os_, dict) and "name" in os_ and bs.get("name") != os_["name"]:
        raise ConfigError(
            f"{base.at(('scheduler', 'name'))}: the file describes {bs.get('name')}, "
            f"but this command builds {os_['name']}; use `lrviz render {base.origin}` "
            "or the matching subcommand"
        )
    _merge_into(result.data, over.data)
    result.where.update(over.where)
    return result


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


def _merge_into(target: dict[str, Any], source: Mapping[str, Any]) -> None:
    for k, v in source.items():
        if isinstance(v, dict) and isinstance(target.get(k), dict):
            _merge_into(target[k], v)
        else:
            target[k] = _deep_copy(v)
