"""The wheel and sdist as a user gets them: built as the release workflow builds them, installed in fresh venvs.

``python -m build`` makes the sdist and then the wheel from it (.github/workflows/release.yml
does the same); ``scripts/smoke_dist.py``, which the release workflow runs too, installs each
into a fresh venv and runs ``lrviz --version`` and the README's hero plot from there.
``scripts/check_release.py`` holds the tag, ``lrviz/_version.py`` and CHANGELOG.md together.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(wheel, sdist), the wheel built from the sdist, as ``python -m build`` does in the release workflow."""
    out = tmp_path_factory.mktemp("dist")
    build = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = out.glob("lrviz-*.whl")
    (sdist,) = out.glob("lrviz-*.tar.gz")
    return wheel, sdist


@pytest.fixture(scope="module")
def wheel(dists: tuple[Path, Path]) -> Path:
    return dists[0]


def test_wheel_holds_every_subpackage_and_the_license(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "lrviz").rglob("*.py")}
    assert sources <= names, sorted(sources - names)
    assert "lrviz/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "License-Expression: MIT" in text
    assert "Requires-Dist: typer" in text and "Provides-Extra: test" in text


def test_installed_wheel_runs_in_a_fresh_venv(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    install = subprocess.run(
        [str(bindir / "python"), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,  # a source tree on PYTHONPATH would pass for an installed lrviz
    )
    assert install.returncode == 0, install.stderr
    # the dependencies (typer, torch, ...) come from this test's environment, lrviz only from the wheel
    site = subprocess.run(
        [str(bindir / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "_lrviz_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    version = subprocess.run([str(bindir / "lrviz"), "--version"], capture_output=True, text=True, env=env, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("lrviz "), version.stderr
    code = (
        "import lrviz, lrviz.cli, lrviz.config, lrviz.render.plot\n"
        "print(lrviz.__file__)\n"
        "print(lrviz.simulate({'scheduler': {'name': 'StepLR', 'step_size': 2}, 'epochs': 4}).lr)\n"
    )
    run = subprocess.run(
        [str(bindir / "python"), "-c", code], capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    where, lrs = run.stdout.splitlines()[:2]
    assert where.startswith(site)  # the wheel's copy, not this checkout
    assert lrs == "[0.1, 0.1, 0.010000000000000002, 0.010000000000000002]"


def test_sdist_holds_the_sources_license_and_changelog(dists: tuple[Path, Path]) -> None:
    import tarfile

    wheel, sdist = dists
    version = wheel.name.split("-")[1]
    names = {n.split("/", 1)[1] for n in tarfile.open(sdist).getnames() if "/" in n}
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "lrviz").rglob("*.py")}
    assert sources <= names, sorted(sources - names)
    assert {"pyproject.toml", "README.md", "LICENSE", "lrviz/py.typed"} <= names
    assert sdist.name == f"lrviz-{version}.tar.gz"


def test_wheel_and_sdist_install_and_render_the_hero_plot(dists: tuple[Path, Path]) -> None:
    """The release workflow's smoke test, offline: dependencies from this environment, lrviz from each dist."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "smoke_dist.py"), *map(str, dists), "--inherit-site"]
        + ["--pip-args=--no-deps"],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    from lrviz import __version__

    assert result.stdout.splitlines() == [f"{d.name}: ok: lrviz {__version__}, hero plot rendered" for d in dists]


def test_release_check_holds_tag_version_and_changelog(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import check_release
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    from lrviz import __version__

    assert check_release.version() == __version__
    assert check_release.main([f"v{__version__}"]) == 0  # the version in _version.py has its CHANGELOG notes
    changelog = "# Changelog\n\n## [Unreleased]\n\n- a thing\n\n## [1.2.0]\n\n## [1.1.0]\n\n- older\n"
    assert check_release.release_notes(changelog, "1.1.0") == "- older"
    assert check_release.problems("v1.2.0", "1.2.0", changelog) == [
        "CHANGELOG.md has no notes under `## [1.2.0]`; move the entries from [Unreleased] there"
    ]
    assert check_release.problems("v1.2.1", "1.1.0", changelog) == [
        "the tag v1.2.1 does not name the version in lrviz/_version.py (1.1.0); tag v1.1.0"
    ]
    recipe = (ROOT / "recipe" / "recipe.yaml").read_text()
    assert check_release.recipe_version(recipe) == __version__
    assert check_release.problems(None, "1.1.0", changelog, recipe) == [
        f"recipe/recipe.yaml: context.version is {__version__}, not 1.1.0; set it"
    ]
    version_file = tmp_path / "_version.py"
    version_file.write_text('__version__ = "9.9.9"\n')
    cli = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_release.py"), "v9.9.9", "--version-file", str(version_file)],
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 1
    assert cli.stderr.splitlines() == [
        f"Error: recipe/recipe.yaml: context.version is {__version__}, not 9.9.9; set it",
        "Error: CHANGELOG.md has no notes under `## [9.9.9]`; move the entries from [Unreleased] there",
    ]


@pytest.mark.skipif(not os.environ.get("CI"), reason="CI installs torch's CPU build first; elsewhere any torch will do")
def test_ci_keeps_the_cpu_build_of_torch_after_every_extra() -> None:
    """The README's test command installs torch==2.13.0 (the CPU build here) and then every extra: none may replace it."""
    import torch

    assert torch.__version__ == "2.13.0+cpu", f"torch {torch.__version__}: an extra replaced it; install it --no-deps"
