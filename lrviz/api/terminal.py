"""A curve or a comparison as terminal text: the table, the chart, the one-line summary.

What ``lrviz`` prints when no file is asked for. rich is imported when a table is printed, never
when this module is; nothing here imports matplotlib or torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lrviz.model import Curve

if TYPE_CHECKING:
    from lrviz.comparison import Comparison

__all__ = ["chart", "fit_rows", "prepare_table", "print_comparison", "print_table", "summary_line", "table", "wrap"]


def prepare_table() -> None:
    """Import what printing a table needs (rich) ahead of time, e.g. while torch loads in another process."""
    from lrviz.render import table  # noqa: F401


def table(curve: Curve, every: int | None = None, *, ascii: bool = False) -> Any:
    """The LR per epoch as a ``rich.table.Table`` (every ``every``-th row, or sampled with every restart,
    milestone and the last point), for ``rich.print`` or a notebook; ``ascii`` marks instead of ↺ → ↓."""
    from lrviz.render.table import build_table

    return build_table(curve, every, ascii=ascii)[0]


def print_table(curve: Curve, console: Any = None, every: int | None = None, *, max_rows: int | None = None) -> None:
    """Print the LR per epoch (every ``every``-th row, or sampled), a note when rows were left out, and the summary.

    ``console`` is a ``rich.console.Console`` (default: standard output's). ``max_rows`` (when ``every`` is not
    given) thins the table to fit under a chart; the note then says how to get every row.
    """
    from rich.console import Console

    from lrviz.render.table import print_table as draw

    draw(curve, console if console is not None else Console(), every, max_rows=max_rows)


def fit_rows(chart_lines: int, terminal_lines: int | None = None, reserved: int = 4) -> int:
    """Table rows that fit under a chart of ``chart_lines`` lines on the terminal (``reserved`` lines kept free)."""
    from lrviz.render.table import fit_rows as fit

    return fit(chart_lines, terminal_lines, reserved)


def chart(
    curve: Curve, width: int | None = None, height: int | None = None, *, log_y: bool = False, ascii: bool = False
) -> str:
    """The curve as ``height`` lines of ``width`` characters of braille dots (``ascii``: ASCII characters only),
    with restarts, milestones and reductions marked; the sizes default to the terminal's."""
    from lrviz.render.chart import build_chart

    return build_chart(curve, width, height, log_y=log_y, ascii=ascii)


def summary_line(curve: Curve) -> str:
    """One line: the scheduler, the points, the LR's range and final value, the restarts."""
    from lrviz.render.text import summary_line as line

    return line(curve)


def wrap(text: str, width: int | None = None) -> str:
    """``text`` in lines of at most ``width`` columns (default: the terminal's), broken only at spaces."""
    from lrviz.render.text import wrap as lines

    return lines(text, width)


def print_comparison(cmp: Comparison, every: int | None = None, console: Any = None) -> None:
    """Print a comparison as one table: an epoch column, then one LR column per schedule (sampled, as the
    table of one curve is, or every ``every``-th row)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from lrviz.render.table import TARGET_ROWS

    n = len(cmp.epochs)
    step = every or (1 if n <= 200 else -(-n // TARGET_ROWS))
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("epoch", justify="right")
    for label in cmp.labels:
        table.add_column(Text(label), justify="right")
    for i in sorted(set(range(0, n, step)) | {n - 1}):
        cells = [_cell(col[i]) for col in cmp.columns]
        table.add_row(f"{cmp.epochs[i]:g}", *cells)
    (console if console is not None else Console()).print(table)


def _cell(value: float | None) -> str:
    from lrviz.render.text import fmt_lr

    return "" if value is None else fmt_lr(value)
