"""Where each number of a torch run came from (``--explain``), and what the file's sections gave it.

``sources`` names ``file:line key``, a flag or a default for the scheduler's arguments, the
optimizer, the run length and the steps per epoch; ``accounting`` the dialect, the keys that
decided it, the values read and the sections not read. ``digits`` reads a run length a config
holds as a string of digits (``oc.env`` returns strings), and says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrviz.config.layer import Layer
from lrviz.keys import KeyPath
from lrviz.model import SchedulerConfig


def accounting(layer: Layer) -> tuple[str, ...]:
    """The dialect line, and which of the file's top-level sections lrviz read a value from."""
    if layer.origin == "flags" or not layer.top_keys:
        return (_dialect_line(layer),)
    prefix = f"{layer.origin}:"
    read: set[str] = set()
    for where in layer.where.values():
        if where.startswith(prefix):
            _, _, path = where.partition(": ")
            read.add(path)
    tops = {path.split(".", 1)[0] for path in read}
    others = [k for k in layer.top_keys if k not in tops]
    return (
        _dialect_line(layer),
        f"read: {', '.join(sorted(read)) or '(none)'}",
        f"other sections (not read; a PyTorch training config's model, data and logging): {', '.join(others) or '(none)'}",
    )


def _dialect_line(layer: Layer) -> str:
    if layer.origin == "flags":
        return "dialect: torch (the command's flags)"
    if not layer.decided_by:
        return f"dialect: {layer.dialect or 'torch'} (no other framework's keys; read as a PyTorch training config)"
    return f"dialect: {layer.dialect or 'torch'} (decided by {', '.join(layer.decided_by)})"


def digits(data: Mapping[str, Any], key: str, layer: Layer, notes: list[str]) -> Any:
    """A run length a training config holds as a string of digits (``${oc.env:MAX_STEPS,513}`` gives '513').

    OmegaConf's ``oc.env`` returns strings; the trainer gets the number once its arguments are
    typed (LightningCLI, structured configs). lrviz reads it as the number and says so.
    """
    value = data[key]
    if layer.foreign and isinstance(value, str) and value.strip().isdigit():
        notes.append(f"{layer.at((key,))}: the string {value!r} read as the number {int(value):,}")
        return int(value)
    return value


def sources(
    layer: Layer, scheduler: SchedulerConfig, optimizer: Any, epochs: int, spe: int, length_from: str
) -> tuple[tuple[str, str, str], ...]:
    """Where each number of the run came from: ``file:line key``, a flag, or a default."""

    def at(path: KeyPath) -> str:
        return layer.at(path) if path in layer.where else "default"

    out = [(f"scheduler {scheduler.name}", "", at(("scheduler",)))]
    for key, value in scheduler.args.items():
        if key != "schedulers":
            out.append((f"scheduler.{key}", repr(value), at(("scheduler", key))))
    out.append(("optimizer", optimizer.name, at(("optimizer", "name"))))
    out.append(("lr", f"{optimizer.lr:g}", at(("optimizer", "lr"))))
    if not length_from:
        length_from = at(("epochs",)) if ("epochs",) in layer.where else at(("max_steps",))
        length_from = "the scheduler's span" if length_from == "default" else length_from
    out.append(("epochs", str(epochs), length_from))
    out.append(("steps_per_epoch", str(spe), at(("steps_per_epoch",))))
    return tuple(out)
