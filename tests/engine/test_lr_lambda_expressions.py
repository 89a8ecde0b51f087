"""lr_lambda expressions: the whitelist evaluates like Python and rejects everything else."""

from __future__ import annotations

import math

import pytest

from lrviz.errors import ConfigError, ScheduleError
from lrviz.expr import Expression

CASES = [
    "0.95 ** epoch",
    "min(1, (epoch + 1) / 5)",
    "0.9 if epoch < 10 else 0.99",
    "0.5 * (1 + cos(pi * epoch / 20))",
    "max(0.1, 1 - epoch // 3 * 0.1)",
    "exp(-0.1 * epoch) + sqrt(epoch) % 1",
    "1 if 2 <= epoch < 5 and not epoch == 3 else 0.5",
    "abs(-epoch) / (epoch + 1) + floor(epoch / 4) - ceil(epoch / 4) + log(e)",
    "-epoch + +2 or 1",
]


@pytest.mark.parametrize("source", CASES)
def test_evaluates_exactly_like_python(source: str) -> None:
    ns = {
        "__builtins__": {},
        "min": min,
        "max": max,
        "abs": abs,
        **{k: getattr(math, k) for k in ("cos", "sin", "exp", "log", "sqrt", "floor", "ceil", "pi", "e")},
    }
    reference = eval(f"lambda epoch: {source}", ns)  # noqa: S307 - the reference, in a test
    expr = Expression(source)
    for epoch in range(0, 30):
        assert expr(epoch) == reference(epoch)


@pytest.mark.parametrize(
    ("source", "culprit"),
    [
        ("__import__('os').system('true')", "__import__"),
        ("epoch.__class__", "epoch.__class__"),
        ("open('x')", "open('x')"),
        ("[1, 2][0]", "[1, 2]"),
        ("lambda: 1", "lambda: 1"),
        ("x + 1", "x"),
        ("'a' * 3", "'a'"),
        ("epoch @ 2", "epoch @ 2"),
        ("min(*[1])", "min(*[1])"),
        ("(y := 2)", "y := 2"),
    ],
)
def test_rejects_anything_else_naming_the_part(source: str, culprit: str) -> None:
    with pytest.raises(ConfigError, match="not allowed") as info:
        Expression(source)
    assert culprit in str(info.value)


@pytest.mark.parametrize("source", ["", "   ", "1 +", "epoch if", "(" * 500 + "1" + ")" * 500, "1" * 2000])
def test_rejects_syntax_and_size(source: str) -> None:
    with pytest.raises(ConfigError):
        Expression(source)


def test_runtime_failures_name_the_epoch() -> None:
    with pytest.raises(ScheduleError, match="failed at epoch 0"):
        Expression("1 / epoch")(0)
    with pytest.raises(ScheduleError, match="too large"):
        Expression("10 ** 10 ** 10")(1)
    with pytest.raises(ScheduleError, match="not a number"):
        Expression("epoch < 3")(1)


@pytest.mark.parametrize("source", CASES)
def test_pickles_as_its_source(source: str) -> None:
    # the installed command sends the curve (and its run's expressions) back from a child process
    import pickle

    expr = Expression(source)
    copy = pickle.loads(pickle.dumps(expr))
    assert copy.source == expr.source
    assert [copy(k) for k in range(12)] == [expr(k) for k in range(12)]
