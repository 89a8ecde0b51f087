"""The ``lrviz`` command line: parse flags, call the core, turn errors into exits.

One subcommand per common scheduler is generated from the registry in
``schedules.py`` (its arguments become kebab-case flags), plus ``render`` for
YAML files and ``list``. This is the only module that imports typer, prints
for the user or exits. torch and matplotlib are imported only once a schedule
is actually stepped or plotted, so ``--help`` and errors stay fast.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from lrviz import __version__
from lrviz.config import Layer, RunConfig, build_run, from_flags, load_file, merge, parse_flag_value
from lrviz.errors import ConfigError, LrvizError
from lrviz.keys import KeyPath
from lrviz.render import FORMATS, check_outputs, import_renderers, write_outputs
from lrviz.schedules import OPTIMIZERS, REQUIRED, SCHEDULERS, SchedulerSpec

EXIT_CODES = (
    "Exit status: 0 ok; 1 a check failed or a runtime failure (PyTorch raised while stepping, an output "
    "could not be written); 2 bad input (a flag, a config file or a value)."
)


class _Group(TyperGroup):
    """Runs a command and turns every error into one line on stderr and an exit status."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if not sys.warnoptions:  # leave `python -W` and pytest's own warning handling alone
            warnings.showwarning = _show_warning
        debug = "--debug" in argv or os.environ.get("LRVIZ_DEBUG", "") not in ("", "0")
        if debug:
            _settings["fork"] = False  # one process, so a traceback shows where it failed
        code = _guarded(
            lambda: super(_Group, self).main(argv, prog_name or "lrviz", complete_var, standalone_mode=False, **extra),
            debug,
        )
        if standalone_mode:
            sys.exit(code)
        return code


# Typer vendors click; reach its exception base through a public class, whatever the version.
_ClickException: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def _guarded(run: Callable[[], Any], debug: bool) -> int:
    try:
        result = run()
    except _ClickException as exc:
        ctx: Any = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `lrviz`: show the help
            print(ctx.get_help() if ctx is not None else exc)
            return 0
        click_exc: Any = exc
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        _error(f"{click_exc.format_message()}{hint}")
        return int(click_exc.exit_code)
    except typer.Abort:
        _error("aborted")
        return 130
    except LrvizError as exc:
        if debug:
            traceback.print_exc()
        _error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except Exception as exc:  # a bug: say so in one line, with the traceback on request
        if debug:
            traceback.print_exc()
        _error(
            f"internal error: {type(exc).__name__}: {exc} "
            "(please report it; run with --debug or LRVIZ_DEBUG=1 for the traceback)"
        )
        return 1
    return result if isinstance(result, int) else 0


def _one_line(text: str) -> str:
    """``text`` on one line: line breaks become spaces, other control characters are escaped."""
    flat = " ".join(str(text).splitlines())
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in flat).strip()


def _error(message: str) -> None:
    print(f"Error: {_one_line(message)}", file=sys.stderr)


def _show_warning(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
    """Python warnings (from matplotlib, say) as one `warning:` line, not a source listing."""
    print(f"warning: {_one_line(str(message))}", file=sys.stderr)


_APP_SETTINGS: dict[str, Any] = {
    "cls": _Group,
    "name": "lrviz",
    "help": "See a PyTorch learning-rate schedule before you spend GPU hours on it.\n\n"
    "Every value comes from stepping the real torch.optim.lr_scheduler class.",
    "epilog": EXIT_CODES,
    "no_args_is_help": True,
    "add_completion": False,
    "pretty_exceptions_enable": False,
    "rich_markup_mode": None,  # plain help and errors: rich costs ~0.1 s to import; tables still use it
    "context_settings": {"help_option_names": ["-h", "--help"]},
}
app = typer.Typer(**_APP_SETTINGS)
#: ``fork``: step PyTorch in a child process (background.py). Only the installed command
#: (``main()``) does; in-process callers (tests, scripts) keep one process.
_settings = {"fork": False}


def _version(value: bool) -> None:
    if value:
        print(f"lrviz {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks (also LRVIZ_DEBUG=1), for bug reports.")
    ] = False,
) -> None:
    """See a PyTorch learning-rate schedule before you spend GPU hours on it."""


# ---------------------------------------------------------------------------
# Options shared by the scheduler subcommands (name -> annotation)

OutOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--out",
        "-o",
        metavar="FILE",
        help=f"Write a file; the suffix picks the format ({', '.join(FORMATS)}). Repeatable. "
        "Without -o, a table is printed.",
    ),
]
EpochsOption = Annotated[str | None, typer.Option("--epochs", "-e", metavar="N", help="Epochs to simulate.")]
StepsPerEpochOption = Annotated[
    str | None,
    typer.Option(
        "--steps-per-epoch", metavar="N", help="Optimizer steps per epoch: record N points per epoch. (default: 1)"
    ),
]
LrOption = Annotated[str | None, typer.Option("--lr", metavar="LR", help="Initial learning rate. (default: 0.1)")]
OptimizerOption = Annotated[
    str | None,
    typer.Option("--optimizer", metavar="NAME", help="Dummy optimizer: sgd, adam, adamw, ... (default: sgd)"),
]
WarmupOption = Annotated[
    str | None,
    typer.Option(
        "--warmup", metavar="EPOCHS", help="Prepend a LinearLR warmup of this many epochs (joined by SequentialLR)."
    ),
]
WarmupStartFactorOption = Annotated[
    str | None,
    typer.Option("--warmup-start-factor", metavar="F", help="LR factor at the start of the warmup. (default: 0.01)"),
]
LogYOption = Annotated[bool, typer.Option("--log-y", help="Logarithmic LR axis.")]
TitleOption = Annotated[
    str | None, typer.Option("--title", help="Plot title. (default: the scheduler and its arguments)")
]
MomentumOption = Annotated[
    bool, typer.Option("--momentum", help="Also record momentum (or Adam's beta1): plot axis, CSV/JSON columns.")
]
EveryOption = Annotated[int | None, typer.Option("--every", metavar="K", min=1, help="Table: show every K-th point.")]
ResumeOption = Annotated[
    int | None,
    typer.Option(
        "--resume-at",
        metavar="EPOCH",
        help="Also simulate a checkpoint at EPOCH: state_dicts saved, fresh optimizer and scheduler loaded, "
        "then continued; overlaid and compared with the uninterrupted run.",
    ),
]
DatasetSizeOption = Annotated[
    str | None,
    typer.Option("--dataset-size", metavar="N", help="Training samples: with --batch-size, sets the steps per epoch."),
]
BatchSizeOption = Annotated[str | None, typer.Option("--batch-size", metavar="N", help="Samples per batch (per rank).")]
GradAccumOption = Annotated[
    str | None, typer.Option("--grad-accum", metavar="N", help="Batches per optimizer step (gradient accumulation).")
]
WorldSizeOption = Annotated[str | None, typer.Option("--world-size", metavar="N", help="Data-parallel ranks (GPUs).")]
ChartOption = Annotated[
    bool | None,
    typer.Option(
        "--chart/--no-chart",
        help="Draw a Unicode chart of the curve above the table. (default: on when the output is a terminal)",
        show_default=False,
    ),
]
PrintCodeOption = Annotated[
    bool, typer.Option("--print-code", help="Print the PyTorch code for this optimizer and scheduler instead.")
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Do not print warnings about the schedule.")]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", metavar="FILE", help="Read a YAML config; flags override it."),
]
KeyOption = Annotated[
    str | None,
    typer.Option("--key", metavar="PATH", help="Dotted path of the scheduler node in a larger training config."),
]
COMMON: dict[str, Any] = {
    "epochs": EpochsOption,
    "steps_per_epoch": StepsPerEpochOption,
    "lr": LrOption,
    "optimizer": OptimizerOption,
    "warmup": WarmupOption,
    "warmup_start_factor": WarmupStartFactorOption,
    "out": OutOption,
    "log_y": LogYOption,
    "title": TitleOption,
    "momentum": MomentumOption,
    "every": EveryOption,
    "chart": ChartOption,
    "print_code": PrintCodeOption,
    "resume_at": ResumeOption,
    "dataset_size": DatasetSizeOption,
    "batch_size": BatchSizeOption,
    "grad_accum": GradAccumOption,
    "world_size": WorldSizeOption,
    "quiet": QuietOption,
    "config": ConfigOption,
    "key": KeyOption,
}
_COMMON_DEFAULTS: dict[str, Any] = {"log_y": False, "momentum": False, "quiet": False, "print_code": False}
_FLAG_PATHS: dict[str, tuple[KeyPath, str]] = {
    "epochs": (("epochs",), "--epochs"),
    "steps_per_epoch": (("steps_per_epoch",), "--steps-per-epoch"),
    "lr": (("optimizer", "lr"), "--lr"),
    "optimizer": (("optimizer", "name"), "--optimizer"),
    "warmup": (("warmup",), "--warmup"),
    "warmup_start_factor": (("warmup_start_factor",), "--warmup-start-factor"),
    "dataset_size": (("dataset_size",), "--dataset-size"),
    "batch_size": (("batch_size",), "--batch-size"),
    "grad_accum": (("grad_accum",), "--grad-accum"),
    "world_size": (("world_size",), "--world-size"),
}
_INT_FLAGS = {"epochs", "steps_per_epoch", "warmup", "dataset_size", "batch_size", "grad_accum", "world_size"}
_FLOAT_FLAGS = {"lr", "warmup_start_factor"}


