"""The example GitHub Actions workflow, run here end to end: its lrviz steps, twice, byte for byte."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "examples" / "lrviz-ci.yml"


def lrviz_steps() -> list[str]:
    doc = yaml.safe_load(WORKFLOW.read_text())
    steps = doc["jobs"]["schedules"]["steps"]
    return [s["run"] for s in steps if "run" in s and "pip install" not in s["run"]]


def run_steps(work: Path, summary: Path) -> None:
    env = {
        **os.environ,
        "GITHUB_STEP_SUMMARY": str(summary),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    for script in lrviz_steps():
        result = subprocess.run(
            ["bash", "-e", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=600
        )
        assert result.returncode == 0, f"{script}\n{result.stdout}\n{result.stderr}"


def test_example_workflow_runs_and_is_reproducible(tmp_path: Path) -> None:
    assert len(lrviz_steps()) == 2  # render, check
    outputs = []
    for n in (1, 2):
        work = tmp_path / f"run{n}"
        shutil.copytree(ROOT / "configs", work / "configs")
        shutil.copytree(ROOT / "baselines", work / "baselines")
        summary = tmp_path / f"summary{n}.md"
        run_steps(work, summary)
        text = summary.read_text()
        assert text.count("### lrviz render") == 1 and text.count("### lrviz check") == len(
            list((work / "configs").glob("*.yaml"))
        )
        assert "**FAILED**" not in text
        outputs.append({p.name: p.read_bytes() for p in sorted((work / "plots").iterdir())})
    assert outputs[0].keys() == outputs[1].keys() and len(outputs[0]) == 2 * len(
        list((ROOT / "configs").glob("*.yaml"))
    )
    for name in outputs[0]:
        assert outputs[0][name] == outputs[1][name], name


def test_baselines_match_configs() -> None:
    configs = sorted(p.stem for p in (ROOT / "configs").glob("*.yaml"))
    assert sorted(p.stem for p in (ROOT / "baselines").glob("*.csv")) == configs
