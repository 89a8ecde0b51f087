"""Run the PyTorch half of a command in a forked process while this one prepares the output.

``import torch`` costs about 2 s and ``import matplotlib`` about 0.7 s more, one after the
other in one process. They do not depend on each other: ``start`` forks a child that
imports torch and steps the schedule while the parent imports the renderer it will need
(matplotlib for a plot, rich for a table), so on two or more cores a plot costs little
more than ``import torch``. The child sends its result back pickled over a pipe (a Curve
is arrays and plain data, a few bytes a point) and exits without torch's teardown. Its
values are the same PyTorch values: the same ``engine.simulate`` runs, in another process.

The parent keeps every user-visible effect (printing, writing files, exit codes): the child
only computes (and draws the progress bar of a long run on a terminal). An ``LrvizError``
raised in the child is raised again in the parent; anything else becomes a one-line
``LrvizError`` (the CLI runs in-process under ``--debug``, where tracebacks are wanted). Without ``os.fork`` (Windows), when torch is
already imported here (the test suite), or once another thread runs (a progress bar),
``start`` runs the job in-process instead: a forked child gets only the calling thread, and
locks other threads held (torch's thread pools, a stream's buffer) would stay held in it.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Generic, TypeVar

from lrviz.cli._platform import fork_is_safe
from lrviz.errors import LrvizError

T = TypeVar("T")
E = TypeVar("E", bound=BaseException)


class Job(Generic[T]):
    """A job started by ``start``; ``result()`` waits for it. Use it as a context manager."""

    def __init__(self, fn: Callable[[], T]) -> None:
        self._fn = fn
        self._pid = 0
        self._read = -1
        self._done = False
        self._value: T | None = None
        self._error: BaseException | None = None

    def result(self) -> T:
        """The job's return value, or its exception raised here."""
        if not self._done:
            self._done = True
            if not self._pid:  # in-process: errors propagate with their tracebacks
                self._value = self._fn()
                return self._value
            self._value, self._error = self._collect()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]

    def __enter__(self) -> Job[T]:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        """A job nobody waited for (the parent failed first) is killed and reaped, never left behind."""
        if self._pid and not self._done:
            self._done = True
            os.close(self._read)
            self._kill()

    def _kill(self) -> None:
        os.kill(self._pid, signal.SIGKILL)
        os.waitpid(self._pid, 0)

    def _collect(self) -> tuple[T | None, BaseException | None]:
        outcome: tuple[T | None, BaseException | None] | None = None
        try:
            with os.fdopen(self._read, "rb") as pipe:
                try:
                    outcome = pickle.load(pipe)
                except Exception:  # nothing sent, or cut short by the child's death: its status says why
                    outcome = None
            # the pipe is closed before waiting, so a child still writing gets EPIPE instead of blocking
            _, status = os.waitpid(self._pid, 0)
        except BaseException:  # Ctrl-C while waiting: the child got it too; make sure it is gone
            self._kill()
            raise
        code = os.waitstatus_to_exitcode(status)
        if outcome is not None and code == 0:
            return outcome
        if code == _INTERRUPTED:
            return None, KeyboardInterrupt()
        if code in (0, _UNSENDABLE):
            return None, LrvizError(
                "internal error: the result of stepping the schedule could not be passed back "
                "(please report it; run with --debug or LRVIZ_DEBUG=1 to step in one process)"
            )
        if code == -signal.SIGKILL:
            how = "was killed by SIGKILL before it finished (out of memory?)"
        elif code < 0:
            how = f"was killed by {signal.Signals(-code).name} before it finished"
        else:
            how = f"exited with status {code} before it finished"
        return None, LrvizError(f"the process stepping the schedule {how}")  # exit 1: not the input's fault


#: The child's exit status when Ctrl-C stopped it (the parent then raises KeyboardInterrupt).
_INTERRUPTED = 130
#: The child's exit status when its result could not be pickled.
_UNSENDABLE = 3


def start(fn: Callable[[], T], *, fork: bool = True) -> Job[T]:
    """Start ``fn`` in a forked child when that is safe and asked for; in-process otherwise."""
    job = Job(fn)
    if not fork or "torch" in sys.modules or not fork_is_safe():
        return job  # one process: the same values, without the overlap
    _flush()
    parent = os.getpid()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, and leave without running any cleanup of the parent's
        code = 1
        try:
            os.close(read)
            code = _child(fn, write, parent)
        finally:
            os._exit(code)  # whatever happened above, the child never returns into the parent's code
    os.close(write)
    job._pid, job._read = pid, read
    return job


def _child(fn: Callable[[], T], write: int, parent: int) -> int:
    """Run ``fn`` and pickle (value, error) into ``write``; the child's exit status."""
    try:
        _die_with(parent)
        value, error = _call(fn)
        with os.fdopen(write, "wb") as pipe:
            try:
                pickle.dump((value, None if error is None else portable(error)), pipe, pickle.HIGHEST_PROTOCOL)
            except (pickle.PicklingError, TypeError, AttributeError):
                return _UNSENDABLE
        return 0
    except KeyboardInterrupt:
        return _INTERRUPTED
    except BaseException:  # e.g. the parent went away (EPIPE): it reports a child that ended without a result
        return 1
    finally:
        _flush()


def _die_with(parent: int) -> None:
    """Have the kernel kill this child when the parent dies (``kill PID``), rather than step on alone."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # it died before that took effect
        raise SystemExit(1)


def _flush() -> None:
    """Flush stdout and stderr where they exist (``2>&-`` leaves None) and still accept writes."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            try:
                stream.flush()
            except (OSError, ValueError):
                pass


def portable(error: E) -> E | LrvizError:
    """``error`` if it survives pickling, else an LrvizError with its message and exit status.

    An exception class with its own ``__init__`` may pickle but fail to unpickle.
    """
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return _plain(error)
    return error


def _call(fn: Callable[[], T]) -> tuple[T | None, BaseException | None]:
    """In the child, run ``fn``: (value, None), or (None, the error to raise in the parent)."""
    try:
        return fn(), None
    except LrvizError as exc:
        return None, exc
    except Exception as exc:  # a bug in lrviz or an unexpected PyTorch failure
        return None, _internal(exc)


def _internal(exc: Exception) -> LrvizError:
    """A bug, in one line: what and where (the CLI shows tracebacks under --debug, in one process)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else ""
    return LrvizError(  # exit 1: a bug, not the input's fault
        f"internal error: {type(exc).__name__}: {exc}{where} "
        "(please report it; run with --debug or LRVIZ_DEBUG=1 for the traceback)"
    )


def _plain(error: BaseException) -> LrvizError:
    """An error that survives pickling: the same message and exit status."""
    plain = LrvizError(str(error))
    plain.exit_code = error.exit_code if isinstance(error, LrvizError) else LrvizError.exit_code
    return plain
