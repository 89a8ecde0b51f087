"""The composite action (action.yml), its steps run as the runner runs them, and the workflows validated.

The runner runs a composite step's ``run:`` as ``bash --noprofile --norc -eo pipefail FILE``
with the step's ``env:`` (expressions filled in), ``GITHUB_ACTIONS=true``, a fresh
``GITHUB_OUTPUT`` file per step, the job's ``GITHUB_STEP_SUMMARY`` and ``RUNNER_TEMP``; a
failed step skips the later steps unless their ``if:`` says ``always()``. ``uses:`` steps
(setup-python, upload-artifact) are GitHub's own and are not run here. pip is replaced by a
recorder in the install step (this machine reaches no torch index); lrviz itself is real.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


@dataclass
class Job:
    """What a job running the action left behind."""

    steps: list[tuple[str, int]] = field(default_factory=list)  # (step id or name, exit status)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""
    skipped: list[str] = field(default_factory=list)
    summary: str = ""

    @property
    def status(self) -> int:
        return next((code for _, code in self.steps if code != 0), 0)


def _action() -> dict[str, Any]:
    return yaml.safe_load(ACTION.read_text())


def _fill(text: str, context: dict[str, Any]) -> str:
    """Fill ``${{ inputs.x }}``, ``${{ github.action_path }}``, ``${{ steps.s.outputs.o }}`` as the runner does."""

    def value(match: re.Match[str]) -> str:
        node: Any = context
        for part in match.group(1).split("."):
            node = node.get(part, "") if isinstance(node, dict) else ""
        return str(node)

    return EXPRESSION.sub(value, text)


def _parse_outputs(path: Path) -> dict[str, str]:
    outputs = {}
    for line in path.read_text().splitlines():
        name, _, value = line.partition("=")
        outputs[name] = value
    return outputs


def run_action(work: Path, inputs: dict[str, str], tmp: Path) -> Job:
    """Run every ``run:`` step of action.yml in ``work`` as a runner would; pip is a recorder."""
    action = _action()
    given = {name: spec.get("default", "") for name, spec in action["inputs"].items()}
    unknown = set(inputs) - set(given)
    assert not unknown, f"not inputs of action.yml: {unknown}"
    given.update(inputs)
    runner_temp = tmp / "runner_temp"
    runner_temp.mkdir()
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    (bin_dir / "pip").write_text(f'#!/bin/sh\necho "$*" >> {tmp / "pip.log"}\n')
    (bin_dir / "pip").chmod(0o755)
    summary = tmp / "step_summary.md"
    job = Job()
    context: dict[str, Any] = {"inputs": given, "github": {"action_path": str(ROOT)}, "steps": {}}
    base_env = {
        **os.environ,
        "PATH": os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), os.environ["PATH"]]),
        "PYTHONPATH": str(ROOT),
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(work),
        "GITHUB_STEP_SUMMARY": str(summary),
        "RUNNER_TEMP": str(runner_temp),
    }
    for index, step in enumerate(action["runs"]["steps"]):
        name = step.get("id") or step.get("name") or step.get("uses", "")
        if "uses" in step:
            job.skipped.append(step["uses"])
            continue
        assert "if" not in step, "a run step's condition would need evaluating here"
        if job.status != 0:
            job.skipped.append(name)
            continue
        assert step["shell"] == "bash"
        script = runner_temp / f"step{index}.sh"
        script.write_text(step["run"])
        output = runner_temp / f"output{index}"
        output.touch()
        env = {**base_env, "GITHUB_OUTPUT": str(output)}
        env.update({k: _fill(str(v), context) for k, v in step.get("env", {}).items()})
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        job.stdout += result.stdout
        job.stderr += result.stderr
        job.steps.append((name, result.returncode))
        if "id" in step:
            context["steps"][step["id"]] = {"outputs": _parse_outputs(output)}
            job.outputs[step["id"]] = _parse_outputs(output)
    job.summary = summary.read_text() if summary.exists() else ""
    return job


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A user's repository: two configs (one with a baseline, one with `expect:`), a baseline, a git history."""
    work = tmp_path / "repo"
    (work / "configs").mkdir(parents=True)
    (work / "baselines").mkdir()
    shutil.copy(ROOT / "configs" / "step_decay.yaml", work / "configs" / "step_decay.yaml")
    shutil.copy(ROOT / "baselines" / "step_decay.csv", work / "baselines" / "step_decay.csv")
    (work / "configs" / "cosine.yaml").write_text(
        "epochs: 20\nscheduler:\n  name: CosineAnnealingLR\n  T_max: 20\nexpect:\n  lr_never_above: 0.1\n"
    )
    return work


