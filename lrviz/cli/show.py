"""Printing a run's results: warnings, the table and chart, files written, progress bars.

``show`` is what every scheduler command and ``render`` of one config do once the
run is built: diagnose it, step it (in a forked child where that is safe, see
``_fork.py``), then print the table or write the files.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from lrviz.cli._platform import may_fork
from lrviz.errors import LrvizError
from lrviz.model import RunConfig
from lrviz.render import import_renderers, write_outputs


def _one_line(text: str) -> str:
    """``text`` on one line: line breaks become spaces, other control characters are escaped."""
    flat = " ".join(str(text).splitlines())
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in flat).strip()


def _error(message: str) -> None:
    print(f"Error: {_one_line(message)}", file=sys.stderr)


class _Failed(LrvizError):
    """Some configs of a batch failed (each already reported)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.exit_code = code


PROGRESS_POINTS = 200_000


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None] | None]:
    """A callback drawing a transient rich progress bar on stderr, or None when not worth one.

    The bar is stopped on the way out, also when stepping fails, so an error line never
    lands on a half-drawn bar and the cursor comes back.
    """
    if total < PROGRESS_POINTS or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("stepping", total=total)
        yield lambda done: bar.update(task, completed=done)


def _batch_bar(total: int) -> Any:
    """A rich progress bar over configs on a terminal; None in CI logs (plain lines there)."""
    if not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import Progress

    # no refresh thread: the batch forks its drawing workers while the bar is shown, and a fork
    # copies only the calling thread (the bar is redrawn on each advance instead)
    bar = Progress(console=Console(stderr=True), transient=True, auto_refresh=False)
    bar.add_task("rendering", total=total)
    return bar


def _warn(messages: list[str], quiet: bool) -> None:
    if not quiet:
        for message in messages:
            print(f"warning: {_one_line(message)}", file=sys.stderr)


def show(
    run: RunConfig,
    outputs: list[Path],
    *,
    log_y: bool,
    momentum: bool,
    every: int | None,
    quiet: bool = False,
    resume_at: int | None = None,
    chart: bool | None = None,
) -> Any:
    from lrviz.cli import _fork as background
    from lrviz.diagnostics import check_curve, check_run

    if not quiet:
        for note in run.notes:
            print(f"note: {_one_line(note)}", file=sys.stderr)
    _warn(check_run(run), quiet)
    if run.geometry:
        # a framework's run states its own arithmetic, from the dataset to total and warmup steps
        print(run.geometry if run.family != "torch" else f"steps per epoch: {run.geometry}")
    # PyTorch steps in a child process while this one imports the renderer (background.py).
    with background.start(lambda: _simulate(run, momentum, resume_at), fork=may_fork()) as job:
        if outputs:
            import_renderers(outputs)
        else:
            from lrviz.render import table  # noqa: F401 - imported while the child imports torch
        curve = job.result()
    _warn([f.message for f in check_curve(curve)], quiet)
    if outputs:
        from lrviz.render.text import summary_line

        write_outputs(curve, outputs, log_y=log_y, title=run.title, momentum=momentum)
        print(summary_line(curve))
        for path in outputs:
            print(f"wrote {path}")
        return curve
    from rich.console import Console

    from lrviz.render.table import print_table

    _print_chart(curve, chart, log_y)
    print_table(curve, Console(), every)
    return curve


def _simulate(run: RunConfig, momentum: bool, resume_at: int | None) -> Any:
    """Everything that needs torch: the curve, and the resumed run when asked for."""
    import dataclasses

    from lrviz.cli._torch import simulate
    from lrviz.engine import simulate_resume  # torch: only now that a schedule is stepped

    with _progress(run.points) as progress:
        curve = simulate(run, momentum=momentum, progress=progress)
    if resume_at is not None:
        curve = dataclasses.replace(curve, resume_at=resume_at, resumed=simulate_resume(run, resume_at))
    return curve


def _print_chart(curve: Any, chart: bool | None, log_y: bool) -> None:
    """The terminal chart, when asked for or when stdout is a terminal."""
    if chart is False or (chart is None and not sys.stdout.isatty()):
        return
    from lrviz.render.chart import build_chart

    print(build_chart(curve, log_y=log_y))
