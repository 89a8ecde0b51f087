"""A document whose ``${...}`` values are resolved when lrviz reads them, and never otherwise.

``LazyMapping`` and ``LazyList`` are a ``dict`` and a ``list`` (every ``isinstance`` check and
every read works as on plain data) holding, in place of each value that interpolates, a
``Pending`` with its raw text. Reading a value (``doc["a"]``, ``.get``, ``.items()``,
``.values()``, iteration of a list, ``dict(doc)``, ``json.dumps``) asks the ``Source`` to
resolve it, once; a key nobody reads is never resolved, so an interpolation bomb in a part of
a config lrviz does not read costs nothing. Reading a list reads all of its items.

A walk that only looks for nested mappings (``containers``) reads no value that cannot be one:
a text such as ``${a}-${b}`` is a string whatever ``a`` and ``b`` hold.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, Mapping, ValuesView
from dataclasses import dataclass
from typing import Any, Protocol

from lrviz.keys import KeyPath


@dataclass(frozen=True)
class Pending:
    """A value not resolved yet: its text in the file."""

    raw: str
    container: bool  # whether it may resolve to a mapping or a list (a lone ``${...}``)


class Source(Protocol):
    """Resolves one value of the document, given its key path and raw text."""

    def value(self, path: KeyPath, raw: str) -> Any: ...

    def may_be_container(self, path: KeyPath, raw: str) -> bool: ...


def interpolates(value: Any) -> bool:
    """Whether a leaf needs OmegaConf: a ``${...}`` in a string, or the mandatory ``???``."""
    return isinstance(value, str) and ("${" in value or value == "???")


def wrap(node: Any, path: KeyPath, source: Source) -> Any:
    """``node`` (plain data) as lazy containers; a leaf that interpolates becomes a ``Pending``."""
    if isinstance(node, Mapping):
        return LazyMapping(node, path, source)
    if isinstance(node, list):
        return LazyList(node, path, source)
    if interpolates(node):
        return Pending(node, source.may_be_container(path, node))
    return node


class LazyMapping(dict[Any, Any]):
    """A mapping of a document; each value is resolved when first read."""

    __slots__ = ("_path", "_source")

    def __init__(self, raw: Mapping[Any, Any], path: KeyPath, source: Source) -> None:
        super().__init__()
        self._path = path
        self._source = source
        for key, value in raw.items():
            dict.__setitem__(self, key, wrap(value, (*path, key), source))

    def _read(self, key: Any) -> Any:
        value = dict.__getitem__(self, key)
        if isinstance(value, Pending):
            value = self._source.value((*self._path, key), value.raw)
            dict.__setitem__(self, key, value)
        elif isinstance(value, LazyList):
            value.read()
        return value

    def containers(self) -> Iterator[tuple[Any, Any]]:
        """(key, value) for every value that is or may be a mapping or a list, reading only those."""
        for key in list(dict.keys(self)):
            value = dict.__getitem__(self, key)
            if isinstance(value, Pending) and not value.container:
                continue
            if isinstance(value, Pending) or isinstance(value, dict | list):
                yield key, self._read(key) if isinstance(value, Pending) else value

    def __getitem__(self, key: Any) -> Any:
        return self._read(key)

    def get(self, key: Any, default: Any = None) -> Any:
        return self._read(key) if dict.__contains__(self, key) else default

    def __iter__(self) -> Iterator[Any]:  # defined, so dict(doc) and {**doc} read through __getitem__
        return iter(list(dict.keys(self)))

    def items(self) -> ItemsView[Any, Any]:  # type: ignore[override]
        return ItemsView(self)

    def values(self) -> ValuesView[Any]:  # type: ignore[override]
        return ValuesView(self)

    def pop(self, key: Any, *default: Any) -> Any:
        if dict.__contains__(self, key):
            value = self._read(key)
            dict.__delitem__(self, key)
            return value
        return dict.pop(self, key, *default)

    def popitem(self) -> tuple[Any, Any]:
        key = next(reversed(list(dict.keys(self))))
        return key, self.pop(key)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if dict.__contains__(self, key):
            return self._read(key)
        dict.__setitem__(self, key, default)
        return default

    def copy(self) -> dict[Any, Any]:
        return {key: self._read(key) for key in self}

    def lazy_copy(self, deep: bool = False) -> LazyMapping:
        """A copy that reads nothing: its values not read yet stay unread (``deep``: nested ones copied too)."""
        new = LazyMapping({}, self._path, self._source)
        for key in list(dict.keys(self)):
            value = dict.__getitem__(self, key)
            lazy = isinstance(value, LazyMapping | LazyList)
            dict.__setitem__(new, key, value.lazy_copy(deep) if deep and lazy else value)
        return new

    def __eq__(self, other: object) -> bool:
        return self.copy() == other

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None

    def __repr__(self) -> str:
        return repr(self.copy())

    def __reduce__(self) -> Any:  # copy, deepcopy and pickle give plain data, read
        return (dict, (self.copy(),))


class LazyList(list[Any]):
    """A list of a document; its items are resolved together when the list is first read."""

    __slots__ = ("_path", "_source", "_read")

    def __init__(self, raw: list[Any], path: KeyPath, source: Source) -> None:
        super().__init__(wrap(v, (*path, i), source) for i, v in enumerate(raw))
        self._path = path
        self._source = source
        self._read = not any(isinstance(v, Pending) for v in list.__iter__(self))

    def read(self) -> LazyList:
        """Resolve every item (once)."""
        if not self._read:
            self._read = True
            for i, value in enumerate(list.__iter__(self)):
                if isinstance(value, Pending):
                    list.__setitem__(self, i, self._source.value((*self._path, i), value.raw))
        return self

    def lazy_copy(self, deep: bool = False) -> LazyList:
        """A copy that reads nothing (``deep``: nested mappings and lists copied too)."""
        new = LazyList([], self._path, self._source)
        for value in list.__iter__(self):
            lazy = isinstance(value, LazyMapping | LazyList)
            list.append(new, value.lazy_copy(deep) if deep and lazy else value)
        new._read = self._read
        return new

    def containers(self) -> Iterator[tuple[int, Any]]:
        """(index, item) for every item that is or may be a mapping or a list, reading only those."""
        for i, value in enumerate(list(list.__iter__(self))):
            if isinstance(value, Pending):
                if not value.container:
                    continue
                value = self._source.value((*self._path, i), value.raw)
                list.__setitem__(self, i, value)
            if isinstance(value, dict | list):
                yield i, value

    def __getitem__(self, index: Any) -> Any:
        return list.__getitem__(self.read(), index)

    def __iter__(self) -> Iterator[Any]:
        return list.__iter__(self.read())

    def __reversed__(self) -> Iterator[Any]:
        return list.__reversed__(self.read())

    def __contains__(self, item: object) -> bool:
        return list.__contains__(self.read(), item)

    def __eq__(self, other: object) -> bool:
        return list(self) == other

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None

    def index(self, *args: Any) -> int:
        return list.index(self.read(), *args)

    def count(self, item: Any) -> int:
        return list.count(self.read(), item)

    def pop(self, *args: Any) -> Any:
        return list.pop(self.read(), *args)

    def copy(self) -> list[Any]:
        return list(self)

    def __repr__(self) -> str:
        return repr(list(self))

    def __reduce__(self) -> Any:
        return (list, (list(self),))


def children(node: Mapping[Any, Any] | list[Any]) -> Iterator[tuple[Any, Any]]:
    """(key, value) of a mapping or list for a walk looking for nested mappings and lists.

    On a lazy document it reads only the values that are or may be one (``containers``);
    on plain data it is ``items()`` or ``enumerate``."""
    if isinstance(node, LazyMapping | LazyList):
        return node.containers()
    return iter(node.items()) if isinstance(node, Mapping) else enumerate(node)


def shallow_copy(node: Mapping[Any, Any]) -> dict[Any, Any]:
    """``dict(node)``, except that a lazy document's values not read yet stay unread."""
    return node.lazy_copy() if isinstance(node, LazyMapping) else dict(node)
