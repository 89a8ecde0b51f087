"""The project's own checks, so the one test command runs them: ruff, ruff format, mypy --strict, import layers."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return found


@pytest.mark.parametrize(
    "command",
    [["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"], ["lint-imports", "--no-cache"]],
    ids=["ruff-check", "ruff-format", "mypy", "import-layers"],
)
def test_tool_is_clean(command: list[str]) -> None:
    result = subprocess.run([_tool(command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_layers_catch_an_upward_import(tmp_path: Path) -> None:
    """The contract in pyproject.toml can fail: a copy of the package where model imports render breaks it."""
    import shutil as sh

    sh.copytree(ROOT / "lrviz", tmp_path / "lrviz")
    sh.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with (tmp_path / "lrviz" / "model.py").open("a") as handle:
        handle.write("\nfrom lrviz.render import FORMATS  # noqa\n")
    env = {**__import__("os").environ, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run(
        [_tool("lint-imports"), "--no-cache"], cwd=tmp_path, capture_output=True, text=True, timeout=600, env=env
    )
    assert result.returncode != 0
    assert "lrviz.model is not allowed to import lrviz.render" in result.stdout


def test_no_module_is_a_grab_bag() -> None:
    """About 400 lines a module unless it holds one concept (the registry, the codegen, the diagnostics)."""
    # one concept each: the registry, torch's code generator and its rules, and the
    # Hugging Face key inventory (a table of data: every field of every dialect, classified)
    one_concept = {
        "lrviz/schedules.py",
        "lrviz/frameworks/torch/code.py",
        "lrviz/frameworks/torch/rules.py",
        "lrviz/frameworks/hf/keys.py",
    }
    for path in (ROOT / "lrviz").rglob("*.py"):
        lines = len(path.read_text().splitlines())
        name = path.relative_to(ROOT).as_posix()
        assert name in one_concept or lines <= 450, f"{name}: {lines} lines"
