"""background.start: a job forked off (torch in the child) or run in-process, same results either way.

The test process has torch imported, where ``start`` never forks; the forked path is
exercised in fresh interpreters (``python -c``), as the installed command runs it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lrviz.cli import _fork as background
from lrviz.errors import ConfigError
from tests.conftest import reference_lrs

FORKED = """
import json, os, signal, sys, time
from lrviz.cli import _fork as background
from lrviz.errors import ConfigError, LrvizError

def run(fn):
    with background.start(fn) as job:
        forked = job._pid != 0
        try:
            value = job.result()
        except LrvizError as exc:
            return {{"forked": forked, "error": type(exc).__name__, "message": str(exc), "exit_code": exc.exit_code}}
    return {{"forked": forked, "value": value}}

{body}
"""


def forked(body: str) -> dict:  # type: ignore[type-arg]
    """Run ``body`` (which prints one JSON line) in a fresh interpreter, where start() forks."""
    result = subprocess.run(
        [sys.executable, "-c", FORKED.format(body=body)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_in_process_when_torch_is_already_imported() -> None:
    assert "torch" in sys.modules  # conftest imports it; forking now would copy torch's thread pools
    with background.start(lambda: 41 + 1) as job:
        assert job._pid == 0
        assert job.result() == 42


def test_in_process_errors_keep_their_type_and_traceback() -> None:
    def fail() -> None:
        raise ZeroDivisionError("boom")

    with pytest.raises(ZeroDivisionError) as info, background.start(fail, fork=False) as job:
        job.result()
    assert info.traceback[-1].name == "fail"
    with pytest.raises(ConfigError, match="bad"), background.start(lambda: _raise(ConfigError("bad"))) as job:
        job.result()


def _raise(exc: Exception) -> None:
    raise exc


def test_forked_curve_equals_pytorch_and_the_parent_never_imports_torch() -> None:
    out = forked(
        "from lrviz.reading import build_run, from_document\n"
        "doc = {'scheduler': {'name': 'LambdaLR', 'lr_lambda': '0.9 ** epoch'}, 'epochs': 8,"
        " 'optimizer': {'name': 'Adam', 'lr': 0.01}}\n"
        "run_ = build_run(from_document(doc, 'x'))\n"
        "def step():\n"
        "    from lrviz.engine import simulate\n"
        "    return [list(s) for s in simulate(run_).lrs]\n"
        "r = run(step)\n"
        "r['parent_has_torch'] = 'torch' in sys.modules\n"
        "print(json.dumps(r))"
    )
    assert out["forked"] is True
    assert out["parent_has_torch"] is False
    # the lr_lambda expression went through pickle (Expression.__reduce__) and back
    assert out["value"] == reference_lrs(
        {"name": "LambdaLR", "lr_lambda": "0.9 ** epoch"}, epochs=8, optimizer="Adam", lrs=(0.01,)
    )


def test_in_process_while_another_thread_runs() -> None:
    out = forked(
        "import threading\n"
        "threading.Thread(target=time.sleep, args=(1,), daemon=True).start()\n"
        "r = run(os.getpid)\n"
        "r['same_process'] = r.pop('value') == os.getpid()\n"
        "print(json.dumps(r))"
    )
    assert out == {"forked": False, "same_process": True}


def test_forked_lrviz_errors_keep_their_class_message_and_exit_code() -> None:
    out = forked("def f():\n    raise ConfigError('scheduler.T_max: must be > 0')\nprint(json.dumps(run(f)))")
    assert out == {
        "forked": True,
        "error": "ConfigError",
        "message": "scheduler.T_max: must be > 0",
        "exit_code": 2,
    }


def test_forked_bug_becomes_one_line_schedule_error() -> None:
    out = forked("def f():\n    return 1 / 0\nprint(json.dumps(run(f)))")
    assert out["error"] == "LrvizError" and out["exit_code"] == 1
    assert out["message"].startswith("internal error: ZeroDivisionError: division by zero at <string>:")
    assert "--debug" in out["message"] and "\n" not in out["message"]


def test_forked_unpicklable_error_keeps_message_and_exit_code() -> None:
    out = forked(
        "class Odd(ConfigError):\n"
        "    def __init__(self, a, b):\n"
        "        super().__init__(f'{a} and {b}')\n"
        "def f():\n"
        "    raise Odd('x', 'y')\n"
        "print(json.dumps(run(f)))"
    )
    assert out == {"forked": True, "error": "LrvizError", "message": "x and y", "exit_code": 2}


def test_forked_child_killed_is_reported_not_hung() -> None:
    out = forked("def f():\n    os.kill(os.getpid(), signal.SIGKILL)\nprint(json.dumps(run(f)))")
    assert out["error"] == "LrvizError"
    assert out["message"].startswith("the process stepping the schedule was killed by SIGKILL before it finished")


def test_forked_child_killed_while_sending_is_reported_as_killed() -> None:
    # the out-of-memory case: the kernel kills the child at its peak, halfway through the result
    out = forked(
        "class Killer:\n"
        "    def __reduce__(self):\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "def f():\n"
        "    return [bytes(2_000_000), Killer()]\n"
        "print(json.dumps(run(f)))"
    )
    assert out["error"] == "LrvizError"
    assert out["message"] == (
        "the process stepping the schedule was killed by SIGKILL before it finished (out of memory?)"
    )


def test_forked_result_that_does_not_pickle_is_an_internal_error() -> None:
    out = forked("print(json.dumps(run(lambda: [1, lambda: 2])))")
    assert out["error"] == "LrvizError" and out["exit_code"] == 1
    assert out["message"].startswith("internal error: the result of stepping the schedule could not be passed back")


def test_forked_child_interrupted_raises_keyboard_interrupt_in_parent() -> None:
    out = forked(
        "def f():\n    raise KeyboardInterrupt\n"
        "try:\n    run(f)\n    r = 'no error'\nexcept KeyboardInterrupt:\n    r = 'KeyboardInterrupt'\n"
        "print(json.dumps({'r': r}))"
    )
    assert out == {"r": "KeyboardInterrupt"}


def test_forked_job_left_unawaited_is_killed_and_reaped() -> None:
    out = forked(
        "try:\n"
        "    with background.start(lambda: time.sleep(60)) as job:\n"
        "        pid = job._pid\n"
        "        raise RuntimeError('the parent failed first')\n"
        "except RuntimeError:\n"
        "    pass\n"
        "try:\n    os.waitpid(pid, os.WNOHANG)\n    gone = False\nexcept ChildProcessError:\n    gone = True\n"
        "print(json.dumps({'forked': pid > 0, 'gone': gone}))"
    )
    assert out == {"forked": True, "gone": True}


# -- the child prestarted by the installed command ------------------------------------------------

PRESTARTED = """
import functools, json, os, sys, warnings
from lrviz.cli import _fork as background
from lrviz.cli._text import show_warning

