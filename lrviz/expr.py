"""A tiny arithmetic language for ``lr_lambda``: parsed with ``ast``, never run as Python.

An expression like ``"0.95 ** epoch"`` or ``"min(1, (epoch + 1) / 5)"`` is
parsed once and checked node by node against a whitelist; evaluation walks the
tree. Allowed: numbers, the variable ``epoch``, the constants ``pi`` and ``e``,
``+ - * / // % **``, unary ``+ -``, comparisons, ``and``/``or``/``not``,
``x if c else y``, and the functions min, max, abs, cos, sin, exp, log, sqrt,
floor, ceil. Anything else is a ConfigError naming the offending part.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

from lrviz.errors import ConfigError, ScheduleError

Number = int | float

_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
    ast.Not: operator.not_,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_FUNCS: dict[str, Callable[..., Any]] = {
    "min": min,
    "max": max,
    "abs": abs,
    "cos": math.cos,
    "sin": math.sin,
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "floor": math.floor,
    "ceil": math.ceil,
}
_CONSTS: dict[str, float] = {"pi": math.pi, "e": math.e}
VARIABLE = "epoch"
MAX_LENGTH = 1000
#: Integer powers whose result would exceed this many bits are refused (no 10**10**10 hangs).
MAX_INT_BITS = 4096

#: Deeper expressions are refused: evaluation recurses once per level.
MAX_DEPTH = 100

Evaluator = Callable[[Number], Any]


def _depth(node: ast.AST) -> int:
    """Nesting depth of an expression tree, without recursing (it may be deeper than the stack)."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(current))
    return deepest


def _checked_pow(base: Any, exp: Any) -> Any:
    if isinstance(base, int) and isinstance(exp, int) and exp > 0 and abs(base) > 1:
        if exp * abs(base).bit_length() > MAX_INT_BITS:
            raise OverflowError("integer power too large")
    return operator.pow(base, exp)


class Expression:
    """A parsed ``lr_lambda``; call it with the epoch (as PyTorch does)."""

    def __init__(self, source: str) -> None:
        if not isinstance(source, str):
            raise ConfigError(f"expected an expression string, got {type(source).__name__}")
        text = source.strip()
        if not text:
            raise ConfigError("empty expression")
        if len(text) > MAX_LENGTH:
            raise ConfigError(f"expression longer than {MAX_LENGTH} characters")
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as exc:
            raise ConfigError(f"{text!r} is not a valid expression: {exc.msg}") from None
        except (ValueError, RecursionError, MemoryError):
            raise ConfigError(f"{text!r} is not a valid expression") from None
        self.source = text
        if _depth(tree.body) > MAX_DEPTH:
            raise ConfigError(f"{text!r} is nested more than {MAX_DEPTH} levels deep")
        try:
            self._eval = self._compile(tree.body)
        except RecursionError:
            raise ConfigError(f"{text!r} is nested too deeply") from None

    def __reduce__(self) -> tuple[type[Expression], tuple[str]]:
        """Pickled as its source, parsed again on loading (the compiled closures do not pickle)."""
        return (Expression, (self.source,))

    def __call__(self, epoch: Number) -> float:
        try:
            value = self._eval(epoch)
        except (ArithmeticError, ValueError, TypeError, RecursionError) as exc:
            raise ScheduleError(f"lr_lambda {self.source!r} failed at epoch {epoch}: {exc}") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScheduleError(f"lr_lambda {self.source!r} gave {value!r} at epoch {epoch}, not a number")
        return value

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"

    def _reject(self, node: ast.AST, what: str) -> ConfigError:
        shown = ast.get_source_segment(self.source, node) or ast.unparse(node)
        return ConfigError(
            f"{what} {shown!r} is not allowed in an lr_lambda expression "
            f"(use numbers, epoch, + - * / // % **, comparisons, x if c else y, "
            f"and {', '.join(_FUNCS)}, pi, e)"
        )

    def _compile(self, node: ast.AST) -> Evaluator:
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self._reject(node, "the constant")
            return lambda epoch: value
        if isinstance(node, ast.Name):
            if node.id == VARIABLE:
                return lambda epoch: epoch
            if node.id in _CONSTS:
                const = _CONSTS[node.id]
                return lambda epoch: const
            raise self._reject(node, "the name")
        if isinstance(node, ast.BinOp):
            op_type = type(node.op)
            if op_type not in _BINOPS:
                raise self._reject(node, "the operator in")
            fn = _checked_pow if op_type is ast.Pow else _BINOPS[op_type]
            left, right = self._compile(node.left), self._compile(node.right)
            return lambda epoch: fn(left(epoch), right(epoch))
        if isinstance(node, ast.UnaryOp):
            if type(node.op) not in _UNARY:
                raise self._reject(node, "the operator in")
            ufn, operand = _UNARY[type(node.op)], self._compile(node.operand)
            return lambda epoch: ufn(operand(epoch))
        if isinstance(node, ast.Compare):
            first = self._compile(node.left)
            pairs = []
            for op, comp in zip(node.ops, node.comparators, strict=True):
                if type(op) not in _COMPARE:
                    raise self._reject(node, "the comparison")
                pairs.append((_COMPARE[type(op)], self._compile(comp)))

            def compare(epoch: Number) -> bool:
                left = first(epoch)
                for cmp, get in pairs:
                    right = get(epoch)
                    if not cmp(left, right):
                        return False
                    left = right
                return True

            return compare
        if isinstance(node, ast.BoolOp):
            values = [self._compile(v) for v in node.values]
            if isinstance(node.op, ast.And):

                def all_of(epoch: Number) -> Any:
                    result: Any = True
                    for v in values:
                        result = v(epoch)
                        if not result:
                            return result
                    return result

                return all_of

            def any_of(epoch: Number) -> Any:
                result: Any = False
                for v in values:
                    result = v(epoch)
                    if result:
                        return result
                return result

            return any_of
        if isinstance(node, ast.IfExp):
            test, body, orelse = self._compile(node.test), self._compile(node.body), self._compile(node.orelse)
            return lambda epoch: body(epoch) if test(epoch) else orelse(epoch)
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCS or node.keywords:
                raise self._reject(node, "the call")
            if any(isinstance(a, ast.Starred) for a in node.args) or not node.args:
                raise self._reject(node, "the call")
            func = _FUNCS[node.func.id]
            args = [self._compile(a) for a in node.args]
            return lambda epoch: func(*(a(epoch) for a in args))
        raise self._reject(node, "the expression")
