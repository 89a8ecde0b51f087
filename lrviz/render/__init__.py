"""Renderers: turn a Curve into a plot, a terminal table, or CSV/JSON.

``FORMATS`` maps a file suffix to its renderer; ``check_outputs`` rejects an
unknown suffix before any work is done, and ``write_outputs`` renders every
requested file into temporary files first and renames them into place only
when all of them succeeded. Plot modules import matplotlib, lazily.

Plots take three options, as keyword arguments everywhere a plot is made:
``dpi`` (pixels per inch, default 100), ``size`` (width and height in inches,
default (12, 6)) and ``style`` ("light" or "dark"). ``check_plot_options``
validates them without importing matplotlib, so a bad value is reported before
any work; its ``ConfigError`` names the option key (``dpi``, ``size``, ``style``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from lrviz.errors import ConfigError
from lrviz.model import Curve
from lrviz.output import AtomicWriter, check_targets
from lrviz.render.options import (
    DEFAULT_DPI as DEFAULT_DPI,
)

if TYPE_CHECKING:  # the comparing package (and the log readers it holds) stays off the --help path
    from lrviz.comparison.curves import Comparison
from lrviz.render.options import (
    DEFAULT_SIZE as DEFAULT_SIZE,
)
from lrviz.render.options import (
    DEFAULT_STYLE as DEFAULT_STYLE,
)
from lrviz.render.options import (
    DPI_RANGE as DPI_RANGE,
)
from lrviz.render.options import (
    MAX_SIDE_PX as MAX_SIDE_PX,
)
from lrviz.render.options import (
    SIZE_RANGE as SIZE_RANGE,
)
from lrviz.render.options import (
    STYLES as STYLES,
)
from lrviz.render.options import (
    check_plot_options as check_plot_options,
)

PLOT_SUFFIXES = (".png", ".svg", ".pdf")
DATA_SUFFIXES = (".csv", ".json")
FORMATS = PLOT_SUFFIXES + DATA_SUFFIXES

#: ``-o -`` writes CSV to standard output; ``-o -.json`` JSON.
STDOUT = {"-": ".csv", "-.csv": ".csv", "-.json": ".json"}


def stdout_format(path: Path) -> str | None:
    """The data format ``path`` asks for on standard output (``-``, ``-.csv``, ``-.json``), else None."""
    return STDOUT.get(str(path))


def check_outputs(
    paths: Sequence[Path],
    flag: str = "-o/--out",
    *,
    stdout: bool = False,
    inputs: Iterable[Path] = (),
    files: bool = True,
) -> None:
    """ConfigError for an unknown suffix, or a path that would lose a file, before anything is computed.

    ``stdout``: the command can write data to standard output (``-o -``); elsewhere ``-`` is refused.
    ``inputs``: the files (and folders) the command reads; no output may replace one of them, and no
    output may be a directory, a FIFO, a device, or the same file as another (``output.check_targets``).
    ``files=False`` checks the suffixes only (``--format``).
    """
    if sum(1 for p in paths if stdout_format(p) is not None) > 1:
        raise ConfigError(f"{flag} -: standard output takes one format; give -o - (CSV) or -o -.json once")
    targets = []
    for path in paths:
        if stdout_format(path) is not None:
            if not stdout:
                raise ConfigError(f"{flag} {path}: this command writes files only; name a file")
            continue
        if path.suffix.lower() not in FORMATS:
            got = f"{path.suffix!r}" if path.suffix else "no suffix"
            raise ConfigError(f"{flag} {path}: unknown output format ({got[:40]}); use one of {', '.join(FORMATS)}")
        targets.append(path)
    if files:
        check_targets(targets, inputs, flag)


Writer = Callable[[Curve, IO[bytes]], None]


def import_renderers(paths: Sequence[Path]) -> None:
    """Import what writing ``paths`` needs (matplotlib for plots) ahead of time, e.g. while torch loads.

    For a plot, its figure is made too (``plot.prepare``, at the default size, dpi and style).
    """
    if any(path.suffix.lower() in PLOT_SUFFIXES for path in paths):
        from lrviz.render import plot

        plot.prepare()
    if any(path.suffix.lower() in DATA_SUFFIXES for path in paths):
        from lrviz.render import data  # noqa: F401


def writer_for(
    suffix: str,
    *,
    log_y: bool = False,
    title: str | None = None,
    momentum: bool = False,
    dpi: int = DEFAULT_DPI,
    size: tuple[float, float] = DEFAULT_SIZE,
    style: str = DEFAULT_STYLE,
) -> Writer:
    suffix = suffix.lower()
    if suffix in PLOT_SUFFIXES:
        from lrviz.render import plot

        def write_plot(curve: Curve, out: IO[bytes]) -> None:
            fig = plot.build_figure(curve, log_y=log_y, title=title, momentum=momentum, dpi=dpi, size=size, style=style)
            plot.save_figure(fig, out, suffix[1:])

        return write_plot
    from lrviz.render import data

    return data.write_csv if suffix == ".csv" else data.write_json


def write_outputs(
    curve: Curve,
    paths: Sequence[Path],
    *,
    log_y: bool = False,
    title: str | None = None,
    momentum: bool = False,
    dpi: int = DEFAULT_DPI,
    size: tuple[float, float] = DEFAULT_SIZE,
    style: str = DEFAULT_STYLE,
) -> list[Path]:
    """Render every path; all appear together or, on any failure, none does."""
    check_plot_options(dpi=dpi, size=size, style=style)
    with AtomicWriter() as writer:
        for path in paths:
            render = writer_for(
                path.suffix, log_y=log_y, title=title, momentum=momentum, dpi=dpi, size=size, style=style
            )
            with writer.open(path) as out:
                render(curve, out)
    return list(paths)


def write_comparison(
    cmp: Comparison,
    paths: Sequence[Path],
    *,
    log_y: bool = False,
    title: str | None = None,
    dpi: int = DEFAULT_DPI,
    size: tuple[float, float] = DEFAULT_SIZE,
    style: str = DEFAULT_STYLE,
) -> None:
    """Write a comparison to every path (plot, CSV or JSON), all together or none."""
    check_plot_options(dpi=dpi, size=size, style=style)
    with AtomicWriter() as writer:
        for path in paths:
            suffix = path.suffix.lower()
            with writer.open(path) as out:
                if suffix in PLOT_SUFFIXES:
                    from lrviz.render import plot

                    fig = plot.build_compare_figure(cmp, log_y=log_y, title=title, dpi=dpi, size=size, style=style)
                    plot.save_figure(fig, out, suffix[1:])
                else:
                    from lrviz.render import data

                    (data.write_compare_csv if suffix == ".csv" else data.write_compare_json)(cmp, out)


def write_figure(fig: Any, paths: Sequence[Path]) -> None:
    """Save one ready figure to every path (plot formats only), all together or none."""
    from lrviz.render import plot

    for path in paths:
        if path.suffix.lower() not in PLOT_SUFFIXES:
            raise ConfigError(f"-o/--out {path}: this command writes plots only ({', '.join(PLOT_SUFFIXES)})")
    with AtomicWriter() as writer:
        for path in paths:
            with writer.open(path) as out:
                plot.save_figure(fig, out, path.suffix.lower()[1:])