background.prestart()
spare = background._SPARE[0].pid

from lrviz.cli._torch import simulate_one
from lrviz.reading import build_run, from_document

def step(n):
    run = build_run(from_document({{"scheduler": {{"name": "StepLR", "step_size": 2}}, "epochs": n}}, "x"))
    return functools.partial(simulate_one, run, False, None)

def children():
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return 0
    return 1

{body}
"""


def prestarted(body: str) -> dict:  # type: ignore[type-arg]
    result = subprocess.run(
        [sys.executable, "-c", PRESTARTED.format(body=body)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    out["stderr"] = result.stderr
    return out  # type: ignore[no-any-return]


def test_prestarted_child_takes_a_job_and_the_parent_never_imports_torch() -> None:
    out = prestarted(
        "with background.start(step(6)) as job:\n"
        "    pid = job._pid\n"
        "    lrs = list(job.result().lrs[0])\n"
        "background.reap()\n"
        "print(json.dumps({'same': pid == spare, 'lrs': lrs, 'torch': 'torch' in sys.modules, 'left': children()}))"
    )
    assert out["same"] is True and out["torch"] is False and out["left"] == 0
    assert out["lrs"] == reference_lrs({"name": "StepLR", "step_size": 2}, epochs=6)[0]


def test_prestarted_child_is_discarded_for_a_function_it_cannot_import() -> None:
    # a lambda, or a function of __main__ defined after the fork: a fresh child steps it
    out = prestarted(
        "job_fn = step(4)\n"
        "with background.start(lambda: job_fn()) as job:\n"
        "    pid = job._pid\n"
        "    n = len(job.result().lrs[0])\n"
        "background.reap()\n"
        "print(json.dumps({'fresh': pid not in (0, spare), 'n': n, 'left': children()}))"
    )
    assert out == {"fresh": True, "n": 4, "left": 0, "stderr": ""}


def test_prestarted_child_not_needed_is_killed_and_reaped() -> None:
    out = prestarted(
        "background.discard()\n"
        "with background.start(step(3)) as job:\n"
        "    pid = job._pid\n"
        "    job.result()\n"
        "background.reap()\n"
        "print(json.dumps({'fresh': pid not in (0, spare), 'left': children(), 'spares': len(background._SPARE)}))"
    )
    assert out == {"fresh": True, "left": 0, "spares": 0, "stderr": ""}


def test_prestarted_child_unused_is_killed_when_the_job_runs_here() -> None:
    out = prestarted(
        "with background.start(step(3), fork=False) as job:\n"
        "    pid = job._pid\n"
        "    job.result()\n"
        "print(json.dumps({'here': pid == 0, 'left': children(), 'spares': len(background._SPARE)}))"
    )
    assert out == {"here": True, "left": 0, "spares": 0, "stderr": ""}


def test_prestarted_child_gets_the_parents_warning_handler() -> None:
    # the child was forked before the command installed its handler: the job carries it
    out = prestarted(
        "import pickle\n"
        "warnings.showwarning = show_warning\n"
        "fn, handler = pickle.loads(background._request(step(3)))\n"
        "warnings.showwarning = lambda *a, **k: None\n"
        "_, default = pickle.loads(background._request(step(3)))\n"
        "print(json.dumps({'lrviz': handler is show_warning, 'unpicklable': default is None}))"
    )
    assert out == {"lrviz": True, "unpicklable": True, "stderr": ""}


def test_prestarted_child_takes_a_job_larger_than_the_pipe() -> None:
    # a job the request pipe cannot hold at once: the rest is sent when the result is wanted
    out = prestarted(
        "import dataclasses\n"
        "from lrviz.cli._torch import simulate_all\n"
        "run = step(3).args[0]\n"
        "runs = [dataclasses.replace(run, title=f'{i:07d}' * 1000) for i in range(400)]\n"
        "with background.start(functools.partial(simulate_all, runs, False)) as job:\n"
        "    later = len(job._unsent) > 0\n"
        "    results = job.result()\n"
        "titles = [c.run.title[:7] for c, _ in results]\n"
        "print(json.dumps({'later': later, 'ok': titles == [f'{i:07d}' for i in range(400)]}))"
    )
    assert out["later"] is True and out["ok"] is True


def test_prestarted_child_killed_before_its_job_is_reported() -> None:
    out = prestarted(
        "import signal\n"
        "os.kill(spare, signal.SIGKILL)\n"
        "try:\n"
        "    with background.start(step(3)) as job:\n"
        "        job.result()\n"
        "except Exception as exc:\n"
        "    print(json.dumps({'error': str(exc)}))\n"
    )
    assert out["error"] == "the process stepping the schedule was killed by SIGKILL before it finished (out of memory?)"


# -- the installed command ------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = [str(ROOT / "configs" / f"{name}.yaml") for name in ("cosine_article", "plateau", "warmup_cosine")]

MAIN = """
import os, sys
from lrviz import cli
sys.argv = ["lrviz", *{args!r}]
parent, real_exit = os.getpid(), os._exit

