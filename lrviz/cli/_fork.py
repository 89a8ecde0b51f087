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

The installed command starts even earlier: ``prestart`` forks the child first thing, before
typer, the config readers or anything else is imported, when the command line names a
command that steps a schedule. The child imports torch at once and then waits for its job;
``start`` sends it the job pickled (a module-level function and its arguments, see
``_torch.simulate_one``), so reading the flags, the config and building the run all happen
while torch is being imported. A job that does not pickle, or a command that ends without
stepping anything (an error, ``--print-code``), leaves the child unused: ``discard`` kills it.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import traceback
import warnings
from collections.abc import Callable
from types import TracebackType
from typing import Any, Generic, TypeVar

from lrviz.cli._platform import fork_is_safe
from lrviz.cli._torch import portable, prepare
from lrviz.errors import LrvizError

T = TypeVar("T")
E = TypeVar("E", bound=BaseException)


class Job(Generic[T]):
    """A job started by ``start``; ``result()`` waits for it. Use it as a context manager."""

    def __init__(self, fn: Callable[[], T]) -> None:
        self._fn = fn
        self._pid = 0
        self._read = -1
        self._request = -1  # a prestarted child's request pipe, while the job is not all sent
        self._unsent = b""
        self._done = False
        self._value: T | None = None
        self._error: BaseException | None = None

    def result(self) -> T:
        """The job's return value, or its exception raised here."""
        if not self._done:
            self._done = True
            collect_again()
            if not self._pid:  # in-process: errors propagate with their tracebacks
                self._value = self._fn()
                return self._value
            self._send_rest()
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
            if self._request >= 0:
                os.close(self._request)
            self._kill()

    def _send_rest(self) -> None:
        """The part of the job the request pipe could not take at once; then the end of the request."""
        if self._request < 0:
            return
        try:
            os.set_blocking(self._request, True)
            view = memoryview(self._unsent)
            while view:
                view = view[os.write(self._request, view) :]
        except OSError:  # the child is gone: its exit status says why
            pass
        finally:
            os.close(self._request)
            self._request, self._unsent = -1, b""

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
            reaped, status = os.waitpid(self._pid, os.WNOHANG) if outcome is not None else (0, 0)
            if outcome is not None and not reaped:
                # the whole result is here: no need to wait for the child's exit (unmapping torch
                # takes it ~20 ms); ``reap`` collects it when the command ends
                _EXITING.append(self._pid)
                return outcome
            if not reaped:
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


#: Children that sent their whole result and were still exiting then (see ``reap``).
_EXITING: list[int] = []


def reap() -> None:
    """Wait for the children that were still exiting after sending their result."""
    while _EXITING:
        try:
            os.waitpid(_EXITING.pop(), 0)
        except ChildProcessError:  # pragma: no cover - reaped elsewhere
            pass


#: The child's exit status when Ctrl-C stopped it (the parent then raises KeyboardInterrupt).
_INTERRUPTED = 130
#: The child's exit status when its result could not be pickled.
_UNSENDABLE = 3


def start(fn: Callable[[], T], *, fork: bool = True) -> Job[T]:
    """Start ``fn`` in a forked child when that is safe and asked for; in-process otherwise.

    The prestarted child takes the job when there is one and ``fn`` is a module-level function
    of lrviz, or a ``functools.partial`` of one, with picklable arguments (the child imports
    the function's module itself: it was forked before this process defined anything else).
    """
    job = Job(fn)
    spare = _SPARE.pop() if _SPARE else None
    if not fork or "torch" in sys.modules or not fork_is_safe():
        if spare is not None:
            spare.discard()
        return job  # one process: the same values, without the overlap
    if spare is not None:
        try:
            request = _request(fn)
        except Exception:  # a lambda, say: fork a fresh child for it as below
            spare.discard()
        else:
            spare.hand(job, request)
            return job
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


class _Spare:
    """A child forked by ``prestart``: it imports torch, then runs the one job ``start`` sends it."""

    def __init__(self, pid: int, request: int, result: int) -> None:
        self.pid, self.request, self.result = pid, request, result

    def hand(self, job: Job[Any], request: bytes) -> None:
        """Give ``job`` to the child: what the pipe takes now; ``job.result()`` sends the rest."""
        sent = 0
        try:
            os.set_blocking(self.request, False)
            sent = os.write(self.request, request)
        except BlockingIOError:  # the pipe is full: the rest goes when the job's result is wanted
            pass
        except OSError:  # the child is gone already: its exit status says why
            sent = len(request)
        job._pid, job._read, job._request, job._unsent = self.pid, self.result, self.request, request[sent:]
        if not job._unsent:  # all of it: the end of the request lets the child start as soon as torch is in
            job._send_rest()

    def discard(self) -> None:
        """Kill the child, which was not needed, and reap it."""
        collect_again()
        for fd in (self.request, self.result):
            os.close(fd)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)


