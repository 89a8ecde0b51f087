"""A speed-up the ``lrviz`` command takes in its own process, never in library use.

``Optimizer.add_param_group`` is wrapped by ``torch._disable_dynamo``, which imports
``torch._dynamo`` (about a second) on first use only to guard against tracing by
``torch.compile``; it caches the plain function as ``fn.__dynamo_disable`` on that first
call. Nothing is compiled by lrviz, so the command pre-fills that cache and the import
never happens. It is taken only when the installed torch still works that way (the
wrapper reads that attribute); otherwise torch imports dynamo as usual, values unchanged.
``tests/test_cli_torch.py`` fails when a torch release changes the mechanism.
"""

from __future__ import annotations

from typing import Any

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


def simulate(run: Any, **kwargs: Any) -> Any:
    """The run's adapter's ``simulate`` in the command's process, with the shortcut taken first."""
    from lrviz import frameworks

    skip_dynamo_import()
    return frameworks.for_run(run).simulate(run, **kwargs)
