"""``lrviz watch LOG --plan CONFIG``: follow a run's growing log and hold each logged LR against the plan."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from lrviz.cli.options import (
    KeyOption,
    LogXColumnOption,
    LogYColumnOption,
    QuietOption,
    RunNameOption,
    SkippedStepsOption,
    with_file_options,
)
from lrviz.cli.show import _Failed, notes
from lrviz.errors import ConfigError


@with_file_options
def watch_command(
    log: Annotated[
        Path,
        typer.Argument(
            metavar="LOG",
            help="The run's log as it is written: a TensorBoard run dir, metrics.csv, trainer_state.json, a CSV/JSONL, "
            "or a tracker's (mlflow.db, mlruns/, a W&B offline run, trackio, dvclive, ...).",
            show_default=False,
        ),
    ],
    plan: Annotated[
        Path | None, typer.Option("--plan", "-p", metavar="CONFIG", help="The config the run should follow.")
    ] = None,
    stop: Annotated[
        bool,
        typer.Option(
            "--stop", help="At the first mismatch: exit 1 at once (and interrupt --pid), instead of watching on."
        ),
    ] = False,
    pid: Annotated[
        int | None,
        typer.Option("--pid", metavar="PID", help="With --stop: send SIGINT to this training process (a clean stop)."),
    ] = None,
    signal_name: Annotated[
        str,
        typer.Option("--signal", metavar="INT|TERM", help="The signal --stop sends to --pid."),
    ] = "INT",
    poll: Annotated[
        float, typer.Option("--poll", metavar="SECONDS", min=0.01, help="Re-read the log every SECONDS.")
    ] = 1.0,
    idle: Annotated[
        float,
        typer.Option("--idle", metavar="SECONDS", min=0.0, help="End after SECONDS without a new logged step."),
    ] = 600.0,
    once: Annotated[bool, typer.Option("--once", help="Read the log once, check what is there, and exit.")] = False,
    x: LogXColumnOption = None,
    y: LogYColumnOption = None,
    run_name: RunNameOption = None,
    rtol: Annotated[
        float | None,
        typer.Option("--rtol", min=0.0, help="Relative tolerance. (default: 1e-6, or what the log's digits allow)"),
    ] = None,
    atol: Annotated[float, typer.Option("--atol", min=0.0, help="Absolute tolerance.")] = 0.0,
    out: Annotated[
        list[Path] | None,
        typer.Option("--out", "-o", metavar="FILE.sarif", help="Write a SARIF report of the mismatch (.sarif)."),
    ] = None,
    annotate: Annotated[
        bool | None,
        typer.Option(
            "--annotate/--no-annotate",
            help="Print a GitHub annotation at the config line that explains the mismatch. (default: on under "
            "GitHub Actions)",
            show_default=False,
        ),
    ] = None,
    skipped_steps: SkippedStepsOption = None,
    key: KeyOption = None,
    quiet: QuietOption = False,
    options: dict[str, Any] | None = None,
) -> None:
    """Watch a run as it trains: each new logged LR against the plan, the bug named at the first mismatch.

    For loops without the LRGuard callback (from lrviz.guard import LRGuard). Exit 1 when the run
    left the plan (with --stop, at once), 0 when it followed it to the plan's end or went idle.
    """
    from lrviz import api
    from lrviz.cli._torch import simulate
    from lrviz.cli.sources import _read

    options = options or {}
    sarif = list(out or [])
    for path in sarif:
        if path.suffix.lower() != ".sarif":
            raise ConfigError(f"-o/--out {path}: watch writes a SARIF report (.sarif)")
    if plan is None and options.get("config_dir") is None:
        raise ConfigError("--plan CONFIG: the config the run should follow is required")
    if pid is not None and not stop:
        raise ConfigError("--pid needs --stop (the process is interrupted at the first mismatch)")
    signals = {"INT": signal.SIGINT, "TERM": signal.SIGTERM}
    if signal_name.upper().removeprefix("SIG") not in signals:
        raise ConfigError(f"--signal: expected INT or TERM, got {signal_name!r}")
    sent = signals[signal_name.upper().removeprefix("SIG")]
    run = _read(plan, key, options)
    notes(run, quiet)
    from lrviz.cli.logs import with_skipped_steps

    curve = with_skipped_steps(simulate(run), skipped_steps)
    label = plan or Path(str(options.get("config_name")))
    print(f"watching {log} against {label} ({curve.points:,} optimizer steps)", file=sys.stderr, flush=True)

    warned: list[Any] = []  # the verdict printed as it came (a watch without --stop reads on, then ends)

    def report(verdict: Any, check: Any) -> None:
        if verdict is not None:
            warned.append(verdict)
            print(f"warning: {log}: {verdict.message}", file=sys.stderr, flush=True)

    result = api.watch(
        log,
        curve,
        x=x,
        y=y,
        run=run_name,
        rtol=rtol,
        atol=atol,
        poll=poll,
        idle=idle,
        once=once,
        stop_at_verdict=stop,
        on_step=report,
        reported_skips=not skipped_steps,
    )
    if result.verdict is not None:
        if result.verdict not in warned:  # decided at the end of what was logged
            print(f"warning: {log}: {result.verdict.message}", file=sys.stderr, flush=True)
        if stop and pid is not None:
            _interrupt(pid, sent)
        if plan is not None and (sarif or annotate is not False):
            from lrviz.cli.logs import write_annotations

            write_annotations(plan, [(result.verdict.kind, f"{log}: {result.verdict.message}")], sarif, annotate)
        where = f"stopped at optimizer step {result.last_step}" if stop else f"watched to step {result.last_step}"
        raise _Failed(
            f"{log}: the LR left the plan at optimizer step {result.verdict.first_step} "
            f"({result.verdict.kind or 'no known pattern'}); {where}",
            1,
        )
    how = {"plan_end": "to the plan's end", "idle": f"until idle for {idle:g} s", "once": "so far"}[result.ended]
    if result.observed == 0:
        print(f"{log}: no LR logged yet", file=sys.stderr)
        return
    print(
        f"{log}: followed the plan at all {result.observed:,} logged steps {how} (last step {result.last_step}, rtol {result.rtol:g})"
    )


def _interrupt(pid: int, sent: signal.Signals) -> None:
    try:
        os.kill(pid, sent)
    except ProcessLookupError:
        pass
    except PermissionError:
        raise ConfigError(f"--pid {pid}: not allowed to interrupt that process") from None
