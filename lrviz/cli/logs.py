"""A run's logged LR against the plan, for ``check --against`` and ``compare CONFIG LOG``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from lrviz.cli.sources import _read, _sources
from lrviz.errors import ConfigError


def _read_log(
    path: Path, x: str | None, y: str | None, run: str | None = None, points: int | None = None, plan: Any = None
) -> Any:
    """A run's log on the plan's optimizer steps (``plan``: its run or curve); with ``points`` (the plan's
    optimizer steps) only those steps' LRs are held."""
    from lrviz import api

    return api.read_log(path, x=x, y=y, run=run, window=None if points is None else range(points), plan=plan)


def discovered(against: Path, run: str | None) -> list[tuple[str, Path, str | None]] | None:
    """The logs under ``against`` when it is a directory holding several (``lrviz.api.logs.find_logs``)."""
    from lrviz.api.logs import find_logs

    return find_logs(against, run)


def check_discovered(
    curve: Any,
    against: Path,
    entries: list[tuple[str, Path, str | None]],
    x: str | None,
    y: str | None,
    rtol: float | None,
    atol: float,
    found: list[tuple[str | None, str]] | None = None,
    reported_skips: bool = True,
) -> list[str]:
    """``check --against DIR``: list the logs found, then check each; the failures, one line each."""
    from lrviz.api.logs import with_run_skips
    from lrviz.errors import LrvizError

    print(f"{against}: {len(entries)} logs found:")
    for kind, path, run in entries:
        print(f"  {kind:<13} {path}" + (f" --run {run}" if run else ""))
    failures = []
    logs = []
    for kind, path, run in entries:
        label = f"{path}" + (f" --run {run}" if run else "")
        try:
            logs.append((label, path, _read_log(path, x, y, run, curve.points, curve)))
        except LrvizError as exc:
            print(f"{label}: {exc.message}", file=sys.stderr)
            failures.append(f"{label}: not read ({kind})")
    for label, path, log in logs:
        if reported_skips:
            log, counted = with_run_skips(log, [other for _, _, other in logs])
            if counted is not None:
                print(f"{label}: held where {counted.source} counts skipped iterations (the same LRs: one run)")
        failures += [
            f.replace(str(path), label, 1)
            for f in _against_log(
                curve, log, path, rtol, atol, [], against, draw=False, found=found, reported_skips=reported_skips
            )
        ]
    return failures


def _against_log(
    curve: Any,
    log: Any,
    path: Path,
    rtol: float | None,
    atol: float,
    outputs: list[Path],
    config: Path,
    draw: bool = True,
    found: list[tuple[str | None, str]] | None = None,
    reported_skips: bool = True,
) -> list[str]:
    """Compare the plan with a run's log: print the report, draw the overlay, return the failures.
    ``reported_skips=False`` (``--skipped-steps`` given): the user's holds, not the log's counts."""
    from lrviz import api

    tolerance = api.Tolerance.for_log(log, rtol, atol)
    report = api.check(curve, against=log, tolerance=tolerance, reported_skips=reported_skips).log
    assert report is not None  # checked against a log, the report holds its comparison
    for line in report.describe():
        print(line, file=sys.stderr if not report.ok else sys.stdout)
    if draw and (not report.ok or outputs):
        from lrviz.api.logs import hold_steps, save_overlay

        stream = sys.stderr if not report.ok else sys.stdout
        targets = outputs or [Path(f"{config.stem}-vs-{path.name.split('.')[0] or 'log'}.png")]
        if not outputs and (targets[0].exists() or targets[0].is_symlink()):
            # a name nobody asked for: an existing file of that name is never replaced
            print(
                f"{targets[0]} exists; the overlay was not drawn over it (give -o {targets[0]} to replace it)",
                file=stream,
            )
            targets = []
        if targets:  # the plan as compared: held where the log counts skipped iterations
            holds = next((d.data["holds"] for d in report.diagnoses if d.code == "skipped"), None)
            save_overlay(hold_steps(curve, holds) if holds else curve, log, report, *targets)
        for target in targets:
            print(f"wrote {target}", file=stream)
    if report.ok:
        return []
    causes = report.causes
    if found is not None:
        kind = causes[0].code if causes else None
        found.append((kind, f"{path}: " + (causes[0].message if causes else report.describe()[0])))
    return [f"{path}: the logged LR differs from the plan" + (f" ({causes[0].code})" if causes else "")]


