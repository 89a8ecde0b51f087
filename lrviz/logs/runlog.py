"""What a training run logged, as lrviz holds it: ``RunLog``, its series and step conventions.

Every format (``lrviz.logs.reading.read_log`` picks the reader: ``trainer_state``, ``csvfile``,
``jsonl``, ``tensorboard`` here, the trackers in their own modules) is normalized to lrviz's step
convention: **point k is the LR used by optimizer step k** (0-based), read before
``optimizer.step()``, which is what ``Curve.lrs`` holds. Which optimizer step a logged value
belongs to is each framework's own convention (``CONVENTIONS``, with the source lines that
establish it). This module holds the types, the conventions, which names hold an LR, and what the
readers share (streaming text, picking columns, building a ``RunLog``).

Nothing here imports torch. Every failure is a one-line ``ConfigError`` naming the file and the fix.
"""

from __future__ import annotations

import io
import operator
import os
import re
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from lrviz import budget
from lrviz.errors import ConfigError, option
from lrviz.inputs import read_limited, remember

if TYPE_CHECKING:
    from lrviz.logs.window import Tally

#: Largest log file read (``budget.LOG_BYTES``; a CSV of 10 million steps is about 300 MB). CSV and
#: JSONL logs are read streaming, holding only the steps and LRs of the LR columns (16 bytes a point).
MAX_LOG_BYTES = budget.LOG_BYTES.value
#: Lines read from a CSV or JSONL log at a time.
_CHUNK_CHARS = 2 * 1024 * 1024

FORMATS = ("trainer_state", "lightning_csv", "tensorboard", "csv", "jsonl")


@dataclass(frozen=True)
class StepConvention:
    """How a framework numbers its logged LRs: logged step ``s`` holds the LR of optimizer step ``s - offset``."""

    name: str
    offset: int
    description: str
    #: the trainer logs the LR after each scheduler step, so its last logged step holds the LR after the run's
    #: last step, which no optimizer step uses: one point past the plan, not a longer run
    after_step: bool = False


#: The conventions found in the installed frameworks' sources (paths relative to site-packages).
CONVENTIONS: Mapping[str, StepConvention] = {
    c.name: c
    for c in (
        StepConvention(
            "lrviz",
            0,
            "step k holds the LR optimizer step k uses (read from param_groups before optimizer.step()), "
            "as lrviz's engine records it; the usual hand-written `writer.add_scalar('lr', lr, step)` before the step",
        ),
        StepConvention(
            "lightning",
            0,
            # lightning/pytorch/callbacks/lr_monitor.py:167-177 logs param_group["lr"] in
            # on_train_batch_start (before the batch's optimizer step) with
            # step=fit_loop.epoch_loop._batches_that_stepped, and on_train_epoch_start (:180-187) for
            # interval "epoch"; lightning/pytorch/loops/training_epoch_loop.py:413-415 increments
            # _batches_that_stepped once per optimizer step, after the scheduler's step (:360).
            "Lightning's LearningRateMonitor logs param_group['lr'] at on_train_batch_start, before that batch's "
            "optimizer step, with step=_batches_that_stepped, the number of optimizer steps already taken "
            "(lightning/pytorch/callbacks/lr_monitor.py:167-187, loops/training_epoch_loop.py:413-415)",
        ),
        StepConvention(
            "transformers",
            1,
            # transformers/trainer.py (5.24) :1943 optimizer.step(); :1947 learning_rate =
            # _get_learning_rate() "before update"; :1952 lr_scheduler.step(); :1955 global_step += 1;
            # :2266 logs["learning_rate"] = learning_rate; :4209 {**logs, "step": global_step}.
            "transformers >= 4.51 Trainer reads get_last_lr() after optimizer.step() and before "
            "lr_scheduler.step(), then increments global_step and logs it with that step: logged step s "
            "(1-based) is the LR optimizer step s-1 used (transformers/trainer.py:1943-1955, 2266, 4209)",
        ),
        StepConvention(
            "megatron",
            0,
            # NVIDIA/Megatron-LM d98e8a64 megatron/training/training.py: 3223 opt_param_scheduler.step in
            # train_step; 4785 iteration += 1; 4882 the LR read after it; 3380-3383 add_scalar('learning-rate',
            # lr, iteration) and wandb_writer.log({'learning-rate': lr}, iteration); 3568/3597 the stdout line.
            "Megatron-LM logs `learning-rate` (TensorBoard, W&B) and `learning rate:` (stdout) at iteration s, "
            "1-based and counted after the iteration, with the LR read after that iteration's scheduler step: "
            "logged iteration s is the LR iteration s (0-based) uses (megatron/training/training.py 3223, 3380-3383, "
            "3597, 4785, 4882)",
            after_step=True,
        ),
        StepConvention(
            "diffusers",
            0,
            # huggingface/diffusers 58eb52c0 examples/dreambooth/train_dreambooth_lora.py: 1334 optimizer.step();
            # 1335 lr_scheduler.step(); 1339-1341 global_step += 1 when gradients synced; 1369-1371
            # logs = {"loss": ..., "lr": lr_scheduler.get_last_lr()[0]}; accelerator.log(logs, step=global_step).
            "diffusers' training scripts log `lr` = lr_scheduler.get_last_lr()[0] with accelerator.log(..., "
            "step=global_step), global_step counted after the optimizer step: logged step s is the LR optimizer "
            "step s (0-based) uses (examples/dreambooth/train_dreambooth_lora.py 1334-1341, 1369-1371)",
            after_step=True,
        ),
        StepConvention(
            "litgpt",
            0,
            # litgpt 0.5.13 finetune/lora.py: 363-366 optimizer.step(); scheduler.step() when not accumulating;
            # 376-402 metrics["learning_rate"] = scheduler.get_last_lr()[0]; fabric.log_dict(metrics, step=iter_num).
            "litgpt's finetune scripts log `learning_rate` = scheduler.get_last_lr()[0] with fabric.log_dict(..., "
            "step=iter_num) at every batch, iter_num 1-based, the scheduler stepped when the batch ends an "
            "accumulation of A: logged step s is the LR optimizer step s // A (0-based) uses "
            "(finetune/lora.py 353, 363-366, 376-402)",
            after_step=True,
        ),
        StepConvention(
            "litgpt-pretrain",
            0,
            # litgpt 0.5.13 pretrain.py: 324 log_iter_interval = log_interval * accumulation; 341-345 lr = get_lr(...)
            # set, then iter_num += 1; 359-363 optimizer.step(); 365-401 metrics["learning_rate"] = lr;
            # fabric.log_dict(metrics, step=iter_num - 1), only on iterations that end an accumulation.
            "litgpt/pretrain.py logs `learning_rate` = the LR get_lr set for the iteration, with fabric.log_dict(..., "
            "step=iter_num - 1) on iterations that end an accumulation of A: logged step s is the LR optimizer "
            "step (s + 1) // A - 1 (0-based) uses (pretrain.py 324, 341-345, 359-363, 365-401)",
        ),
        StepConvention(
            "transformers<4.51",
            0,
            # transformers 4.50.3 trainer.py:2607 optimizer.step(); :2614 lr_scheduler.step();
            # :2617 global_step += 1; :3083 logs["learning_rate"] = self._get_learning_rate().
            "transformers < 4.51 Trainer read get_last_lr() after lr_scheduler.step(): logged step s is the LR "
            "the next optimizer step (s, 0-based) uses (transformers 4.50.3 trainer.py:2607-2617, 3083)",
            after_step=True,
        ),
    )
}


