"""Printing a run's results: warnings, the table and chart, files written, progress bars.

``show`` is what every scheduler command and ``render`` of one config do once the
run is built: diagnose it, step it (in a forked child where that is safe, see
``_fork.py``), then print the table or write the files.
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path
from typing import Any

from lrviz.api import frontend, terminal
from lrviz.cli._platform import can_encode, may_fork
from lrviz.cli._text import one_line as _one_line
from lrviz.cli._torch import simulate_one
from lrviz.cli.options import FLAGS
from lrviz.errors import LrvizError, render_options
from lrviz.model import RunConfig


def _error(message: str) -> None:
    print(f"Error: {_one_line(message)}", file=sys.stderr)


class _Failed(LrvizError):
    """Some configs of a batch failed (each already reported)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.exit_code = code


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
            _say(f"warning: {_one_line(render_options(message, FLAGS))}", sys.stderr)


def notes(run: RunConfig, quiet: bool, prefix: str = "") -> None:
    """What lrviz assumed or ignored while reading the config, one `note:` line each (stderr)."""
    if not quiet:
        for note in run.notes:
            text = render_options(note, FLAGS)
            named = prefix and text.startswith(prefix.rstrip(": "))  # the note names its file already
            _say(f"note: {_one_line(text if named else prefix + text)}", sys.stderr)


_said = {"lines": 0}  # terminal lines the messages before the chart took


def _say(line: str, stream: Any = None) -> None:
    """One message line: wrapped at the terminal's width on word boundaries on a terminal, whole elsewhere."""
    stream = stream or sys.stdout
    if stream.isatty():
        line = terminal.wrap(line)
        _said["lines"] += line.count("\n") + 1
    print(line, file=stream)


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
    plot: dict[str, Any] | None = None,
    title: str | None = None,
) -> Any:
    from lrviz.cli import _fork as background

    notes(run, quiet)
    _warn(frontend.run_warnings(run), quiet)
    if run.geometry:
        # a framework's run states its own arithmetic, from the dataset to total and warmup steps
        # standard output carries only the data with -o -: the arithmetic goes to stderr then
        piped_out = any(str(p).startswith("-") for p in outputs)
        print(
            run.geometry if run.settings is not None else f"steps per epoch: {run.geometry}",
            file=sys.stderr if piped_out else sys.stdout,
        )
    # PyTorch steps in a child process while this one imports the renderer (background.py).
    with background.start(partial(simulate_one, run, momentum, resume_at), fork=may_fork()) as job:
        if outputs:
            frontend.import_renderers([Path("x.csv") if str(p).startswith("-") else p for p in outputs])
        else:
            terminal.prepare_table()  # imported while the child imports torch
        curve = job.result()
    _warn([f.message for f in frontend.curve_findings(curve)], quiet)
    if outputs:
        stdout_format, writer_for = frontend.stdout_format, frontend.writer_for
        files = [p for p in outputs if stdout_format(p) is None]
        piped = [stdout_format(p) for p in outputs if stdout_format(p) is not None]
        frontend.write_outputs(curve, files, log_y=log_y, title=title or run.title, momentum=momentum, **(plot or {}))
        report = sys.stderr if piped else sys.stdout  # standard output carries only the data then
        _say(terminal.summary_line(curve), report)
        for path in files:
            print(f"wrote {path}", file=report)
        for suffix in piped:
            sys.stdout.flush()
            writer_for(str(suffix))(curve, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        return curve
    shown = _print_chart(curve, chart, log_y)
    max_rows = None
    if shown and every is None and sys.stdout.isatty():
        # keep the chart in view: the warnings above it, the chart, the table header, the thinning note
        # and the summary (wrapped: up to 3 lines each) and the prompt all fit the terminal's height
        max_rows = terminal.fit_rows(shown + _said["lines"], reserved=8)
    terminal.print_table(curve, every=every, max_rows=max_rows)
    return curve


def _print_chart(curve: Any, chart: bool | None, log_y: bool) -> int:
    """The terminal chart, when asked for or when stdout is a terminal; the lines it took (0: none).

    A stream that cannot encode the braille and arrow characters (a cp1252 redirect on
    Windows, PYTHONIOENCODING=ascii) gets the ASCII chart instead (``_platform.can_encode``).
    """
    if chart is False or (chart is None and not sys.stdout.isatty()):
        return 0
    text = terminal.chart(curve, log_y=log_y, ascii=not can_encode(sys.stdout, "↺⠉┤"))
    print(text)
    return text.count("\n") + 1


def show_command(run: RunConfig, outputs: list[Path], kwargs: dict[str, Any]) -> None:
    """What a scheduler command (torch, hf, timm) does once its run is built: print its code, or show it."""
    from lrviz.cli.options import plot_options

    plot = plot_options(kwargs.get("dpi"), kwargs.get("size"), kwargs.get("style"))
    if kwargs.get("print_code"):
        from lrviz import api

        print(api.code(run), end="")
        return
    show(
        run,
        outputs,
        log_y=kwargs["log_y"],
        momentum=kwargs["momentum"],
        every=kwargs.get("every"),
        quiet=kwargs["quiet"],
        resume_at=kwargs.get("resume_at"),
        chart=kwargs.get("chart"),
        plot=plot,
    )


def _explain(run: RunConfig, prefix: str = "") -> None:
    """--explain: where each number came from, on stderr (standard output may carry the data)."""
    from lrviz import api

    for line in api.explain(run):
        print(f"{prefix}explain: {line}", file=sys.stderr)


def _print_comparison(cmp: Any, every: int | None) -> None:
    terminal.print_comparison(cmp, every)
