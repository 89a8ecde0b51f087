"""Hostile and huge inputs (issue 23): never lose a file, never run code unasked, never hang.

The families a black-box probe of the installed tool tried, as tests:

* a matrix of bad values for every numeric field of a config (in-process: exit 2, one line naming the key);
* bombs through every input path (a config file, ``--set``, a ``--config-dir`` file, a log, a flag);
* code-execution attempts that would leave a marker file (Hydra ``pkg://`` search paths, ``oc.env``);
* file-system traps run for real: FIFOs, devices, symlinks to inputs, hard links, same-inode outputs,
  batch inputs with one stem, read-only folders;
* signals to a running batch (SIGTERM: no temporary file left, no worker left behind).

Each subprocess run has a ceiling set by the harness, not a timed assertion: ``RLIMIT_CPU`` (the
kernel stops a run that computes too long) and ``RLIMIT_AS`` (an allocation beyond it fails), set in
``preexec_fn``. A run that hangs or balloons fails the test by being killed, whatever the machine's speed.
Budgets are exercised with small limits set through their ``LRVIZ_MAX_*`` variables, not huge inputs
(the measurements at the real limits are in ``bench/limits.py``).
"""

from __future__ import annotations

import os
import resource
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lrviz.cli import app

runner = CliRunner()

ROOT = Path(__file__).resolve().parents[2]
linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="FIFOs, /dev/full, /proc and fork: Linux")
STEP = "scheduler: {name: StepLR, step_size: 2}\nepochs: 5\n"
#: Ceilings for one subprocess: CPU seconds and address space. torch alone maps ~1.5 GB of address space.
CPU_SECONDS = 60
ADDRESS_SPACE = 4 * 1024**3


def _limits(cpu: int, memory: int) -> Any:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return apply


def lrviz(
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    cpu: int = CPU_SECONDS,
    memory: int = ADDRESS_SPACE,
    stdout: Any = subprocess.PIPE,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m lrviz ARGS`` in ``cwd`` under CPU-time and memory ceilings."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100", **(env or {})}
    environment.pop("LRVIZ_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "lrviz", *args],
        cwd=cwd,
        env=environment,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_limits(cpu, memory),
        timeout=10 * cpu,  # a wall-clock backstop only: the CPU limit is the ceiling
    )


