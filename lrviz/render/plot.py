"""The plot: a matplotlib ``Figure`` on the Agg canvas (no pyplot, no display).

``build_figure`` draws the curve with restarts, milestones, reductions and a
resume checkpoint marked; ``build_compare_figure`` overlays several curves and
``build_small_multiples`` draws a grid of them. ``save_figure`` writes
PNG/SVG/PDF with dates, versions and random ids stripped, so the same input
gives the same bytes.

Every figure takes ``dpi``, ``size`` (inches) and ``style`` ("light" or "dark"),
checked by ``lrviz.render.check_plot_options``. Text is never parsed as
mathtext (a user's ``$`` stays a ``$``), so the log axis is labelled by a
formatter that writes plain text with Unicode superscripts (``10⁻³``). Margins
are measured from the tick labels, axis labels, title and legend once they are
placed, so nothing falls off the edge; long titles wrap to the figure width.
"""

from __future__ import annotations

import math
from array import array
from typing import IO, Any

import matplotlib
import numpy as np
from cycler import cycler
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import ScaledTranslation

from lrviz.comparison.curves import Comparison
from lrviz.model import Curve
from lrviz.render.layout import PAD_PT as PAD_PT
from lrviz.render.layout import fit as _fit
from lrviz.render.options import DEFAULT_DPI, DEFAULT_SIZE, DEFAULT_STYLE, check_plot_options
from lrviz.render.ticks import linear_y, plain_number, power_in_label, y_scale

WIDTH_PX, HEIGHT_PX, DPI = 1200, 600, DEFAULT_DPI
#: Curves with more points than this are drawn as a per-column envelope.
MAX_DRAWN = 4 * WIDTH_PX
COLUMNS = 2 * WIDTH_PX
#: With more restarts than this, restart lines are drawn without labels.
MAX_LABELS = 12
#: Schedulers that set the optimizer's LR themselves: the optimizer's own ``lr`` is not what runs.
LR_SETTING = ("OneCycleLR", "CyclicLR")

_METADATA: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"Creator": None, "Producer": None, "CreationDate": None, "ModDate": None},
}
_RC: Any = {"text.parse_math": False, "svg.hashsalt": "lrviz", "svg.fonttype": "path", "pdf.compression": 6}
_DARK_COLORS = ["#5aa9ff", "#ffb347", "#7bdc7b", "#ff7a7a", "#c59bff", "#d9a07a", "#ff9ad5", "#bdbdbd"]
_STYLES: dict[str, dict[str, Any]] = {
    "light": {},
    "dark": {
        "figure.facecolor": "#16181d",
        "axes.facecolor": "#16181d",
        "axes.edgecolor": "#b8bcc4",
        "axes.labelcolor": "#e8e8e8",
        "text.color": "#e8e8e8",
        "xtick.color": "#b8bcc4",
        "ytick.color": "#b8bcc4",
        "grid.color": "#8a8f99",
        "legend.facecolor": "#22252c",
        "legend.edgecolor": "#5a5f69",
        "axes.prop_cycle": cycler(color=_DARK_COLORS),
    },
}
#: Marker colours per style: restart, milestone, reduction, resume.
_MARKS = {
    "light": {"restart": "tab:red", "milestone": "tab:gray", "reduced": "tab:purple", "resume": "tab:orange"},
    "dark": {"restart": "#ff6b6b", "milestone": "#a8adb7", "reduced": "#d09cff", "resume": "#ffb347"},
}


def _fmt(x: float | int) -> str:
    return f"{x:g}"


def default_title(curve: Curve) -> str:
    run = curve.run
    unit = run.length_text()
    return f"{run.scheduler.describe()}\n{_optimizer_text(curve)}, {unit}"


def _optimizer_text(curve: Curve) -> str:
    """``SGD(lr=0.1)``; when OneCycleLR or CyclicLR set the LR, what they set, read from the curve."""
    run = curve.run
    setter = next((n.name for n in run.scheduler.walk() if n.name in LR_SETTING), None)
    if setter is None:
        return run.optimizer.describe()
    if setter == "OneCycleLR":
        peaks = ", ".join(_fmt(float(max(s))) for s in curve.lrs)
        return f"{run.optimizer.name}, peak LR {peaks} (set by OneCycleLR)"
    spans = ", ".join(f"{_fmt(float(min(s)))} to {_fmt(float(max(s)))}" for s in curve.lrs)
    return f"{run.optimizer.name}, LR {spans} (set by CyclicLR)"


