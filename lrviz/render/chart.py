"""The terminal chart: the LR curve drawn with braille dots, sized to the terminal.

``build_chart(curve, width, height)`` returns ``height`` lines of exactly
``width`` characters, joined by newlines, with no ANSI codes: a y axis
labelled with LRs, the curve, a row marking warm restarts (and SequentialLR
milestones and ReduceLROnPlateau reductions) with the table's symbols, and an x
axis in epochs.

Each character cell holds 2 x 4 braille dots. A dot column covers an equal
share of the run's points: with more points than dot columns it shows the
lowest and highest LR among its points (so a million-point curve is charted in
one pass of C-level ``min``/``max`` over array slices); with fewer, a point
spans several dot columns, as the LR is constant between two scheduler steps.
Neighbouring columns are joined by a vertical run of dots that stops one dot
short of the neighbour's value, so every extreme stays in its own column.

Several param groups are told apart without colour: the first is drawn solid,
each further group dotted wherever it runs flat (only every 2nd, 3rd, ... dot
column), and a legend line under the axis names each group next to a sample of
its line. With ``ascii=True`` (for a console whose encoding has no braille or
box-drawing characters, see ``render.text.can_encode``) the same chart is drawn
with ASCII: ``'``, ``-``, ``_`` and ``|`` by where a cell's dots lie, a marker
character per further group, ``+|-`` for the axes and ``* > v`` for the events.

Only the recorded values are drawn; nothing here imports torch or matplotlib.
"""

from __future__ import annotations

import math
import shutil
from array import array
from collections.abc import Sequence

from lrviz.errors import ConfigError
from lrviz.model import Curve

#: Event symbols, as in the table; a column with several events shows the first.
EVENT_MARKS = (("restarts", "↺", "restart"), ("milestones", "→", "milestone"), ("reductions", "↓", "reduced"))
#: The ASCII stand-ins for the frame and the event symbols, and the marker of each further param group.
ASCII_FRAME = str.maketrans({"┤": "+", "│": "|", "└": "+", "─": "-", "┬": "+", "↺": "*", "→": ">", "↓": "v"})
ASCII_GROUPS = "+xo#%@"
#: Fewest rows and plot columns a chart can have.
MIN_HEIGHT = 4
MIN_PLOT_WIDTH = 8
#: The default height is half the terminal's, within these bounds.
MAX_DEFAULT_HEIGHT = 24
#: The widest and tallest chart drawn: ``COLUMNS=10000000`` is no terminal, and would take gigabytes.
MAX_WIDTH = 1000
MAX_HEIGHT = 500

_BRAILLE = 0x2800
# bit of the dot in (row 0..3, column 0..1) of a braille cell
_DOT = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
_GUTTER_MIN = len("epoch")


