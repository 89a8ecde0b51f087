"""The terminal view: a rich table of the LR per epoch, and a one-line summary.

Long runs are sampled (every K-th point, plus every point where something
happens and the last one) so the table stays readable; ``--every K`` picks K.
On a terminal, ``print_table(max_rows=N)`` thins the table further so that it
fits under the chart (``fit_rows`` computes N from the terminal's height), and
says so in a note. Lines end without trailing spaces; the marks fall back to
ASCII when the console's encoding cannot write them.
"""

from __future__ import annotations

import shutil

from rich.console import Console
from rich.segment import Segment, Segments
from rich.table import Table
from rich.text import Text

from lrviz.model import Curve
from lrviz.render.text import can_encode, fmt_lr, fmt_x, summary_line, wrap

#: Runs with more points than this are sampled.
MAX_ROWS = 200
#: Rows to aim for when sampling.
TARGET_ROWS = 60
#: The fewest rows ``fit_rows`` asks for, however short the terminal.
MIN_FIT_ROWS = 10
#: Marks in the last column: Unicode, and the ASCII fallback.
MARKS = {
    "restart": ("↺ restart", "* restart"),
    "milestone": ("→ milestone", "> milestone"),
    "reduced": ("↓ reduced", "v reduced"),
}


def table_spacing(curve: Curve, every: int | None) -> int:
    """Rows are every K-th point: the user's K, 1 for short runs, or K giving about TARGET_ROWS rows."""
    n = curve.points
    if every is None:
        if n <= MAX_ROWS:
            return 1
        every = max(1, -(-n // TARGET_ROWS))
        if curve.steps_per_epoch > 1 and every % curve.steps_per_epoch:
            every = -(-every // curve.steps_per_epoch) * curve.steps_per_epoch
    return every


def rows_to_show(curve: Curve, every: int | None) -> list[int]:
    """Point indices for the table: every K-th, plus each event, the point before it, and the last."""
    n = curve.points
    every = table_spacing(curve, every)
    if every == 1:
        return list(range(n))
    keep = set(range(0, n, every)) | {n - 1}
    for events in (curve.restarts, curve.milestones, curve.reductions):
        keep.update(events)
        keep.update(k - 1 for k in events if k > 0)
    return sorted(keep)


def spacing_to_fit(curve: Curve, max_rows: int) -> int:
    """The smallest spacing K (a whole number of epochs when it is over one) whose rows number at most ``max_rows``.

    Events always keep their rows, so with more events than ``max_rows`` the table stays longer;
    K then stops at the run's length.
    """
    n = curve.points
    spe = curve.steps_per_epoch
    every = max(1, -(-n // max(1, max_rows)))
    while True:
        if spe > 1 and every > 1 and every % spe:
            every = -(-every // spe) * spe
        if every >= n or len(rows_to_show(curve, every)) <= max_rows:
            return min(every, max(n, 1))
        every += max(1, every // 8)


def fit_rows(chart_lines: int, terminal_lines: int | None = None, reserved: int = 4) -> int:
    """Table rows that fit under a chart of ``chart_lines`` lines on the terminal (at least MIN_FIT_ROWS).

    ``reserved`` lines are kept for the header, the note, the summary and the prompt.
    """
    if terminal_lines is None:
        terminal_lines = shutil.get_terminal_size().lines
    return max(MIN_FIT_ROWS, terminal_lines - chart_lines - reserved)


def build_table(curve: Curve, every: int | None = None, *, ascii: bool = False) -> tuple[Table, str | None]:
    """The table and, when rows were left out, a note saying so."""
    rows = rows_to_show(curve, every)
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column(curve.run.unit, justify="right")
    multi = len(curve.lrs) > 1
    for name in curve.group_names:
        table.add_column(Text(f"lr {name}") if multi else "lr", justify="right")
    if curve.momenta is not None:
        for name in curve.group_names:
            table.add_column(Text(f"{curve.second} {name}") if multi else curve.second, justify="right")
    table.add_column("")
    restarts, milestones, reductions = set(curve.restarts), set(curve.milestones), set(curve.reductions)
    pick = 1 if ascii else 0
    for k in rows:
        marks = []
        if k in restarts:
            marks.append(MARKS["restart"][pick])
        if k in milestones:
            marks.append(MARKS["milestone"][pick])
        if k in reductions:
            marks.append(MARKS["reduced"][pick])
        cells = [fmt_x(curve.epoch_at(k))]
        cells += [fmt_lr(s[k]) for s in curve.lrs]
        if curve.momenta is not None:
            cells += [fmt_lr(s[k]) for s in curve.momenta]
        table.add_row(*cells, " ".join(marks), style="bold" if marks else None)
    note = None
    if len(rows) < curve.points:
        note = (
            f"showing {len(rows)} of {curve.points:,} points (every {_ordinal(table_spacing(curve, every))}, plus restarts, "
            "milestones and the last); use --every K for another spacing, or -o FILE.csv for every point"
        )
    return table, note


def print_table(
    curve: Curve,
    console: Console,
    every: int | None = None,
    *,
    max_rows: int | None = None,
    ascii: bool | None = None,
) -> None:
    """Print the table, a note when rows were left out, and the summary.

    ``max_rows`` (when ``every`` is not given): thin the table to at most that many rows, as
    ``--every`` would, so it fits under the chart; the note then says how to get every row.
    ``ascii``: ASCII marks instead of ↺ → ↓ (default: when the console cannot encode them).
    On a terminal the note and summary wrap at its width on spaces; elsewhere each is one line.
    """
    if ascii is None:
        ascii = not can_encode(console.file, "↺→↓")
    thinned: int | None = None
    if every is None and max_rows is not None and len(rows_to_show(curve, None)) > max_rows:
        every = thinned = spacing_to_fit(curve, max_rows)
    table, note = build_table(curve, every, ascii=ascii)
    if thinned is not None:
        note = (
            f"showing {table.row_count} of {curve.points:,} points to keep the chart in view (every {_ordinal(thinned)}, "
            "plus restarts, milestones and the last); --every 1 shows every row, -o FILE.csv writes every point"
        )
    segments: list[Segment] = []
    for line in console.render_lines(table, console.options, pad=False):
        segments += [*_rstrip(line), Segment.line()]
    console.print(Segments(segments), end="", soft_wrap=True)
    width = console.width if console.is_terminal else None
    if note:
        console.print(_fit(note, width), style="dim", markup=False, highlight=False, soft_wrap=True)
    console.print(_fit(summary_line(curve), width), highlight=False, soft_wrap=True, markup=False)


def _ordinal(k: int) -> str:
    """``2nd``, ``22nd``, ``11th``: the K of every K-th row."""
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k:,}{suffix}"


def _fit(text: str, width: int | None) -> str:
    return text if width is None else wrap(text, width)


def _rstrip(line: list[Segment]) -> list[Segment]:
    """A rendered line without its trailing spaces (rich pads every cell to its column's width)."""
    out = list(line)
    while out and (out[-1].control or not out[-1].text.rstrip()):
        out.pop()
    if out:
        last = out[-1]
        out[-1] = Segment(last.text.rstrip(), last.style, last.control)
    return out
