"""The terminal view: a rich table of the LR per epoch, and a one-line summary.

Long runs are sampled (every K-th point, plus every point where something
happens and the last one) so the table stays readable; ``--every K`` picks K.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from lrviz.model import Curve
from lrviz.render.text import fmt_lr, fmt_x, summary_line

#: Runs with more points than this are sampled.
MAX_ROWS = 200
#: Rows to aim for when sampling.
TARGET_ROWS = 60


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


def build_table(curve: Curve, every: int | None = None) -> tuple[Table, str | None]:
    """The table and, when rows were left out, a note saying so."""
    rows = rows_to_show(curve, every)
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column(curve.run.unit, justify="right")
    multi = len(curve.lrs) > 1
    for name in curve.group_names:
        table.add_column(Text(f"lr {name}") if multi else "lr", justify="right")
    if curve.momenta is not None:
        for name in curve.group_names:
            table.add_column(Text(f"momentum {name}") if multi else "momentum", justify="right")
    table.add_column("")
    restarts, milestones, reductions = set(curve.restarts), set(curve.milestones), set(curve.reductions)
    for k in rows:
        marks = []
        if k in restarts:
            marks.append("↺ restart")
        if k in milestones:
            marks.append("→ milestone")
        if k in reductions:
            marks.append("↓ reduced")
        cells = [fmt_x(curve.epoch_at(k))]
        cells += [fmt_lr(s[k]) for s in curve.lrs]
        if curve.momenta is not None:
            cells += [fmt_lr(s[k]) for s in curve.momenta]
        table.add_row(*cells, " ".join(marks), style="bold" if marks else None)
    note = None
    if len(rows) < curve.points:
        note = (
            f"showing {len(rows)} of {curve.points:,} points (every {table_spacing(curve, every)}th, plus restarts, "
            "milestones and the last); use --every K for another spacing, or -o FILE.csv for every point"
        )
    return table, note


def print_table(curve: Curve, console: Console, every: int | None = None) -> None:
    table, note = build_table(curve, every)
    console.print(table)
    if note:
        console.print(note, style="dim", markup=False)
    console.print(summary_line(curve), highlight=False, soft_wrap=True, markup=False)
