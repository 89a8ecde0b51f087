"""Logs are read in memory proportional to the points compared, not to the file (issue 23).

``check CONFIG --against LOG`` holds only the LRs of the plan's optimizer steps; the log's other
rows are counted as they stream past (``lrviz.logs.window``). The subprocess test runs the real
command under an address-space ceiling (``RLIMIT_AS``, set by the harness; no timed assertion).

The numbers behind it (measured on the development machine, torch 2.13 CPU, Python 3.12,
``OMP_NUM_THREADS=1`` as here): a trivial ``check`` of a 3-row log against the 1,000-step plan
peaks at about 600 MiB of address space (``VmPeak``: torch's libraries, mostly). That baseline is
measured first, in the test itself, by the same command, and the ceiling is that plus ``MARGIN``
(200 MiB). The big log has ``ROWS`` (6,000,000) rows of ``step,lr`` (66 MB), all but 1,000 past
the plan. The reader before this change held every logged point (arrays grown by reallocation,
then copied by ``_build``): +469 MiB of address space over the baseline without a ceiling, and
under this one it died with "internal error: ImportError: ... failed to map segment" (drawing the
overlay found no memory left). Now the reader holds the 1,000 points inside the plan plus one
chunk of text (2 MiB of characters, split into a few tens of MB of Python strings): +35 MiB, or
+71 MiB with the overlay PNG the failed check draws (matplotlib), well inside the margin.
"""

from __future__ import annotations

import importlib.util
import json
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from lrviz.logs import RunLog, read_log
from lrviz.logs.window import Window

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc: Linux")

ROWS = 6_000_000
PLAN_STEPS = 1000
MARGIN = 200 * 2**20

#: ``lrviz check`` as the command runs it, each of its processes (it may fork a worker) printing its
#: peak address space (VmPeak, kB) on stderr as it ends, by ``os._exit`` (the command's fast exit) or not.
_PEAK = """
import atexit, os, sys
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmPeak:"):
            print("VMPEAK", line.split()[1], file=sys.stderr, flush=True)
def leave(code, _exit=os._exit):
    peak()
    _exit(code)
os._exit = leave
atexit.register(peak)
sys.argv = ["lrviz", *sys.argv[1:]]
from lrviz.cli import main
main()
"""

_PLAN = (
    "scheduler: {name: StepLR, step_size: 100000}\n"  # the LR stays 0.1: every row writes the same text
    f"epochs: 1\nsteps_per_epoch: {PLAN_STEPS}\ninterval: step\n"
)


