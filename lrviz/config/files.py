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

from lrviz import budget
from lrviz.errors import ConfigError
from lrviz.inputs import read_limited
from lrviz.keys import KeyPath, dotted

#: Config files larger than this are refused before reading (``budget.CONFIG_BYTES``, 1 MiB).
MAX_CONFIG_BYTES = budget.CONFIG_BYTES.value
#: A document whose nodes, with every alias expanded, exceed this is refused (``budget.EXPANDED_NODES``).
MAX_EXPANDED_NODES = budget.EXPANDED_NODES.value
_DIGITS = re.compile(r"[-+]?[0-9_]+")


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
    data, lines = parse_yaml(_read_text(path), str(path))
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
        raise ConfigError(f"{path}: the top level is {kind}; it must be a mapping with a `scheduler:` key")
    return data, lines


def parse_yaml(text: str, label: str, *, value: bool = False) -> tuple[Any, dict[KeyPath, int]]:
    """YAML text (a file, or a --set value when ``value``) parsed safely within the budget:
    (value, {key path: line}). ``label`` starts every message; an empty value is None, an empty file an error.
    """
    loader: _Loader | None = None
    try:
        loader = _Loader(text)  # the reader rejects control characters here already
        node = loader.get_single_node()
        if node is None:
            if value:
                return None, {}
            raise ConfigError(f"{label}: the file is empty; it needs at least a `scheduler:` mapping")
        lines: dict[KeyPath, int] = {}
        _check_tree(label, node, (), lines, {}, set())
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{label}:{mark.line + 1}" if mark else label
        problem = exc.problem or exc.context or "invalid YAML"
        if "could not determine a constructor" in problem or "python/" in problem:
            tag = re.search(r"'([^']+)'", problem)
            problem = f"the tag {tag.group(1)[:60] if tag else ''} is not allowed; lrviz reads YAML with a safe loader (plain mappings, lists, numbers and strings only)"
        raise ConfigError(f"{where}: {problem}") from None
    except yaml.YAMLError as exc:
        # PyYAML's reader error spans two lines; a message is one (joined as the CLI joins it)
        raise ConfigError(f"{label}: invalid YAML: {' '.join(str(exc).splitlines())}") from None
    except RecursionError:
        raise budget.NESTING.refusal(label, "the document's nesting") from None
    except ValueError as exc:  # a number Python will not convert (more digits than int() takes)
        raise ConfigError(f"{label}: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, lines


def _read_text(path: Path) -> str:
    raw = read_limited(path, budget.CONFIG_BYTES.value, str(path), variable=budget.CONFIG_BYTES.env)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # a byte-order mark: UTF-16 (Windows editors save it)
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise ConfigError(f"{path}: starts as UTF-16 text but is not valid UTF-16; save it as UTF-8") from None
    if b"\x00" in raw:
        raise ConfigError(
            f"{path}: is a binary file, not YAML or JSON text (UTF-16 without a byte-order mark? save it as UTF-8)"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8 text; save it as UTF-8") from None


def _check_tree(
    path: str,
    node: yaml.Node,
    key_path: KeyPath,
    lines: dict[KeyPath, int],
    sizes: dict[int, int],
    active: set[int],
) -> int:
    """Record key lines, reject duplicate keys, and bound the expanded size, the nesting and the digits
    of a number; returns the size."""
    ident = id(node)
    if isinstance(node, yaml.ScalarNode):
        if node.style is None and len(node.value) > budget.DIGITS.value and _DIGITS.fullmatch(node.value):
            where = f"{path}:{node.start_mark.line + 1}: {dotted(key_path)}" if key_path else path
            raise budget.DIGITS.refusal(where, f"a number of {len(node.value):,} digits")
        return 1
    if len(key_path) >= budget.NESTING.value:
        raise budget.NESTING.refusal(
            f"{path}:{node.start_mark.line + 1}", f"a value nested {len(key_path) + 1} levels deep"
        )
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
    if budget.EXPANDED_NODES.exceeded(size):
        raise budget.EXPANDED_NODES.refusal(
            path, "the document with its aliases expanded (aliases nested inside aliases?)"
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
    label = str(path)
    _json_depth(text, label)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise budget.NESTING.refusal(label, "the document's nesting") from None
    except ValueError:  # an integer of more digits than int() converts
        raise budget.DIGITS.refusal(label, "a number of more than 4,300 digits") from None
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
        raise ConfigError(f"{path}: the top level is {kind}; it must be an object")
    _json_digits(data, label)
    try:  # JSON is YAML (tabs aside, which JSON allows only between tokens): the YAML reader gives every key its line
        _, lines = parse_yaml(text.replace("\t", " "), label)
    except ConfigError:
        lines = {}
    return data, lines


def _json_depth(text: str, label: str) -> None:
    """Refuse JSON nested deeper than the budget before parsing it (brackets inside strings aside)."""
    limit = budget.NESTING.value
    if text.count("[") + text.count("{") <= limit:
        return
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                raise budget.NESTING.refusal(label, f"a value nested more than {limit} levels deep")
        elif ch in "]}":
            depth -= 1


def _json_digits(data: Any, label: str) -> None:
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, int) and not isinstance(node, bool) and node.bit_length() > 3.33 * budget.DIGITS.value:
            raise budget.DIGITS.refusal(label, "a number of more digits")
