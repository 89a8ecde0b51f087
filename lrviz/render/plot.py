"""The plot: a matplotlib ``Figure`` on the Agg canvas (no pyplot, no display).

``build_figure`` draws the curve with restarts, milestones and reductions
marked; ``save_figure`` writes PNG/SVG/PDF with dates, versions and random ids
stripped, so the same input gives the same bytes.
"""

from __future__ import annotations

from array import array
from typing import IO, Any

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from lrviz.compare import Comparison
from lrviz.model import Curve

WIDTH_PX, HEIGHT_PX, DPI = 1200, 600, 100
#: Curves with more points than this are drawn as a per-column envelope.
MAX_DRAWN = 4 * WIDTH_PX
COLUMNS = 2 * WIDTH_PX
#: With more restarts than this, restart lines are drawn without labels.
MAX_LABELS = 12

_METADATA: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"Creator": None, "Producer": None, "CreationDate": None, "ModDate": None},
}
_RC: Any = {"text.parse_math": False, "svg.hashsalt": "lrviz", "svg.fonttype": "path", "pdf.compression": 6}


def _fmt(x: float | int) -> str:
    return f"{x:g}"


def default_title(curve: Curve) -> str:
    run = curve.run
    unit = run.length_text()
    return f"{run.scheduler.describe()}\n{run.optimizer.describe()}, {unit}"


def build_figure(curve: Curve, *, log_y: bool = False, title: str | None = None, momentum: bool = False) -> Figure:
    """A 1200x600 figure of the LR curve; lines carry the plotted data for tests to inspect."""
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
        # fixed margins: constrained layout would cost a second full draw (~0.1 s a plot)
        top = 0.83 if curve.steps_per_epoch > 1 else 0.9  # room for the optimizer-step axis
        fig.subplots_adjust(left=0.075, right=0.925 if momentum else 0.975, bottom=0.09, top=top)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        names = curve.group_names
        for g, series in enumerate(curve.lrs):
            label = names[g] if len(curve.lrs) > 1 else "learning rate"
            x, y, style = plotted(curve, series)
            ax.plot(x, y, label=label, linewidth=1.6, drawstyle=style, gid="lr")
        if curve.resumed is not None and curve.resume_at is not None:
            for series in curve.resumed:
                x, y, style = plotted(curve, series)
                ax.plot(
                    x,
                    y,
                    linestyle="--",
                    linewidth=1.2,
                    color="tab:orange",
                    drawstyle=style,
                    label="resumed from checkpoint",
                    gid="resumed",
                )
            ax.axvline(curve.resume_at, color="tab:orange", linestyle=":", linewidth=1, gid="resume")
        _mark_events(ax, curve)
        if log_y:
            ax.set_yscale("log")
        ax.set_xlabel(_xlabel(curve))
        ax.set_ylabel("learning rate")
        spe = curve.steps_per_epoch
        if spe > 1:  # the optimizer steps a trainer counts, on top
            steps_axis = ax.secondary_xaxis("top", functions=(_Scale(spe), _Scale(1 / spe)))
            steps_axis.set_xlabel("optimizer step", fontsize=9)
        # parse_math=False: a user's title is text, and a stray $ must not become a mathtext error
        ax.set_title(title or curve.run.title or default_title(curve), fontsize=11, parse_math=False)
        ax.grid(True, alpha=0.3)
        ax.set_xlim(0, curve.run.epochs)
        handles, labels = ax.get_legend_handles_labels()
        if momentum and curve.momenta is not None:
            ax2 = ax.twinx()
            for g, series in enumerate(curve.momenta):
                x, y, style = plotted(curve, series)
                ax2.plot(
                    x,
                    y,
                    drawstyle=style,
                    linestyle=":",
                    linewidth=1.2,
                    color=f"C{len(curve.lrs) + g}",
                    label="momentum" + (f" ({names[g]})" if len(curve.momenta) > 1 else ""),
                )
            ax2.set_ylabel("momentum")
            h2, l2 = ax2.get_legend_handles_labels()
            handles, labels = handles + h2, labels + l2
        if len(labels) > 1:
            ax.legend(handles, labels, loc="best", fontsize=9)
    return fig


def _xlabel(curve: Curve) -> str:
    return "optimizer step" if curve.run.unit == "step" else "epoch"


class _Scale:
    """x -> x * factor, for the optimizer-step axis (picklable, unlike a lambda)."""

    def __init__(self, factor: float) -> None:
        self.factor = factor

    def __call__(self, x: Any) -> Any:
        return np.asarray(x) * self.factor