@dataclass(frozen=True)
class LogSeries:
    """One logged LR series: optimizer steps (lrviz's convention, ascending, unique) and values."""

    name: str
    steps: array[int]
    values: array[float]
    #: Read with a ``Window`` (``lrviz.logs.window``): distinct logged steps left out before and after
    #: it, and the lowest and highest logged step, kept or not (None: every point was kept).
    before: int = 0
    after: int = 0
    first: int | None = None
    last: int | None = None

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def first_step(self) -> int:
        """The lowest optimizer step logged, whether or not its point was kept."""
        return min(v for v in (self.first, self.steps[0] if self.steps else None) if v is not None)

    @property
    def last_step(self) -> int:
        """The highest optimizer step logged, whether or not its point was kept."""
        return max(v for v in (self.last, self.steps[-1] if self.steps else None) if v is not None)


@dataclass(frozen=True)
class RunLog:
    """The LRs a training run logged, per param group, on lrviz's step convention."""

    source: Path
    format: str
    convention: StepConvention
    series: tuple[LogSeries, ...]  # one per param group, in the logger's order (pg1, pg2, ...)
    #: how the log was put on optimizer steps from the axis its trainer logs (``lrviz.logs.axis.LogAxis``;
    #: litgpt's batches), or None: as read
    axis: str | None = None
    #: Iterations the trainer says it skipped (Megatron-LM's ``number of skipped iterations: k``), one
    #: (logged step, count printed, first line of its process) per logged line, in the file's order.
    skipped: tuple[tuple[int, int, bool], ...] = ()

    @property
    def groups(self) -> tuple[str, ...]:
        """The param groups' names as the logger wrote them (``lr-SGD/pg1``, ``learning_rate``)."""
        return tuple(s.name for s in self.series)

    def group(self, key: str | int) -> LogSeries:
        """A series by position, full name, or the logger's param-group suffix (``pg2``, ``backbone``)."""
        return self.series[self.index_of(key)]

    def index_of(self, key: str | int) -> int:
        """The position of a series (see ``group``); ``ConfigError`` listing the names when none matches."""
        return _group_index(self, key)


