"""TensorBoard event files (``events.out.tfevents.*``), read streaming: the TFRecord framing in big
buffered chunks (``_tfrecord``), each record decoded with tensorboard's own ``event_pb2.Event``
(imported only here, only when an event file is read)."""

from __future__ import annotations

import importlib
import os
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lrviz import budget
from lrviz.errors import ConfigError, option
from lrviz.inputs import remember
from lrviz.logs import _tfrecord
from lrviz.logs.runlog import _MAX_STEP, RunLog, _build, _convention_for, _huge, _names, is_lr_name
from lrviz.logs.window import Tally, Window

#: Without a CRC-32C in C (``google_crc32c``, in ``lrviz[tensorboard]``), the data CRC of every LR record is
#: computed in Python: ~9 s for a file this size if every record is an LR point (bench/event_read.py), ~35 s
#: at LOG_EVENT_BYTES. A larger file is refused naming the package, unless LRVIZ_MAX_EVENT_FILE_BYTES is set.
SLOW_EVENT_BYTES = 32 * 1024 * 1024

__all__ = ["read_tensorboard"]


def read_tensorboard(path: Path, files: list[Path], y: str | None, window: Window | None = None) -> RunLog:
    """Scalars from event files, merged in the order the writers started (later files win on a step).

    Read streaming, event by event, decoded with tensorboard's own ``Event``: only the LR tags' points are kept
    (8 + 8 bytes each), the other tags by name, so memory follows the points compared, not the file;
    with a ``window`` only the points inside it are held, the others counted."""
    try:
        event_pb2 = importlib.import_module("tensorboard.compat.proto.event_pb2")
    except ImportError:
        raise ConfigError(
            f"{path}: reading TensorBoard event files needs the tensorboard package: pip install 'lrviz[tensorboard]'"
        ) from None
    keep: Callable[[str], bool] = (lambda tag: tag == y) if y is not None else is_lr_name
    columns: dict[str, tuple[array[int], array[float]]] = {}
    all_tags: dict[str, None] = {}
    tallies: dict[str, Tally] | None = {} if window is not None else None
    for file in files:
        for tag, (steps, values) in _event_scalars(event_pb2, file, keep, all_tags, window, tallies).items():
            column = columns.setdefault(tag, (array("q"), array("d")))
            column[0].extend(steps)
            column[1].extend(values)
    if not all_tags:
        raise ConfigError(f"{path}: no scalars in the event file(s); was the run logging yet?")
    tags = list(all_tags)
    if y is not None:
        if y not in columns:
            raise ConfigError(f"{path}: no scalar tag {y!r} for the LR (y); the tags are {_names(tags)}")
        names = [y]  # Megatron-LM's "<tag> vs samples" is put on iterations by ``lrviz.logs.samples``
    else:
        names = [t for t in tags if t in columns]
        if not names:
            raise ConfigError(
                f"{path}: no learning-rate tag (lr, learning_rate, train/lr, lr-<Optimizer>); the tags are "
                f"{_names(tags)}; name one with {option('y')}"
            )
    for name in names:
        tally = tallies.get(name) if tallies else None
        kept = columns[name][0]
        ends = [min(kept), max(kept)] if kept else []
        bounds = [k for k in (*ends, *((tally.first, tally.last) if tally else ())) if k is not None]
        if bounds and max(abs(min(bounds)), abs(max(bounds))) > _MAX_STEP:
            raise ConfigError(
                f"{path}: {name}: a logged step of {_huge(max(bounds, key=abs))} is beyond any run's length; is the "
                f"step column right (name it with {option('x')})?"
            )
    chosen = {n: columns[n] for n in names}
    return _build(path, "tensorboard", _convention_for(names, "lrviz"), chosen, tallies)


def _event_scalars(
    event_pb2: Any,
    file: Path,
    keep: Callable[[str], bool],
    all_tags: dict[str, None],
    window: Window | None = None,
    tallies: dict[str, Tally] | None = None,
) -> dict[str, tuple[array[int], array[float]]]:
    """The scalars of one event file whose tag ``keep`` accepts (``simple_value`` summaries and 0-d tensor
    summaries), by tag, in the order logged; every scalar tag's name goes into ``all_tags``. A tensor tag
    with one value that is not a 0-d float is not a scalar: left out, as TensorBoard's scalars leave it."""
    try:
        size = file.stat().st_size
        with file.open("rb"):
            pass
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read: {exc.strerror or exc}") from None
    if size == 0:
        raise ConfigError(f"{file}: empty event file; was the run logging yet?")
    budget.LOG_EVENT_BYTES.check(size, str(file), f"an event file of {size:,} bytes")
    crc32c = _tfrecord.fast_crc()
    if crc32c is None and size > SLOW_EVENT_BYTES and budget.LOG_EVENT_BYTES.env not in os.environ:
        raise ConfigError(
            f"{file}: an event file of {size:,} bytes is checked record by record in Python without google-crc32c "
            f"(about 1 s a 4 MiB): pip install google-crc32c (it comes with lrviz[tensorboard]), or set "
            f"{budget.LOG_EVENT_BYTES.env}={budget.LOG_EVENT_BYTES.value} to read it as it is"
        )
    remember(file)
    out: dict[str, tuple[array[int], array[float]]] = {}
    tensors: dict[str, bool] = {}  # tensor tag -> every value so far a 0-d float
    kept: dict[str, bool] = {}  # tag -> keep(tag), asked once per tag
    count = 0
    try:
        with file.open("rb") as handle:
            for data, stored in _tfrecord.records(handle, crc32c):  # record by record, as EventAccumulator reads
                count += 1
                event = event_pb2.Event.FromString(data)
                if not event.HasField("summary"):
                    continue
                checked = crc32c is not None
                for value in event.summary.value:
                    tag = value.tag
                    number: float | None = None
                    if value.HasField("simple_value"):
                        number = float(value.simple_value)
                    elif value.HasField("tensor"):
                        proto = value.tensor
                        if not proto.tensor_shape.dim and proto.float_val:
                            number = float(proto.float_val[0])
                        elif not proto.tensor_shape.dim and proto.double_val:
                            number = float(proto.double_val[0])
                        if tensors.setdefault(tag, number is not None) and number is None:
                            tensors[tag] = False
                        if not tensors[tag]:
                            out.pop(tag, None)
                            all_tags.pop(tag, None)
                    if number is None or tensors.get(tag) is False:
                        continue
                    all_tags[tag] = None
                    wanted = kept.get(tag)
                    if wanted is None:
                        wanted = kept[tag] = keep(tag)
                    if wanted:
                        if not checked:  # no C CRC-32C: the kept points' records are checked in pure Python
                            if _tfrecord.masked_crc(data) != stored:
                                raise _tfrecord.RecordError("failed event crc32 check")
                            checked = True
                        column = out.setdefault(tag, (array("q"), array("d")))
                        if window is not None and tallies is not None and not window.low <= event.step < window.high:
                            tallies.setdefault(tag, Tally()).add(event.step, window)
                            continue
                        column[0].append(event.step)
                        column[1].append(number)
    except _tfrecord.RecordError as exc:
        if not (exc.truncated and count):  # a record cut short at the very end is a run still writing
            raise ConfigError(
                f"{file}: corrupt TensorBoard event file (record {count + 1}: {exc}); "
                "the file was damaged, or it is not an event file"
            ) from None
    except ConfigError:
        raise
    except Exception as exc:  # protobuf's DecodeError, an OSError while reading
        raise ConfigError(f"{file}: corrupt TensorBoard event file ({type(exc).__name__}: {exc})") from None
    return out
