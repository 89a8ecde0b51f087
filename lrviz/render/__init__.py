"""Renderers: turn a Curve into a plot, a terminal table, or CSV/JSON.

``FORMATS`` maps a file suffix to its renderer; ``check_outputs`` rejects an
unknown suffix before any work is done, and ``write_outputs`` renders every
requested file into temporary files first and renames them into place only
when all of them succeeded. Plot modules import matplotlib, lazily.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from lrviz.comparison import Comparison
from lrviz.errors import ConfigError
from lrviz.model import Curve
from lrviz.output import AtomicWriter

PLOT_SUFFIXES = (".png", ".svg", ".pdf")
DATA_SUFFIXES = (".csv", ".json")
FORMATS = PLOT_SUFFIXES + DATA_SUFFIXES


def check_outputs(paths: Sequence[Path], flag: str = "-o/--out") -> None:
    """ConfigError for an unknown suffix or a path given twice, before anything is computed."""
    seen: set[Path] = set()
    for path in paths:
        if path.suffix.lower() not in FORMATS:
            got = f"{path.suffix!r}" if path.suffix else "no suffix"
            raise ConfigError(f"{flag} {path}: unknown output format ({got}); use one of {', '.join(FORMATS)}")
        resolved = path.resolve()
        if resolved in seen:
            raise ConfigError(f"{flag} {path}: given twice")
        seen.add(resolved)


Writer = Callable[[Curve, IO[bytes]], None]


def import_renderers(paths: Sequence[Path]) -> None:
    """Import what writing ``paths`` needs (matplotlib for plots) ahead of time, e.g. while torch loads."""
    if any(path.suffix.lower() in PLOT_SUFFIXES for path in paths):
        from lrviz.render import plot  # noqa: F401
    if any(path.suffix.lower() in DATA_SUFFIXES for path in paths):
        from lrviz.render import data  # noqa: F401


def writer_for(suffix: str, *, log_y: bool = False, title: str | None = None, momentum: bool = False) -> Writer:
    suffix = suffix.lower()
    if suffix in PLOT_SUFFIXES:
        from lrviz.render import plot

        def write_plot(curve: Curve, out: IO[bytes]) -> None:
            plot.save_figure(plot.build_figure(curve, log_y=log_y, title=title, momentum=momentum), out, suffix[1:])

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
) -> list[Path]:
    """Render every path; all appear together or, on any failure, none does."""
    with AtomicWriter() as writer:
        for path in paths:
            render = writer_for(path.suffix, log_y=log_y, title=title, momentum=momentum)
            with writer.open(path) as out:
                render(curve, out)
    return list(paths)


def write_comparison(cmp: Comparison, paths: Sequence[Path], *, log_y: bool = False, title: str | None = None) -> None:
    """Write a comparison to every path (plot, CSV or JSON), all together or none."""
    with AtomicWriter() as writer:
        for path in paths:
            suffix = path.suffix.lower()
            with writer.open(path) as out:
                if suffix in PLOT_SUFFIXES:
                    from lrviz.render import plot

                    plot.save_figure(plot.build_compare_figure(cmp, log_y=log_y, title=title), out, suffix[1:])
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
