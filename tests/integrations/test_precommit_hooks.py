"""The pre-commit hooks (.pre-commit-hooks.yaml), run by the real pre-commit against a temporary repository.

``pre-commit try-repo`` clones a hook repository and runs its hooks as a user's
``.pre-commit-config.yaml`` would. The hook repository here is this one's hook file with
``language: system`` (the documented variant for a repository that already has torch), so
pre-commit builds no environment and downloads nothing; lrviz comes from this checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HOOKS = ROOT / ".pre-commit-hooks.yaml"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        **GIT_ENV,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
        "PYTHONPATH": str(ROOT),
        "PIP_NO_INDEX": "1",  # offline: nothing may be downloaded
    }


def _git(cwd: Path, *args: str, env: dict[str, str]) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, timeout=60)


@pytest.fixture
def repos(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """(hook repository, user's repository with a config, its baseline and its committed plot, environment)."""
    env = _env(tmp_path)
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    manifest = yaml.safe_load(HOOKS.read_text())
    for hook in manifest:
        assert hook["language"] == "python"
        hook["language"] = "system"
    (hooks / ".pre-commit-hooks.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    _git(hooks, "init", "-q", env=env)
    _git(hooks, "add", ".", env=env)
    _git(hooks, "commit", "-qm", "hooks", env=env)

    user = tmp_path / "user"
    (user / "configs").mkdir(parents=True)
    (user / "baselines").mkdir()
    shutil.copy(ROOT / "configs" / "step_decay.yaml", user / "configs" / "step_decay.yaml")
    shutil.copy(ROOT / "baselines" / "step_decay.csv", user / "baselines" / "step_decay.csv")
    (user / "configs" / "cosine.yaml").write_text(
        "epochs: 20\nscheduler: {name: CosineAnnealingLR, T_max: 20}\nexpect:\n  lr_never_above: 0.1\n"
    )
    render = subprocess.run(
        [sys.executable, "-m", "lrviz", "render", "configs/step_decay.yaml", "configs/cosine.yaml"]
        + ["--quiet", "--out-dir", "plots", "--format", "png"],
        cwd=user,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert render.returncode == 0, render.stderr
    _git(user, "init", "-q", env=env)
    _git(user, "add", ".", env=env)
    _git(user, "commit", "-qm", "configs", env=env)
    return hooks, user, env


def try_repo(hooks: Path, user: Path, env: dict[str, str], hook: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hooks), hook, "--all-files", "--color", "never"],
        cwd=user,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_manifest_is_valid_for_pre_commit() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(HOOKS)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert [h["id"] for h in yaml.safe_load(HOOKS.read_text())] == ["lrviz-check", "lrviz-render"]


def test_hooks_pass_on_an_unchanged_repository(repos: tuple[Path, Path, dict[str, str]]) -> None:
    hooks, user, env = repos
    check = try_repo(hooks, user, env, "lrviz-check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Passed" in check.stdout
    render = try_repo(hooks, user, env, "lrviz-render")
    assert render.returncode == 0, render.stdout + render.stderr
    status = subprocess.run(["git", "status", "--porcelain"], cwd=user, env=env, capture_output=True, text=True)
    assert status.stdout == ""  # the plots were redrawn byte for byte


def test_hooks_fail_when_a_schedule_changes(repos: tuple[Path, Path, dict[str, str]]) -> None:
    hooks, user, env = repos
    config = user / "configs" / "step_decay.yaml"
    config.write_text(config.read_text().replace("gamma: 0.1", "gamma: 0.2"))
    _git(user, "add", ".", env=env)
    before = (user / "plots" / "step_decay.png").read_bytes()

    check = try_repo(hooks, user, env, "lrviz-check")
    assert check.returncode == 1
    assert (
        "configs/step_decay.yaml: baselines/step_decay.csv: first differs at epoch 30: "
        "baseline 0.010000000000000002, now 0.020000000000000004"
    ) in check.stdout
    assert "Error: 1 of 2 checked config(s) failed" in check.stdout

    render = try_repo(hooks, user, env, "lrviz-render")
    assert render.returncode == 1
    assert "files were modified by this hook" in render.stdout
    assert (user / "plots" / "step_decay.png").read_bytes() != before
    _git(user, "add", ".", env=env)
    again = try_repo(hooks, user, env, "lrviz-render")  # the refreshed plot is committed: the formatter is satisfied
    assert again.returncode == 0, again.stdout


def test_check_hook_skips_files_with_nothing_to_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A config without baseline or expect:, and a YAML file that is no config, are not the hook's to judge."""
    from typer.testing import CliRunner

    from lrviz.cli import app

    monkeypatch.chdir(tmp_path)
    Path("plain.yaml").write_text("epochs: 5\nscheduler: {name: StepLR, step_size: 2}\n")
    Path("notes.yaml").write_text("owner: someone\n")
    Path("broken.yaml").write_text(
        "expect: {final_lr_below: 1.0e-9}\nscheduler: {name: StepLR, step_size: 2}\nepochs: 5\n"
    )
    result = CliRunner().invoke(app, ["precommit-check", "plain.yaml", "notes.yaml"])
    assert result.exit_code == 0 and result.stdout == ""
    result = CliRunner().invoke(app, ["precommit-check", "plain.yaml", "broken.yaml", "--baselines", "nowhere"])
    assert result.exit_code == 1
    assert "broken.yaml: final_lr_below: the final LR 0.0010000000000000002 is not below 1e-09" in result.stderr
    assert "Error: 1 of 1 checked config(s) failed" in result.stderr