def _pause_collection() -> None:
    """Stop the cyclic garbage collector while a command imports its modules (``collect_again`` ends it).

    With torch (or typer and matplotlib) imported, each full collection walks hundreds of
    thousands of objects that stay alive until the process exits: the collections triggered
    while the imports allocate cost ~0.1 s of CPU in ``import torch`` alone, and ~0.08 s more
    in the first stepping after it (importing lrviz's adapters). Nothing a command imports is
    garbage, so the collector waits; ``collect_again`` then freezes what was imported
    (``gc.freeze``: later collections skip it) and turns the collector back on. Only the
    installed command does this (``prestart``): library users' processes are left alone.
    """
    if gc.isenabled():
        gc.disable()
        _PAUSED.append(True)


def collect_again() -> None:
    """The end of ``_pause_collection``: freeze what was imported, collect again as usual."""
    if _PAUSED:
        _PAUSED.clear()
        gc.freeze()
        gc.enable()


#: Whether ``_pause_collection`` stopped the collector (so ``collect_again`` restarts it).
_PAUSED: list[bool] = []
#: The prestarted child, until a job takes it or ``discard`` kills it.
_SPARE: list[_Spare] = []
#: A request pipe this large takes any job at once (a batch of runs is tens of kB); Linux only.
_REQUEST_PIPE_SIZE = 1 << 20


def prestart() -> None:
    """Fork a child that imports torch now and steps the schedule ``start`` sends it later.

    Only where forking is safe; nothing happens otherwise (``start`` then runs as without it).
    """
    if _SPARE or "torch" in sys.modules or not fork_is_safe():
        return
    request_read, request_write = os.pipe()
    result_read, result_write = os.pipe()
    try:
        import fcntl

        fcntl.fcntl(request_write, getattr(fcntl, "F_SETPIPE_SZ", 1031), _REQUEST_PIPE_SIZE)
    except (ImportError, OSError):  # another platform, or a lower limit: the job is sent in parts
        pass
    _flush()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(request_write)
            os.close(result_read)
            code = _serve(request_read, result_write, parent)
        finally:
            os._exit(code)
    os.close(request_read)
    os.close(result_write)
    _SPARE.append(_Spare(pid, request_write, result_read))
    _pause_collection()  # until the command waits for its result: what it imports meanwhile stays


def discard() -> None:
    """Kill the prestarted child if no job took it (the command ended without stepping a schedule)."""
    while _SPARE:
        _SPARE.pop().discard()


def _request(fn: Callable[[], Any]) -> bytes:
    """``fn`` and the parent's warning handler, pickled for the prestarted child; TypeError if it cannot go."""
    target = getattr(fn, "func", fn)
    if not getattr(target, "__module__", "").startswith("lrviz."):
        raise TypeError(f"{target!r} is not a function of lrviz the child can import")
    return pickle.dumps((fn, _handler()), pickle.HIGHEST_PROTOCOL)


def _handler() -> Any:
    """The parent's warning handler when it pickles by reference (lrviz's own does), else None."""
    handler = warnings.showwarning
    try:
        pickle.dumps(handler)
    except Exception:
        return None
    return handler


def _serve(request: int, result: int, parent: int) -> int:
    """The prestarted child: import torch, read the job (EOF: none), run it like ``start``'s child."""
    try:
        _die_with(parent)
        _pause_collection()
        try:
            import lrviz.engine  # noqa: F401 - torch and the stepping code, while the parent reads the flags

            prepare()  # what every job needs next, before it arrives
        except Exception:  # the job meets the same error and reports it as it would in one process
            pass
        collect_again()
        with os.fdopen(request, "rb") as pipe:
            data = pipe.read()
        if not data:  # the parent finished without a job (or died)
            return 0
    except KeyboardInterrupt:
        return _INTERRUPTED
    except BaseException:
        return 1
    try:
        fn, handler = pickle.loads(data)
        if handler is not None:  # warnings are shown as the parent, forked later, would show them
            warnings.showwarning = handler
    except Exception as exc:  # reported as start's child reports a failing job
        failure = exc

        def fn() -> Any:
            raise failure

    return _child(fn, result, parent)


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
