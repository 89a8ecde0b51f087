"""Rendering many configs in one command: step each schedule, then draw the files in parallel.

``render_all`` steps every schedule in one process (torch is imported once): a
child forked by ``background.start`` for the installed command, while this
process imports matplotlib; in-process otherwise. Then it writes the outputs.
Drawing is the slow part (~0.15 s a PNG), so with several configs it runs in a
pool of worker processes forked once matplotlib is imported: the workers start
instantly and run only matplotlib and the file writers. Results come back in
input order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from lrviz.cli import _fork as background
from lrviz.cli._platform import fork_is_safe
from lrviz.cli._torch import simulate_all
from lrviz.errors import LrvizError
from lrviz.model import Curve, RunConfig

#: Below this many configs, a pool costs more than it saves.
MIN_PARALLEL = 3


@dataclass(frozen=True)
class Job:
    """One config to render: where it came from, its validated run and its output files."""

    source: Path
    run: RunConfig
    targets: tuple[Path, ...]


@dataclass
class Outcome:
    """What became of one job: its curve, or the error that stopped it."""

    job: Job
    curve: Curve | None = None
    error: LrvizError | None = None
    notes: list[str] = field(default_factory=list)


# Set in the parent just before forking; the pool's workers read it by index, so curves
# are never pickled on their way to the workers.
_PENDING: list[tuple[Curve, tuple[Path, ...]]] = []
_STYLE: dict[str, Any] = {}


def _write(index: int) -> tuple[int, int, str] | None:
    from lrviz.api.frontend import write_outputs

    curve, targets = _PENDING[index]
    try:
        plot = dict(_STYLE["plot"])
        title = plot.pop("title", None) or curve.run.title
        write_outputs(curve, targets, log_y=_STYLE["log_y"], momentum=_STYLE["momentum"], title=title, **plot)
    except LrvizError as exc:
        return index, exc.exit_code, str(exc)
    return None


def _worker_started(parent: int) -> None:
    """In each pool worker: die with the parent, and on SIGTERM/SIGHUP exit through ``finally`` blocks,
    so a file being written leaves no temporary file (the pool's terminate() sends SIGTERM)."""
    import signal
    import sys

    def leave(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)  # SystemExit: multiprocessing ends the worker quietly

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), leave)
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before that took effect
        raise SystemExit(1)


def workers_for(count: int) -> int:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(cpus, count) if count >= MIN_PARALLEL else 1


def render_all(
    jobs: Sequence[Job],
    *,
    log_y: bool,
    momentum: bool,
    plot: dict[str, Any] | None = None,
    fork: bool = False,
    after_fork: Callable[[], object] | None = None,
) -> Iterator[Outcome]:
    """Step every job's schedule, write its files, and yield the outcomes in order.

    The stepping runs in a child process when ``fork`` allows (background.py);
    ``after_fork`` is called once it has started (the caller shows its progress bar then).
    Files are drawn by a pool of forked workers only where ``_platform`` says forking is
    safe (not on Windows or macOS, not while another thread runs, not with LRVIZ_NO_FORK=1);
    elsewhere one by one in this process, with the same bytes.
    """
    runs = [job.run for job in jobs]
    with background.start(partial(simulate_all, runs, momentum), fork=fork and bool(runs)) as stepping:
        if after_fork is not None:
            after_fork()
        if any(job.targets for job in jobs):
            from lrviz.api.frontend import import_renderers

            import_renderers([path for job in jobs for path in job.targets])  # while the child imports torch
        stepped = stepping.result()
    outcomes = [Outcome(job, curve, error) for job, (curve, error) in zip(jobs, stepped, strict=True)]
    ready = [o for o in outcomes if o.curve is not None and o.job.targets]
    _PENDING[:] = [(o.curve, o.job.targets) for o in ready if o.curve is not None]
    _STYLE.update(log_y=log_y, momentum=momentum, plot=dict(plot or {}))
    workers = workers_for(len(ready))
    position = {id(o): i for i, o in enumerate(ready)}
    try:
        if workers > 1 and fork_is_safe():
            import multiprocessing

            import lrviz.render.plot  # noqa: F401 - imported once here, inherited by the forked workers

            pool = multiprocessing.get_context("fork").Pool(workers, _worker_started, (os.getpid(),))
            finished = False
            try:
                results = pool.imap(_write, range(len(ready)), chunksize=1)
                yield from _in_order(outcomes, position, results)
                pool.close()  # every file written: the workers end on the pool's sentinel
                pool.join()
                finished = True
            finally:
                # terminate() only when cut short (an error, Ctrl-C): on an idle pool it can hang in
                # CPython's Pool._help_stuff_finish (seen in CI after every file was written)
                if not finished:
                    pool.terminate()
        else:
            yield from _in_order(outcomes, position, (_write(i) for i in range(len(ready))))
    finally:
        _PENDING.clear()


def _in_order(
    outcomes: list[Outcome], position: dict[int, int], results: Iterator[tuple[int, int, str] | None]
) -> Iterator[Outcome]:
    """Yield every outcome in input order, taking written results as they arrive."""
    for outcome in outcomes:
        if id(outcome) in position:
            failure = next(results)
            if failure is not None:
                _, code, message = failure
                error = LrvizError(message)
                error.exit_code = code
                outcome.error = error
        yield outcome
