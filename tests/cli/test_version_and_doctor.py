"""`lrviz --version` and `lrviz doctor`: versions and builds read from package metadata, torch never imported."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lrviz import environment
from lrviz.cli import app

ROOT = Path(__file__).resolve().parents[2]
NO_IMPORT = """
import sys
import typer
from lrviz.cli import app
try:
    typer.main.get_command(app).main({args!r}, prog_name="lrviz")
except SystemExit as exc:
    code = exc.code
print("HEAVY", code, sorted(m for m in ("torch", "matplotlib", "transformers", "timm", "deepspeed", "diffusers", "megatron", "mmengine") if m in sys.modules))
"""


def _run(code: str, extra_path: Path | None = None) -> subprocess.CompletedProcess[str]:
    path = [str(extra_path)] if extra_path else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*path, str(ROOT)])}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


def test_version_lists_torch_build_and_every_installed_extra() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"lrviz {environment.__version__}"
    assert lines[1].startswith("Python ")
    torch_version = metadata.version("torch")
    assert lines[2] == f"torch {torch_version} ({environment.torch_build().kind} build)"
    for extra in environment.EXTRAS:
        for name in extra.distributions:
            try:
                wanted = f"{name} {metadata.version(name)}"
            except metadata.PackageNotFoundError:
                assert not any(line.startswith(f"{name} ") for line in lines)
            else:
                assert wanted in lines


@pytest.mark.parametrize("args", [["--version"], ["doctor"]])
def test_version_and_doctor_import_no_framework(args: list[str]) -> None:
    result = _run(NO_IMPORT.format(args=args))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "HEAVY 0 []"


def test_doctor_names_installed_and_missing_extras(monkeypatch: pytest.MonkeyPatch) -> None:
    real = environment._version_of
    monkeypatch.setattr(environment, "_version_of", lambda name: None if name == "deepspeed" else real(name))
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 0
    out = result.stdout
    assert "[deepspeed] not installed: would enable `lrviz deepspeed`" in out
    assert "DS_BUILD_OPS=0 pip install 'lrviz[deepspeed]'" in out
    assert f"[hf] installed: transformers {metadata.version('transformers')}" in out
    assert f"torch {metadata.version('torch')}: " in out


def test_doctor_without_torch_fails_with_the_cpu_index(monkeypatch: pytest.MonkeyPatch) -> None:
    real = environment._version_of
    monkeypatch.setattr(environment, "_version_of", lambda name: None if name == "torch" else real(name))
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert (
        "torch: not installed; lrviz needs it: pip install torch --index-url https://download.pytorch.org/whl/cpu"
        in (result.stdout)
    )


def _fake_torch(site: Path, version: str, version_py: str) -> None:
    """A torch distribution on its own path entry: dist-info metadata and torch/version.py, as pip lays them out."""
    info = site / f"torch-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: torch\nVersion: {version}\n")
    (info / "RECORD").write_text("")
    (site / "torch").mkdir()
    (site / "torch" / "version.py").write_text(version_py)


@pytest.mark.parametrize(
    ("version", "version_py", "kind"),
    [
        (
            "2.5.1+cu121",
            "from typing import Optional\n__version__ = '2.5.1+cu121'\ncuda: Optional[str] = '12.1'\nhip: Optional[str] = None\n",
            "CUDA 12.1",
        ),
        ("2.5.1+rocm6.2", "__version__ = '2.5.1+rocm6.2'\ncuda = None\nhip = '6.2.41133'\n", "ROCm 6.2.41133"),
        ("2.5.1", "__version__ = '2.5.1'\ncuda: Optional[str] = None\n", "CPU"),
    ],
)
def test_torch_build_is_read_from_the_installed_version_file(
    tmp_path: Path, version: str, version_py: str, kind: str
) -> None:
    _fake_torch(tmp_path, version, version_py)
    result = _run(
        "from lrviz.environment import torch_build; b = torch_build(); print(b.version, '|', b.kind)", tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{version} | {kind}"
    doctor = _run("from lrviz.environment import doctor; print(doctor()[0][1])", tmp_path)
    if kind == "CPU":
        assert doctor.stdout.strip() == f"torch {version}: CPU build (all lrviz needs)"
    else:
        assert doctor.stdout.startswith(f"torch {version}: {kind} build (works; lrviz itself needs only the CPU build")


def test_extras_table_matches_pyproject() -> None:
    tomllib = pytest.importorskip("tomllib")
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    declared = {
        name: sorted(req.split(">")[0].split("=")[0].split("[")[0] for req in reqs) for name, reqs in extras.items()
    }
    assert {e.name: sorted(e.distributions) for e in environment.EXTRAS} == {
        k: v for k, v in declared.items() if k not in ("test", "all", "docs")
    }
