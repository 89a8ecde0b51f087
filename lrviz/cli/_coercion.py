"""Plain conversion of flag values, where typer 0.29 would build a pydantic adapter for each.

Typer 0.29 converts every parameter's value, even an absent one, through a pydantic
``TypeAdapter`` built on first use: the first costs ``import pydantic`` (~0.1 s), each
further one a schema (~1 ms), about 0.15 s per command in all (``bench/README.md``).
lrviz's parameters are plain: ``str``, ``int`` (with a minimum), ``float``, ``bool``, ``Path``
and lists of those, all optional. ``lighten`` gives each such parameter a converter with
typer's contract (``coerce(value, param=, ctx=)``) that handles the plain cases itself and
hands anything else to typer's own converter, so every value is converted and every bad
value rejected with exactly typer's result or message (``tests/cli/test_flag_coercion.py``
compares the two on each parameter of each command).

Typer before 0.29 converts with click's types, which cost nothing to set up: ``lighten``
does nothing there, and nothing on a typer whose parameters no longer work this way.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

#: Typer's default path settings: with these, converting a path is ``Path(value)`` (see ``_path``).
_PLAIN_PATH = {
    "exists": False,
    "file_okay": True,
    "dir_okay": True,
    "writable": False,
    "resolve_path": False,
    "allow_dash": False,
    "path_type": None,
}
#: Numbers written the one way every parser reads alike; anything else goes to typer.
_INT = re.compile(r"(0|[1-9][0-9]{0,17})")
_FLOAT = re.compile(r"[0-9]{1,30}(\.[0-9]{1,30})?([eE][-+]?[0-9]{1,2})?")


class _Typer(Exception):
    """This value is typer's to convert (or to reject, with its own message)."""


class PlainParam:
    """Converts one parameter's plain values; hands the rest to typer's own converter."""

    def __init__(self, kind: type, many: bool, info: Any) -> None:
        self.kind, self.many, self.info = kind, many, info

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        multiple = param.multiple or param.nargs == -1
        if value is None:  # what typer returns for an absent value
            return () if multiple else None
        try:
            if self.many and isinstance(value, (list, tuple)) and multiple:
                return [self._one(item) for item in value]
            if not self.many and not multiple:
                return self._one(value)
        except _Typer:
            pass
        return _typer_param(param).coerce(value, param=param, ctx=ctx)

    def _one(self, value: Any) -> Any:
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            raise _Typer
        if not isinstance(value, str) or not _text(value):
            raise _Typer
        if self.kind is str:
            return value
        if self.kind is Path:
            return _path(value, self.info)
        if self.kind is int and _INT.fullmatch(value):
            return self._in_range(int(value))
        if self.kind is float and _FLOAT.fullmatch(value):
            return self._in_range(float(value))
        raise _Typer

    def _in_range(self, number: float) -> Any:
        low, high = self.info.min, self.info.max
        if (low is not None and number < low) or (high is not None and number > high):
            raise _Typer  # typer clamps or rejects it with its message
        return number


def _text(value: str) -> bool:
    """Non-empty and valid Unicode (a non-UTF-8 file name arrives with surrogate escapes)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return value != ""


def _path(value: str, info: Any) -> Path:
    """``Path(value)``, as typer returns for a path parameter with its default settings."""
    if any(getattr(info, name) != plain for name, plain in _PLAIN_PATH.items()):
        raise _Typer
    if info.readable and os.path.exists(value) and not os.access(value, os.R_OK):
        raise _Typer  # typer says it is not readable
    return Path(value)


def _typer_param(param: Any) -> Any:
    """Typer's own converter for ``param``."""
    from typer._coercion import build_runtime_param

    return build_runtime_param(param.type_descriptor)


def plain_param(param: Any) -> PlainParam | None:
    """A ``PlainParam`` for a parameter of typer 0.29's kind whose type is plain; None otherwise."""
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or getattr(param, "_runtime_param", False) is not None:
        return None
    info = descriptor.parameter_info
    annotation = descriptor.annotation
    if descriptor.file_annotation is not None or getattr(info, "parser", None) is not None:
        return None
    many = getattr(annotation, "__origin__", None) is list
    kind = annotation.__args__[0] if many else annotation
    if kind not in (str, int, float, bool, Path) or (many and kind is bool):
        return None
    if kind in (int, float) and getattr(info, "clamp", False):
        return None
    return PlainParam(kind, many, info)


def _lazy_converters() -> bool:
    """Whether this typer builds each parameter's converter on first use (0.29), which ``lighten`` replaces."""
    try:
        from typer._coercion import build_runtime_param  # noqa: F401 - the fallback must exist
        from typer.core import _TyperParameter
    except ImportError:
        return False
    return hasattr(_TyperParameter, "get_runtime_param")


_LAZY = _lazy_converters()


def lighten_param(param: Any) -> Any:
    """Give ``param`` a plain converter when it is typer 0.29's and its type is plain; return it."""
    if _LAZY and param is not None:
        plain = plain_param(param)
        if plain is not None:
            param._runtime_param = plain
    return param


def lighten(command: Any, args: list[str]) -> list[str]:
    """Give the parameters of ``command`` (a click command built by typer) plain converters; return ``args``.

    Called as the command parses ``args``: only for typer's lazily built converters (typer
    0.29: ``get_runtime_param`` fills ``_runtime_param`` on first use); any other typer's
    parameters are left as they are.
    """
    for param in getattr(command, "params", ()):
        lighten_param(param)
    return args