def _typed(name: str, text: str, flag: str) -> Any:
    try:
        if name in _INT_FLAGS:
            return int(text)
        if name in _FLOAT_FLAGS:
            return float(text)
    except ValueError:
        kind = "an integer" if name in _INT_FLAGS else "a number"
        raise ConfigError(f"{flag}: expected {kind}, got {text!r}") from None
    return text


def _default_text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _scheduler_param(arg: Any) -> inspect.Parameter:
    extra = " (required)" if arg.default is REQUIRED else f" (default: {_default_text(arg.default)})"
    if arg.kind == "bool":
        flag = arg.flag_name
        option = typer.Option(f"{flag}/--no-{flag[2:]}", help=arg.help + extra, show_default=False)
        annotation: Any = Annotated[bool | None, option]
    else:
        metavar = {
            "int": "N",
            "optional_int": "N",
            "ints": "N,N,...",
            "choice": "|".join(arg.choices),
            "expr": "EXPR",
            "floats": "X",
        }.get(arg.kind, "X")
        option = typer.Option(arg.flag_name, help=arg.help + extra, metavar=metavar, show_default=False)
        annotation = Annotated[str | None, option]
    return inspect.Parameter(f"s_{arg.name}", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)


def _make_command(spec: SchedulerSpec) -> Callable[..., None]:
    params = [_scheduler_param(a) for a in spec.args if a.cli]
    common = dict(COMMON)
    common["epochs"] = Annotated[
        str | None,
        typer.Option("--epochs", "-e", metavar="N", help=f"Epochs to simulate. (default: {spec.epochs_help})"),
    ]
    if spec.name == "ReduceLROnPlateau":
        common["metrics"] = Annotated[
            Path | None,
            typer.Option(
                "--metrics",
                metavar="FILE",
                help="Validation metric per epoch: one number per line (a header and CSV columns are fine; the last column is read).",
            ),
        ]
    for name, annotation in common.items():
        params.append(
            inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY, default=_COMMON_DEFAULTS.get(name), annotation=annotation
            )
        )

    def command(**kwargs: Any) -> None:
        _run_scheduler_command(spec, kwargs)

    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__name__ = spec.command or spec.name
    command.__doc__ = f"{spec.name}: {spec.summary}"
    return command


def _flag_layer(spec: SchedulerSpec, kwargs: dict[str, Any]) -> Layer:
    values: dict[KeyPath, tuple[str, Any]] = {("scheduler", "name"): (f"lrviz {spec.command}", spec.name)}
    for arg in spec.args:
        if not arg.cli:
            continue
        raw = kwargs.get(f"s_{arg.name}")
        if raw is None:
            continue
        value = raw if arg.kind == "bool" else parse_flag_value(arg, raw, arg.flag_name)
        values[("scheduler", arg.name)] = (arg.flag_name, value)
    for name, (path, flag) in _FLAG_PATHS.items():
        raw = kwargs.get(name)
        if raw is not None:
            values[path] = (flag, _typed(name, raw, flag))
    if kwargs.get("metrics") is not None:
        values[("metrics",)] = ("--metrics", kwargs["metrics"])
    if kwargs.get("title") is not None:
        values[("title",)] = ("--title", kwargs["title"])
    return from_flags(values)