def _rc(style: str) -> Any:
    """The rcParams every figure is built with, plus the style's colours."""
    return {**_RC, **_STYLES[style]}


def _new_figure(size: tuple[float, float], dpi: int) -> Figure:
    fig = Figure(figsize=size, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


#: A figure made ahead by ``prepare``, by (size, dpi, style): the next ``build_figure`` of that kind takes it.
_READY: dict[tuple[tuple[float, float], int, str], tuple[Figure, Any]] = {}


def prepare(*, dpi: int = DEFAULT_DPI, size: tuple[float, float] = DEFAULT_SIZE, style: str = DEFAULT_STYLE) -> None:
    """Make the next plot's figure, axes and renderer now and load its font, before its curve exists.

    The command calls it while another process imports torch (``lrviz.render.import_renderers``),
    so that the ~20 ms this takes is not spent after the curve arrives. ``build_figure`` takes the
    figure as if it had just made it (the same calls, in the same rcParams): the bytes written
    are the same.
    """
    check_plot_options(dpi=dpi, size=size, style=style)
    key = (tuple(size), dpi, style)
    if key in _READY:  # one is waiting already (a command that plots again and again keeps one)
        return
    with matplotlib.rc_context(_rc(style)):
        fig = _new_figure(size, dpi)
        ax = fig.add_subplot()
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        renderer.get_text_width_height_descent("0", ax.title.get_fontproperties(), ismath=False)  # loads the font
    _READY[key] = (fig, ax)  # type: ignore[index]


def _figure_and_axes(size: tuple[float, float], dpi: int, style: str) -> tuple[Figure, Any]:
    """A figure made by ``prepare`` for this size, dpi and style, else a new one (inside ``_rc(style)``)."""
    ready = _READY.pop((tuple(size), dpi, style), None)  # type: ignore[arg-type]
    if ready is not None:
        return ready
    fig = _new_figure(size, dpi)
    return fig, fig.add_subplot()


def build_figure(
    curve: Curve,
    *,
    log_y: bool = False,
    title: str | None = None,
    momentum: bool = False,
    dpi: int = DEFAULT_DPI,
    size: tuple[float, float] = DEFAULT_SIZE,
    style: str = DEFAULT_STYLE,
) -> Figure:
    """A ``size`` inch figure (1200x600 pixels by default) of the LR curve; lines carry the plotted data."""
    check_plot_options(dpi=dpi, size=size, style=style)
    marks = _MARKS[style]
    with matplotlib.rc_context(_rc(style)):
        fig, ax = _figure_and_axes(size, dpi, style)
        names = curve.group_names
        for g, series in enumerate(curve.lrs):
            label = names[g] if len(curve.lrs) > 1 else "learning rate"
            x, y, drawstyle = plotted(curve, series)
            ax.plot(x, y, label=label, linewidth=1.6, drawstyle=drawstyle, gid="lr")
        if curve.resumed is not None and curve.resume_at is not None:
            for series in curve.resumed:
                x, y, drawstyle = plotted(curve, series)
                ax.plot(
                    x,
                    y,
                    linestyle="--",
                    linewidth=1.2,
                    color=marks["resume"],
                    drawstyle=drawstyle,
                    label="resumed from checkpoint",
                    gid="resumed",
                )
            ax.axvline(
                curve.resume_at,
                color=marks["resume"],
                linestyle=":",
                linewidth=1,
                gid="resume",
                label=f"checkpoint at epoch {plain_number(curve.resume_at)}",
            )
        label_rows = _mark_events(ax, curve, marks)
        y_scale(ax, log_y)
        _headroom(ax, label_rows)
        ax.set_xlabel(_xlabel(curve))
        ax.set_ylabel("learning rate")
        ax.xaxis.set_major_formatter(FuncFormatter(plain_number))
        spe = curve.steps_per_epoch
        if spe > 1:  # the optimizer steps a trainer counts, on top
            steps_axis = ax.secondary_xaxis("top", functions=(_Scale(spe), _Scale(1 / spe)))
            steps_axis.set_xlabel("optimizer step", fontsize=9)
            nbins = max(2, min(10, int(0.85 * float(fig.get_figwidth()) / (0.07 * len(f"{len(curve.lr):,}") + 0.3))))
            locator = MaxNLocator(nbins, steps=None if nbins == 10 else [1, 2, 2.5, 5, 10], integer=True)
            steps_axis.xaxis.set_major_locator(locator)  # fewer, round ticks where wide step numbers cannot fit
            steps_axis.xaxis.set_major_formatter(FuncFormatter(plain_number))
        # parse_math=False: a user's title is text, and a stray $ must not become a mathtext error
        ax.set_title(title or curve.run.title or default_title(curve), fontsize=11, parse_math=False)
        ax.grid(True, alpha=0.3)
        ax.set_xlim(0, curve.run.epochs)
        handles, labels = ax.get_legend_handles_labels()
        twin = None
        if momentum and curve.momenta is not None:
            twin = ax.twinx()
            for g, series in enumerate(curve.momenta):
                x, y, drawstyle = plotted(curve, series)
                twin.plot(
                    x,
                    y,
                    drawstyle=drawstyle,
                    linestyle=":",
                    linewidth=1.2,
                    color=f"C{len(curve.lrs) + g}",
                    label=curve.second.replace("_", " ") + (f" ({names[g]})" if len(curve.momenta) > 1 else ""),
                    gid="momentum",
                )
            twin.set_ylabel(curve.second.replace("_", " "))
            h2, l2 = twin.get_legend_handles_labels()
            handles, labels = handles + h2, labels + l2
        legend = None
        if len(labels) > 1:
            if twin is None:
                legend = ax.legend(handles, labels, loc="best", fontsize=9)
            else:  # "best" would only avoid one axes' lines: one legend for both, under the plot
                renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
                # in inches under the x-axis label (an axes fraction shrinks with the axes, onto the label)
                below = (ax.bbox.y0 - ax.xaxis.get_tightbbox(renderer).y0) / fig.dpi
                under = ax.transAxes + ScaledTranslation(0, -below, fig.dpi_scale_trans)
                for ncols in range(min(len(labels), 4), 0, -1):  # as many columns as fit the figure's width
                    if legend is not None:
                        legend.remove()
                    legend = ax.legend(
                        handles,
                        labels,
                        loc="upper center",
                        bbox_to_anchor=(0.5, 0),
                        bbox_transform=under,
                        ncols=ncols,
                        fontsize=9,
                    )
                    if legend.get_window_extent(renderer).width <= fig.bbox.width:
                        break
        labelled = [(ax, "learning rate")] + ([] if twin is None else [(twin, curve.second.replace("_", " "))])
        if spe > 1 and not log_y:  # the step axis on top would cover a "1e−6" drawn over the y axes
            for axes, _ in labelled:
                linear_y(axes)
        _fit(fig, [ax.title], [legend] if twin is not None and legend is not None else [])
        if spe > 1 and not log_y:
            for axes, label in labelled:
                power_in_label(axes, label)
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
            f"{what} {plain_number(x)}",
            xy=(x, 1),
            xycoords=("data", "axes fraction"),
            xytext=(3, -12 * row),
            textcoords="offset points",
            fontsize=8,
            color=color,
        )


