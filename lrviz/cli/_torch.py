"""A speed-up the ``lrviz`` command takes in its own process, never in library use.

``Optimizer.add_param_group`` is wrapped by ``torch._disable_dynamo``, which imports
``torch._dynamo`` (about a second) on first use only to guard against tracing by
``torch.compile``; it caches the plain function as ``fn.__dynamo_disable`` on that first
call. Nothing is compiled by lrviz, so the command pre-fills that cache and the import
never happens. It is taken only when the installed torch still works that way (the
wrapper reads that attribute); otherwise torch imports dynamo as usual, values unchanged.
``tests/engine/test_simulate_equals_pytorch.py`` fails when a torch release changes the mechanism.

It also holds the jobs a command sends to the process that imported torch
(``simulate_one``, ``simulate_all``, see ``_fork.py``): they are pickled by reference, so
this module imports nothing that the child would not need anyway (no typer, no renderer).
"""

from __future__ import annotations

import contextlib
import dataclasses
import pickle
import sys
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from lrviz.errors import LrvizError

E = TypeVar("E", bound=BaseException)

_CACHE = "__dynamo_disable"


def _wrapped() -> tuple[Any, Any] | None:
    """(wrapper, plain function) of ``Optimizer.add_param_group`` when the cache mechanism is the known one."""
    import torch

    wrapper = torch.optim.Optimizer.add_param_group
    inner = getattr(wrapper, "__wrapped__", None)
    code = getattr(wrapper, "__code__", None)
    if inner is None or code is None or _CACHE not in code.co_consts:
        return None
    return wrapper, inner


def shortcut_applies() -> bool:
    """Whether the installed torch caches the dynamo-disabled function the way this module expects."""
    return _wrapped() is not None


def skip_dynamo_import() -> None:
    """Let ``add_param_group`` run without importing ``torch._dynamo`` (see the module docstring)."""
    found = _wrapped()
    if found is not None and not hasattr(found[1], _CACHE):
        setattr(found[1], _CACHE, found[1])


def prepare() -> None:
    """In the process that imported torch, before its job arrives: lrviz's adapters and the shortcut above."""
    from lrviz import frameworks

    frameworks.adapters()
    skip_dynamo_import()


def simulate(run: Any, **kwargs: Any) -> Any:
    """The run's adapter's ``simulate`` in the command's process, with the shortcut taken first."""
    from lrviz import frameworks

    skip_dynamo_import()
    return frameworks.for_run(run).simulate(run, **kwargs)


#: Runs of at least this many points draw a progress bar on a terminal.
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


def simulate_one(run: Any, momentum: bool, resume_at: int | None) -> Any:
    """Everything one command needs from torch: the curve, and the resumed run when asked for."""
    from lrviz import frameworks

    with _progress(run.points) as progress:
        curve = simulate(run, momentum=momentum, progress=progress)
    if resume_at is not None:
        curve = dataclasses.replace(
            curve, resume_at=resume_at, resumed=frameworks.for_run(run).simulate_resume(run, resume_at)
        )
    return curve


def simulate_all(runs: list[Any], momentum: bool) -> list[tuple[Any, Any]]:
    """The curves of a batch, in order: (curve, None), or (None, the LrvizError that stopped it)."""
    results: list[tuple[Any, Any]] = []
    for run in runs:
        try:
            results.append((simulate(run, momentum=momentum), None))
        except LrvizError as exc:
            results.append((None, portable(exc)))
    return results


def portable(error: E) -> E | LrvizError:
    """``error`` if it survives pickling, else an LrvizError with its message and exit status.

    An exception class with its own ``__init__`` may pickle but fail to unpickle.
    """
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return _plain(error)
    return error


def _plain(error: BaseException) -> LrvizError:
    """An error that survives pickling: the same message and exit status."""
    plain = LrvizError(str(error))
    plain.exit_code = error.exit_code if isinstance(error, LrvizError) else LrvizError.exit_code
    return plain