def _run_scheduler_command(spec: SchedulerSpec, kwargs: dict[str, Any]) -> None:
    outputs = list(kwargs.get("out") or [])
    check_outputs(outputs)
    layer = _flag_layer(spec, kwargs)
    if kwargs.get("config") is not None:
        layer = merge(load_file(kwargs["config"], kwargs.get("key")), layer)
    elif kwargs.get("key"):
        raise ConfigError("--key needs --config FILE")
    run = build_run(layer)
    if kwargs["print_code"]:
        from lrviz.codegen import pytorch_snippet

        print(pytorch_snippet(run), end="")
        return
    _show(
        run,
        outputs,
        log_y=kwargs["log_y"],
        momentum=kwargs["momentum"],
        every=kwargs.get("every"),
        quiet=kwargs["quiet"],
        resume_at=kwargs.get("resume_at"),
        chart=kwargs.get("chart"),
    )


#: Runs with at least this many points show a progress bar on a terminal.
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

    bar = Progress(console=Console(stderr=True), transient=True)
    bar.add_task("rendering", total=total)
    return bar  # started by the caller once the stepping process is forked


def _warn(messages: list[str], quiet: bool) -> None:
    if not quiet:
        for message in messages:
            print(f"warning: {_one_line(message)}", file=sys.stderr)


def _show(
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
    from lrviz import background
    from lrviz.diagnostics import check_curve, check_run

    _warn(check_run(run), quiet)
    if run.geometry:
        print(f"steps per epoch: {run.geometry}")
    # PyTorch steps in a child process while this one imports the renderer (background.py).
    with background.start(lambda: _simulate(run, momentum, resume_at), fork=_settings["fork"]) as job:
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

    from lrviz.engine import simulate, simulate_resume  # torch: only now that a schedule is stepped

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


for _spec in SCHEDULERS:
    if _spec.command:
        app.command(
            _spec.command,
            help=f"{_spec.name}: {_spec.summary}",
            epilog=f"Example: {_spec.example}",
            no_args_is_help=False,
        )(_make_command(_spec))


@app.command("render", epilog="Example: lrviz render configs/*.yaml --out-dir plots/")
def render(
    files: Annotated[
        list[Path], typer.Argument(metavar="CONFIG.yaml...", help="YAML configs to render.", show_default=False)
    ],
    out: OutOption = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out-dir", "-d", metavar="DIR", help="Write <config stem>.<format> for each config into DIR."),
    ] = None,
    formats: Annotated[
        str, typer.Option("--format", "-f", metavar="EXT,...", help="Formats for --out-dir, comma-separated.")
    ] = "png",
    key: KeyOption = None,
    epochs: EpochsOption = None,
    steps_per_epoch: StepsPerEpochOption = None,
    log_y: LogYOption = False,
    momentum: MomentumOption = False,
    every: EveryOption = None,
    quiet: QuietOption = False,
) -> None:
    """Render schedules described by YAML files (PyTorch's argument names as keys)."""
    outputs = list(out or [])
    suffixes = ["." + f.strip().lower().lstrip(".") for f in formats.split(",") if f.strip()]
    if out_dir is not None:
        check_outputs([Path(f"x{s}") for s in suffixes], flag="--format")
    if outputs and out_dir is not None:
        raise ConfigError("-o/--out and --out-dir cannot be combined; use -o FILE for one config or --out-dir DIR")
    if outputs and len(files) > 1:
        raise ConfigError("-o/--out takes one config; with several, use --out-dir DIR [--format png,csv]")
    check_outputs(outputs)
    overrides = _overrides(epochs, steps_per_epoch)
    if len(files) == 1 and out_dir is None:
        from lrviz.summary import append_step_summary, curves_table

        run = build_run(merge(load_file(files[0], key), from_flags(overrides)))
        curve = _show(run, outputs, log_y=log_y, momentum=momentum, every=every, quiet=quiet)
        append_step_summary("lrviz render", curves_table([(str(files[0]), curve)]))
        return
    from lrviz.batch import Job, render_all

    failures: list[tuple[Path, LrvizError]] = []
    jobs: list[Job] = []
    for path in files:
        try:
            run = build_run(merge(load_file(path, key), from_flags(overrides)))
        except LrvizError as exc:
            failures.append((path, exc))
            _error(str(exc))
            continue
        targets = tuple(out_dir / f"{path.stem}{s}" for s in suffixes) if out_dir is not None else ()
        jobs.append(Job(path, run, targets))
    rendered: list[tuple[str, Any]] = []
    bar = _batch_bar(len(jobs)) if out_dir is not None else None
    try:
        outcomes = render_all(
            jobs,
            log_y=log_y,
            momentum=momentum,
            fork=_settings["fork"],
            after_fork=None if bar is None else bar.start,  # its thread must not exist when forking
        )
        for outcome in outcomes:
            if bar is not None:
                bar.advance(0)
            if outcome.error is not None:
                failures.append((outcome.job.source, outcome.error))
                _error(f"{outcome.job.source}: {outcome.error}")
                continue
            _report(outcome, every=every, quiet=quiet)
            rendered.append((str(outcome.job.source), outcome.curve))
    finally:
        if bar is not None:
            bar.stop()
    from lrviz.summary import append_step_summary, curves_table

    lines = curves_table(rendered)
    lines += [f"- failed: `{p}`: {exc}" for p, exc in failures]
    append_step_summary("lrviz render", lines)
    if failures:
        code = max(exc.exit_code for _, exc in failures)
        raise _Failed(
            f"{len(failures)} of {len(files)} configs failed: " + ", ".join(str(p) for p, _ in failures), code
        )