def _check(folder: Path, log: str, ceiling: int | None) -> tuple[int, str, int]:
    """(exit status, stderr, the largest VmPeak of its processes in bytes) of ``lrviz check plan.yaml --against LOG``."""

    def limit() -> None:
        if ceiling is not None:
            resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
        resource.setrlimit(resource.RLIMIT_CPU, (300, 300))

    proc = subprocess.run(
        [sys.executable, "-c", _PEAK, "check", "plan.yaml", "--against", log, "-q"],
        cwd=folder,
        capture_output=True,
        text=True,
        preexec_fn=limit,
        env={"LRVIZ_MAX_LOG_ROWS": str(10 * ROWS), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"},
    )
    peaks = [int(line.split()[1]) * 1024 for line in proc.stderr.splitlines() if line.startswith("VMPEAK ")]
    return proc.returncode, proc.stderr, max(peaks, default=0)


def test_a_log_far_longer_than_the_plan_is_read_under_a_memory_ceiling(tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(_PLAN)
    (tmp_path / "small.csv").write_text("step,lr\n0,0.1\n1,0.1\n2,0.1\n")
    code, err, baseline = _check(tmp_path, "small.csv", None)
    assert code == 0 and baseline > 0, err
    with (tmp_path / "big.csv").open("w") as out:
        out.write("step,lr\n")
        for start in range(0, ROWS, 1_000_000):
            out.write("".join(f"{k},0.1\n" for k in range(start, start + 1_000_000)))
    code, err, peak = _check(tmp_path, "big.csv", baseline + MARGIN)
    assert "MemoryError" not in err and "internal error" not in err, err[-2000:]
    # the check runs to its verdict: the plan's steps all match, the rest of the log is past the plan
    assert code == 1, err[-2000:]
    past = ROWS - PLAN_STEPS
    assert f"the log runs past the plan: {past:,} logged step(s) after its last step {PLAN_STEPS - 1}" in err
    assert f"up to step {ROWS - 1}" in err
    assert 0 < peak <= baseline + MARGIN


def test_a_window_keeps_the_plans_steps_and_counts_the_rest(tmp_path: Path) -> None:
    log = tmp_path / "run.csv"
    # a resumed run: steps 0-59 logged, then 40-99 again (the later values win), then nothing more
    rows = [(k, 0.1 + k) for k in range(60)] + [(k, 0.2 + k) for k in range(40, 100)]
    log.write_text("step,lr\n" + "".join(f"{k},{v!r}\n" for k, v in rows))
    whole = read_log(log)
    for window in (Window(0, 50), Window(10, 45), Window(95, 200), Window(0, 100)):
        part = read_log(log, window=window)
        (s,) = part.series
        inside = [(k, v) for k, v in zip(whole.series[0].steps, whole.series[0].values, strict=True)]
        expected = [(k, v) for k, v in inside if window.start <= k < window.stop]
        assert list(zip(s.steps, s.values, strict=True)) == expected
        assert s.before == sum(1 for k, _ in inside if k < window.start)
        assert s.after == sum(1 for k, _ in inside if k >= window.stop)
        assert (s.first_step, s.last_step) == (0, 99)
    # a range is a window too (the API's spelling)
    assert read_log(log, window=range(0, 50)) == read_log(log, window=Window(0, 50))


def test_a_log_entirely_past_the_plan_says_where_it_lies(tmp_path: Path) -> None:
    from lrviz.comparison import compare_log
    from lrviz.errors import ConfigError

    log = tmp_path / "run.csv"
    log.write_text("step,lr\n" + "".join(f"{k},0.1\n" for k in range(500, 900)))
    part = read_log(log, window=range(100))
    assert len(part.series[0]) == 0 and part.series[0].after == 400
    with pytest.raises(ConfigError, match="the log covers steps 500 to 899"):
        compare_log([0.1] * 100, part)


def _same_window(whole: RunLog, part: RunLog, window: Window) -> None:
    """``part`` holds exactly ``whole``'s points inside ``window`` and counts the others."""
    for full, kept in zip(whole.series, part.series, strict=True):
        pairs = list(zip(full.steps, full.values, strict=True))
        assert list(zip(kept.steps, kept.values, strict=True)) == [
            p for p in pairs if window.start <= p[0] < window.stop
        ]
        assert kept.before == sum(1 for k, _ in pairs if k < window.start)
        assert kept.after == sum(1 for k, _ in pairs if k >= window.stop)
        assert (kept.first_step, kept.last_step) == (full.steps[0], full.steps[-1])


def test_jsonl_is_read_through_a_window(tmp_path: Path) -> None:
    log = tmp_path / "run.jsonl"
    lines = [{"step": k, "lr": 0.5 / (k + 1), "loss": 1.0} for k in range(300)] + [{"step": 20, "lr": 7.0}]
    log.write_text("".join(json.dumps(r) + "\n" for r in lines))
    whole = read_log(log)
    for window in (Window(0, 100), Window(50, 60), Window(290, 1000)):
        _same_window(whole, read_log(log, window=window), window)


@pytest.mark.skipif(importlib.util.find_spec("tensorboard") is None, reason="tensorboard is not installed")
def test_tensorboard_is_read_through_a_window(tmp_path: Path) -> None:
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(tmp_path))
    for k in range(400):
        writer.add_scalar("lr", 0.1 * 0.99**k, k)
        writer.add_scalar("loss", 1.0 / (k + 1), k)
    writer.close()
    whole = read_log(tmp_path)
    for window in (Window(0, 100), Window(120, 130), Window(399, 500)):
        _same_window(whole, read_log(tmp_path, window=window), window)


def test_check_against_a_longer_log_reports_the_same_as_reading_it_whole(tmp_path: Path) -> None:
    """The report of ``check`` (which reads through the plan's window) equals the one of the whole log."""
    from lrviz import api
    from lrviz.comparison import compare_log

    plan = tmp_path / "plan.yaml"
    plan.write_text("scheduler: {name: StepLR, step_size: 10}\nepochs: 1\nsteps_per_epoch: 50\ninterval: step\n")
    curve = api.simulate(plan)
    log = tmp_path / "run.csv"
    lrs = list(curve.lrs[0])
    log.write_text("step,lr\n" + "".join(f"{k},{lrs[k % 50]!r}\n" for k in range(-3, 120)))
    report = api.check(curve, against=log).log
    assert report is not None
    assert report == compare_log(curve, read_log(log), steps_per_epoch=curve.steps_per_epoch)
    assert report.groups[0].outside == 3 + 70 and report.groups[0].compared == 50


@pytest.mark.parametrize("tracker", ["mlflow_db", "mlruns", "wandb", "trackio"])
def test_a_trackers_log_is_read_through_a_window(tmp_path: Path, tracker: str) -> None:
    """Written by the tracker's own package: a run that logs steps 0-39, then 20-59 again (a resume),
    read whole and through windows: the same points inside, the rest counted (MLflow's database counts
    them in SQLite, the others are trimmed after reading)."""
    from tests import trackers

    writer, package = trackers.WRITERS[tracker]
    if not trackers.installed(package):
        pytest.skip(f"{package} is not installed")

    def run(log: Callable[[int, float], None]) -> None:
        for k in range(40):
            log(k, 0.1 / (k + 1))
        for k in range(20, 60):
            log(k, 0.2 / (k + 1))

    path = writer(tmp_path, "windowed", run)
    whole = read_log(path)
    assert len(whole.series[0]) == 60
    for window in (Window(0, 30), Window(10, 25), Window(50, 100), Window(0, 60)):
        _same_window(whole, read_log(path, window=window), window)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("plain.csv", "step,lr\n" + "".join(f"{k},{0.1 / (k + 1)!r}\n" for k in range(300))),
        ("metrics.csv", "epoch,loss,lr-SGD/pg1,lr-SGD/pg2,step\n" + "".join(f",,{0.1 * k},{0.2 * k},{k}\n0,1.0,,,{k}\n" for k in range(300))),
        ("crlf.csv", "step,lr\r\n" + "".join(f"{k},0.1\r\n" for k in range(300))),
        ("quoted.csv", 'step,lr,note\n' + "".join(f'{k},0.1,"a, b"\n' for k in range(300))),
        ("floats.csv", "step,lr\n" + "".join(f"{k}.0,0.1\n" for k in range(300))),
        ("negative.csv", "step,lr\n" + "".join(f"{k},0.1\n" for k in range(-50, 250))),
        ("resumed.csv", "step,lr\n" + "".join(f"{k},0.1\n" for k in [*range(200), *range(100, 300)])),
        ("tabs.tsv", "step\tlr\n" + "".join(f"{k}\t0.1\n" for k in range(300))),
    ],
)  # fmt: skip
def test_the_numpy_path_of_a_csv_reads_what_the_general_path_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str
) -> None:
    from lrviz.logs import csvfile

    log = tmp_path / name
    log.write_text(text, newline="")
    for window in (Window(0, 100), Window(120, 180), Window(0, 1000)):
        fast = read_log(log, window=window)
        with monkeypatch.context() as patched:
            patched.setattr(csvfile, "_windowed", lambda *args, **kwargs: None)
            assert read_log(log, window=window) == fast
        _same_window(read_log(log), fast, window)


def test_a_bad_lr_inside_the_window_is_named_by_its_line_and_one_outside_is_never_parsed(tmp_path: Path) -> None:
    from lrviz.errors import ConfigError

    rows = [f"{k},0.1\n" for k in range(300)]
    rows[250] = "250,oops\n"
    log = tmp_path / "run.csv"
    log.write_text("step,lr\n" + "".join(rows))
    assert len(read_log(log, window=Window(0, 100)).series[0]) == 100
    with pytest.raises(ConfigError, match=r"run\.csv:252: not a number in the LR column: 'oops'"):
        read_log(log, window=Window(200, 300))
