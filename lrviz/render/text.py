"""Plain-text renderings of a curve (no rich import: the -o path prints these too).

``summary_line`` is the one-line summary; ``wrap`` fits a warning or summary to
the terminal's width, breaking only at spaces (never inside a number such as
0.0904508 or 1,000); ``can_encode`` tells whether a stream can print the
Unicode marks (↺, braille), so callers fall back to ASCII instead of crashing
on a cp1252 console.
"""

from __future__ import annotations

import codecs
import shutil
import textwrap
from typing import Any

from lrviz.model import Curve

#: Restart lists longer than this are shortened in the summary: the first ones, ..., the last.
MAX_LISTED = 6
LISTED_HEAD = 5


def fmt_lr(value: float) -> str:
    return f"{value:.6g}"


def fmt_x(x: float | int) -> str:
    return str(x) if isinstance(x, int) else f"{x:.4g}"


def fmt_count(n: int) -> str:
    """An integer as people write it: ``1,000``."""
    return f"{n:,}"


def wrap(text: str, width: int | None = None, indent: str = "") -> str:
    """``text`` in lines of at most ``width`` columns (default: the terminal's), continued after ``indent``.

    Lines break only at spaces, so a number or any other word is never split; a word
    longer than a line gets a line of its own. Existing newlines are kept.
    """
    if width is None:
        width = shutil.get_terminal_size().columns
    width = max(width, len(indent) + 10)
    out = []
    for paragraph in text.split("\n"):
        lines = textwrap.wrap(
            paragraph,
            width,
            subsequent_indent=indent,
            break_long_words=False,
            break_on_hyphens=False,
        )
        out.extend(lines or [""])
    return "\n".join(out)


def can_encode(stream: Any, text: str) -> bool:
    """Whether ``stream``'s encoding can write ``text`` (a stream without an encoding is taken as UTF-8)."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        codecs.lookup(encoding)
        text.encode(encoding)
    except (LookupError, UnicodeEncodeError):
        return False
    return True


def short_list(values: list[float | int], limit: int = MAX_LISTED, head: int = LISTED_HEAD) -> str:
    """``5, 15, 35``; past ``limit`` values the first ``head``, then ``...`` and the last: ``5, 15, 35, 75, 155, ..., 20475``."""
    if len(values) <= limit:
        return ", ".join(fmt_x(x) for x in values)
    return ", ".join(fmt_x(x) for x in values[:head]) + f", ..., {fmt_x(values[-1])}"


def summary_line(curve: Curve) -> str:
    run = curve.run
    stats = curve.summary()
    unit = run.length_text()
    parts = [
        run.scheduler.describe(),
        run.optimizer.describe(),
        unit,
        f"LR min {fmt_lr(stats['min'])}, max {fmt_lr(stats['max'])}, final {fmt_lr(stats['final'])}",
    ]
    if curve.restarts:
        restarts = curve.restart_epochs
        count = f" ({fmt_count(len(restarts))} restarts)" if len(restarts) > MAX_LISTED else ""
        parts.append(f"restarts at {short_list(restarts)}{count}")
    elif run.scheduler.name == "CosineAnnealingWarmRestarts":
        parts.append("no restart within the run")
    if curve.milestones:
        milestones = curve.events(curve.milestones)
        count = f" ({fmt_count(len(milestones))} milestones)" if len(milestones) > MAX_LISTED else ""
        parts.append(f"milestones at {short_list(milestones)}{count}")
    if run.metrics is not None:
        reductions = curve.events(curve.reductions)
        count = f" ({fmt_count(len(reductions))} reductions)" if len(reductions) > MAX_LISTED else ""
        parts.append(f"LR reduced at {short_list(reductions)}{count}" if curve.reductions else "LR never reduced")
    resumed = curve.resume_line()
    if resumed:
        parts.append(resumed)
    return " | ".join(parts)