def _group_index(log: RunLog, key: str | int) -> int:
    if isinstance(key, int):
        if 0 <= key < len(log.series):
            return key
        raise ConfigError(f"{log.source}: no param group {key}; the log has {len(log.series)}: {_names(log.groups)}")
    for i, name in enumerate(log.groups):
        if name == key or name.endswith("/" + key):
            return i
    raise ConfigError(f"{log.source}: no LR series named {key!r}; the log has {_names(log.groups)}")


def _names(names: Iterable[str], limit: int = 20) -> str:
    items = list(names)
    shown = ", ".join(items[:limit])
    return shown + (f", ... ({len(items)} in all)" if len(items) > limit else "") if items else "none"


# ---------------------------------------------------------------------------
# Which names hold a learning rate

_LR_NAME = re.compile(
    r"""^(?:.*[/.])?(?:lr|learning[_-]?rate)$      # lr, learning_rate, train/lr, train/learning_rate
      |^(?:.*/)?lr-[^/]+?(?:-\d+)?(?:/[^/]+)?$     # Lightning: lr-AdamW, lr-SGD-1/pg2, lr-Adam/backbone
    """,
    re.IGNORECASE | re.VERBOSE,
)
_NOT_LR = re.compile(r"-(?:momentum|weight_decay)(?:/|$)", re.IGNORECASE)
_STEP_NAMES = ("step", "_step", "global_step", "train/global_step", "trainer/global_step", "Step")


def is_lr_name(name: str) -> bool:
    """Whether a column or tag name is a learning rate as frameworks name it (not its momentum)."""
    return bool(_LR_NAME.match(name)) and not _NOT_LR.search(name)


def _pg_order(name: str) -> tuple[str, int]:
    """Sort key keeping a logger's param groups in order: lr-SGD/pg2 before lr-SGD/pg10."""
    m = re.search(r"/pg(\d+)$", name)
    return (name[: m.start()], int(m.group(1))) if m else (name, 0)


#: run families (``RunConfig.family``) whose trainer logs the LR on one of ``CONVENTIONS``' after-step conventions
#: under a tag no other logger's differs from (diffusers' ``lr``): the plan says whose log it is
FAMILY_CONVENTIONS: Mapping[str, str] = {"megatron": "megatron", "diffusers": "diffusers", "litgpt": "litgpt"}


def _convention_for(names: Iterable[str], default: str) -> str:
    """A format's convention, refined by the names in it (transformers' and Lightning's are recognizable)."""
    names = list(names)
    if "train/learning_rate" in names:
        # transformers' TensorBoardCallback and WandbCallback log Trainer.log's dict with a train/ prefix,
        # at step=state.global_step (transformers/integrations/integration_utils.py:550-563, 634-645)
        return "transformers"
    if any(n.startswith("lr-") for n in names):
        return "lightning"
    if "learning-rate" in names:  # Megatron-LM's TensorBoard tag and W&B key
        return "megatron"
    return default


def _renumber(log: RunLog, new: StepConvention) -> RunLog:
    shift = new.offset - log.convention.offset
    series = tuple(
        LogSeries(
            s.name,
            array("q", (k - shift for k in s.steps)),
            s.values,
            s.before,
            s.after,
            None if s.first is None else s.first - shift,
            None if s.last is None else s.last - shift,
        )
        for s in log.series
    )
    return replace(log, convention=new, series=series)


def _build(
    path: Path,
    fmt: str,
    convention: str,
    columns: Mapping[str, tuple[Sequence[int], Sequence[float]]],
    tallies: Mapping[str, Tally] | None = None,
) -> RunLog:
    """A RunLog from raw (logged step, value) pairs per name: last value wins on a step, steps ascending.
    ``tallies`` (read with a ``Window``) count each name's points left out while reading."""
    conv = CONVENTIONS[convention]
    series = []
    for name in sorted(columns, key=_pg_order):
        steps, values = columns[name]
        tally = tallies.get(name) if tallies else None
        outside = tally.shifted(conv.offset) if tally is not None else (0, 0, None, None)
        if not steps:
            if outside[2] is not None:  # every point left out: the comparison says where the log lies
                series.append(LogSeries(name, array("q"), array("d"), *outside))
            continue
        if not isinstance(steps, array):
            low, high = min(steps), max(steps)
            if max(abs(low), abs(high)) > _MAX_STEP:
                raise ConfigError(
                    f"{path}: {name}: a logged step of {_huge(high if abs(high) > abs(low) else low)} is beyond any "
                    "run's length; is the step column right (name it with "
                    f"{option('x')})?"
                )
        if _ascending(steps):
            s_arr = steps if isinstance(steps, array) else array("q", steps)
            v_arr = values if isinstance(values, array) else array("d", values)
        else:
            s_arr, v_arr = _last_per_step(steps, values)
        if conv.offset:
            s_arr = array("q", (k - conv.offset for k in s_arr))
        series.append(LogSeries(name, s_arr, v_arr, *outside))
    if not series:
        raise ConfigError(f"{path}: the log has an LR column but no LR values; was the run logging yet?")
    return RunLog(path, fmt, conv, tuple(series))