def report(code):
    if os.getpid() == parent:
        print("parent", code, sorted(m for m in ("torch", "matplotlib") if m in sys.modules), flush=True)
    real_exit(code)

os._exit = report
try:
    cli.main()
except SystemExit as exc:
    report(exc.code)
"""


@pytest.mark.parametrize(
    ("args", "heavy"),
    [
        (["cosine", "--t-max", "3", "-q"], []),  # torch only in the child; the table needs neither
        (["cosine", "--t-max", "3", "-q", "-o", "{d}/x.png"], ["matplotlib"]),
        (["cosine", "--t-max", "3", "-q", "-o", "{d}/x.csv"], []),
        (["--debug", "cosine", "--t-max", "3", "-q", "-o", "{d}/x.png"], ["matplotlib", "torch"]),  # one process
        (["render", *CONFIGS, "--out-dir", "{d}", "-q"], ["matplotlib"]),  # the batch: one child steps them all
    ],
)
def test_installed_command_steps_torch_in_a_child(tmp_path: Path, args: list[str], heavy: list[str]) -> None:
    args = [a.format(d=tmp_path) for a in args]
    result = subprocess.run([sys.executable, "-c", MAIN.format(args=args)], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == f"parent 0 {heavy}", result.stderr


LEFT = """
import os, sys
from lrviz import cli
from lrviz.cli import _fork
sys.argv = ["lrviz", *{args!r}]
parent, real_exit, spares = os.getpid(), os._exit, []
real_prestart = _fork.prestart