def _report(outcome: Any, *, every: int | None, quiet: bool) -> None:
    """Print one batch result: the table (no outputs) or the summary and the files written."""
    from lrviz.diagnostics import check_curve, check_run
    from lrviz.render.text import summary_line

    curve = outcome.curve
    _warn(check_run(curve.run) + [f.message for f in check_curve(curve)], quiet)
    if not outcome.job.targets:
        from rich.console import Console

        from lrviz.render.table import print_table

        print(f"== {outcome.job.source}")
        print_table(curve, Console(), every)
        return
    print(f"{outcome.job.source}: {summary_line(curve)}")
    for path in outcome.job.targets:
        print(f"wrote {path}")


def _load_runs(files: Sequence[Path], key: str | None, overrides: dict[KeyPath, tuple[str, Any]]) -> list[RunConfig]:
    return [build_run(merge(load_file(path, key), from_flags(overrides))) for path in files]


def _overrides(epochs: str | None, steps_per_epoch: str | None) -> dict[KeyPath, tuple[str, Any]]:
    overrides: dict[KeyPath, tuple[str, Any]] = {}
    if epochs is not None:
        overrides[("epochs",)] = ("--epochs", _typed("epochs", epochs, "--epochs"))
    if steps_per_epoch is not None:
        overrides[("steps_per_epoch",)] = (
            "--steps-per-epoch",
            _typed("steps_per_epoch", steps_per_epoch, "--steps-per-epoch"),
        )
    return overrides


@app.command("compare", epilog="Example: lrviz compare configs/restarts_article.yaml wr2.yaml -o cmp.png -o cmp.csv")
def compare_command(
    files: Annotated[
        list[Path], typer.Argument(metavar="CONFIG.yaml...", help="YAML configs to overlay.", show_default=False)
    ],
    out: OutOption = None,
    key: KeyOption = None,
    epochs: EpochsOption = None,
    steps_per_epoch: StepsPerEpochOption = None,
    log_y: LogYOption = False,
    title: TitleOption = None,
    every: EveryOption = None,
) -> None:
    """Overlay several schedules: one plot, one LR column each, and where they differ.

    Columns and legend entries are named by each file's `label:` key, or its stem. Differences
    are measured against the first config.
    """
    from lrviz.compare import compare
    from lrviz.engine import simulate
    from lrviz.render import write_comparison
    from lrviz.summary import append_step_summary, curves_table

    outputs = list(out or [])
    check_outputs(outputs)
    runs = _load_runs(files, key, _overrides(epochs, steps_per_epoch))
    curves = [simulate(run) for run in runs]
    cmp = compare(curves, [run.label for run in runs])
    if outputs:
        write_comparison(cmp, outputs, log_y=log_y, title=title)
    else:
        _print_comparison(cmp, every)
    print(cmp.describe())
    for path in outputs:
        print(f"wrote {path}")
    append_step_summary(
        "lrviz compare", [*curves_table(list(zip(cmp.labels, curves, strict=True))), "", cmp.describe()]
    )