def _ascending(steps: Sequence[int]) -> bool:
    """Whether the steps strictly ascend (numpy for an array of many, a pass in C otherwise)."""
    if isinstance(steps, array) and len(steps) > 1024:
        import numpy as np

        logged = np.frombuffer(steps, dtype=np.int64)
        return bool(np.all(logged[1:] > logged[:-1]))
    return all(map(operator.lt, steps, islice(steps, 1, None)))


#: Steps beyond this are no run's (10**15 optimizer steps).
_MAX_STEP = 10**15


def _huge(value: int) -> str:
    digits = len(str(abs(value)))
    return f"{value:,}" if digits <= 18 else f"{digits} digits"  # "a step of 31 digits"


def _last_per_step(steps: Sequence[int], values: Sequence[float]) -> tuple[array[int], array[float]]:
    """Steps ascending, the last value logged for each (a resumed run logs some steps twice).

    Sorted by numpy, in a few bytes a point, not a dict of Python objects (tens of bytes a point)."""
    import numpy as np

    s = np.asarray(steps, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64)
    order = np.argsort(s, kind="stable")
    s, v = s[order], v[order]
    del order
    last = np.ones(len(s), dtype=bool)
    last[:-1] = s[1:] != s[:-1]
    s_arr, v_arr = array("q"), array("d")
    s_arr.frombytes(s[last].tobytes())
    v_arr.frombytes(v[last].tobytes())
    return s_arr, v_arr


# ---------------------------------------------------------------------------
# CSV (Lightning's CSVLogger, W&B/MLflow exports)


def _read_text(path: Path, limit: budget.Limit = budget.LOG_JSON_BYTES) -> str:
    raw = read_limited(path, limit.value, str(path), variable=limit.env)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not a text file ({exc.reason} at byte {exc.start}); name a CSV or JSON log"
        ) from None


def _open_text(path: Path) -> io.TextIOWrapper:
    """A log opened for streaming, its size checked against the budget first."""
    try:
        if path.is_dir():
            raise ConfigError(f"{path}: is a directory, not a file")
        handle = path.open("rb")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except PermissionError:
        raise ConfigError(f"{path}: permission denied; check the file's read permission") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    st = os.fstat(handle.fileno())
    remember(path, st)
    if budget.LOG_BYTES.exceeded(st.st_size):
        handle.close()
        raise budget.LOG_BYTES.refusal(str(path), f"a log of {st.st_size:,} bytes")
    return io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")


def _chunks(path: Path, text: io.TextIOWrapper) -> Iterable[list[str]]:
    """Lines of a log, a few megabytes at a time; every failure a ConfigError naming the file."""
    read = 0
    limit = budget.LOG_BYTES.value
    while True:
        try:
            lines = text.readlines(_CHUNK_CHARS)
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: not a text file ({exc.reason}); name a CSV or JSON log") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
        if not lines:
            return
        read += sum(map(len, lines))
        if read > limit:  # a pipe or a growing file: its size said nothing
            raise budget.LOG_BYTES.refusal(str(path), "the log")
        yield lines


def _int_step(text: str) -> int:
    if len(text) > 40:  # no step has 40 digits; int() of thousands of digits is slow, or refused
        raise ValueError(text[:40])
    try:
        return int(text)
    except ValueError:
        value = float(text)
        if not value.is_integer():
            raise ValueError(text) from None
        return int(value)


def _pick_step(path: Path, header: list[str], x: str | None) -> int:
    if x is not None:
        if x not in header:
            raise ConfigError(f"{path}: no column {x!r} for the step (x); the columns are {_names(header)}")
        return header.index(x)
    for name in _STEP_NAMES:
        if name in header:
            return header.index(name)
    raise ConfigError(f"{path}: no step column; name it with {option('x')} (the columns are {_names(header)})")


def _pick_lr(path: Path, header: list[str], y: str | None, what: str) -> list[int]:
    if y is not None:
        if y not in header:
            raise ConfigError(f"{path}: no {what[:-1]} {y!r} for the LR (y); the {what} are {_names(header)}")
        return [header.index(y)]
    found = [i for i, h in enumerate(header) if is_lr_name(h)]
    if not found:
        raise ConfigError(
            f"{path}: no learning-rate {what[:-1]} (lr, learning_rate, lr-<Optimizer>); the {what} are "
            f"{_names(header)}; name one with {option('y')} (in Lightning, add the LearningRateMonitor callback)"
        )
    return found


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
