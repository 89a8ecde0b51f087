"""The conda recipe (recipe/recipe.yaml): linted against pyproject.toml, and its test commands run.

Neither rattler-build nor conda-build installs from PyPI, so the recipe is parsed and held
to the package it describes (version from lrviz/_version.py, every runtime dependency with the
same lower bound under its conda-forge name, the entry point, the license), and its test
commands run in this venv, each from an empty folder. Where rattler-build is on PATH, the
recipe is also built and tested for real.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "recipe" / "recipe.yaml"
#: PyPI name -> conda-forge name, where they differ
CONDA_NAMES = {"torch": "pytorch", "matplotlib": "matplotlib-base"}
EXPRESSION = re.compile(r"\$\{\{\s*(\w+)\s*\}\}")


def _recipe() -> dict[str, Any]:
    raw = yaml.safe_load(RECIPE.read_text())
    context = {k: str(v) for k, v in raw["context"].items()}
    filled = EXPRESSION.sub(lambda m: context.get(m.group(1), m.group(0)), RECIPE.read_text())
    recipe: dict[str, Any] = yaml.safe_load(filled)
    return recipe


def _pyproject() -> dict[str, Any]:
    tomllib = pytest.importorskip("tomllib")
    project: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project


def _requirement(spec: str) -> tuple[str, str]:
    name, bound = re.match(r"([A-Za-z0-9_.-]+)\s*(>=\s*[\w.]+)?", spec).groups("")  # type: ignore[union-attr]
    return name.lower(), bound.replace(" ", "")


def test_recipe_is_a_noarch_python_package_of_this_version() -> None:
    from lrviz import __version__

    recipe = _recipe()
    assert recipe["package"] == {"name": "lrviz", "version": __version__}
    assert recipe["build"]["noarch"] == "python"
    assert "--no-deps" in recipe["build"]["script"] and "pip install ." in recipe["build"]["script"]
    assert recipe["source"] == {"path": ".."} and (RECIPE.parent / recipe["source"]["path"] / "pyproject.toml").exists()
    left = {m.group(1) for m in EXPRESSION.finditer(yaml.safe_dump(recipe))}
    assert left <= {"PYTHON"}, f"expressions neither the context nor rattler-build defines: {left}"


def test_recipe_matches_pyproject() -> None:
    recipe, project = _recipe(), _pyproject()
    scripts = [f"{name} = {target}" for name, target in project["scripts"].items()]
    assert recipe["build"]["python"]["entry_points"] == scripts
    run = dict(_requirement(r) for r in recipe["requirements"]["run"])
    wanted = {CONDA_NAMES.get(n, n): b for n, b in map(_requirement, project["dependencies"])}
    python_min = project["requires-python"].removeprefix(">=")
    assert run == {"python": f">={python_min}", **wanted}
    assert f"python {python_min}.*" in recipe["requirements"]["host"]
    assert recipe["about"]["license"] == project["license"]
    assert (ROOT / recipe["about"]["license_file"]).exists()
    assert recipe["about"]["summary"] == project["description"]


def _tests() -> tuple[list[str], list[str]]:
    imports: list[str] = []
    scripts: list[str] = []
    for test in _recipe()["tests"]:
        imports += test.get("python", {}).get("imports", [])
        scripts += test.get("script", [])
    return imports, scripts


def test_recipe_tests_run(tmp_path: Path) -> None:
    imports, scripts = _tests()
    assert imports and len(scripts) >= 3
    code = "".join(f"import {name}\n" for name in imports)
    assert subprocess.run([sys.executable, "-c", code], cwd=tmp_path, timeout=120).returncode == 0
    bindir = Path(sys.executable).parent
    for command in scripts:
        words = shlex.split(command)
        assert words[0] == "lrviz"
        result = subprocess.run(
            [str(bindir / "lrviz"), *words[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, f"{command}\n{result.stdout}{result.stderr}"
    assert (tmp_path / "restarts.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.skipif(shutil.which("rattler-build") is None, reason="rattler-build is not installed")
def test_recipe_builds_with_rattler_build(tmp_path: Path) -> None:  # pragma: no cover - not on this machine
    result = subprocess.run(
        ["rattler-build", "build", "--recipe", str(RECIPE.parent), "--output-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
