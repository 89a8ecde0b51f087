"""The plain flag converters (``lrviz/cli/_coercion.py``) give exactly what typer's own give.

Typer 0.29 converts each value through a pydantic adapter; lrviz converts plain values
itself and hands the rest to typer. Every parameter of every command, fed the same values
(plain, odd and bad ones), must come out the same: an equal value of the same type, or the
same error message. A command run must also not import pydantic at all.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from lrviz.cli import app
from lrviz.cli._coercion import _LAZY, PlainParam, lighten_param, plain_param

pytestmark = pytest.mark.skipif(not _LAZY, reason="this typer converts with click's types (nothing to replace)")

HERE = Path(__file__).resolve()
TEXT = ["abc", "", "ü", "\udcff", "5", "-3", " x ", "a b", "-", "1e-4", "None"]
NUMBERS = [
    *("0", "1", "5", "7", "10", "300", "007", "-1", "+3", "1_000", " 5", "5 ", "1e3", "1.0", "1.5", ".5", "5."),
    *("1e-4", "1E+5", "2.5e-10", "inf", "nan", "-inf", "1e999", "1e99", "00.5", "0001", "99999999999999999999999"),
    *("٣", "abc", "", "0x10", "1,5"),
]
PATHS = ["x.png", "", "-", "out/dir/x.csv", str(HERE), str(HERE.parent), "ü.png", "\udcff.png", "-.json", "~/x"]
BOOLS: list[Any] = [True, False, "true", "1", "no", ""]
SEQUENCES: list[Any] = [("a.png", "b.csv"), (), ("x",), ["y.yaml"], ("", "x"), ("5", "abc"), "loose"]


def _commands() -> list[tuple[str, Any]]:
    group = typer.main.get_command(app)
    ctx = group.make_context("lrviz", ["list"])  # type: ignore[attr-defined]
    found = [("lrviz", group)]
    for name in group.list_commands(ctx):  # type: ignore[attr-defined]
        found.append((name, group.get_command(ctx, name)))  # type: ignore[attr-defined]
    return found


def _params() -> list[tuple[str, Any, Any]]:
    out = []
    for name, command in _commands():
        for param in [*command.params, command.get_help_option(command.make_context(name, [], resilient_parsing=True))]:
            out.append((f"{name} {param.opts[0] if param.opts else param.name}", command, param))
    return out


def _outcome(convert: Any) -> tuple[str, str]:
    """("value", repr of the value with its types) or ("error", class and message)."""
    try:
        value = convert()
    except Exception as exc:  # the same class and message is what counts
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        return ("error", f"{type(exc).__name__}: {message}")
    if isinstance(value, (list, tuple)):
        return ("value", f"{type(value).__name__}{[(type(v).__name__, v) for v in value]!r}")
    return ("value", f"{type(value).__name__} {value!r}")


PARAMS = _params()


@pytest.mark.parametrize(("label", "command", "param"), PARAMS, ids=[p[0] for p in PARAMS])
def test_plain_converter_equals_typers(label: str, command: Any, param: Any) -> None:
    from typer._coercion import build_runtime_param

    param._runtime_param = None  # fresh, whatever an earlier invocation left
    plain = plain_param(param)
    if plain is None:
        pytest.skip(f"{label}: typer converts it ({param.type_descriptor.annotation})")
    assert isinstance(plain, PlainParam)
    theirs = build_runtime_param(param.type_descriptor)
    ctx = command.make_context(command.name or "lrviz", [], resilient_parsing=True)
    kind = plain.kind
    values: list[Any] = [None]
    if plain.many:
        values += SEQUENCES + [tuple(PATHS[:4]), tuple(NUMBERS[:6])]
    elif kind is bool:
        values += BOOLS
    elif kind is Path:
        values += PATHS + TEXT
    elif kind in (int, float):
        values += NUMBERS
    else:
        values += TEXT + NUMBERS[:8] + PATHS
    for value in values:
        ours = _outcome(lambda v=value: plain.coerce(v, param=param, ctx=ctx))
        expected = _outcome(lambda v=value: theirs.coerce(v, param=param, ctx=ctx))
        assert ours == expected, f"{label} {value!r}"


def test_every_plain_parameter_of_the_hot_commands_is_lightened() -> None:
    """The scheduler commands and render use no typer-converted parameter (so no pydantic)."""
    for name, command in _commands():
        if name in ("cosine", "restarts", "onecycle", "render", "hf", "lrviz"):
            for param in command.params:
                param._runtime_param = None
                assert plain_param(param) is not None, f"{name} {param.name}: {param.type_descriptor.annotation}"
                assert lighten_param(param)._runtime_param is not None


@pytest.mark.parametrize(
    ("args", "pydantic"),
    [
        (["cosine", "--t-max", "5", "--epochs", "6", "--every", "2", "-o", "-"], False),
        (["render", "configs/step_decay.yaml", "--epochs", "5", "-o", "-.json"], False),
        (["--help"], False),
        (["cosine", "--every", "0"], True),  # a bad value: typer converts it, with its message
    ],
)
def test_a_command_imports_pydantic_only_for_a_value_typer_must_judge(args: list[str], pydantic: bool) -> None:
    root = HERE.parents[2]
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "lrviz", *args],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=120,
        check=False,
    )
    imported = [
        line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")
    ]
    assert "typer" in imported and "lrviz.cli.commands" in imported, result.stderr[-2000:]
    assert ("pydantic" in imported) is pydantic