def _is_log(path: Path) -> bool:
    """A run's log rather than a config (``lrviz.api.logs.is_log``)."""
    from lrviz.api.logs import is_log

    return is_log(path)


def _compare_with_logs(
    configs: list[Path], logs: list[Path], key: str | None, options: dict[str, Any], outputs: list[Path], quiet: bool
) -> None:
    """``lrviz compare CONFIG LOG``: the plan against each log, reported; never a failing exit."""
    from lrviz.api.logs import compare_with_log, hold_steps, save_overlay
    from lrviz.cli._torch import simulate
    from lrviz.cli.show import notes

    sources = _sources(configs, options)
    if len(sources) != 1:
        raise ConfigError("compare a run's log against one config: lrviz compare CONFIG LOG [LOG ...]")
    run = _read(sources[0], key, options)
    notes(run, quiet)
    curve = simulate(run)
    for path in logs:
        log = _read_log(path, None, None, points=curve.points, plan=curve)
        report = compare_with_log(curve, log)
        for line in report.describe():
            print(line)
        if outputs:  # the plan as compared: held where the log counts skipped iterations
            holds = next((d.data["holds"] for d in report.diagnoses if d.code == "skipped"), None)
            save_overlay(hold_steps(curve, holds) if holds else curve, log, report, *outputs)
            for target in outputs:
                print(f"wrote {target}")


def annotate_check(
    config: Path, found: list[tuple[str | None, str]], sarif: list[Path], annotate: bool | None, key: str | None
) -> None:
    """``check``'s failures as SARIF and, with ``--annotate`` or on GitHub Actions, one workflow command each.

    A log diagnosis is placed at the key that explains it (``lrviz.annotations``); a failed expectation at
    its ``expect.NAME`` line and a baseline at the scheduler node (``lrviz.summary.github_annotations``).
    """
    import os

    from lrviz.api.reports import summary_annotations

    on = bool(annotate) or (annotate is None and os.environ.get("GITHUB_ACTIONS") == "true")
    if sarif or (on and found):
        write_annotations(config, found, sarif, on, kinds_only=True)
    if on:
        plain = [message for kind, message in found if kind is None]
        for annotation in summary_annotations(config, plain, key):
            print(annotation)


def write_annotations(
    config: Path,
    found: list[tuple[str | None, str]],
    sarif: list[Path],
    annotate: bool | None,
    *,
    kinds_only: bool = False,
) -> None:
    """The failures as SARIF files and (``--annotate``, or on GitHub Actions) workflow commands on stdout.

    ``kinds_only``: print workflow commands only for the log diagnoses (the caller annotates the rest).
    """
    import os

    from lrviz.api.reports import annotation_commands, save_sarif

    if annotate or (annotate is None and os.environ.get("GITHUB_ACTIONS") == "true"):
        for line in annotation_commands(config, found, kinds_only=kinds_only):
            print(line)
    if sarif:
        save_sarif(config, found, *sarif)
        for target in sarif:
            print(f"wrote {target}", file=sys.stderr)


def with_skipped_steps(curve: Any, skipped: str | None) -> Any:
    """The plan with ``--skipped-steps K[@STEP]``: its scheduler held for K optimizer steps from STEP (GradScaler)."""
    if not skipped:
        return curve
    from lrviz.api.logs import hold_steps

    holds = []
    for part in skipped.split(","):
        count, _, at = part.strip().partition("@")
        try:
            k, start = int(count), int(at or 0)
        except ValueError:
            raise ConfigError(
                f"--skipped-steps: expected K or K@STEP, comma-separated (e.g. 3 or 1@0,2@10), got {skipped!r}"
            ) from None
        if k < 0 or start < 0:
            raise ConfigError(f"--skipped-steps: expected non-negative numbers, got {skipped!r}")
        holds.append((k, start))
    return hold_steps(curve, holds)
