"""The wheel as a user gets it: built from this tree, installed in a fresh venv, run from there."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (found,) = out.glob("lrviz-*.whl")
    return found


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
    install = subprocess.run(
        [str(bindir / "python"), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
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
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
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