def plotted(curve: Curve, series: array[float]) -> tuple[Any, Any, str]:
    """The x, y and drawstyle to draw for one series.

    Short curves are drawn whole as steps (a value holds for its whole epoch or
    step, closed at the end of the run). Longer than ``MAX_DRAWN`` points, each
    of ``COLUMNS`` columns keeps its first, lowest, highest and last point, in
    order (an M4 envelope): every peak, trough and restart jump survives, and a
    2-million-point run plots in milliseconds.
    """
    y = np.frombuffer(series, dtype=np.float64)
    n = len(y)
    spe = curve.steps_per_epoch
    if n <= MAX_DRAWN:
        steps = np.arange(n + 1)
        return (steps / spe if spe > 1 else steps), np.append(y, y[-1]), "steps-post"
    edges = np.linspace(0, n, COLUMNS + 1).astype(np.int64)
    keep = [np.int64(0)]
    for start, stop in zip(edges[:-1], edges[1:], strict=True):
        if stop <= start:
            continue
        part = y[start:stop]
        keep += [start, start + np.argmin(part), start + np.argmax(part), stop - 1]
    idx = np.unique(np.asarray(keep, dtype=np.int64))
    x = np.append(idx / spe, n / spe)
    return x, np.append(y[idx], y[-1]), "steps-post"


def _mark(ax: Any, x: float | int, what: str, color: str, style: str, first: bool, label: bool, row: int) -> None:
    """A vertical line at ``x`` (in the legend once) and, if ``label``, its name at the top."""
    ax.axvline(x, color=color, linestyle=style, linewidth=1, alpha=0.8, label=what if first else None, gid=what)
    if label:
        ax.annotate(
            f"{what} {_fmt(x)}",
            xy=(x, 1),
            xycoords=("data", "axes fraction"),
            xytext=(3, -12 * row),
            textcoords="offset points",
            fontsize=8,
            color=color,
        )


def _mark_events(ax: Any, curve: Curve) -> None:
    restarts = curve.restart_epochs
    for n, x in enumerate(restarts):
        _mark(ax, x, "restart", "tab:red", "--", n == 0, len(restarts) <= MAX_LABELS, 1)
    milestones = curve.events(curve.milestones)
    for n, x in enumerate(milestones):
        _mark(ax, x, "milestone", "tab:gray", ":", n == 0, len(milestones) <= MAX_LABELS, 2)
    if curve.reductions:
        xs = curve.events(curve.reductions)
        ys = [curve.lrs[0][k] for k in curve.reductions]
        ax.plot(xs, ys, linestyle="none", marker="v", color="tab:purple", label="LR reduced", gid="reduced")


def build_compare_figure(cmp: Comparison, *, log_y: bool = False, title: str | None = None) -> Figure:
    """Every schedule of a comparison on one axes, restarts marked in each line's colour."""
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
        FigureCanvasAgg(fig)
        fig.subplots_adjust(left=0.075, right=0.975, bottom=0.09, top=0.9)
        ax = fig.add_subplot()
        end = 0
        for label, curve in zip(cmp.labels, cmp.curves, strict=True):
            x, y, style = plotted(curve, curve.lrs[0])
            (line,) = ax.plot(x, y, label=label, linewidth=1.5, drawstyle=style, gid="lr")
            for r in curve.restart_epochs:
                ax.axvline(r, color=line.get_color(), linestyle="--", linewidth=0.8, alpha=0.5, gid="restart")
            end = max(end, curve.run.epochs)
        if log_y:
            ax.set_yscale("log")
        ax.set_xlim(0, max(end, 1))
        units = {curve.run.unit for curve in cmp.curves}
        ax.set_xlabel({"epoch"} == units and "epoch" or {"step"} == units and "optimizer step" or "epoch or step")
        ax.set_ylabel("learning rate")
        ax.set_title(title or "lrviz compare: " + ", ".join(cmp.labels), fontsize=11, parse_math=False)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="best", fontsize=9)
    return fig


def build_small_multiples(curves: list[Curve], titles: list[str]) -> Figure:
    """A grid of small plots, one per curve, restarts marked: for comparing plans at a glance."""
    cols = 3 if len(curves) > 4 else 2 if len(curves) > 1 else 1
    rows = -(-len(curves) // cols)
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(WIDTH_PX / DPI, max(HEIGHT_PX, 260 * rows) / DPI), dpi=DPI)
        FigureCanvasAgg(fig)
        fig.subplots_adjust(left=0.06, right=0.98, bottom=0.06, top=0.94, hspace=0.55, wspace=0.18)
        for n, (curve, title) in enumerate(zip(curves, titles, strict=True)):
            ax = fig.add_subplot(rows, cols, n + 1)
            x, y, style = plotted(curve, curve.lrs[0])
            ax.plot(x, y, linewidth=1.2, drawstyle=style, gid="lr")
            for r in curve.restart_epochs:
                ax.axvline(r, color="tab:red", linestyle="--", linewidth=0.8, alpha=0.7, gid="restart")
            ax.set_xlim(0, curve.run.epochs)
            ax.set_title(title, fontsize=9)
            ax.tick_params(labelsize=8)
            ax.grid(True, alpha=0.3)
    return fig


def save_figure(fig: Figure, out: IO[bytes], fmt: str) -> None:
    """Write ``fig`` as png/svg/pdf with no timestamps or version strings."""
    with matplotlib.rc_context(_RC):
        fig.savefig(out, format=fmt, dpi=DPI, metadata=_METADATA[fmt])
