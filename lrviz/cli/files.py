"""The commands that read config files: ``render``, ``compare``, ``check`` and ``code``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from lrviz.api.frontend import check_outputs
from lrviz.cli._platform import may_fork
from lrviz.cli._targets import _batch_targets, _inputs
from lrviz.cli.logs import (
    _against_log,
    _compare_with_logs,
    _is_log,
    _read_log,
    annotate_check,
    check_discovered,
    discovered,
    with_skipped_steps,
)
from lrviz.cli.options import (
    FLAGS,
    CommandOption,
    DpiOption,
    EveryOption,
    KeyOption,
    LogXColumnOption,
    LogYColumnOption,
    LogYOption,
    MomentumOption,
    OutOption,
    ParamOption,
    QuietOption,
    RunNameOption,
    SizeOption,
    SkippedStepsOption,
    StyleOption,
    TitleOption,
    plot_options,
    second_series,
    with_file_options,
)
from lrviz.cli.show import _batch_bar, _error, _explain, _Failed, _print_comparison, _warn, notes, show
from lrviz.cli.sources import _name, _one_source, _read, _sources
from lrviz.errors import ConfigError, LrvizError


@with_file_options
def render(
    files: Annotated[
        list[Path] | None,
        typer.Argument(metavar="CONFIG...", help="Config files to render (YAML or JSON).", show_default=False),
    ] = None,
    out: OutOption = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out-dir", "-d", metavar="DIR", help="Write <config stem>.<format> for each config into DIR."),
    ] = None,
    formats: Annotated[
        str, typer.Option("--format", "-f", metavar="EXT,...", help="Formats for --out-dir, comma-separated.")
    ] = "png",
    key: KeyOption = None,
    log_y: LogYOption = False,
    momentum: MomentumOption = False,
    param: ParamOption = "lr",
    title: TitleOption = None,
    dpi: DpiOption = None,
    size: SizeOption = None,
    style: StyleOption = None,
    every: EveryOption = None,
    quiet: QuietOption = False,
    command: CommandOption = None,
    options: dict[str, Any] | None = None,
) -> None:
    """Render the schedules of config files: lrviz's own, Hydra, LightningCLI, JSON (PyTorch's argument names).

    A training config is read where its trainer reads it: the scheduler node (found by itself, or
    --key), the optimizer beside or above it, trainer.max_epochs and Lightning's interval.
    ${...} interpolation is resolved by OmegaConf; --set fills or overrides keys first.
    """
    options = {**(options or {}), **({"command": command} if command is not None else {})}
    momentum = second_series(param, options) or momentum
    sources = _sources(files, options)
    plot = plot_options(dpi, size, style)
    outputs = list(out or [])
    suffixes = ["." + f.strip().lower().lstrip(".") for f in formats.split(",") if f.strip()]
    if out_dir is not None:
        check_outputs([Path(f"x{s}") for s in suffixes], flag="--format", files=False)
    if outputs and out_dir is not None:
        raise ConfigError("-o/--out and --out-dir cannot be combined; use -o FILE for one config or --out-dir DIR")
    if outputs and len(sources) > 1:
        raise ConfigError("-o/--out takes one config; with several, use --out-dir DIR [--format png,csv]")
    check_outputs(outputs, stdout=len(sources) == 1, inputs=_inputs(sources, options))
    targets_of = _batch_targets(sources, options, out_dir, suffixes) if out_dir is not None else {}
    from lrviz.api.reports import step_summary

    if len(sources) == 1 and out_dir is None:
        run = _read(sources[0], key, options)
        if options.get("explain"):
            _explain(run)
        curve = show(run, outputs, log_y=log_y, momentum=momentum, every=every, quiet=quiet, plot=plot, title=title)
        step_summary("lrviz render", [(str(_name(sources[0], options)), curve)])
        return
    from lrviz.cli._batch import Job, render_all

    failures: list[tuple[Path, LrvizError]] = []
    jobs: list[Job] = []
    for source in sources:
        path = _name(source, options)
        try:
            run = _read(source, key, options)
            if options.get("explain"):
                _explain(run, prefix=f"{source}: ")
        except LrvizError as exc:
            failures.append((path, exc))
            _error(exc.render(FLAGS))
            continue
        jobs.append(Job(path, run, targets_of.get(path, ())))
    rendered: list[tuple[str, Any]] = []
    bar = _batch_bar(len(jobs)) if out_dir is not None else None
    try:
        outcomes = render_all(
            jobs,
            log_y=log_y,
            momentum=momentum,
            plot={**plot, **({"title": title} if title else {})},
            fork=may_fork(),
            after_fork=None if bar is None else bar.start,
        )
        for outcome in outcomes:
            if bar is not None:
                bar.advance(0)
                bar.refresh()
            if outcome.error is not None:
                failures.append((outcome.job.source, outcome.error))
                _error(f"{outcome.job.source}: {outcome.error.render(FLAGS)}")
                continue
            _report(outcome, every=every, quiet=quiet)
            rendered.append((str(outcome.job.source), outcome.curve))
    finally:
        if bar is not None:
            bar.stop()
    step_summary("lrviz render", rendered, [f"- failed: `{p}`: {exc.render(FLAGS)}" for p, exc in failures])
    if failures:
        code = max(exc.exit_code for _, exc in failures)
        raise _Failed(
            f"{len(failures)} of {len(sources)} configs failed: " + ", ".join(str(p) for p, _ in failures), code
        )


def _report(outcome: Any, *, every: int | None, quiet: bool) -> None:
    """Print one batch result: the table (no outputs) or the summary and the files written."""
    from lrviz.api import frontend, terminal

    curve = outcome.curve
    source = outcome.job.source
    notes(curve.run, quiet, prefix=f"{source}: ")
    found = frontend.run_warnings(curve.run) + [f.message for f in frontend.curve_findings(curve)]
    _warn([f"{source}: {m}" for m in found], quiet)
    if not outcome.job.targets:
        print(f"== {outcome.job.source}")
        terminal.print_table(curve, every=every)
        return
    print(f"{outcome.job.source}: {terminal.summary_line(curve)}")
    for path in outcome.job.targets:
        print(f"wrote {path}")


@with_file_options
def compare_command(
    files: Annotated[
        list[Path] | None,
        typer.Argument(metavar="CONFIG...", help="Config files to overlay (YAML or JSON).", show_default=False),
    ] = None,
    out: OutOption = None,
    key: KeyOption = None,
    log_y: LogYOption = False,
    title: TitleOption = None,
    dpi: DpiOption = None,
    size: SizeOption = None,
    style: StyleOption = None,
    every: EveryOption = None,
    quiet: QuietOption = False,
    rtol: Annotated[
        float | None, typer.Option("--rtol", min=0.0, help="Relative tolerance, as for check. (default: 1e-9)")
    ] = None,
    atol: Annotated[float, typer.Option("--atol", min=0.0, help="Absolute tolerance, as for check.")] = 0.0,
    options: dict[str, Any] | None = None,
) -> None:
    """Overlay several schedules: one plot, one LR column each, and where they differ.

    Give one config and a run's log (trainer_state.json, metrics.csv, TensorBoard events, a CSV)
    to compare the plan with what the run logged, as `check --against` does, without failing.

    Columns and legend entries are named by each file's `label:` key, or its stem. Differences
    are measured against the first config.
    """
    from lrviz import api  # the API (and what it imports) off the --help path
    from lrviz.api.reports import step_summary
    from lrviz.cli._torch import simulate

    outputs = list(out or [])
    options = options or {}
    check_outputs(outputs, inputs=_inputs(list(files or []), options))
    logs = [f for f in files or [] if _is_log(f)]
    if logs:
        _compare_with_logs([f for f in files or [] if f not in logs], logs, key, options, outputs, quiet)
        return
    runs = [_read(source, key, options) for source in _sources(files, options)]
    for run in runs:
        notes(run, quiet)
    curves = [simulate(run) for run in runs]
    cmp = api.compare(curves, labels=[run.label for run in runs], tolerance=api.CURVES.with_rtol(rtol).with_atol(atol))
    if outputs:
        api.save(cmp, *outputs, log_y=log_y, title=title, **plot_options(dpi, size, style))
    else:
        _print_comparison(cmp, every)
    print(cmp.describe())
    for path in outputs:
        print(f"wrote {path}")
    step_summary("lrviz compare", list(zip(cmp.labels, curves, strict=True)), ["", cmp.describe()])


@with_file_options
def check_command(
    config: Annotated[
        Path | None, typer.Argument(metavar="CONFIG", help="The config to check.", show_default=False)
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline", "-b", metavar="FILE", help="A CSV or JSON lrviz wrote earlier (render -o x.csv or x.json)."
        ),
    ] = None,
    against: Annotated[
        Path | None,
        typer.Option(
            "--against",
            metavar="LOG",
            help="A run's logged LR: trainer_state.json, Lightning metrics.csv, TensorBoard events (file or run "
            "dir), or a CSV/JSONL with --x/--y. Exit 1 with a diagnosis when it differs from the plan.",
        ),
    ] = None,
    x: LogXColumnOption = None,
    y: LogYColumnOption = None,
    run_name: RunNameOption = None,
    out: OutOption = None,
    rtol: Annotated[
        float | None,
        typer.Option(
            "--rtol",
            min=0.0,
            help="Relative tolerance. (default: 1e-9 against a baseline; against a log 1e-6 (float32), or what "
            "the digits it was written with allow: 1e-5 for %.6g)",
        ),
    ] = None,
    atol: Annotated[float, typer.Option("--atol", min=0.0, help="Absolute tolerance.")] = 0.0,
    final_lr_below: Annotated[
        float | None, typer.Option("--final-lr-below", metavar="X", help="Expect the final LR below X.")
    ] = None,
    lr_never_above: Annotated[
        float | None, typer.Option("--lr-never-above", metavar="X", help="Expect the LR never above X.")
    ] = None,
    restarts: Annotated[
        str | None, typer.Option("--restarts", metavar="E,E,...", help="Expect restarts at exactly these epochs.")
    ] = None,
    skipped_steps: SkippedStepsOption = None,
    annotate: Annotated[
        bool | None,
        typer.Option(
            "--annotate/--no-annotate",
            help="Print GitHub annotations (::error file=CONFIG,line=N::...) at the config line that explains each "
            "failure. (default: on under GitHub Actions)",
            show_default=False,
        ),
    ] = None,
    key: KeyOption = None,
    quiet: QuietOption = False,
    options: dict[str, Any] | None = None,
) -> None:
    """Fail (exit 1) when a schedule changed: against a baseline CSV and the config's `expect:`.

    Expectations come from the YAML's `expect:` mapping (final_lr_below, lr_never_above,
    restarts) and from the flags, which override it.
    """
    from lrviz import api  # the API (and what it imports) off the --help path
    from lrviz.api.frontend import PLOT_SUFFIXES, parse_expectations
    from lrviz.api.reports import step_summary
    from lrviz.cli._torch import simulate

    options = options or {}
    (source,) = _one_source(config, options)
    config = _name(source, options)
    run = _read(source, key, options)
    notes(run, quiet)
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
    if baseline is None and against is None and not expect:
        raise ConfigError(
            "nothing to check: give --baseline CSV, --against LOG, an expectation flag, or `expect:` in the config"
        )
    outputs = [p for p in out or [] if p.suffix.lower() != ".sarif"]
    sarif = [p for p in out or [] if p.suffix.lower() == ".sarif"]
    check_outputs(outputs, inputs=_inputs([source], options, baseline, against))

    for path in outputs:
        if against is None or path.suffix.lower() not in PLOT_SUFFIXES:
            raise ConfigError(
                f"-o/--out {path}: check writes the overlay against --against LOG (.png, .svg, .pdf) or a SARIF report (.sarif)"
            )
    base = api.load_baseline(baseline) if baseline is not None else None
    several = discovered(against, run_name) if against is not None else None
    if several and outputs:
        raise ConfigError(
            f"-o/--out draws one log's overlay; {against} holds {len(several)} logs: name one with --against"
        )
    # the plan's length is known before it is stepped: only those steps' LRs are held from the log
    log = _read_log(against, x, y, run_name, run.points, run) if against is not None and several is None else None
    curve = simulate(run)
    if log is not None and against is not None and curve.points != run.points:  # a framework stepped its own count
        log = _read_log(against, x, y, run_name, curve.points, curve)
    if skipped_steps:
        curve = with_skipped_steps(curve, skipped_steps)
    verdict = api.check(curve, baseline=base, expect=expect, tolerance=api.CURVES.with_rtol(rtol).with_atol(atol))
    failures = verdict.describe()
    found: list[tuple[str | None, str]] = [(None, f) for f in failures]
    if log is not None and against is not None:
        failures += _against_log(
            curve, log, against, rtol, atol, outputs, config, found=found, reported_skips=not skipped_steps
        )
    if several and against is not None:
        failures += check_discovered(
            curve, against, several, x, y, rtol, atol, found=found, reported_skips=not skipped_steps
        )
    annotate_check(config, found, sarif, annotate, key)
    status = "FAILED" if failures else "ok"
    step_summary(f"lrviz check {config}", [(str(config), curve)], ["", f"**{status}**", *(f"- {f}" for f in failures)])
    if failures:
        for failure in failures:
            print(f"{config}: {failure}", file=sys.stderr)
        raise _Failed(f"{config}: {len(failures)} check(s) failed", 1)
    what = [f"baseline {baseline} ({len(base.values)} points)"] if base is not None else []
    what += [f"log {against}"] if against is not None else []
    what += [f"{k}" for k in expect]
    print(f"{config}: ok ({', '.join(what)})")


@with_file_options
def code_command(
    config: Annotated[
        Path | None, typer.Argument(metavar="CONFIG", help="The config to turn into code.", show_default=False)
    ] = None,
    key: KeyOption = None,
    param: ParamOption = "lr",
    options: dict[str, Any] | None = None,
) -> None:
    """Print the code that builds exactly this optimizer and scheduler, and its loop (PyTorch, transformers or timm).

    With --param weight_decay, the loop prints the weight decay the framework's scheduler sets beside the LR."""
    from lrviz import api  # the API (and what it imports) off the --help path

    options = options or {}
    second_series(param, options)  # --param weight_decay reaches the reader, which keeps it in the run
    (source,) = _one_source(config, options)
    print(api.code(_read(source, key, options)), end="")
