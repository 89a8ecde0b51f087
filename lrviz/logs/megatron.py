"""Megatron-LM's stdout log: `` iteration       10/     100 | consumed samples: ... | learning rate: 1.000000E-04 |``.

``training_log`` (NVIDIA/Megatron-LM d98e8a64 ``megatron/training/training.py`` 3566-3653) prints one
line every ``--log-interval`` iterations on the last rank, with ``iteration`` already advanced past
the iteration just trained (``iteration += 1``, 4785) and the LR read from the optimizer after that
iteration's ``opt_param_scheduler.step`` (``get_canonical_lr_for_logging``, 4882; the step is in
``train_step``, 3213-3223): logged iteration s holds the LR iteration s (0-based) uses, lrviz's own
convention, on the optimizer-step axis (an iteration is one optimizer step). Values are written
with ``.6E`` (7 significant digits): ``logs.precision`` widens the tolerance to match. The same
numbers go to TensorBoard and W&B as ``learning-rate`` at ``iteration`` (3380-3383; the
``learning-rate vs samples`` tag is the consumed-samples axis, put on iterations by ``lrviz.logs.samples``
when the plan's global batch is constant).
Lines from other ranks or launchers' prefixes (``[default0]:``) are fine; other lines are skipped.

Each line also says ``number of skipped iterations: k`` (3638): the iterations of its log interval whose
update failed (fp16 loss scaling found an overflow: ``optimizer.step`` returns ``update_successful``
false and ``train_step`` skips ``opt_param_scheduler.step``, 3213-3226, while ``iteration`` still
advances). They are kept in ``RunLog.skipped`` for ``check`` (``lrviz.comparison.replan``). The first
line a process prints is its first iteration's (``is_first_iteration``, 3539), whose counts are not
reset (3289, 3649-3651): the next line counts that iteration's skip again; such a line is marked.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from lrviz.errors import ConfigError
from lrviz.logs._common import from_series
from lrviz.logs.runlog import CONVENTIONS, RunLog, _chunks, _open_text

#: the series name: the words Megatron prints before the value
NAME = "learning rate"
_ITERATION = re.compile(r"\biteration\s+(\d{1,18})\s*/\s*\d+\s*\|")  # no run has 19-digit iterations
_LR = re.compile(r"\|\s*learning rate:\s*([-+0-9.eEnaNinf]+)\s*\|")
_SKIPPED = re.compile(r"\|\s*number of skipped iterations:\s*(\d{1,18})\s*\|")
#: a process starting (``_print_args``' banner, ``pretrain``'s ``training ...``): its first line is marked
#: (``-{8}``, not ``-{8,}``: the same lines match, and a long run of dashes is not rescanned from each dash)
_START = re.compile(r"-{8} arguments -{8}|(?:^|\]:?\s*)training \.\.\.\s*$")
#: what ``lrviz.logs.layout`` looks for in a file's first bytes
MARKERS = (b" iteration ", b"| learning rate: ")


def read(path: Path, *, x: str | None = None, y: str | None = None, run: str | None = None) -> RunLog:
    """The LR of every logged iteration, on Megatron's convention (``CONVENTIONS['megatron']``)."""
    if x is not None or (y is not None and y != NAME):
        raise ConfigError(f"{path}: a Megatron-LM stdout log has one LR series, {NAME!r}, at its iterations")
    steps: array[int] = array("q")
    values: array[float] = array("d")
    skipped: list[tuple[int, int, bool]] = []
    first = True  # the next iteration line is its process's first
    line_no = 0
    with _open_text(path) as text:  # streamed: memory follows the logged iterations, not the file
        text.reconfigure(errors="replace")  # a launcher's progress bars may hold any bytes
        for chunk in _chunks(path, text):
            for line in chunk:
                line_no += 1
                found = _ITERATION.search(line)
                if found is None:
                    first = first or _START.search(line) is not None
                    continue
                count = _SKIPPED.search(line, found.end() - 1)
                if count is not None:
                    skipped.append((int(found.group(1)), int(count.group(1)), first))
                first = False
                lr = _LR.search(line, found.end() - 1)
                if lr is None:
                    continue  # a rank without trainable parameters prints no LR
                try:
                    value = float(lr.group(1))
                except ValueError:
                    raise ConfigError(f"{path}:{line_no}: learning rate: not a number: {lr.group(1)!r}") from None
                steps.append(int(found.group(1)))
                values.append(value)
    if not steps:
        raise ConfigError(
            f"{path}: no 'iteration N/ M | ... | learning rate: X |' line; is this Megatron-LM's stdout, "
            "and was the run training yet?"
        )
    log = from_series(path, "megatron", {NAME: (steps, values)}, CONVENTIONS["megatron"])
    return replace(log, skipped=tuple(skipped)) if any(c for _, c, _ in skipped) else log


def shared_skips(log: RunLog, others: Sequence[RunLog]) -> tuple[RunLog, RunLog | None]:
    """``log`` with the skipped iterations its run's stdout log counts, and that stdout log; or ``log`` and None.

    Megatron-LM writes the same LR to TensorBoard and W&B (``learning-rate`` at ``iteration``) but counts
    the skipped iterations only in its stdout line, so ``check --against DIR`` would call the TensorBoard
    log of an fp16 run that skipped iterations a lag where its stdout log passes. The counts are shared
    on evidence that both are the same run, never on the folder alone: exactly one stdout log among
    ``others`` that counts skips, on the same convention, and the two logs hold the same LR (to the stdout
    log's 7 digits) at two or more common iterations, at least one of them at or after the last skip.
    """
    if log.skipped or log.format == "megatron" or len(log.series) != 1:
        return log, None
    ours = dict(zip(log.series[0].steps, log.series[0].values, strict=True))
    matches = []
    for other in others:
        if other.format != "megatron" or not other.skipped or other.convention != log.convention:
            continue
        series = other.series[0]
        common = [(ours[s], v) for s, v in zip(series.steps, series.values, strict=True) if s in ours]
        last_skip = max(step for step, count, _ in other.skipped if count)
        reaches = any(s >= last_skip for s in series.steps if s in ours)
        if len(common) >= 2 and reaches and all(abs(a - b) <= 1e-6 * max(abs(a), abs(b)) for a, b in common):
            matches.append(other)
    if len(matches) != 1:
        return log, None
    return replace(log, skipped=matches[0].skipped), matches[0]
