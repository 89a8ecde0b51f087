"""Resolving one value of a config with OmegaConf, when lrviz reads it (``lrviz.config.lazy``).

``Resolver`` holds a document's plain data. OmegaConf's container for it is built on the first
read of a value that interpolates, with every other ``${...}`` held out (OmegaConf parses each
interpolation it is given, which alone took seconds for a few thousand unread values). Reading a
value puts in only the values it refers to, checks the cost (``cost.refusal``) before OmegaConf
resolves anything, and resolves it; a value that cannot be resolved becomes an ``Unresolved``,
an error only where lrviz takes it. ``oc.env`` reads only the variables allowed.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lrviz.config import cost
from lrviz.config.lazy import wrap
from lrviz.errors import option, redact
from lrviz.keys import KeyPath, dotted

#: Where a held-out value sits in OmegaConf's container: a missing value, so reading it is never silent.
_HELD = "???"


@dataclass(frozen=True)
class Unresolved:
    """A value OmegaConf could not resolve: an error once lrviz reads it."""

    raw: str  # the text in the file: ``${trainer.max_epochs}`` or ``???``
    reason: str  # one sentence: what is wrong and how to fix it


class Resolver:
    """The values of one document, resolved by OmegaConf one at a time as they are read."""

    def __init__(self, raw: Mapping[str, Any], allow_env: Sequence[str] = ()) -> None:
        self.raw = raw
        self.allow_env = tuple(allow_env)
        self.meter = cost.Meter(raw)
        self.cfg: Any = None
        self.held: set[KeyPath] = set()  # interpolations not yet in ``cfg``
        self.rejected: dict[str, Unresolved] = {}  # placeholder in ``cfg`` -> why
        self.spent = 0
        self.memo: dict[KeyPath, Any] = {}

    def document(self) -> dict[str, Any]:
        """The document as lazy containers: nothing is resolved until it is read."""
        out: dict[str, Any] = wrap(self.raw, (), self)
        return out

    def may_be_container(self, path: KeyPath, raw: str) -> bool:
        """Whether ``raw`` can resolve to a mapping or a list: a lone ``${...}`` (not ``${a}-${b}``)."""
        seen = 0
        while seen < 64:
            seen += 1
            text = raw.strip()
            if not (text.startswith("${") and text.endswith("}")) or sum(1 for _ in cost.interpolations(text)) != 1:
                return False
            target = self.meter.target(text[2:-1], path)
            if target is None:
                return True  # a resolver (oc.create, oc.dict.values, ...): may be anything
            try:
                node = cost.at(self.raw, target)
            except (KeyError, IndexError, TypeError):
                return False  # not in the file: an error when read, never a mapping
            if not isinstance(node, str):
                return isinstance(node, Mapping | list)
            path, raw = target, node
        return True

    def value(self, path: KeyPath, raw: str) -> Any:
        """The resolved value at ``path`` (its raw text ``raw``), or an ``Unresolved`` saying why not."""
        if path in self.memo:  # a copy of the document read it already
            return self.memo[path]
        self.memo[path] = value = self._value(path, raw)
        return value

    def _value(self, path: KeyPath, raw: str) -> Any:
        if raw.strip() == "???":
            return Unresolved("???", reason(None, "???", path))
        refused, work = cost.refusal(self.meter, path, self.spent)
        if refused is not None:
            return Unresolved(raw[:80], refused)
        self.spent += work
        if self.cfg is None:
            self._build()
        self._put(path)
        for _ in range(64):  # a reference the estimate did not follow is put in, and the value read again
            try:
                return self._read(path, raw)
            except _Held as held:
                self._put(held.path)
        return Unresolved(
            raw[:80],
            f"{raw[:80]} refers to more values than lrviz follows; set it with {option('overrides')} {_me(path)}=VALUE",
        )

    def _build(self) -> None:
        from omegaconf import OmegaConf

        def hold(node: Any, path: KeyPath) -> Any:
            if isinstance(node, Mapping):
                return {k: hold(v, (*path, k)) for k, v in node.items()}
            if isinstance(node, list):
                return [hold(v, (*path, i)) for i, v in enumerate(node)]
            if isinstance(node, str) and "${" in node:
                self.held.add(path)
                return _HELD
            return node

        self.cfg = OmegaConf.create(hold(self.raw, ()))

    def _put(self, start: KeyPath) -> None:
        """Put the held values ``start`` refers to (following references, and into referenced nodes) into ``cfg``."""
        from omegaconf.errors import OmegaConfBaseException

        stack, seen = [start], set()
        while stack:
            path = stack.pop()
            if path in seen:
                continue
            seen.add(path)
            try:
                node = cost.at(self.raw, path)
            except (KeyError, IndexError, TypeError):
                continue
            if isinstance(node, Mapping):
                stack.extend((*path, k) for k in node)
            elif isinstance(node, list):
                stack.extend((*path, i) for i in range(len(node)))
            elif path in self.held:
                self.held.discard(path)
                parent = self.cfg
                for key in path[:-1]:
                    parent = parent._get_node(key)
                try:
                    parent[path[-1]] = node
                except OmegaConfBaseException as exc:
                    placeholder = f"lrviz-rejected-{len(self.rejected)}"
                    self.rejected[placeholder] = Unresolved(
                        node,
                        f"{node!r} is not a valid OmegaConf interpolation ({first_line(exc)}); "
                        f"fix it, or set it with {option('overrides')} {_me(path)}=VALUE",
                    )
                    parent[path[-1]] = placeholder
                    continue
                for body in cost.interpolations(node):
                    target = self.meter.target(body, path)
                    if target is not None:
                        stack.append(target)

    def _read(self, path: KeyPath, raw: str) -> Any:
        from omegaconf import DictConfig, ListConfig
        from omegaconf.errors import OmegaConfBaseException

        parent = self.cfg
        for key in path[:-1]:
            parent = parent._get_node(key)
        try:
            with environment(self.allow_env):
                value = parent[path[-1]]
                if isinstance(value, DictConfig | ListConfig):
                    node = self._node(path, raw)
                    value = wrap(node[1], node[0], self) if node is not None else _plain(value, path)
        except OmegaConfBaseException as exc:
            self._held(exc)
            return Unresolved(raw, reason(exc, raw, path))
        if isinstance(value, str) and value.startswith("lrviz-rejected-"):
            return self.rejected.get(value, value)
        return value

    def _node(self, path: KeyPath, raw: str) -> tuple[KeyPath, Any] | None:
        """The path and raw node a lone ``${a.b}`` refers to, when it is a mapping or a list in the file."""
        target = self.meter.target(raw.strip()[2:-1], path)
        while target is not None:
            try:
                node = cost.at(self.raw, target)
            except (KeyError, IndexError, TypeError):
                return None
            if isinstance(node, Mapping | list):
                return target, node
            if not isinstance(node, str) or not node.strip().startswith("${"):
                return None
            target = self.meter.target(node.strip()[2:-1], target)
        return None

    def _held(self, exc: BaseException) -> None:
        """Raise ``_Held`` when ``exc`` is OmegaConf reaching a value still held out."""
        found = re.search(r"Missing mandatory value: (\S+)", str(exc))
        if found is None or type(exc).__name__ != "InterpolationToMissingValueError":
            return
        path: KeyPath = tuple(int(p) if p.isdigit() else p for p in re.split(r"[.\[\]]+", found.group(1)) if p)
        if path in self.held:
            raise _Held(path)


class _Held(Exception):
    def __init__(self, path: KeyPath) -> None:
        self.path = path


def _me(path: KeyPath) -> str:
    return dotted(path).replace("[", ".").replace("]", "")


#: Environment variables ``${oc.env:NAME}`` may read, besides those given to ``resolve``: a comma-separated list.
ALLOW_ENV_VARIABLE = "LRVIZ_ALLOW_ENV"


class EnvNotAllowed(KeyError):
    """``${oc.env:NAME}`` of a variable nobody allowed."""


@contextlib.contextmanager
def environment(allow_env: Sequence[str]) -> Iterator[None]:
    """While resolving: ``oc.env`` reads only allowed variables, and every value it returns is redacted
    from error messages. OmegaConf's own resolver is put back afterwards."""
    from omegaconf.basecontainer import BaseContainer
    from omegaconf.omegaconf import OmegaConf

    allowed = {n.strip() for n in allow_env if n.strip()}
    allowed |= {n.strip() for n in os.environ.get(ALLOW_ENV_VARIABLE, "").split(",") if n.strip()}
    marker = object()

    def env(key: str, default: Any = marker) -> str | None:
        if key not in allowed:
            raise EnvNotAllowed(key)
        if key in os.environ:
            value = os.environ[key]
            redact(value, key)
            return value
        if default is marker:
            raise KeyError(f"Environment variable '{key}' not found")
        return str(default) if default is not None else None

    resolvers = BaseContainer._resolvers
    original = resolvers.get("oc.env")
    resolvers.pop("oc.env", None)
    OmegaConf.register_new_resolver("oc.env", env, use_cache=False)
    try:
        yield
    finally:
        resolvers.pop("oc.env", None)
        if original is not None:
            resolvers["oc.env"] = original


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _plain(node: Any, path: KeyPath) -> Any:
    """A resolved plain copy of an OmegaConf container; leaves that fail become ``Unresolved``."""
    from omegaconf import DictConfig, ListConfig, OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    if isinstance(node, DictConfig):
        keys: list[Any] = list(node.keys())
    elif isinstance(node, ListConfig):
        keys = list(range(len(node)))
    else:
        return node
    out: Any = {} if isinstance(node, DictConfig) else []
    for key in keys:
        here = (*path, key)
        try:
            value = node[key]
        except OmegaConfBaseException as exc:
            raw = _raw(node, key)
            value = Unresolved(raw, reason(exc, raw, here))
        else:
            if isinstance(value, DictConfig | ListConfig):
                value = _plain(value, here)
            elif OmegaConf.is_missing(node, key):  # pragma: no cover - access raises first
                value = Unresolved("???", reason(None, "???", here))
        if isinstance(out, dict):
            out[key] = value
        else:
            out.append(value)
    return out