def one_line(proc: subprocess.CompletedProcess[str], code: int, *names: str) -> str:
    """Assert exit ``code`` and exactly one short ``Error:`` line naming every one of ``names``."""
    shown = f"exit {proc.returncode}\nstdout: {(proc.stdout or '')[-2000:]!r}\nstderr: {proc.stderr[-3000:]!r}"
    assert proc.returncode != -signal.SIGXCPU and proc.returncode != -signal.SIGKILL, f"hit the ceiling\n{shown}"
    assert proc.returncode == code, shown
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, shown
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, shown
    assert len(errors[0]) <= 1000, shown
    for name in names:
        assert name in errors[0], f"{name!r} not named\n{shown}"
    return errors[0]


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every path under ``folder`` with its bytes (files) or kind, to assert nothing changed."""
    out: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        if path.is_symlink():
            out[key] = "link:" + os.readlink(path)
        elif path.is_file():
            out[key] = path.read_bytes()
        else:
            out[key] = stat.filemode(path.lstat().st_mode)
    return out


# ---------------------------------------------------------------------------------------------------------
# The matrix: bad values in every numeric field (in-process: ~0.01 s a case)

FIELDS = {
    "epochs": "epochs: {v}\nscheduler: {{name: StepLR, step_size: 2}}\n",
    "steps_per_epoch": "steps_per_epoch: {v}\nepochs: 3\nscheduler: {{name: StepLR, step_size: 2}}\n",
    "step_size": "epochs: 3\nscheduler:\n  name: StepLR\n  step_size: {v}\n",
    "gamma": "epochs: 3\nscheduler:\n  name: StepLR\n  step_size: 2\n  gamma: {v}\n",
    "T_max": "epochs: 3\nscheduler:\n  name: CosineAnnealingLR\n  T_max: {v}\n",
    "lr": "lr: {v}\nepochs: 3\nscheduler: {{name: StepLR, step_size: 2}}\n",
    "warmup": "warmup: {v}\nepochs: 3\nscheduler: {{name: StepLR, step_size: 2}}\n",
    "accelerate_processes": "accelerate_processes: {v}\nepochs: 3\nscheduler: {{name: StepLR, step_size: 2}}\n",
    "frequency": "frequency: {v}\nepochs: 3\nscheduler: {{name: StepLR, step_size: 2}}\n",
    "milestones": "epochs: 3\nscheduler:\n  name: MultiStepLR\n  milestones: [{v}]\n",
}
#: Values no numeric field accepts.
ALWAYS_BAD = {
    "nan": ".nan",
    "inf": ".inf",
    "-inf": "-.inf",
    "string": "'abc'",
    "bool": "true",
    "list": "[1, 2]",
    "mapping": "{a: 1}",
    "huge-int": "1" + "0" * 30,
    "5000-digits": "9" * 5000,
}
#: Values some fields accept: the run renders, or exits 2 with one line naming the key.
MAYBE_BAD = {
    "zero": "0",
    "negative": "-1",
    "null": "null",
    "fraction": "0.5",
    "tiny": "1.0e-300",
    "huge-float": "1.0e308",
}


def _invoke(tmp_path: Path, text: str, *extra: str) -> Any:
    config = tmp_path / "c.yaml"
    config.write_text(text)
    keep = tmp_path / "keep.csv"
    keep.write_bytes(b"epoch,lr\n0,1\n")
    result = runner.invoke(app, ["render", str(config), "-o", str(keep), *extra])
    return result, keep


def _assert_one_line(result: Any, code: int, *names: str) -> str:
    shown = f"exit {result.exit_code}\nstdout: {result.stdout!r}\nstderr: {result.stderr!r}"
    assert result.exit_code == code, shown
    lines = [line for line in result.stderr.splitlines() if not line.startswith(("warning: ", "note: "))]
    assert len(lines) == 1 and lines[0].startswith("Error: "), shown
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, shown
    assert len(lines[0]) <= 1000, shown
    for name in names:
        assert name in lines[0], f"{name!r} not named\n{shown}"
    return str(lines[0])


@pytest.mark.parametrize("value", list(ALWAYS_BAD.values()), ids=list(ALWAYS_BAD))
@pytest.mark.parametrize("field", list(FIELDS))
def test_bad_value_matrix(tmp_path: Path, field: str, value: str) -> None:
    result, keep = _invoke(tmp_path, FIELDS[field].format(v=value))
    line = _assert_one_line(result, 2, "c.yaml")
    assert field in line or "digits" in line or "milestones" in line
    assert keep.read_bytes() == b"epoch,lr\n0,1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml", "keep.csv"]


@pytest.mark.parametrize("value", list(MAYBE_BAD.values()), ids=list(MAYBE_BAD))
@pytest.mark.parametrize("field", list(FIELDS))
def test_edge_value_matrix(tmp_path: Path, field: str, value: str) -> None:
    """Renders, or exits 2 with one line naming the file; never exit 1, never a traceback."""
    result, keep = _invoke(tmp_path, FIELDS[field].format(v=value))
    if result.exit_code == 0:
        assert keep.read_bytes() != b"epoch,lr\n0,1\n"
        return
    _assert_one_line(result, 2)  # a value PyTorch refuses while stepping is named by its scheduler
    assert keep.read_bytes() == b"epoch,lr\n0,1\n"


def test_numbers_read_as_people_write_them() -> None:
    from lrviz.config.values import plain_number

    assert plain_number(2000.0) == "2,000"
    assert plain_number(1e308) == "1e308"
    assert plain_number(1.5e-05) == "1.5e-5"
    assert "e+" not in plain_number(2.5e20)


# ---------------------------------------------------------------------------------------------------------
# Files: no output ever replaces an input or a non-regular file


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "a.yaml").write_text(STEP)
    return tmp_path


@linux
def test_output_that_is_the_input_is_refused(project: Path) -> None:
    (project / "ds.json").write_text('{"scheduler": {"name": "StepLR", "step_size": 2}, "epochs": 3}')
    (project / "m.csv").write_text("0.5\n0.4\n0.3\n")
    (project / "link.csv").symlink_to("m.csv")
    before = snapshot(project)
    one_line(lrviz("render", "ds.json", "-o", "ds.json", cwd=project), 2, "ds.json", "input")
    one_line(lrviz("compare", "a.yaml", "ds.json", "-o", "ds.json", cwd=project), 2, "ds.json", "input")
    one_line(lrviz("render", "a.yaml", "--metrics", "m.csv", "-o", "m.csv", cwd=project), 2, "m.csv", "input")
    one_line(lrviz("render", "a.yaml", "--metrics", "m.csv", "-o", "link.csv", cwd=project), 2, "link.csv", "m.csv")
    assert snapshot(project) == before


@linux
def test_out_dir_over_the_inputs_and_same_stems(project: Path) -> None:
    (project / "cj").mkdir()
    for name in ("a", "b"):
        (project / "cj" / f"{name}.json").write_text('{"scheduler": {"name": "StepLR", "step_size": 2}, "epochs": 3}')
    for folder in ("d1", "d2"):
        (project / folder).mkdir()
        (project / folder / "x.yaml").write_text(STEP)
    before = snapshot(project)
    one_line(lrviz("render", "cj/a.json", "cj/b.json", "--out-dir", "cj", "-f", "json", cwd=project), 2, "cj/a.json")
    one_line(
        lrviz("render", "d1/x.yaml", "d2/x.yaml", "--out-dir", "outd", "-f", "csv", cwd=project),
        2,
        "d1/x.yaml",
        "d2/x.yaml",
    )
    assert snapshot(project) == before


@linux
def test_fifo_device_directory_and_links_are_never_replaced(project: Path) -> None:
    os.mkfifo(project / "fifo.csv")
    (project / "tonull.csv").symlink_to("/dev/null")
    (project / "dir.csv").mkdir()
    (project / "old.csv").write_text("old\n")
    os.link(project / "old.csv", project / "hard.csv")
    (project / "loop1.csv").symlink_to("loop2.csv")
    (project / "loop2.csv").symlink_to("loop1.csv")
    (project / "s1.csv").symlink_to("t.csv")
    (project / "s2.csv").symlink_to("t.csv")
    before = snapshot(project)
    one_line(lrviz("render", "a.yaml", "-o", "fifo.csv", cwd=project), 2, "fifo.csv", "FIFO")
    one_line(lrviz("render", "a.yaml", "-o", "tonull.csv", cwd=project), 2, "tonull.csv", "device")
    one_line(lrviz("render", "a.yaml", "-o", "dir.csv", cwd=project), 2, "dir.csv", "directory")
    one_line(lrviz("render", "a.yaml", "-o", "old.csv", cwd=project), 2, "old.csv", "hard links")
    one_line(lrviz("render", "a.yaml", "-o", "loop1.csv", cwd=project), 2, "loop1.csv", "loop")
    one_line(lrviz("render", "a.yaml", "-o", "s1.csv", "-o", "s2.csv", cwd=project), 2, "s2.csv", "same file as s1.csv")
    assert snapshot(project) == before


@linux
def test_writing_through_a_symlink_keeps_the_target(project: Path) -> None:
    target = project / "real.csv"
    target.write_text("old\n")
    target.chmod(0o640)
    (project / "via.csv").symlink_to("real.csv")
    proc = lrviz("render", "a.yaml", "-o", "via.csv", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert (project / "via.csv").is_symlink()
    assert target.read_text().startswith("epoch,lr")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    target.chmod(0o4750)  # setuid: never replaced
    before = snapshot(project)
    one_line(lrviz("render", "a.yaml", "-o", "via.csv", cwd=project), 2, "setuid")
    assert snapshot(project) == before


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into read-only folders")
@linux
def test_read_only_folder(project: Path) -> None:
    folder = project / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        one_line(lrviz("render", "a.yaml", "-o", "ro/x.csv", cwd=project), 1, "ro/x.csv")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


def test_name_too_long_is_one_line(project: Path) -> None:
    one_line(lrviz("render", "a.yaml", "-o", "x" * 300 + ".csv", cwd=project), 1, "too long")


@linux
def test_full_and_closed_stdout(project: Path) -> None:
    with open("/dev/full", "w") as full:
        proc = lrviz("render", "a.yaml", "-o", "-", cwd=project, stdout=full)
    one_line(proc, 1, "standard output", "no space")
    proc = subprocess.run(
        [sys.executable, "-m", "lrviz", "render", "a.yaml", "-o", "-"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: (_limits(CPU_SECONDS, ADDRESS_SPACE)(), os.close(1)),  # type: ignore[func-returns-value]
        timeout=600,
    )
    one_line(proc, 1, "standard output", "closed")


def test_check_overlay_never_replaces_an_existing_file(project: Path) -> None:
    (project / "run.csv").write_text("step,lr\n0,0.5\n1,0.5\n2,0.05\n")
    overlay = project / "a-vs-run.png"
    overlay.write_bytes(b"precious")
    proc = lrviz("check", "a.yaml", "--against", "run.csv", cwd=project)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert overlay.read_bytes() == b"precious"
    assert "a-vs-run.png exists" in proc.stdout + proc.stderr
    one_line(lrviz("check", "a.yaml", "--against", "run.csv", "-o", "run.png", "-o", "./run.png", cwd=project), 2)


@linux
def test_sigterm_stops_a_batch_and_leaves_nothing_behind(tmp_path: Path) -> None:
    configs = []
    for i in range(8):
        path = tmp_path / f"c{i}.yaml"
        path.write_text("scheduler: {name: CosineAnnealingLR, T_max: 400}\nepochs: 400\nsteps_per_epoch: 500\n")
        configs.append(path.name)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LRVIZ_NO_FORK": ""}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lrviz", "render", *configs, "--out-dir", "out", "-f", "png,svg,pdf"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_limits(CPU_SECONDS * 4, 8 * 1024**3),
    )
    # Wait for the first temporary file (the workers are drawing) for as long as the run lasts: a fixed
    # wall-clock wait expired on a loaded machine, and the signal then came at another stage. The bound
    # is the run's own CPU ceiling (set above), with a wall-clock backstop.
    deadline = time.monotonic() + 10 * CPU_SECONDS
    while time.monotonic() < deadline:
        if out.is_dir() and any(p.name.endswith(".tmp") for p in out.iterdir()):
            break
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    children = _children(proc.pid)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=10 * CPU_SECONDS)
    assert "Traceback" not in err, err
    # The workers die with the parent; one inside a long drawing call (C code: the signal is handled when
    # it returns) takes a moment, longer under load. Then nothing may be left: no worker, no temporary file.
    deadline = time.monotonic() + 10 * CPU_SECONDS
    while time.monotonic() < deadline and [pid for pid in children if _alive(pid)]:
        time.sleep(0.05)
    assert not [pid for pid in children if _alive(pid)]
    if out.is_dir():
        assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


# ---------------------------------------------------------------------------------------------------------
# Code never runs unasked


def _hydra_project(tmp_path: Path, searchpath: str) -> Path:
    pkg = tmp_path / "evilpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(f"open({str(tmp_path / 'MARKER')!r}, 'w').write('ran')\n")
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "train.yaml").write_text(
        f"hydra:\n  searchpath: [{searchpath}]\n"
        "model:\n  optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}\n"
        "  scheduler: {class_path: torch.optim.lr_scheduler.StepLR, init_args: {step_size: 2}}\n"
        "trainer: {max_epochs: 5}\n"
    )
    return conf


@pytest.mark.parametrize("searchpath", ["pkg://evilpkg", "structured://evilpkg", "pkg://evilpkg.conf"])
def test_hydra_search_path_never_imports_unasked(tmp_path: Path, searchpath: str) -> None:
    pytest.importorskip("hydra")
    _hydra_project(tmp_path, searchpath)
    env = {"PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}"}
    proc = lrviz("render", "--config-dir", "conf", "--config-name", "train", cwd=tmp_path, env=env)
    one_line(proc, 2, "hydra.searchpath", "evilpkg", "--allow-import")
    assert not (tmp_path / "MARKER").exists()
    proc = lrviz(
        "render", "--config-dir", "conf", "--config-name", "train", "--set", f"hydra.searchpath=[{searchpath}]",
        cwd=tmp_path, env=env,
    )  # fmt: skip
    one_line(proc, 2, "evilpkg")
    assert not (tmp_path / "MARKER").exists()


def test_hydra_search_path_inside_the_project_is_fine(tmp_path: Path) -> None:
    pytest.importorskip("hydra")
    conf = _hydra_project(tmp_path, "file://conf")
    proc = lrviz("render", "--config-dir", str(conf.name), "--config-name", "train", "-o", "x.csv", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (tmp_path / "other").mkdir()
    outside = _hydra_project(tmp_path / "other", "file:///etc")
    proc = lrviz("render", "--config-dir", str(outside), "--config-name", "train", cwd=tmp_path)
    one_line(proc, 2, "outside")


def test_env_is_read_only_when_allowed_and_never_echoed(tmp_path: Path) -> None:
    secret = "sk-live-0123456789abcdef"
    (tmp_path / "t.yaml").write_text(STEP + "label: ${oc.env:CI_SECRET}\n")
    (tmp_path / "s.yaml").write_text("epochs: 3\nscheduler:\n  name: StepLR\n  step_size: ${oc.env:CI_SECRET}\n")
    env = {"CI_SECRET": secret}
    line = one_line(lrviz("render", "t.yaml", "-o", "t.json", cwd=tmp_path, env=env), 2, "CI_SECRET", "--allow-env")
    assert secret not in line
    assert not (tmp_path / "t.json").exists()
    proc = lrviz("render", "s.yaml", "--allow-env", "CI_SECRET", cwd=tmp_path, env=env)
    line = one_line(proc, 2, "step_size")
    assert secret not in proc.stderr + proc.stdout
    proc = lrviz("render", "t.yaml", "-o", "t.json", cwd=tmp_path, env={**env, "LRVIZ_ALLOW_ENV": "CI_SECRET"})
    assert proc.returncode == 0, proc.stderr
    assert secret in (tmp_path / "t.json").read_text()  # asked for: the label says it


def test_env_in_a_key_never_read_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "l.yaml").write_text(
        "model:\n  optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}\n"
        "  scheduler: {class_path: torch.optim.lr_scheduler.StepLR, init_args: {step_size: 2}}\n"
        "  token: ${oc.env:CI_SECRET}\ntrainer: {max_epochs: 5}\n"
    )
    proc = lrviz("render", "l.yaml", "-o", "l.json", cwd=tmp_path, env={"CI_SECRET": "sk-live-abcdef"})
    assert proc.returncode == 0, proc.stderr
    assert "sk-live" not in (tmp_path / "l.json").read_text()


# ---------------------------------------------------------------------------------------------------------
# Bounded work: bombs through every input path, each refused within the ceiling, naming its limit

DOUBLING = "".join(f"  k{i + 1}: ${{junk.k{i}}}${{junk.k{i}}}\n" for i in range(40))
LIGHTNING = (
    "model:\n  optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}\n"
    "  scheduler:\n    class_path: torch.optim.lr_scheduler.StepLR\n    init_args:\n      step_size: 2\n"
    "trainer: {max_epochs: 5}\n"
)
ALIAS_BOMB = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)
)


def test_interpolation_bomb_in_an_unread_key_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text(LIGHTNING + "junk:\n  k0: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n" + DOUBLING)
    proc = lrviz("render", "b.yaml", "-o", "b.csv", cwd=tmp_path, cpu=30, memory=ADDRESS_SPACE)
    assert proc.returncode == 0, proc.stderr


def test_interpolation_bomb_in_a_read_key_names_the_limit(tmp_path: Path) -> None:
    text = LIGHTNING.replace("step_size: 2", "step_size: ${junk.k40}") + "junk:\n  k0: x\n" + DOUBLING
    (tmp_path / "b.yaml").write_text(text)
    one_line(lrviz("render", "b.yaml", cwd=tmp_path, cpu=30), 2, "step_size", "LRVIZ_MAX_")
    deep = "".join(f"  d{i + 1}: ${{junk.d{i}}}\n" for i in range(60))
    (tmp_path / "d.yaml").write_text(
        LIGHTNING.replace("step_size: 2", "step_size: ${junk.d60}") + "junk:\n  d0: 2\n" + deep
    )
    one_line(lrviz("render", "d.yaml", cwd=tmp_path, cpu=30), 2, "step_size", "LRVIZ_MAX_RESOLUTION_DEPTH")


def test_bombs_through_set_and_config_dir(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(STEP)
    alias = "[" + ALIAS_BOMB.replace("\n", "; ") + "]"
    bomb_value = "{" + ", ".join(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 8)) + "}"
    bomb_value = "{a0: &a0 [x, x, x, x, x, x, x, x, x, x], " + bomb_value[1:]
    del alias
    one_line(lrviz("render", "a.yaml", "--set", f"junk={bomb_value}", cwd=tmp_path, cpu=30), 2, "--set", "LRVIZ_MAX_")
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "train.yaml").write_text(LIGHTNING)
    (conf / "bomb.yaml").write_text(ALIAS_BOMB)
    proc = lrviz("render", "--config-dir", "conf", "--config-name", "train", cwd=tmp_path, cpu=30)
    one_line(proc, 2, "bomb.yaml", "LRVIZ_MAX_EXPANDED_NODES")
    (conf / "bomb.yaml").write_text("x: " + "y" * 5000 + "\n")
    proc = lrviz(
        "render", "--config-dir", "conf", "--config-name", "train", cwd=tmp_path, env={"LRVIZ_MAX_CONFIG_BYTES": "4096"}
    )
    one_line(proc, 2, "bomb.yaml", "4,096")
    key = ".".join(["k"] * 600)
    one_line(lrviz("render", "a.yaml", "--set", f"{key}=1", cwd=tmp_path), 2, "--set", "LRVIZ_MAX_KEY_SEGMENTS")


@pytest.mark.parametrize(
    ("name", "text", "names"),
    [
        ("deep.json", "[" * 1000 + "]" * 1000, ("deep.json", "LRVIZ_MAX_NESTING")),
        ("deep2.json", '{"scheduler": ' + '{"a": ' * 400 + "1" + "}" * 400 + "}", ("deep2.json", "nest")),
        ("deep.yaml", "scheduler:\n" + "".join("  " * i + "a:\n" for i in range(1, 90)) + "  " * 90 + "b: ${x}\n", ("deep.yaml", "nest")),
        ("digits.yaml", "epochs: " + "9" * 5000 + "\nscheduler: {name: StepLR, step_size: 2}\n", ("digits.yaml", "digits")),
        ("digits.json", '{"epochs": ' + "9" * 5000 + ', "scheduler": {"name": "StepLR", "step_size": 2}}', ("digits.json", "digits")),
        ("alias.yaml", ALIAS_BOMB + STEP, ("alias.yaml", "LRVIZ_MAX_EXPANDED_NODES")),
    ],
    ids=["json-list-1000-deep", "json-400-deep", "yaml-90-deep-with-interpolation", "yaml-5000-digits", "json-5000-digits", "alias-bomb"],
)  # fmt: skip
def test_config_bombs(tmp_path: Path, name: str, text: str, names: tuple[str, ...]) -> None:
    (tmp_path / name).write_text(text)
    one_line(lrviz("render", name, cwd=tmp_path, cpu=20, memory=2 * 1024**3), 2, *names)


def test_utf16_config_is_read(tmp_path: Path) -> None:
    (tmp_path / "u.yaml").write_bytes(STEP.encode("utf-16"))
    proc = lrviz("render", "u.yaml", "-o", "u.csv", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_points_and_processes_budget(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(STEP)
    one_line(
        lrviz(
            "render", "a.yaml", "--accelerate-processes", "1000000000", "--steps-per-epoch", "100", cwd=tmp_path, cpu=20
        ),
        2,
        "--accelerate-processes",
        "LRVIZ_MAX_STEPS",
    )
    (tmp_path / "b.yaml").write_text(STEP + "accelerate_processes: 1.0e308\n")
    one_line(lrviz("render", "b.yaml", cwd=tmp_path, cpu=20), 2, "accelerate_processes", "1e308")
    one_line(
        lrviz("render", "a.yaml", "--epochs", "2000", cwd=tmp_path, env={"LRVIZ_MAX_POINTS": "1000"}),
        2,
        "LRVIZ_MAX_POINTS",
    )
    proc = lrviz("render", "a.yaml", "--epochs", "2000", "-o", "a.csv", cwd=tmp_path, env={"LRVIZ_MAX_POINTS": "5000"})
    assert proc.returncode == 0, proc.stderr  # fmt: skip


def test_huge_columns_chart(tmp_path: Path) -> None:
    proc = lrviz(
        "step",
        "--step-size",
        "2",
        "--epochs",
        "5",
        "--chart",
        cwd=tmp_path,
        env={"COLUMNS": "10000000"},
        memory=3 * 1024**3,
    )
    assert proc.returncode == 0, proc.stderr
    assert max(len(line) for line in proc.stdout.splitlines()) <= 1000  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# Logs: streamed, bounded, one line for every failure


def test_log_rows_and_size_budget(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(STEP)
    rows = "".join(f"{i},0.1\n" for i in range(5000))
    (tmp_path / "run.csv").write_text("step,lr\n" + rows)
    # the log is read through the plan's window: LOG_ROWS bounds the points held (the plan's 5 steps),
    # the 4,995 rows past it are counted, not held
    one_line(
        lrviz("check", "a.yaml", "--against", "run.csv", cwd=tmp_path, env={"LRVIZ_MAX_LOG_ROWS": "3"}),
        2,
        "run.csv",
        "LRVIZ_MAX_LOG_ROWS",
    )
    one_line(lrviz("check", "a.yaml", "--against", "run.csv", cwd=tmp_path, env={"LRVIZ_MAX_LOG_BYTES": "1000"}), 2, "run.csv", "LRVIZ_MAX_LOG_BYTES")  # fmt: skip


@pytest.mark.parametrize(
    ("name", "text", "names"),
    [
        ("big.csv", "step,lr\n0,0.1\n" + "1" + "0" * 30 + ",0.1\n", ("big.csv:3", "step")),
        ("digits.csv", "step,lr\n0,0.1\n" + "1" * 5000 + ",0.1\n", ("digits.csv:3",)),
        ("trainer_state.json", '{"log_history": [{"step": ' + "1" * 31 + ', "learning_rate": 0.1}]}', ("trainer_state.json", "step")),
        ("deep/trainer_state.json", '{"log_history": [{"step": ' + "1" * 5000 + ', "learning_rate": 0.1}]}', ("trainer_state.json", "digits")),
        ("run.jsonl", '{"step": 0, "lr": 0.1}\n{"step": ' + "1" * 5000 + ', "lr": 0.1}\n', ("run.jsonl:2",)),
        ("multi.csv", "step,lr-SGD/pg1,lr-SGD/pg2,lr-SGD/pg3\n0,0.1,0.1,0.1\n", ("multi.csv", "--y")),
    ],
    ids=["step-10**30", "step-5000-digits", "trainer-state-10**30", "trainer-state-5000-digits", "jsonl-5000-digits", "multi-series"],
)  # fmt: skip
def test_bad_logs(tmp_path: Path, name: str, text: str, names: tuple[str, ...]) -> None:
    (tmp_path / "a.yaml").write_text(STEP)
    path = tmp_path / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    one_line(lrviz("check", "a.yaml", "--against", name, cwd=tmp_path, cpu=20), 2, *names)


def test_dangling_event_file_symlink(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(STEP)
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "events.out.tfevents.1.host").symlink_to(tmp_path / "nowhere")
    one_line(lrviz("check", "a.yaml", "--against", "logs", cwd=tmp_path, cpu=20), 2, "logs")


def test_megatron_like_text_is_read_in_linear_time(tmp_path: Path) -> None:
    """Megatron-LM's stdout is recognised, found in a directory and read line by line: a 1 MiB line of
    ``iteration N/ M |`` after Megatron's banner (one pattern spanning the line rescanned it from each: over
    60 s) or a 1 MiB line of dashes (the banner's pattern, ``-{8,}``: ~300 s) stays far under the ceiling."""
    (tmp_path / "a.yaml").write_text(STEP)
    (tmp_path / "job").mkdir()
    banner = "------------------------ arguments ------------------------\n"
    (tmp_path / "job" / "slurm-1.out").write_text(banner + "| learning rate: 1 |" + " iteration 1/ 1 |" * 61_000)
    one_line(lrviz("check", "a.yaml", "--against", "job", cwd=tmp_path, cpu=20), 2, "job", "no training log")
    line = " iteration {k}/ 2 | consumed samples: {k} | learning rate: {lr} | number of skipped iterations: 0 |\n"
    dashes = "-" * 1_000_000 + "\n"
    (tmp_path / "dashes.log").write_text(
        line.format(k=1, lr="1.000000E-01") + dashes + line.format(k=2, lr="1.000000E-02")
    )
    proc = lrviz("check", "a.yaml", "--against", "dashes.log", cwd=tmp_path, cpu=20)
    assert proc.returncode == 0, proc.stderr
    assert "dashes.log [learning rate]: matches the plan at all 2 logged steps" in proc.stdout


def test_csv_log_memory_is_proportional_to_the_points(tmp_path: Path) -> None:
    """200,000 rows read under a 1 GB address-space ceiling with no torch: the reader streams."""
    rows = "".join(f"{i},{0.1 * (1 - i / 200000):.6g},{i * 0.5}\n" for i in range(200_000))
    (tmp_path / "run.csv").write_text("step,lr,loss\n" + rows)
    code = "from pathlib import Path; from lrviz.logs import read_log; print(len(read_log(Path('run.csv')).series[0]))"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        preexec_fn=_limits(30, 1024**3),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "200000"


# ---------------------------------------------------------------------------------------------------------
# Framework rejections name the file, line and key


def test_deepspeed_rejection_names_file_line_and_key(tmp_path: Path) -> None:
    pytest.importorskip("deepspeed")
    (tmp_path / "ds.json").write_text(
        '{\n\t"train_batch_size": 8,\n\t"scheduler": {\n\t\t"type": "WarmupCosineLR",\n\t\t"params": {\n'
        '\t\t\t"total_num_steps": 100,\n\t\t\t"warmup_num_steps": 0\n\t\t}\n\t},\n'
        '\t"optimizer": {"type": "AdamW", "params": {"lr": 0.001}}\n}\n'
    )
    one_line(lrviz("render", "ds.json", cwd=tmp_path), 2, "ds.json:7", "warmup_num_steps")
    (tmp_path / "ds.json").write_text(
        (tmp_path / "ds.json").read_text().replace('"warmup_num_steps": 0', '"warmup_num_steps": "auto"')
    )
    one_line(lrviz("render", "ds.json", cwd=tmp_path), 2, "ds.json:7", "auto")  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# The property: any config renders, or exits 2 with one line; exit 1 only for a failed write

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_REFS = [
    "${epochs}",
    "${scheduler.T_max}",
    "${oc.env:HOME}",
    "${oc.env:LRVIZ_NO_SUCH,3}",
    "???",
    "${a}${a}",
    "${oc.select:x,2}",
]
_SCALARS = (
    st.integers(-3, 30)
    | st.sampled_from([0, 10**15 + 1, 10**30, 2**63])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(["", "abc", "1e-3", "true"] + _REFS)
    | st.booleans()
    | st.none()
)
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "b", "name", "T_max"]), inner, max_size=3), max_leaves=8)  # fmt: skip
_NAMES = st.sampled_from(["StepLR", "CosineAnnealingLR", "OneCycleLR", "ExponentialLR", "MultiStepLR", "LinearLR", "CyclicLR", "Nope"])  # fmt: skip
_ARGS = st.sampled_from(["step_size", "gamma", "T_max", "eta_min", "max_lr", "total_steps", "milestones", "start_factor", "total_iters", "base_lr"])  # fmt: skip
_TOP = st.sampled_from(["epochs", "steps_per_epoch", "lr", "warmup", "interval", "label", "accelerate_processes", "frequency", "optimizer"])  # fmt: skip


