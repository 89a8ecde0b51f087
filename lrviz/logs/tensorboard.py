"""TensorBoard event files (``events.out.tfevents.*``), read through tensorboard's own
``EventAccumulator`` (imported only here, only when an event file is read)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from lrviz import budget
from lrviz.errors import ConfigError, option
from lrviz.inputs import remember
from lrviz.logs.runlog import RunLog, _build, _convention_for, _names, is_lr_name

__all__ = ["read_tensorboard"]


def read_tensorboard(path: Path, files: list[Path], y: str | None) -> RunLog:
    """Scalars from event files, merged in the order the writers started (later files win on a step)."""
    try:
        event_accumulator = importlib.import_module("tensorboard.backend.event_processing.event_accumulator")
    except ImportError:
        raise ConfigError(
            f"{path}: reading TensorBoard event files needs the tensorboard package: pip install 'lrviz[tensorboard]'"
        ) from None
    merged: dict[str, dict[int, float]] = {}
    all_tags: dict[str, None] = {}
    for file in files:
        for tag, points in _event_scalars(event_accumulator, file).items():
            all_tags[tag] = None
            merged.setdefault(tag, {}).update(points)
    if not all_tags:
        raise ConfigError(f"{path}: no scalars in the event file(s); was the run logging yet?")
    tags = list(all_tags)
    if y is not None:
        if y not in merged:
            raise ConfigError(f"{path}: no scalar tag {y!r} for the LR (y); the tags are {_names(tags)}")
        names = [y]
    else:
        names = [t for t in tags if is_lr_name(t)]
        if not names:
            raise ConfigError(
                f"{path}: no learning-rate tag (lr, learning_rate, train/lr, lr-<Optimizer>); the tags are "
                f"{_names(tags)}; name one with {option('y')}"
            )
    columns = {n: (list(merged[n]), list(merged[n].values())) for n in names}
    return _build(path, "tensorboard", _convention_for(names, "lrviz"), columns)


def _event_scalars(event_accumulator: Any, file: Path) -> dict[str, dict[int, float]]:
    """Every scalar of one event file (``simple_value`` summaries and 0-d tensor summaries), by tag and step."""
    try:
        size = file.stat().st_size
        with file.open("rb"):
            pass
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read: {exc.strerror or exc}") from None
    if size == 0:
        raise ConfigError(f"{file}: empty event file; was the run logging yet?")
    budget.LOG_EVENT_BYTES.check(size, str(file), f"an event file of {size:,} bytes")
    remember(file)
    # size_guidance 0 keeps every event: the default samples 10,000 scalars per tag.
    acc = event_accumulator.EventAccumulator(
        str(file),
        size_guidance={event_accumulator.SCALARS: 0, event_accumulator.TENSORS: 0},
        purge_orphaned_data=False,
    )
    try:
        acc.Reload()
        _check_records(file)
    except ConfigError:
        raise
    except Exception as exc:  # tensorboard's DataLossError, protobuf's DecodeError
        raise ConfigError(f"{file}: corrupt TensorBoard event file ({type(exc).__name__}: {exc})") from None
    out: dict[str, dict[int, float]] = {}
    tags = acc.Tags()
    for tag in tags.get("scalars", []):
        out[tag] = {e.step: float(e.value) for e in acc.Scalars(tag)}
    for tag in tags.get("tensors", []):
        points: dict[int, float] = {}
        for e in acc.Tensors(tag):
            proto = e.tensor_proto
            if proto.tensor_shape.dim:
                break
            if proto.float_val:
                points[e.step] = float(proto.float_val[0])
            elif proto.double_val:
                points[e.step] = float(proto.double_val[0])
            else:
                break
        else:
            if points:
                out[tag] = points
    return out


def _check_records(file: Path) -> None:
    """Raise if a record fails its checksum: EventAccumulator stops there silently (tensorboard's
    event_file_loader.py logs DataLossError at debug level and ends the file), which would cut the
    log short without a word. A record cut short at the very end is a run still writing: accepted."""
    errors = importlib.import_module("tensorboard.compat.tensorflow_stub.errors")
    records_module = importlib.import_module("tensorboard.compat.tensorflow_stub.pywrap_tensorflow")
    reader = records_module.PyRecordReader_New(str(file))
    records = 0
    try:
        while True:
            try:
                reader.GetNext()
            except errors.OutOfRangeError:
                break
            except errors.DataLossError as exc:
                if "truncated" in str(exc).lower() and records:
                    break
                raise ConfigError(
                    f"{file}: corrupt TensorBoard event file (record {records + 1}: {str(exc.message).replace(str(file), '').strip()}); "
                    "the file was damaged, or it is not an event file"
                ) from None
            records += 1
    finally:
        reader.file_handle.close()
