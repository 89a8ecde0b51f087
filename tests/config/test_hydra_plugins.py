"""Composing a Hydra project imports no installed ``hydra_plugins`` package unasked (issue 23).

Hydra scans every installed ``hydra_plugins.*`` module for plugins when it initializes, which runs
their code. A fake plugin package on the path writes a marker file when imported: composing with
``--config-dir`` leaves no marker; ``--allow-import hydra_plugins.NAME`` (or ``hydra_plugins``) lets
Hydra find it, as it would in the training script.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytest.importorskip("hydra")


def _ceiling() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (120, 120))


def _project(tmp_path: Path) -> dict[str, str]:
    plugin = tmp_path / "site" / "hydra_plugins" / "lrviz_test_marker"  # hydra_plugins is a namespace package
    plugin.mkdir(parents=True)
    (plugin / "__init__.py").write_text(f"open({str(tmp_path / 'MARKER')!r}, 'w').write('imported')\n")
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "train.yaml").write_text(
        "model:\n  optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}\n"
        "  scheduler: {class_path: torch.optim.lr_scheduler.StepLR, init_args: {step_size: 2}}\n"
        "trainer: {max_epochs: 5}\n"
    )
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path / "site")]), "COLUMNS": "100"}


def _render(tmp_path: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lrviz", "render", "--config-dir", "conf", "--config-name", "train", *extra],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=_ceiling,
        timeout=1200,
    )


def test_the_marker_plugin_is_what_hydra_imports_on_its_own(tmp_path: Path) -> None:
    """The fake plugin is real to Hydra: its own initialization imports it."""
    env = _project(tmp_path)
    code = (
        "from hydra import initialize_config_dir\nwith initialize_config_dir(config_dir=%r, version_base=None): pass\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code % str(tmp_path / "conf")], env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "MARKER").read_text() == "imported"


def test_composing_imports_no_plugin_unasked(tmp_path: Path) -> None:
    env = _project(tmp_path)
    proc = _render(tmp_path, env, "-o", "x.csv")
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "MARKER").exists()
    assert (tmp_path / "x.csv").read_text().count("\n") == 6


@pytest.mark.parametrize("allowed", ["hydra_plugins.lrviz_test_marker", "hydra_plugins"])
def test_allow_import_names_the_plugins_hydra_may_import(tmp_path: Path, allowed: str) -> None:
    env = _project(tmp_path)
    proc = _render(tmp_path, env, "--allow-import", allowed, "-o", "x.csv")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "MARKER").read_text() == "imported"