def _raw(node: Any, key: Any) -> str:
    try:
        inner = node._get_node(key)
        return str(inner._value()) if inner is not None else "?"
    except Exception:  # pragma: no cover - OmegaConf internals differ across versions
        return "?"


def reason(exc: BaseException | None, raw: str, path: KeyPath) -> str:
    """What is wrong with one value, and the ``--set`` that fixes it."""
    me = dotted(path).replace("[", ".").replace("]", "")
    fix = f"set it with {option('overrides')} {me}=VALUE"
    name = type(exc).__name__ if exc is not None else "MissingMandatoryValue"
    text = first_line(exc) if exc is not None else ""
    if name == "MissingMandatoryValue" or raw == "???":
        return f"is ??? (a value the file leaves to be filled in); {fix}"
    if name == "InterpolationToMissingValueError":
        target = re.search(r"Missing mandatory value: (\S+)", text)
        key = target.group(1) if target else raw.strip("${}")
        return f"{raw} points at {key}, which is ??? in the file; set it with {option('overrides')} {key}=VALUE"
    if name == "InterpolationKeyError":
        target = re.search(r"key '([^']+)'", text)
        key = target.group(1) if target else "a key"
        if key.startswith("."):
            return f"{raw} points at {key} (relative), which is not in the file; {fix}"
        return f"{raw} points at {key}, which is not in the file; set it with {option('overrides')} {key}=VALUE"
    if name == "UnsupportedInterpolationType":
        resolver = re.search(r"type (\S+)", text)
        what = resolver.group(1) if resolver else "a custom resolver"
        return f"{raw} uses the resolver {what!r}, which lrviz does not run (it runs no project code); {fix}"
    if name == "InterpolationResolutionError" and "EnvNotAllowed" in text:
        var = re.search(r"EnvNotAllowed raised while resolving interpolation: '?([^'\s]+)", text)
        env = var.group(1) if var else "a variable"
        return (
            f"{raw} reads the environment variable {env}, which lrviz reads only when asked: pass "
            f"{option('allow_env')} {env} (or set {ALLOW_ENV_VARIABLE}={env}), or {fix}"
        )
    if "Recursive interpolation" in text:
        return f"{raw} refers back to itself through other keys (a cycle); {fix}"
    if "Environment variable" in text:
        var = re.search(r"Environment variable '([^']+)'", text)
        env = var.group(1) if var else "it names"
        return f"{raw}: the environment variable {env} is not set; set it, give a default (${{oc.env:{env},VALUE}}), or {fix}"
    return f"{raw} cannot be resolved ({text}); {fix}"