def test_action_renders_checks_and_summarises(repo: Path, tmp_path: Path) -> None:
    job = run_action(repo, {"baselines": "baselines", "torch-version": "2.13.0", "extras": "hf, timm"}, tmp_path)
    assert job.status == 0, job.stdout + job.stderr
    assert [name for name, _ in job.steps] == ["install", "render", "check"]
    assert job.skipped == ["actions/setup-python@v5", "actions/upload-artifact@v4"]
    # torch from the CPU index first, then lrviz from the action's own checkout with its extras
    assert (tmp_path / "pip.log").read_text().splitlines() == [
        "install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu",
        f"install {ROOT}[hf,timm] --extra-index-url https://download.pytorch.org/whl/cpu",
    ]
    assert job.stdout.splitlines()[0] == f"lrviz {__import__('lrviz').__version__}"
    plots = sorted(p.name for p in (repo / "lrviz-plots").iterdir())
    assert plots == ["cosine.csv", "cosine.png", "step_decay.csv", "step_decay.png"]
    assert job.outputs["render"] == {"out-dir": "lrviz-plots", "configs": "configs/cosine.yaml configs/step_decay.yaml"}
    assert job.outputs["check"] == {"failed": ""}
    assert "lrviz: 2 schedule(s) checked, all as expected" in job.stdout
    assert job.summary.count("### lrviz render") == 1
    assert "### lrviz check configs/step_decay.yaml" in job.summary
    assert "### lrviz check configs/cosine.yaml" in job.summary
    assert "**FAILED**" not in job.summary and "::error" not in job.stdout