def _mark_events(ax: Any, curve: Curve, marks: dict[str, str]) -> int:
    """Draw the event lines and labels; the number of label rows at the top of the axes."""
    restarts = curve.restart_epochs
    for n, x in enumerate(restarts):
        _mark(ax, x, "restart", marks["restart"], "--", n == 0, len(restarts) <= MAX_LABELS, 1)
    milestones = curve.events(curve.milestones)
    for n, x in enumerate(milestones):
        _mark(ax, x, "milestone", marks["milestone"], ":", n == 0, len(milestones) <= MAX_LABELS, 2)
    if curve.reductions:
        xs = curve.events(curve.reductions)
        ys = [curve.lrs[0][k] for k in curve.reductions]
        ax.plot(xs, ys, linestyle="none", marker="v", color=marks["reduced"], label="LR reduced", gid="reduced")
    if milestones and len(milestones) <= MAX_LABELS:
        return 2
    return 1 if restarts and len(restarts) <= MAX_LABELS else 0


def _headroom(ax: Any, rows: int) -> None:
    """Raise the top of the y axis so ``rows`` rows of event labels sit above the curve, not on it."""
    if rows == 0:
        return
    fig = ax.get_figure()
    label_px = (12 * rows + 4) * fig.dpi / 72
    share = min(0.4, label_px / (0.75 * fig.bbox.height))  # of the axes' height, before _fit sets it
    low, high = ax.get_ylim()
    if ax.get_yscale() == "log":
        top = math.log10(low) + (math.log10(high) - math.log10(low)) / (1 - share)
        ax.set_ylim(low, 10.0**top)
    else:
        ax.set_ylim(low, low + (high - low) / (1 - share))


