"""What a user sees at a terminal and in pipes: wrapping, the chart kept in view, Ctrl-C, aliases, flags."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from typer.testing import CliRunner

from lrviz.cli import app

runner = CliRunner()
LRVIZ = shutil.which("lrviz", path=str(Path(sys.executable).parent)) or "lrviz"


def in_terminal(args: list[str], columns: int = 80, rows: int = 40, interrupt_after: float | None = None) -> str:
    """Run the installed `lrviz` in a pseudo-terminal of the given size; everything it drew, as text."""
    main, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = {**os.environ, "COLUMNS": str(columns), "LINES": str(rows), "TERM": "xterm"}
    proc = subprocess.Popen(
        [LRVIZ, *args], stdin=secondary, stdout=secondary, stderr=secondary, env=env, start_new_session=True
    )
    os.close(secondary)
    out = b""
    started = time.monotonic()
    sent = False
    while True:
        if interrupt_after is not None and not sent and time.monotonic() - started > interrupt_after:
            os.killpg(proc.pid, signal.SIGINT)
            sent = True
        ready, _, _ = select.select([main], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(main, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    proc.wait(timeout=60)
    os.close(main)
    text = out.decode("utf-8", "replace")
    return text + f"\n[exit {proc.returncode}]"


def visible(text: str) -> list[str]:
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text).replace("\r", "")
    return plain.splitlines()


def test_warnings_and_summary_wrap_on_word_boundaries_at_80_columns() -> None:
    lines = visible(in_terminal(["restarts", "--t0", "5", "--t-mult", "2", "--epochs", "50", "--no-chart"]))
    assert all(len(line) <= 80 for line in lines)
    words = " ".join(lines).split()
    assert "0.0727," in words  # a number is never split across lines
    assert lines[-1] == "[exit 0]"


def test_a_long_run_keeps_the_chart_in_view() -> None:
    lines = visible(in_terminal(["restarts", "--t0", "5", "--t-mult", "2", "--epochs", "200"], rows=50))
    table = [line for line in lines if re.match(r"^\s+\d+\s+[0-9.e-]+", line)]
    assert len(table) < 40, len(table)  # thinned, not 200 rows
    assert any("to keep the chart in view" in line for line in lines)
    assert all(not line.endswith(" ") for line in table)  # no trailing spaces


def test_ctrl_c_restores_the_cursor_and_says_interrupted() -> None:
    text = in_terminal(
        ["onecycle", "--max-lr", "0.1", "--epochs", "400", "--steps-per-epoch", "5000", "-q"], interrupt_after=3.5
    )
    assert "Error: interrupted" in text and "[exit 130]" in text
    if "\x1b[?25l" in text:  # the progress bar hid the cursor: it must be shown again after it
        assert text.rindex("\x1b[?25h") > text.rindex("\x1b[?25l")


def test_non_utf8_stdout_falls_back_to_ascii() -> None:
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    result = subprocess.run(
        [LRVIZ, "restarts", "--t0", "2", "--epochs", "6", "--chart"], capture_output=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode("cp1252")
    assert "* restart" in text and "↺" not in text and "(* restart)" in text


def test_a_pipe_that_closes_early_exits_0() -> None:
    proc = subprocess.run(
        f"{LRVIZ} cosine --t-max 500 --epochs 3000 --every 1 --no-chart -q | head -1; echo status ${{PIPESTATUS[0]}}",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.stdout.splitlines()[-1] == "status 0" and "Traceback" not in proc.stderr


def test_dash_writes_data_to_stdout() -> None:
    csv = runner.invoke(app, ["step", "--step-size", "2", "--epochs", "3", "-o", "-"])
    assert csv.exit_code == 0
    assert csv.stdout == "epoch,lr,restart\n0,0.1,0\n1,0.1,0\n2,0.010000000000000002,0\n"
    assert "StepLR(step_size=2)" in csv.stderr  # the summary goes to stderr: stdout is only the data
    as_json = runner.invoke(app, ["step", "--step-size", "2", "--epochs", "3", "-o", "-.json"])
    assert as_json.stdout.lstrip().startswith("{") and '"lr"' in as_json.stdout
    twice = runner.invoke(app, ["step", "--step-size", "2", "-o", "-", "-o", "-.json"])
    assert twice.exit_code == 2 and "standard output takes one format" in twice.stderr


def test_aliases_run_and_class_names_get_a_suggestion() -> None:
    sgdr = runner.invoke(app, ["sgdr", "--t0", "3", "--epochs", "4", "--no-chart", "-q"])
    restarts = runner.invoke(app, ["restarts", "--t0", "3", "--epochs", "4", "--no-chart", "-q"])
    assert sgdr.exit_code == 0 and sgdr.stdout == restarts.stdout
    wrong = runner.invoke(app, ["CosineAnnealingLR"])
    assert wrong.exit_code == 2 and "did you mean `lrviz cosine`?" in wrong.stderr


def test_t0_spelled_both_ways_and_milestones_as_people_type_them() -> None:
    a = runner.invoke(app, ["restarts", "--t0", "3", "--epochs", "4", "-o", "-"])
    b = runner.invoke(app, ["restarts", "--t-0", "3", "--epochs", "4", "-o", "-"])
    assert a.exit_code == b.exit_code == 0 and a.stdout == b.stdout
    spaced = runner.invoke(app, ["multistep", "--milestones", "3", "8"], env={"COLUMNS": "200"})
    assert spaced.exit_code == 2
    bracketed = runner.invoke(app, ["multistep", "--milestones", "[3,8]", "--epochs", "10", "-o", "-"])
    commas = runner.invoke(app, ["multistep", "--milestones", "3,8", "--epochs", "10", "-o", "-"])
    assert bracketed.exit_code == 0 and bracketed.stdout == commas.stdout


def test_spaced_milestones_get_the_comma_hint() -> None:
    result = subprocess.run(
        [LRVIZ, "multistep", "--milestones", "30", "80"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "separate list values with commas, e.g. --milestones 30,80" in result.stderr


def test_debug_is_accepted_after_the_subcommand() -> None:
    result = runner.invoke(app, ["cosine", "--t-max", "0", "--debug"])
    assert result.exit_code == 2 and "No such option" not in result.stderr
    assert "--t-max: must be an integer > 0" in result.stderr


def test_plot_options(tmp_path: Path) -> None:
    out = tmp_path / "x.png"
    result = runner.invoke(
        app, ["cosine", "--t-max", "5", "--dpi", "50", "--size", "6x3", "--style", "dark", "-o", str(out), "-q"]
    )
    assert result.exit_code == 0, result.stderr
    from matplotlib.image import imread

    assert imread(out).shape[:2] == (150, 300)
    for flag, value, message in [
        ("--size", "6by3", "--size: expected WIDTHxHEIGHT"),
        ("--style", "neon", "--style: expected one of"),
        ("--dpi", "0", "--dpi: expected an integer"),
    ]:
        bad = runner.invoke(app, ["cosine", "--t-max", "5", flag, value, "-o", str(tmp_path / "bad.png")])
        assert bad.exit_code == 2 and message in bad.stderr, bad.stderr
        assert not (tmp_path / "bad.png").exists()
    titled = runner.invoke(
        app,
        [
            "render",
            str(Path(__file__).parents[2] / "configs" / "step_decay.yaml"),
            "--title",
            "mine",
            "-o",
            str(tmp_path / "t.svg"),
        ],
    )
    assert titled.exit_code == 0 and "mine" in (tmp_path / "t.svg").read_text()


def test_shell_completion() -> None:
    # what `lrviz --show-completion` prints in a bash session (it detects the shell from its parent process)
    script = subprocess.run(
        [LRVIZ], capture_output=True, text=True, timeout=60, env={**os.environ, "_LRVIZ_COMPLETE": "source_bash"}
    )
    assert script.returncode == 0 and "_lrviz_completion" in script.stdout
    options = subprocess.run([LRVIZ, "--help"], capture_output=True, text=True, timeout=60).stdout
    assert "--install-completion" in options and "--show-completion" in options
    env = {**os.environ, "COMP_WORDS": "lrviz res", "COMP_CWORD": "1", "_LRVIZ_COMPLETE": "complete_bash"}
    done = subprocess.run([LRVIZ], capture_output=True, text=True, env=env, timeout=60)
    assert done.stdout.split() == ["restarts"]


def test_compare_takes_tolerances() -> None:
    root = Path(__file__).parents[2] / "configs"
    result = runner.invoke(
        app, ["compare", str(root / "step_decay.yaml"), str(root / "step_decay.yaml"), "--rtol", "1e-6"]
    )
    assert result.exit_code == 0 and "identical" in result.stdout


def test_plan_writes_csv_and_json(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["plan", "--epochs", "75", "-o", str(tmp_path / "p.csv"), "-o", str(tmp_path / "p.json")]
    )
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "p.csv").read_text().splitlines()[1].startswith("5,2,4,75")
    assert '"T_0": 5' in (tmp_path / "p.json").read_text()