def test_action_fails_with_an_annotation_on_the_config_line(repo: Path, tmp_path: Path) -> None:
    config = repo / "configs" / "step_decay.yaml"
    config.write_text(config.read_text().replace("gamma: 0.1", "gamma: 0.2"))
    cosine = repo / "configs" / "cosine.yaml"
    cosine.write_text(cosine.read_text().replace("lr_never_above: 0.1", "lr_never_above: 0.05"))
    job = run_action(repo, {"baselines": "baselines"}, tmp_path)
    assert job.steps == [("install", 0), ("render", 0), ("check", 1)]
    assert job.outputs["check"] == {"failed": "configs/cosine.yaml configs/step_decay.yaml"}
    annotations = [line for line in job.stdout.splitlines() if line.startswith("::error")]
    assert annotations == [
        # the expectation's own line in cosine.yaml; the scheduler node of step_decay.yaml (line 4)
        "::error file=configs/cosine.yaml,line=6,title=lrviz check::configs/cosine.yaml: lr_never_above: "
        "the LR reaches 0.1 at epoch 0, above 0.05",
        "::error file=configs/step_decay.yaml,line=4,title=lrviz check::configs/step_decay.yaml: "
        "baselines/step_decay.csv: first differs at epoch 30: baseline 0.010000000000000002, now 0.020000000000000004",
        "::error title=lrviz::2 of 2 checked schedule(s) changed: configs/cosine.yaml configs/step_decay.yaml",
    ]
    assert job.summary.count("**FAILED**") == 2
    # the plots are there for the artifact step, whose `if:` runs it after a failure too
    assert (repo / "lrviz-plots" / "step_decay.png").exists()
    upload = next(s for s in _action()["runs"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"].startswith("always()")


def test_action_logs_and_globs(repo: Path, tmp_path: Path) -> None:
    """``logs: CONFIG=LOG`` checks planned vs actual; ``**`` recurses; a config with nothing to check is skipped."""
    (repo / "configs" / "nested").mkdir()
    (repo / "configs" / "nested" / "plain.yaml").write_text("epochs: 5\nscheduler: {name: StepLR, step_size: 2}\n")
    log = repo / "run.csv"
    log.write_text("step,lr\n" + "".join(f"{s},{0.1 * 0.1 ** (s // 30)}\n" for s in range(0, 90, 10)))
    job = run_action(
        repo,
        {"configs": "configs/**/*.yaml", "logs": "configs/step_decay.yaml=run.csv", "args": "--quiet"},
        tmp_path,
    )
    assert job.status == 0, job.stdout + job.stderr
    assert job.outputs["render"]["configs"] == "configs/cosine.yaml configs/nested/plain.yaml configs/step_decay.yaml"
    assert "lrviz: 2 schedule(s) checked, all as expected" in job.stdout
    assert "configs/step_decay.yaml: ok (log run.csv)" in job.stdout


def test_action_annotates_a_config_it_cannot_read(repo: Path, tmp_path: Path) -> None:
    config = repo / "configs" / "step_decay.yaml"
    config.write_text(config.read_text().replace("gamma: 0.1", "gama: 0.1"))
    job = run_action(repo, {"baselines": "baselines"}, tmp_path)
    assert job.steps == [("install", 0), ("render", 2)] and job.skipped[-1] == "check"
    assert (repo / "lrviz-plots" / "cosine.png").exists()  # the good config is still drawn
    (annotation,) = [line for line in job.stdout.splitlines() if line.startswith("::error")]
    assert annotation.startswith(
        "::error file=configs/step_decay.yaml,line=7,title=lrviz render::configs/step_decay.yaml:7: scheduler.gama: "
        "unknown argument of MultiStepLR (did you mean gamma?)"
    )


def test_action_without_configs_fails_naming_the_pattern(tmp_path: Path) -> None:
    work = tmp_path / "empty"
    work.mkdir()
    job = run_action(work, {"configs": "conf/*.yaml"}, tmp_path)
    assert job.steps[-1] == ("render", 2)
    assert "::error title=lrviz::no config matches: conf/*.yaml" in job.stdout
    assert job.skipped[-1] == "check"


WORKFLOWS = [ROOT / "examples" / "lrviz-ci.yml", *sorted((ROOT / ".github" / "workflows").glob("*.yml"))]


@pytest.mark.parametrize(
    ("path", "schema"),
    [(ACTION, "vendor.github-actions")] + [(p, "vendor.github-workflows") for p in WORKFLOWS],
    ids=lambda v: v.name if isinstance(v, Path) else v,
)
def test_action_and_workflows_match_github_schemas(path: Path, schema: str) -> None:
    """check-jsonschema's vendored copies of SchemaStore's GitHub schemas (no network)."""
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(
    shutil.which("shellcheck") is None, reason="shellcheck is not installed (apt-get install shellcheck)"
)
def test_action_steps_pass_shellcheck(tmp_path: Path) -> None:
    for index, step in enumerate(_action()["runs"]["steps"]):
        if "run" in step:
            script = tmp_path / f"step{index}.sh"
            script.write_text("#!/usr/bin/env bash\n" + step["run"])
            result = subprocess.run(["shellcheck", str(script)], capture_output=True, text=True, timeout=60)
            assert result.returncode == 0, result.stdout


def test_example_workflow_uses_the_action() -> None:
    doc = yaml.safe_load((ROOT / "examples" / "lrviz-ci.yml").read_text())
    (job,) = doc["jobs"].values()
    uses = [s for s in job["steps"] if "uses" in s and "lrviz" in s["uses"]]
    assert len(uses) == 1 and set(uses[0]["with"]) <= set(_action()["inputs"])


def test_example_workflow_runs_and_is_reproducible(tmp_path: Path) -> None:
    """The example's inputs on this repository's configs and baselines: twice, the same bytes."""
    doc = yaml.safe_load((ROOT / "examples" / "lrviz-ci.yml").read_text())
    (job_spec,) = doc["jobs"].values()
    (inputs,) = [s["with"] for s in job_spec["steps"] if "lrviz" in s.get("uses", "")]
    outputs = []
    for n in (1, 2):
        work = tmp_path / f"run{n}"
        shutil.copytree(ROOT / "configs", work / "configs")
        shutil.copytree(ROOT / "baselines", work / "baselines")
        (tmp_path / f"t{n}").mkdir()
        job = run_action(work, inputs, tmp_path / f"t{n}")
        assert job.status == 0, job.stdout + job.stderr
        configs = list((work / "configs").glob("*.yaml"))
        assert job.summary.count("### lrviz render") == 1 and job.summary.count("### lrviz check") == len(configs)
        assert "**FAILED**" not in job.summary
        outputs.append({p.name: p.read_bytes() for p in sorted((work / "lrviz-plots").iterdir())})
    assert outputs[0].keys() == outputs[1].keys() and len(outputs[0]) == 2 * len(
        list((ROOT / "configs").glob("*.yaml"))
    )
    for name in outputs[0]:
        assert outputs[0][name] == outputs[1][name], name


def test_baselines_match_configs() -> None:
    configs = sorted(p.stem for p in (ROOT / "configs").glob("*.yaml"))
    assert sorted(p.stem for p in (ROOT / "baselines").glob("*.csv")) == configs
