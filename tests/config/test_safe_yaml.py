"""Reading YAML safely: syntax errors with lines, tags, duplicates, alias bombs, odd files."""

from __future__ import annotations

from pathlib import Path

import pytest

from lrviz.config.files import MAX_CONFIG_BYTES, read_yaml
from lrviz.errors import ConfigError


def write(tmp_path: Path, text: str | bytes, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_lines_are_recorded(tmp_path: Path) -> None:
    data, lines = read_yaml(write(tmp_path, "epochs: 5\nscheduler:\n  name: StepLR\n  step_size: 2\n"))
    assert data == {"epochs": 5, "scheduler": {"name": "StepLR", "step_size": 2}}
    assert lines[("scheduler", "step_size")] == 4


def test_yaml_12_floats(tmp_path: Path) -> None:
    data, _ = read_yaml(write(tmp_path, "a: 1e-5\nb: 3.0e-4\nc: 1E3\nd: 10\ne: .5\n"))
    assert data == {"a": 1e-5, "b": 3e-4, "c": 1e3, "d": 10, "e": 0.5}
    assert isinstance(data["d"], int)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("# only a comment\n", "empty"),
        ("- 1\n- 2\n", "top level is a list"),
        ("just a string\n", "top level is a str"),
        ("a: [1, 2\n", r"c.yaml:\d+"),
        ("a: 1\na: 2\n", r"c.yaml:2: duplicate key 'a' \(first set on line 1\)"),
        ("s:\n  T_0: 1\n  T_0: 2\n", "duplicate key 's.T_0'"),
        ("a: !!python/object/apply:os.system ['true']\n", "not allowed; lrviz reads YAML with a safe loader"),
        ("a: !!python/name:os.system\n", "not allowed"),
        ("a: &a [*a]\n", "recursive|not allowed|found undefined alias"),
    ],
)
def test_bad_documents(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        read_yaml(write(tmp_path, text))


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 10) + "]")
    path = write(tmp_path, "\n".join(lines) + "\n")
    assert path.stat().st_size < 1000
    with pytest.raises(ConfigError, match="aliases expanded.*LRVIZ_MAX_EXPANDED_NODES"):
        read_yaml(path)


def test_file_problems(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        read_yaml(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="is a directory"):
        read_yaml(tmp_path)
    with pytest.raises(ConfigError, match="binary"):
        read_yaml(write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        read_yaml(write(tmp_path, b"a: \xff\xfe\n"))
    with pytest.raises(ConfigError, match="larger than"):
        read_yaml(write(tmp_path, "a: 1\n" + "#" * MAX_CONFIG_BYTES))