def _print_comparison(cmp: Any, every: int | None) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from lrviz.render.table import TARGET_ROWS
    from lrviz.render.text import fmt_lr

    n = len(cmp.epochs)
    step = every or (1 if n <= 200 else -(-n // TARGET_ROWS))
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("epoch", justify="right")
    for label in cmp.labels:
        table.add_column(Text(label), justify="right")
    for i in sorted(set(range(0, n, step)) | {n - 1}):
        cells = ["" if col[i] is None else fmt_lr(col[i]) for col in cmp.columns]
        table.add_row(f"{cmp.epochs[i]:g}", *cells)
    Console().print(table)


@app.command("check", epilog="Example: lrviz check configs/step_decay.yaml --baseline baselines/step_decay.csv")
def check_command(
    config: Annotated[Path, typer.Argument(metavar="CONFIG.yaml", help="The config to check.", show_default=False)],
    baseline: Annotated[
        Path | None,
        typer.Option("--baseline", "-b", metavar="CSV", help="A CSV lrviz wrote earlier (render -o x.csv)."),
    ] = None,
    rtol: Annotated[float, typer.Option("--rtol", min=0.0, help="Relative tolerance against the baseline.")] = 1e-9,
    atol: Annotated[float, typer.Option("--atol", min=0.0, help="Absolute tolerance against the baseline.")] = 0.0,
    final_lr_below: Annotated[
        float | None, typer.Option("--final-lr-below", metavar="X", help="Expect the final LR below X.")
    ] = None,
    lr_never_above: Annotated[
        float | None, typer.Option("--lr-never-above", metavar="X", help="Expect the LR never above X.")
    ] = None,
    restarts: Annotated[
        str | None, typer.Option("--restarts", metavar="E,E,...", help="Expect restarts at exactly these epochs.")
    ] = None,
    key: KeyOption = None,
) -> None:
    """Fail (exit 1) when a schedule changed: against a baseline CSV and the config's `expect:`.

    Expectations come from the YAML's `expect:` mapping (final_lr_below, lr_never_above,
    restarts) and from the flags, which override it.
    """
    from lrviz.check import against_baseline, check_expectations, parse_expectations, read_baseline
    from lrviz.engine import simulate
    from lrviz.summary import append_step_summary, curves_table

    run = build_run(load_file(config, key))
    expect = dict(run.expect)
    flags: dict[str, Any] = {}
    if final_lr_below is not None:
        flags["final_lr_below"] = final_lr_below
    if lr_never_above is not None:
        flags["lr_never_above"] = lr_never_above
    if restarts is not None:
        try:
            flags["restarts"] = [
                int(p) if float(p).is_integer() else float(p) for p in restarts.split(",") if p.strip()
            ]
        except ValueError:
            raise ConfigError(f"--restarts: expected epochs like 5,15,35, got {restarts!r}") from None
    expect.update(parse_expectations(flags, "flags"))
    if baseline is None and not expect:
        raise ConfigError("nothing to check: give --baseline CSV, an expectation flag, or `expect:` in the config")
    base = read_baseline(baseline) if baseline is not None else None
    curve = simulate(run)
    failures = check_expectations(curve, expect)
    if base is not None:
        mismatch = against_baseline(curve, base[1], base[0], rtol, atol)
        if mismatch is not None:
            failures.insert(0, f"{baseline}: {mismatch.describe()}")
    status = "FAILED" if failures else "ok"
    lines = [*curves_table([(str(config), curve)]), "", f"**{status}**", *(f"- {f}" for f in failures)]
    append_step_summary(f"lrviz check {config}", lines)
    if failures:
        for failure in failures:
            print(f"{config}: {failure}", file=sys.stderr)
        raise _Failed(f"{config}: {len(failures)} check(s) failed", 1)
    what = [f"baseline {baseline} ({len(base[1])} points)"] if base is not None else []
    what += [f"{k}" for k in expect]
    print(f"{config}: ok ({', '.join(what)})")


@app.command("plan", epilog="Example: lrviz plan --epochs 75 --max-cycles 5 -o plans.png")
def plan_command(
    epochs: Annotated[int, typer.Option("--epochs", "-e", metavar="N", help="Total training epochs.")],
    t_0: Annotated[int | None, typer.Option("--t0", metavar="N", help="Only plans with this T_0.")] = None,
    t_mult: Annotated[int | None, typer.Option("--t-mult", metavar="N", help="Only plans with this T_mult.")] = None,
    max_cycles: Annotated[
        int | None, typer.Option("--max-cycles", metavar="N", help="Only plans with at most N cycles.")
    ] = None,
    out: OutOption = None,
    lr: LrOption = None,
) -> None:
    """List the (T_0, T_mult) of CosineAnnealingWarmRestarts whose last cycle ends exactly at --epochs.

    Training that ends at the bottom of a cycle ends at the lowest LR, as the cosine-annealing
    advice goes. With -o, draws the first plans as small multiples, each stepped by PyTorch.
    """
    from lrviz.plan import plan_restarts

    outputs = list(out or [])
    check_outputs(outputs)
    plans = plan_restarts(epochs, t_0=t_0, t_mult=t_mult, max_cycles=max_cycles)
    if not plans:
        print(f"no (T_0, T_mult) with 2 or more whole cycles ends exactly at epoch {epochs}")
        return
    shown = plans[:PLAN_ROWS]
    for plan in shown:
        restarts = plan.restarts if plan.cycles <= 12 else (*plan.restarts[:10], "...")
        print(f"{plan.describe()}; restarts at {', '.join(map(str, restarts))}")
    if len(plans) > len(shown):
        print(f"... and {len(plans) - len(shown)} more (narrow with --t0, --t-mult or --max-cycles)")
    if outputs:
        from lrviz.config import from_document
        from lrviz.engine import simulate
        from lrviz.render import write_figure
        from lrviz.render.plot import build_small_multiples

        doc_lr = {} if lr is None else {"lr": _typed("lr", lr, "--lr")}
        curves = [simulate(build_run(from_document({**p.document(), **doc_lr}, "plan"))) for p in shown[:PLAN_PLOTS]]
        write_figure(build_small_multiples(curves, [p.describe() for p in shown[:PLAN_PLOTS]]), outputs)
        for path in outputs:
            print(f"wrote {path}")


PLAN_ROWS = 30
PLAN_PLOTS = 12


@app.command("code", epilog="Example: lrviz code configs/warmup_cosine.yaml > train_schedule.py")
def code_command(
    config: Annotated[
        Path, typer.Argument(metavar="CONFIG.yaml", help="The config to turn into code.", show_default=False)
    ],
    key: KeyOption = None,
) -> None:
    """Print the PyTorch code that builds exactly this optimizer and scheduler, and its loop."""
    from lrviz.codegen import pytorch_snippet

    print(pytorch_snippet(build_run(load_file(config, key))), end="")


class _Failed(LrvizError):
    """Some configs of a batch failed (each already reported)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.exit_code = code


@app.command("list")
def list_schedulers() -> None:
    """List the schedulers, their subcommands and aliases, and their arguments with PyTorch's defaults."""
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False)
    for spec in SCHEDULERS:
        how = f"lrviz {spec.command}" if spec.command else "YAML only"
        aliases = f"; aliases: {', '.join(spec.aliases)}" if spec.aliases else ""
        console.print(f"[bold]{spec.name}[/bold]  ({how}{aliases}; steps per {spec.interval})")
        args = ", ".join(a.name if a.required else f"{a.name}={_default_text(a.default)}" for a in spec.args)
        console.print(f"  {escape(args)}")
        console.print(f"  [dim]{escape(spec.summary)}[/dim]")
    console.print(f"optimizers: {', '.join(OPTIMIZERS)}")


def _app_for(argv: Sequence[str]) -> typer.Typer:
    """The app with only the subcommand ``argv`` names, when it names one.

    Turning every command's signature into click parameters takes 0.03-0.1 s; a run needs
    just its own command. Anything else (``lrviz --help``, an unknown command) gets the
    full app, so its help and suggestions list every command.
    """
    words = [a for a in argv if not a.startswith("-")]
    chosen = [c for c in app.registered_commands if words and c.name == words[0]]
    if not chosen:
        return app
    lean = typer.Typer(**_APP_SETTINGS)
    lean.registered_callback = app.registered_callback
    lean.registered_commands = chosen
    return lean


def main() -> None:
    """Console-script entry point."""
    _settings["fork"] = True
    try:
        typer.main.get_command(_app_for(sys.argv[1:])).main(prog_name="lrviz")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        skip_teardown = "torch" in sys.modules or "matplotlib" in sys.modules
        try:
            for stream in (sys.stdout, sys.stderr):
                if stream is not None:
                    stream.flush()
        except BrokenPipeError:
            # `lrviz ... | head`: the reader left; Python's own flush at exit would print a traceback
            skip_teardown = True
        if skip_teardown:
            # Everything is written and renamed into place; skip the teardown (torch ~0.3 s, matplotlib ~0.15 s).
            os._exit(code)
        raise
