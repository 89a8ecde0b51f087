"""What resolving an interpolation costs, estimated from the raw text before OmegaConf resolves anything.

OmegaConf re-resolves a key each time it is referenced, without memoizing, so 760 bytes of
``${b}${b}`` doubling take an hour and ``${a}`` chains can recurse deep. ``refusal``
measures a value lrviz reads (the characters it resolves to, how deep its references go, how
many resolutions it takes, each memoized by the ``Meter``) against the budget (``lrviz.budget``:
``RESOLVED_CHARS``, ``RESOLUTION_DEPTH``, ``RESOLUTIONS``); a value over it is an error, never
resolved. The estimate follows references
(``${a.b}``, ``${..x}``, ``${oc.select:a,default}``); a resolver's output counts as its text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lrviz import budget
from lrviz.errors import option
from lrviz.keys import KeyPath, dotted

_REFERENCE = re.compile(r"\.*[A-Za-z_][\w\-]*(?:(?:\.[\w\-]+)|(?:\[\d+\]))*|\.+")


def refusal(meter: Meter, path: KeyPath, spent: int) -> tuple[str | None, int]:
    """Why resolving the value at ``path`` is refused (or None), and what it costs in resolutions.

    ``spent`` is what the document's values read so far took: ``RESOLUTIONS`` bounds the total.
    The text the value resolves to, how deep its references go and how many resolutions it takes
    are estimated from the raw text, before OmegaConf resolves anything."""
    size, depth, work = meter.measure(path)
    reason = None
    if budget.RESOLVED_CHARS.exceeded(size):
        reason = budget.RESOLVED_CHARS.refusal("", f"its resolved text of {_count(size)} characters").message
    elif budget.RESOLUTION_DEPTH.exceeded(depth):
        reason = budget.RESOLUTION_DEPTH.refusal("", f"a chain of {_count(depth)} references").message
    elif budget.RESOLUTIONS.exceeded(work) or spent + work > budget.RESOLUTIONS.value:
        reason = budget.RESOLUTIONS.refusal(
            "", f"resolving it (with the values read before it) in {_count(spent + work)} steps"
        ).message
    if reason is None:
        return None, work
    me = dotted(path).replace("[", ".").replace("]", "")
    return f"is not resolved: {reason.lstrip(': ')} (or set it with {option('overrides')} {me}=VALUE)", 0


def _count(n: int) -> str:
    """A cost as a number, or "more than N" once the meter saturated."""
    cap = 1000 * max(budget.RESOLVED_CHARS.value, budget.RESOLUTIONS.value, budget.RESOLUTION_DEPTH.value)
    return f"more than {cap:,}" if n >= cap else f"{n:,}"


def at(root: Any, path: KeyPath) -> Any:
    """The value at ``path`` in plain data (KeyError, IndexError or TypeError when there is none)."""
    node = root
    for key in path:
        node = node[key]
    return node


class Meter:
    """Estimates, without resolving, what resolving a value costs: (characters, depth, resolutions).

    Costs saturate a little above the largest limit, so the numbers stay small whatever the bomb."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self.cap = 1000 * max(budget.RESOLVED_CHARS.value, budget.RESOLUTIONS.value, budget.RESOLUTION_DEPTH.value)
        self.memo: dict[KeyPath, tuple[int, int, int]] = {}
        self.active: set[KeyPath] = set()

    def measure(self, path: KeyPath) -> tuple[int, int, int]:
        if path in self.memo:
            return self.memo[path]
        if path in self.active or len(self.active) > 10 * budget.RESOLUTION_DEPTH.value:
            return (0, len(self.active), 0)  # a cycle (OmegaConf reports it) or far too deep already
        try:
            node = at(self.root, path)
        except (KeyError, IndexError, TypeError):
            return (0, 0, 0)
        self.active.add(path)
        try:
            cost = self._node(node, path)
        finally:
            self.active.discard(path)
        cost = (min(cost[0], self.cap), min(cost[1], self.cap), min(cost[2], self.cap))
        self.memo[path] = cost
        return cost

    def _node(self, node: Any, path: KeyPath) -> tuple[int, int, int]:
        if isinstance(node, dict | list):
            items = node.items() if isinstance(node, dict) else enumerate(node)
            size = depth = work = 0
            for key, _ in items:
                s, d, w = self.measure((*path, key))
                size, depth, work = size + s + 1, max(depth, d), work + w
                if size > self.cap or work > self.cap:
                    break
            return size, depth, work
        if not isinstance(node, str) or "${" not in node:
            return len(str(node)), 0, 0
        size, depth, work = len(node), 0, 0
        for body in interpolations(node):
            target = self.target(body, path)
            if target is None:
                continue
            s, d, w = self.measure(target)
            size, depth, work = size + s, max(depth, d + 1), work + w + 1
            if size > self.cap or work > self.cap:
                break
        return size, depth, work

    def target(self, body: str, path: KeyPath) -> KeyPath | None:
        body = body.strip()
        if ":" in body.split("${")[0]:  # a resolver: its arguments' references are found on their own
            name, _, args = body.partition(":")
            if name.strip() != "oc.select":
                return None
            body = args.split(",")[0].strip()
        if not _REFERENCE.fullmatch(body):
            return None
        dots = len(body) - len(body.lstrip("."))
        parts: list[Any] = [int(p) if p.isdigit() else p for p in re.split(r"[.\[\]]+", body.lstrip(".")) if p]
        base: KeyPath = () if dots == 0 else path[: max(0, len(path) - dots)]
        return (*base, *parts)


def interpolations(text: str) -> Iterator[str]:
    """The body of every ``${...}`` in ``text``, nested ones too (``${oc.select:${a},1}`` gives both)."""
    starts: list[int] = []
    i = 0
    while i < len(text):
        if text.startswith("\\${", i):
            i += 3
            continue
        if text.startswith("${", i):
            starts.append(i + 2)
            i += 2
            continue
        if text[i] == "}" and starts:
            yield text[starts.pop() : i]
        i += 1