def default_size() -> tuple[int, int]:
    """The terminal's width, and half its height (at least MIN_HEIGHT, at most MAX_DEFAULT_HEIGHT)."""
    size = shutil.get_terminal_size()
    return min(size.columns, MAX_WIDTH), max(MIN_HEIGHT, min(size.lines // 2, MAX_DEFAULT_HEIGHT))


def point_column(index: int, points: int, plot_width: int) -> int:
    """The plot column (0-based, after the y axis) where point ``index`` is drawn."""
    return (index * 2 * plot_width // points) // 2


def build_chart(
    curve: Curve,
    width: int | None = None,
    height: int | None = None,
    *,
    log_y: bool = False,
    ascii: bool = False,
) -> str:
    """The curve as ``height`` lines of ``width`` characters (defaults: ``default_size()``).

    ``ascii``: only ASCII characters, for a console that cannot print braille or box drawing.
    """
    if width is None or height is None:
        dw, dh = default_size()
        width = dw if width is None else width
        height = dh if height is None else height
    n = curve.points
    if n == 0:
        raise ConfigError("nothing to chart: the curve has no points")
    events = _events(curve)
    groups = len(curve.lrs)
    plot_rows = height - 2 - (1 if events else 0) - (1 if groups > 1 else 0)
    if height < MIN_HEIGHT or plot_rows < 1:
        raise ConfigError(f"chart height {height} is too small; it needs at least {MIN_HEIGHT} rows")
    if width > MAX_WIDTH or height > MAX_HEIGHT:
        raise ConfigError(
            f"chart {width:,} x {height:,} is too large; at most {MAX_WIDTH:,} x {MAX_HEIGHT:,} characters"
        )

    # Per dot column: lowest, highest and last value of each group. The y labels' width decides the
    # plot's, so the columns are first taken for the narrowest gutter and redone only if it grows.
    plot_width = width - _GUTTER_MIN - 1
    columns = [_columns(series, 2 * max(1, plot_width)) for series in curve.lrs]
    low = min(min(lows) for lows, _, _ in columns)
    high = max(max(highs) for _, highs, _ in columns)
    transform = _log_transform(curve.lrs, low) if log_y else None
    labels, label_rows = _y_labels(low, high, plot_rows, transform)
    gutter = max(_GUTTER_MIN, *(len(t) for t in labels))
    if width - gutter - 1 < MIN_PLOT_WIDTH:
        raise ConfigError(f"chart width {width} is too narrow; it needs at least {gutter + 1 + MIN_PLOT_WIDTH} columns")
    if width - gutter - 1 != plot_width:
        plot_width = width - gutter - 1
        columns = [_columns(series, 2 * plot_width) for series in curve.lrs]
    grids = _draw(columns, plot_rows, low, high, transform)
    rows = _ascii_rows(grids) if ascii else _braille_rows(grids)
    lines = []
    for r in range(plot_rows):
        label = labels[label_rows.index(r)] if r in label_rows else ""
        axis = "┤" if r in label_rows else "│"
        lines.append(label.rjust(gutter) + axis + rows[r])
    if events:
        lines.append(" " * gutter + "│" + _event_row(events, n, plot_width))
    ticks = _x_ticks(curve, plot_width)
    axis_row = ["─"] * plot_width
    for col, _ in ticks:
        axis_row[col] = "┬"
    lines.append(" " * gutter + "└" + "".join(axis_row))
    lines.append(curve.run.unit.rjust(gutter) + " " + _tick_labels(ticks, plot_width, curve.run.epochs))
    if groups > 1:
        lines.append(" " * (gutter + 1) + _group_legend(curve.group_names, plot_width, ascii))
    text = "\n".join(lines)
    return text.translate(ASCII_FRAME) if ascii else text


# ---------------------------------------------------------------------------
# Columns and dots


def _columns(series: array[float], dots: int) -> tuple[list[float], list[float], list[float]]:
    """(lowest, highest, last) value per dot column; column d shows the points starting in it.

    Point i covers [i, i + 1) on the x axis, dot column d covers [d n / D, (d + 1) n / D). A column
    in which no point starts (fewer points than columns) shows the point covering its left edge.
    """
    n = len(series)
    lows, highs, lasts = [], [], []
    for d in range(dots):
        start = -(-d * n // dots)
        stop = -(-(d + 1) * n // dots)
        if stop > start:
            chunk = series[start:stop]
            lows.append(min(chunk))
            highs.append(max(chunk))
            lasts.append(chunk[-1])
        else:
            v = series[d * n // dots]
            lows.append(v)
            highs.append(v)
            lasts.append(v)
    return lows, highs, lasts


class _Log:
    """log10, with values at or below zero drawn at the smallest positive value."""

    def __init__(self, floor: float) -> None:
        self.floor = floor

    def __call__(self, v: float) -> float:
        return math.log10(v if v > self.floor else self.floor)

    def inverse(self, y: float) -> float:
        return float(10**y)


def _log_transform(series: Sequence[array[float]], low: float) -> _Log | None:
    if low > 0:
        return _Log(low)
    positive = [v for s in series for v in s if v > 0]  # only when an LR is 0: one extra pass
    return _Log(min(positive)) if positive else None


def _scale(low: float, high: float, rows: int, transform: _Log | None) -> tuple[float, float, int]:
    top, bottom = (transform(high), transform(low)) if transform else (high, low)
    return top, bottom, 4 * rows - 1


def _row_of(v: float, top: float, bottom: float, last: int, transform: _Log | None) -> int:
    """Dot row (0 = top) of value ``v``; a flat curve sits in the middle."""
    if top == bottom:
        return last // 2
    y = transform(v) if transform else v
    return min(last, max(0, round((top - y) / (top - bottom) * last)))


def _draw(
    columns: list[tuple[list[float], list[float], list[float]]],
    rows: int,
    low: float,
    high: float,
    transform: _Log | None,
) -> list[list[list[int]]]:
    """Per param group, the braille bits of every cell (row, column) of the plot area.

    Group g > 0 is dotted where it runs flat: a one-dot column is drawn only when its
    index is a multiple of g + 1, so each group has its own pattern without colour.
    """
    top, bottom, last = _scale(low, high, rows, transform)
    dots = len(columns[0][0])
    grids = []
    for g, (lows, highs, lasts) in enumerate(columns):
        cells = [[0] * (dots // 2) for _ in range(rows)]
        grids.append(cells)
        previous: int | None = None
        for d in range(dots):
            hi_row = _row_of(highs[d], top, bottom, last, transform)
            lo_row = _row_of(lows[d], top, bottom, last, transform)
            if previous is not None:  # join to the previous column, stopping one dot short of it
                if previous < hi_row - 1:
                    hi_row = previous + 1
                elif previous > lo_row + 1:
                    lo_row = previous - 1
            previous = _row_of(lasts[d], top, bottom, last, transform)
            if g and hi_row == lo_row and d % (g + 1):
                continue
            cell, half = divmod(d, 2)
            for r in range(hi_row, lo_row + 1):
                cells[r // 4][cell] |= _DOT[r % 4][half]
    return grids


def _braille_rows(grids: list[list[list[int]]]) -> list[str]:
    """The plot area in braille: every group's dots together."""
    out = []
    for r in range(len(grids[0])):
        bits = [0] * len(grids[0][r])
        for cells in grids:
            bits = [a | b for a, b in zip(bits, cells[r], strict=True)]
        out.append("".join(chr(_BRAILLE | b) if b else " " for b in bits))
    return out


def _ascii_cell(bits: int) -> str:
    """One braille cell as the ASCII character closest to where its dots lie."""
    rows = [r for r in range(4) if bits & (_DOT[r][0] | _DOT[r][1])]
    if max(rows) - min(rows) >= 2:
        return "|"
    middle = sum(rows) / len(rows)
    return "'" if middle < 1 else "_" if middle > 2 else "-"


def _ascii_rows(grids: list[list[list[int]]]) -> list[str]:
    """The plot area in ASCII: the first group by shape, each further group by its marker, drawn on top."""
    out = []
    for r in range(len(grids[0])):
        row = [_ascii_cell(b) if b else " " for b in grids[0][r]]
        for g, cells in enumerate(grids[1:]):
            for c, b in enumerate(cells[r]):
                if b:
                    row[c] = ASCII_GROUPS[g % len(ASCII_GROUPS)]
        out.append("".join(row))
    return out


def _group_legend(names: Sequence[str], width: int, ascii: bool) -> str:
    """``⠒⠒⠒ backbone   ⠂⠂⠂ head``: a sample of each group's line and its name, cut to ``width``."""
    parts = []
    for g, name in enumerate(names):
        if ascii:
            sample = "---" if g == 0 else ASCII_GROUPS[(g - 1) % len(ASCII_GROUPS)] * 3
        else:  # a flat line on dot row 1, with the group's dotting
            bits = [0, 0, 0]
            for d in range(6):
                if g == 0 or d % (g + 1) == 0:
                    bits[d // 2] |= _DOT[1][d % 2]
            sample = "".join(chr(_BRAILLE | b) if b else " " for b in bits)
        parts.append(f"{sample} {name}")
    legend = "   ".join(parts)
    legend = legend if len(legend) <= width else legend[: width - 3].rstrip() + "..."
    return legend.ljust(width)


# ---------------------------------------------------------------------------
# Axes, labels and events


def _fmt(v: float, digits: int) -> str:
    return f"{v:.{digits}g}"


def _y_labels(low: float, high: float, rows: int, transform: _Log | None) -> tuple[list[str], list[int]]:
    """LR labels and the rows they sit on: top and bottom, and about every fourth row between."""
    if high == low:
        return [_fmt(high, 6)], [(4 * rows - 1) // 2 // 4]  # the row a flat curve is drawn in
    if rows == 1:
        return [_fmt(high, 6)], [0]
    top, bottom, last = _scale(low, high, rows, transform)
    # the top and bottom rows are labelled with the curve's exact extremes, rows between with round
    # values (1-2-2.5-5 steps, or powers of ten on a log scale) at least two rows from any other label
    values, at = [high], [0]
    for v in _round_values(top, bottom, rows, transform):
        r = _row_of(v, top, bottom, last, transform) // 4
        if at[-1] + 2 <= r <= rows - 3:
            values.append(v)
            at.append(r)
    values.append(low)
    at.append(rows - 1)
    labels = [_fmt(v, 6) for v in values]
    for end in (0, -1):  # the extremes: as few digits as keep them apart from their neighbours
        for digits in range(3, 10):
            labels[end] = _fmt(values[end], digits)
            if len(set(labels)) == len(labels):
                break
    return labels, at


def _round_values(top: float, bottom: float, rows: int, transform: _Log | None) -> list[float]:
    """Round values strictly between the extremes, top down, about one per four rows."""
    if transform is not None:
        first, stop = math.floor(top), math.ceil(bottom)
        return [float(10**e) for e in range(first, stop - 1, -1) if bottom < e < top]
    wanted = max(1, rows // 4)
    raw = (top - bottom) / (wanted + 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw), 10 * magnitude)
    k = math.floor(top / step)
    out = []
    while k * step > bottom:
        if k * step < top:
            out.append(float(f"{k * step:.12g}"))  # 3 * 0.025 is 0.07500000000000001
        k -= 1
    return out


def _events(curve: Curve) -> dict[int, str]:
    """Point index -> symbol, for every restart, milestone and reduction."""
    marks: dict[int, str] = {}
    for attr, symbol, _ in EVENT_MARKS:
        for k in getattr(curve, attr):
            marks.setdefault(k, symbol)
    return marks


def _event_row(events: dict[int, str], points: int, plot_width: int) -> str:
    row = [" "] * plot_width
    for k in sorted(events):
        col = point_column(k, points, plot_width)
        if row[col] == " ":
            row[col] = events[k]
    used = set(events.values())
    legend = "(" + ", ".join(f"{s} {name}" for _, s, name in EVENT_MARKS if s in used) + ")"
    last_mark = max(i for i, c in enumerate(row) if c != " ")
    if last_mark + 2 + len(legend) < plot_width:
        row[plot_width - len(legend) :] = list(legend)
    return "".join(row)


def _x_ticks(curve: Curve, plot_width: int) -> list[tuple[int, int]]:
    """(column, epoch) of whole-epoch ticks at a 1-2-5 spacing that leaves room for their labels."""
    epochs, spe, n = curve.run.epochs, curve.steps_per_epoch, curve.points
    room = len(str(epochs)) + 2
    step = next(
        base * 10**magnitude
        for magnitude in range(20)
        for base in (1, 2, 5)
        if base * 10**magnitude * plot_width >= room * epochs
    )
    return [(point_column(e * spe, n, plot_width), e) for e in range(0, epochs, step)]


def _tick_labels(ticks: list[tuple[int, int]], plot_width: int, epochs: int) -> str:
    """Each label starts under its tick; the run's end is labelled at the right edge when it fits."""
    row = [" "] * plot_width
    free = 0
    for col, epoch in ticks:
        text = str(epoch)
        if col >= free and col + len(text) <= plot_width:
            row[col : col + len(text)] = list(text)
            free = col + len(text) + 1
    end = str(epochs)
    if plot_width - len(end) >= free:
        row[plot_width - len(end) :] = list(end)
    return "".join(row)