def prestart():
    real_prestart()
    spares.extend(s.pid for s in _fork._SPARE)

def report(code):
    if os.getpid() == parent:
        try:
            os.waitpid(-1, os.WNOHANG)
            left = True
        except ChildProcessError:
            left = False
        print("parent", code, len(spares), left, flush=True)
    real_exit(code)

_fork.prestart = prestart
os._exit = report
try:
    cli.main()
except SystemExit as exc:
    report(exc.code)
"""


@pytest.mark.parametrize(
    ("args", "code", "prestarted"),
    [
        (["cosine", "--t-max", "3", "--no-such-flag"], 2, 1),  # started, not needed, killed and reaped
        (["cosine", "--t-max", "0"], 2, 0),  # a value the registry refuses: never started
        (["cosine", "--t-max", "3", "-q", "-o", "-"], 0, 1),  # started, used, reaped
        (["render", "nope.yaml"], 2, 1),
        (["cosine", "--help"], 0, 0),  # never started for help, versions, code or other commands
        (["restarts", "--t0", "5", "--print-code"], 0, 0),
        (["list"], 0, 0),
        (["--debug", "cosine", "--t-max", "3"], 0, 0),
    ],
)
def test_installed_command_prestarts_only_what_it_may_need_and_leaves_no_child(
    args: list[str], code: int, prestarted: int
) -> None:
    result = subprocess.run([sys.executable, "-c", LEFT.format(args=args)], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == f"parent {code} {prestarted} False", result.stderr


def test_which_command_lines_step_a_schedule(monkeypatch: pytest.MonkeyPatch) -> None:
    from lrviz.cli import steps_a_schedule

    monkeypatch.delenv("LRVIZ_DEBUG", raising=False)
    for argv in (["cosine"], ["sgdr", "--t0", "5"], ["render", "a.yaml"], ["hf", "cosine"], ["timm", "cosine"]):
        assert steps_a_schedule(argv), argv
    for argv in ([], ["--help"], ["cosine", "-h"], ["list"], ["plan", "--epochs", "9"], ["code", "a.yaml"]):
        assert not steps_a_schedule(argv), argv
    assert not steps_a_schedule(["--version"]) and not steps_a_schedule(["cosine", "--print-code"])
    monkeypatch.setenv("LRVIZ_DEBUG", "1")
    assert not steps_a_schedule(["cosine"])


LRVIZ = str(Path(sys.executable).parent / "lrviz")
LONG = ["onecycle", "--max-lr", "0.1", "--epochs", "400", "--steps-per-epoch", "5000", "-q"]


def _child_of(pid: int, timeout: float = 60) -> int:
    """The pid of ``pid``'s first child, once it has one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.05)
    raise AssertionError(f"{pid} started no child")


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize(
    ("how", "code", "message"),
    [
        ("ctrl-c", 130, "Error: interrupted"),  # one line, as every other stop says why
        ("kill-child", 1, "Error: the process stepping the schedule was killed by SIGKILL before it finished"),
    ],
)
def test_installed_command_interrupted_or_child_killed(tmp_path: Path, how: str, code: int, message: str) -> None:
    out = tmp_path / "long.png"
    proc = subprocess.Popen(
        [LRVIZ, *LONG, "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    child = _child_of(proc.pid)
    time.sleep(1.0)  # let the child get into importing torch or stepping
    if how == "ctrl-c":
        os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: the whole process group
    else:
        os.kill(child, signal.SIGKILL)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code
    assert stderr.startswith(message) and stderr.count("\n") == (1 if message else 0), stderr
    assert not Path(f"/proc/{child}").exists()  # killed and reaped, not left stepping
    assert list(tmp_path.iterdir()) == []  # no output, no temp file


def test_installed_command_same_bytes_as_in_process(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from lrviz.cli import app

    args = ["restarts", "--t0", "3", "--t-mult", "2", "--epochs", "30", "--optimizer", "adamw", "--lr", "0.003"]
    args += ["--resume-at", "7"]
    forked_out = [tmp_path / "f.csv", tmp_path / "f.json", tmp_path / "f.svg"]
    local_out = [tmp_path / "l.csv", tmp_path / "l.json", tmp_path / "l.svg"]
    result = subprocess.run(
        [LRVIZ, *args, *[x for p in forked_out for x in ("-o", str(p))]], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    local = CliRunner().invoke(app, [*args, *[x for p in local_out for x in ("-o", str(p))]])
    assert local.exit_code == 0, local.output
    for f, loc in zip(forked_out, local_out, strict=True):
        assert f.read_bytes() == loc.read_bytes(), f.name
    assert result.stdout.replace("f.", "l.") == local.stdout
    table = subprocess.run([LRVIZ, *args], capture_output=True, text=True, timeout=120)
    assert table.stdout == CliRunner().invoke(app, args).stdout
    assert table.stdout.count("restart") >= 3


def test_pytorch_rejection_in_the_child_is_one_error_line_from_the_parent() -> None:
    result = subprocess.run(
        [LRVIZ, "cyclic", "--base-lr", "0.01", "--max-lr", "0.1", "--optimizer", "adagrad"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "Error: CyclicLR(base_lr=0.01, max_lr=0.1): PyTorch rejected the arguments: "
        "optimizer must support momentum or beta1 with `cycle_momentum` option enabled\n"
    )


def test_installed_batch_keeps_going_past_a_config_pytorch_fails(tmp_path: Path) -> None:
    bad = tmp_path / "nan.yaml"
    bad.write_text(
        "epochs: 2\noptimizer: {name: Adam, lr: 0.25}\nscheduler: {name: LinearLR, start_factor: 1.0e-323}\n"
    )
    out = tmp_path / "out"
    result = subprocess.run(
        [LRVIZ, "render", CONFIGS[0], str(bad), CONFIGS[1], "--out-dir", str(out), "--format", "csv", "-q"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert sorted(p.name for p in out.iterdir()) == ["cosine_article.csv", "plateau.csv"]
    for name in ("cosine_article.csv", "plateau.csv"):
        assert (out / name).read_bytes() == (ROOT / "baselines" / name).read_bytes()
    assert f"Error: {bad}: LinearLR(start_factor=9.88131e-324): the LR of param group 0 became nan" in result.stderr


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_child_dies_with_its_parent(tmp_path: Path) -> None:
    # `kill PID` (or a timeout killing only the direct child) must not leave PyTorch stepping on alone
    proc = subprocess.Popen([LRVIZ, *LONG, "-o", str(tmp_path / "x.png")], stderr=subprocess.DEVNULL)
    child = _child_of(proc.pid)
    proc.kill()
    proc.wait(timeout=30)
    deadline = time.monotonic() + 5  # the kernel kills it at once; unaided it would step on for ~15 s
    while time.monotonic() < deadline:
        stat = Path(f"/proc/{child}/stat")
        if not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
            break
        time.sleep(0.05)
    else:
        raise AssertionError(f"child {child} still running after its parent was killed")
    assert list(tmp_path.iterdir()) == []


def test_progress_bar_is_cleared_before_an_error(tmp_path: Path) -> None:
    import pty

    main, secondary = pty.openpty()
    args = ["lambda", "--lr-lambda", "1/(epoch-150)", "--epochs", "200", "--steps-per-epoch", "2000"]
    proc = subprocess.Popen(
        [LRVIZ, *args, "-o", str(tmp_path / "x.csv")], stdin=secondary, stdout=secondary, stderr=secondary
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the process closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    assert proc.wait(timeout=60) == 2
    raw = b"".join(chunks).decode()
    before, error = raw.split("Error: ", 1)
    assert "stepping" in before  # the bar was drawn (400,000 steps)...
    assert "\x1b[?25h" in before  # ...and stopped: the cursor is shown again before the error line
    assert not before.rstrip("\r\n").endswith(("%", "s", "━"))
    assert error.startswith("lr_lambda '1/(epoch-150)' failed at epoch 150: division by zero")