@st.composite
def _documents(draw: Any) -> str:
    import yaml

    scheduler: dict[str, Any] = {"name": draw(_NAMES)}
    scheduler.update(draw(st.dictionaries(_ARGS, _VALUES, max_size=3)))
    doc: dict[str, Any] = {"scheduler": scheduler, **draw(st.dictionaries(_TOP, _VALUES, max_size=3))}
    if draw(st.booleans()):
        doc["a"] = draw(_VALUES)
    return str(yaml.safe_dump(doc, default_flow_style=draw(st.booleans()), allow_unicode=True))


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=_documents())
def test_any_config_renders_or_exits_2_with_one_line(text: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "c.yaml"
        config.write_text(text)
        out = Path(folder) / "out.csv"
        result = runner.invoke(app, ["render", str(config), "-o", str(out)])
        shown = f"config:\n{text}\nexit {result.exit_code}\nstderr: {result.stderr!r}"
        assert result.exception is None or isinstance(result.exception, SystemExit), shown
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr, shown
        if result.exit_code == 0:
            assert out.exists(), shown
            return
        assert result.exit_code == 2, shown
        lines = [line for line in result.stderr.splitlines() if not line.startswith(("warning: ", "note: "))]
        assert len(lines) == 1 and lines[0].startswith("Error: ") and len(lines[0]) <= 1000, shown
        assert not out.exists(), shown