def build_compare_figure(
    cmp: Comparison,
    *,
    log_y: bool = False,
    title: str | None = None,
    dpi: int = DEFAULT_DPI,
    size: tuple[float, float] = DEFAULT_SIZE,
    style: str = DEFAULT_STYLE,
) -> Figure:
    """Every schedule of a comparison on one axes, restarts marked in each line's colour."""
    check_plot_options(dpi=dpi, size=size, style=style)
    with matplotlib.rc_context(_rc(style)):
        fig = _new_figure(size, dpi)
        ax = fig.add_subplot()
        end = 0
        for label, curve in zip(cmp.labels, cmp.curves, strict=True):
            x, y, drawstyle = plotted(curve, curve.lrs[0])
            (line,) = ax.plot(x, y, label=label, linewidth=1.5, drawstyle=drawstyle, gid="lr")
            for r in curve.restart_epochs:
                ax.axvline(r, color=line.get_color(), linestyle="--", linewidth=0.8, alpha=0.5, gid="restart")
            end = max(end, curve.run.epochs)
        y_scale(ax, log_y)
        ax.set_xlim(0, max(end, 1))
        ax.xaxis.set_major_formatter(FuncFormatter(plain_number))
        units = {curve.run.unit for curve in cmp.curves}
        ax.set_xlabel({"epoch"} == units and "epoch" or {"step"} == units and "optimizer step" or "epoch or step")
        ax.set_ylabel("learning rate")
        ax.set_title(title or "lrviz compare: " + ", ".join(cmp.labels), fontsize=11, parse_math=False)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="best", fontsize=9)
        _fit(fig, [ax.title], [])
    return fig


def build_small_multiples(
    curves: list[Curve],
    titles: list[str],
    *,
    dpi: int = DEFAULT_DPI,
    size: tuple[float, float] | None = None,
    style: str = DEFAULT_STYLE,
) -> Figure:
    """A grid of small plots, one per curve, restarts marked: for comparing plans at a glance.

    ``size`` defaults to 12 inches wide and 2.6 inches a row (at least 6 inches high).
    """
    cols = 3 if len(curves) > 4 else 2 if len(curves) > 1 else 1
    rows = -(-len(curves) // cols)
    if size is None:
        size = (DEFAULT_SIZE[0], max(DEFAULT_SIZE[1], 2.6 * rows))
    check_plot_options(dpi=dpi, size=size, style=style)
    with matplotlib.rc_context(_rc(style)):
        fig = _new_figure(size, dpi)
        fig.subplots_adjust(hspace=0.55, wspace=0.18)
        titled = []
        for n, (curve, title) in enumerate(zip(curves, titles, strict=True)):
            ax = fig.add_subplot(rows, cols, n + 1)
            x, y, drawstyle = plotted(curve, curve.lrs[0])
            ax.plot(x, y, linewidth=1.2, drawstyle=drawstyle, gid="lr")
            for r in curve.restart_epochs:
                ax.axvline(r, color=_MARKS[style]["restart"], linestyle="--", linewidth=0.8, alpha=0.7, gid="restart")
            ax.set_xlim(0, curve.run.epochs)
            ax.xaxis.set_major_formatter(FuncFormatter(plain_number))
            titled.append(ax.set_title(title, fontsize=9, parse_math=False))
            ax.tick_params(labelsize=8)
            ax.grid(True, alpha=0.3)
        _fit(fig, titled, [])
    return fig


def save_figure(fig: Figure, out: IO[bytes], fmt: str) -> None:
    """Write ``fig`` as png/svg/pdf at its own dpi, with no timestamps or version strings."""
    with matplotlib.rc_context(_RC):
        fig.savefig(out, format=fmt, dpi=fig.dpi, metadata=_METADATA[fmt])
