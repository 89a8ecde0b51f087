"""Reading a YAML config safely: size, encoding, syntax, tags, duplicate keys, alias bombs.

``read_yaml`` returns the document and a map from key paths to line numbers,
so later errors can say ``wr.yaml:7: scheduler.T_mul``. It uses PyYAML's safe
loader (no Python tags) with YAML 1.2 floats, so ``1e-5`` is a number as it is
in every other YAML and JSON reader, not the string PyYAML 1.1 makes of it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from lrviz.errors import ConfigError
from lrviz.inputs import read_limited
from lrviz.keys import KeyPath, dotted

#: Config files larger than this are refused before reading (1 MiB).
MAX_CONFIG_BYTES = 1024 * 1024
#: A document whose nodes, with every alias expanded, exceed this is refused.
MAX_EXPANDED_NODES = 100_000


class _Loader(yaml.SafeLoader):
    """Safe loader with YAML 1.2 float syntax."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)
        |[-+]?(?:[0-9][0-9_]*)\.[0-9_]*
        |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def read_yaml(path: Path) -> tuple[Any, dict[KeyPath, int]]:
    """Load ``path``; return (document, {key path: 1-based line}). ConfigError on any problem."""
    if path.suffix.lower() in (".bin", ".pt", ".pth", ".pkl", ".pickle"):
        raise ConfigError(
            f"{path}: is a pickle; lrviz never unpickles files (loading one can run any code): save the "
            "arguments as JSON or YAML (trainer.args.to_json_string(), or the run's args.yaml) and pass that"
        )
    text = _read_text(path)
    loader: _Loader | None = None
    try:
        loader = _Loader(text)  # the reader rejects control characters here already
        node = loader.get_single_node()
        if node is None:
            raise ConfigError(f"{path}: the file is empty; it needs at least a `scheduler:` mapping")
        lines: dict[KeyPath, int] = {}
        _check_tree(path, node, (), lines, {}, set())
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = exc.problem or exc.context or "invalid YAML"
        if "could not determine a constructor" in problem or "python/" in problem:
            tag = re.search(r"'([^']+)'", problem)
            problem = f"the tag {tag.group(1) if tag else ''} is not allowed; lrviz reads YAML with a safe loader (plain mappings, lists, numbers and strings only)"
        raise ConfigError(f"{where}: {problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: the document is nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
        raise ConfigError(f"{path}: the top level is {kind}; it must be a mapping with a `scheduler:` key")
    return data, lines


def _read_text(path: Path) -> str:
    raw = read_limited(path, MAX_CONFIG_BYTES, str(path))
    if b"\x00" in raw:
        raise ConfigError(f"{path}: is a binary file, not YAML")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8 text; save it as UTF-8") from None


def _check_tree(
    path: Path,
    node: yaml.Node,
    key_path: KeyPath,
    lines: dict[KeyPath, int],
    sizes: dict[int, int],
    active: set[int],
) -> int:
    """Record key lines, reject duplicate keys, and bound the expanded size; returns the size."""
    ident = id(node)
    if ident in sizes:  # an alias of a node already measured: count it again, do not walk it again
        return sizes[ident]
    if ident in active:
        raise ConfigError(f"{path}:{node.start_mark.line + 1}: a recursive alias is not allowed")
    active.add(ident)
    size = 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else repr(key_node)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise ConfigError(
                    f"{path}:{line}: duplicate key {dotted((*key_path, key))!r} "
                    f"(first set on line {seen[key]}); keep one"
                )
            seen[key] = line
            lines.setdefault((*key_path, key), line)
            size += _check_tree(path, value_node, (*key_path, key), lines, sizes, active)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.setdefault((*key_path, index), item.start_mark.line + 1)
            size += _check_tree(path, item, (*key_path, index), lines, sizes, active)
    if size > MAX_EXPANDED_NODES:
        raise ConfigError(
            f"{path}: the document expands to more than {MAX_EXPANDED_NODES:,} values "
            "(aliases nested inside aliases?); write it out plainly"
        )
    active.discard(ident)
    sizes[ident] = size
    return size


def read_document(path: Path) -> tuple[dict[str, Any], dict[KeyPath, int]]:
    """A YAML or JSON config (by suffix) and its key lines; JSON errors name the line as YAML errors do."""
    if path.suffix.lower() != ".json":
        return read_yaml(path)
    import json

    text = _read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise ConfigError(f"{path}: the document is nested too deeply") from None
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
        raise ConfigError(f"{path}: the top level is {kind}; it must be an object")
    try:  # JSON is YAML: the YAML reader gives every key its line
        _, lines = read_yaml(path)
    except ConfigError:
        lines = {}
    return data, lines
