"""A Python config reaches mmengine through the adapter hook (``Adapter.reads_program`` / ``read_program``).

``lrviz.reading`` has no framework branch: it asks each adapter that declares ``program`` whether
the file is its own (read as text, never run), and that adapter's loader runs it, only with
``--allow-exec``. The words users see are the same as when reading.py called mmengine itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lrviz import frameworks
from lrviz.cli.commands import app

runner = CliRunner()
REAL = Path(__file__).parents[2] / "realworld" / "configs"
SCHEDULE_1X = REAL / "mmengine" / "mmdetection/configs/_base_/schedules/schedule_1x.py"


def test_only_mmengine_reads_programs_and_it_recognises_its_own() -> None:
    readers = [a for a in frameworks.adapters() if a.program]
    assert [a.name for a in readers] == ["mmengine"]
    assert readers[0].reads_program(SCHEDULE_1X)
    assert not any(a.reads_program(SCHEDULE_1X) for a in frameworks.adapters() if not a.program)


def test_an_mmengine_config_is_not_run_without_allow_exec_in_the_same_words() -> None:
    result = runner.invoke(app, ["render", str(SCHEDULE_1X)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {SCHEDULE_1X}: an OpenMMLab/mmengine Python config is a program: reading it runs it and its "
        "_base_ files (mmengine's Config.fromfile); pass --allow-exec if you trust it\n"
    )


@pytest.mark.parametrize("allow_exec", [False, True])
def test_a_python_file_no_adapter_reads_is_never_run(tmp_path: Path, allow_exec: bool) -> None:
    path = tmp_path / "lazy.py"
    marker = tmp_path / "ran"
    path.write_text(f"open({str(marker)!r}, 'w').close()\nlr = 0.1\n")
    result = runner.invoke(app, ["render", str(path), *(["--allow-exec"] if allow_exec else [])])
    assert result.exit_code == 2 and not marker.exists()
    tail = " (--allow-exec runs mmengine configs only: this file sets none of their keys)" if allow_exec else ""
    assert result.stderr == (
        f"Error: {path}: a Python config (OpenMMLab/mmengine, detectron2 LazyConfig) is a program: reading it means "
        f"running it, and lrviz does not run config files; lrviz reads YAML and JSON configs{tail}\n"
    )


def test_another_dialect_for_a_python_config_is_refused_by_the_adapter() -> None:
    result = runner.invoke(app, ["render", str(SCHEDULE_1X), "--allow-exec", "--dialect", "hf"])
    assert result.exit_code == 2
    assert "--dialect hf: a Python config is read as an mmengine config only" in result.stderr
