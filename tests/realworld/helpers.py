"""Running one real-world row: the lrviz command in-process, and what plain PyTorch says it should print.

A row (``Case``) is data: a config file under ``tests/realworld/configs``, the words a user
types after ``lrviz``, and either the schedule written out by hand from the file's numbers
(``Schedule``) or the refusal expected (``Refusal``). ``run_case`` invokes the CLI with
typer's CliRunner, adding ``-o <tmp>/out.csv``, and checks the CSV against
``tests.conftest.reference_lrs`` (a plain training loop over the real torch classes) with
exact float equality, or checks the one-line ``Error:`` on stderr.

Placeholders in a row's command: ``{file}`` is the row's config file, ``{configs}`` the
``tests/realworld/configs`` directory, ``{metrics}`` a file with the row's metric values,
one per line (written before the run).
"""

from __future__ import annotations

import csv
import re
import shlex
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lrviz.cli import app
from tests.conftest import reference_lrs

CONFIGS = Path(__file__).resolve().parent / "configs"
SOURCES = Path(__file__).resolve().parent / "SOURCES.md"

# Environment variables the configs name through ${oc.env:...}; unset so that reading them
# lazily (only keys lrviz reads) is what is tested.
ENV_VARS = ("AUTOWARE_ML_DATA_PATH", "AUTOWARE_ML_HYDRA_RUN_DIR", "PROJECT_ROOT")

_PY_WARNING = re.compile(r"\b\w*(Warning|Error):")


@dataclass(frozen=True)
class Schedule:
    """The schedule a plain PyTorch loop runs, written out by hand from the file's numbers."""

    scheduler: str  # torch.optim.lr_scheduler class name, or deepspeed.<Class> of deepspeed.runtime.lr_schedules
    kwargs: Mapping[str, Any]
    epochs: int
    optimizer: str = "SGD"  # torch.optim class name
    lr: float = 0.1
    options: Mapping[str, Any] = field(default_factory=dict)  # other optimizer arguments
    steps_per_epoch: int = 1
    interval: str = "epoch"  # scheduler.step() per "step" or per "epoch"
    stderr: tuple[str, ...] = ()  # substrings stderr must contain (e.g. the default-optimizer note)


@dataclass(frozen=True)
class HFSchedule:
    """What the HF Trainer runs: ``get_scheduler`` over AdamW, stepped after every optimizer step."""

    type: str
    lr: float
    warmup: int
    total: int
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    stderr: tuple[str, ...] = ()

    @property
    def epochs(self) -> int:
        return self.total

    steps_per_epoch = 1


@dataclass(frozen=True)
class Refusal:
    """Exit 2, one ``Error:`` line on stderr containing every needle (case-sensitive)."""

    needles: tuple[str, ...]


@dataclass(frozen=True)
class Case:
    path: str  # relative to tests/realworld/configs (for a Hydra composition: its root config)
    command: str  # what the user types after `lrviz`, with {file}/{configs}/{metrics}
    expect: Schedule | HFSchedule | Refusal
    item: str  # the issue item the row exercises
    metrics: tuple[float, ...] | None = None  # written to {metrics}
    requires: tuple[str, ...] = ()  # modules the row needs (pytest.importorskip)
    label: str = ""  # distinguishes several rows for one file
    cwd: str = ""  # where the command runs, relative to tests/realworld/configs (default: a fresh tmp dir)


def case_id(case: Case) -> str:
    stem = Path(case.path).stem
    return f"{stem}-{case.label}" if case.label else stem


# ---------------------------------------------------------------------------
# Metric series for ReduceLROnPlateau rows


def falling_every(n: int, every: int, start: float = 1.0, drop: float = 0.01) -> tuple[float, ...]:
    """A loss that improves once every ``every`` epochs and is flat in between (mode=min)."""
    return tuple(round(start - drop * (i // every), 10) for i in range(n))


def rising_every(n: int, every: int, start: float = 0.5, rise: float = 0.01) -> tuple[float, ...]:
    """An accuracy that improves once every ``every`` epochs and is flat in between (mode=max)."""
    return tuple(round(start + rise * (i // every), 10) for i in range(n))


# ---------------------------------------------------------------------------
# Running a row


def _argv(case: Case, metrics_file: Path) -> list[str]:
    words = shlex.split(case.command)
    subst = {"{file}": str(CONFIGS / case.path), "{configs}": str(CONFIGS), "{metrics}": str(metrics_file)}
    out = []
    for word in words:
        for placeholder, value in subst.items():
            word = word.replace(placeholder, value)
        out.append(word)
    return out


def expected_lrs(s: Schedule | HFSchedule, metrics: tuple[float, ...] | None) -> list[float]:
    if isinstance(s, HFSchedule):
        return _hf_lrs(s)
    if s.scheduler.startswith("deepspeed."):
        return _deepspeed_lrs(s)
    return reference_lrs(
        {"name": s.scheduler, **s.kwargs},
        epochs=s.epochs,
        steps_per_epoch=s.steps_per_epoch,
        optimizer=s.optimizer,
        lrs=(s.lr,),
        options=dict(s.options),
        interval=s.interval,
        metrics=list(metrics) if s.scheduler == "ReduceLROnPlateau" and metrics is not None else None,
    )[0]


def _hf_lrs(s: HFSchedule) -> list[float]:
    """Trainer.create_scheduler's call, stepped as the Trainer's loop does: optimizer.step(), then scheduler.step()."""
    import torch

    transformers = pytest.importorskip("transformers")
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([param], lr=s.lr)
    sched = transformers.get_scheduler(
        s.type, opt, num_warmup_steps=s.warmup, num_training_steps=s.total, scheduler_specific_kwargs=dict(s.kwargs)
    )
    seen = []
    for _ in range(s.total):
        seen.append(opt.param_groups[0]["lr"])
        param.grad = torch.zeros(1)
        opt.step()
        sched.step()
    return seen


def _deepspeed_lrs(s: Schedule) -> list[float]:
    """DeepSpeedEngine's loop: the config's class built with its params, stepped after each optimizer step."""
    import torch

    lr_schedules = pytest.importorskip("deepspeed.runtime.lr_schedules")
    param = torch.nn.Parameter(torch.zeros(1))
    opt = getattr(torch.optim, s.optimizer)([param], lr=s.lr, **dict(s.options))
    sched = getattr(lr_schedules, s.scheduler.split(".", 1)[1])(opt, **s.kwargs)
    seen = []
    for _ in range(s.epochs * s.steps_per_epoch):
        seen.append(opt.param_groups[0]["lr"])
        param.grad = torch.zeros(1)
        opt.step()
        sched.step()
    return seen


def read_lrs(path: Path) -> list[list[float]]:
    rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    assert rows, f"{path} has no rows"
    columns = [c for c in rows[0] if re.fullmatch(r"lr(_\d+)?", c)]
    assert columns, f"{path}: no lr column in {list(rows[0])}"
    return [[float(r[c]) for r in rows] for c in columns]


def run_case(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for module in case.requires:
        pytest.importorskip(module)
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(CONFIGS / case.cwd if case.cwd else tmp_path)
    metrics_file = tmp_path / "metrics.txt"
    if case.metrics is not None:
        metrics_file.write_text("".join(f"{m!r}\n" for m in case.metrics), encoding="utf-8")
    out = tmp_path / "out.csv"
    argv = [*_argv(case, metrics_file), "-o", str(out)]
    # As a user's shell runs it: Python warnings are printed (to the captured stderr), not raised.
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        result = CliRunner().invoke(app, argv)
    stderr = result.stderr
    shown = f"lrviz {shlex.join(argv)}\nexit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{stderr}"
    assert "Traceback" not in result.stdout + stderr, shown
    if isinstance(case.expect, Refusal):
        _check_refusal(case, case.expect, result.exit_code, stderr, out, shown)
    else:
        _check_schedule(case, case.expect, result.exit_code, stderr, out, shown)


def _check_refusal(case: Case, expect: Refusal, code: int, stderr: str, out: Path, shown: str) -> None:
    assert code == 2, shown
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, shown
    line = lines[0]
    assert line.startswith("Error: "), shown
    # The config's own name is descriptive (e.g. `..._warmuplr.yaml`); a needle that is not
    # about the file must be found in the message itself, not in the path it quotes.
    base = Path(case.path).name
    bare = line.replace(base, "<file>")
    for needle in expect.needles:
        assert needle in (line if base in needle else bare), f"{needle!r} not in the message\n{shown}"
    assert not out.exists(), shown


def _check_schedule(case: Case, expect: Schedule | HFSchedule, code: int, stderr: str, out: Path, shown: str) -> None:
    assert code == 0, shown
    assert not _PY_WARNING.search(stderr), f"a Python warning reached the user\n{shown}"
    for needle in expect.stderr:
        assert needle in stderr, f"{needle!r} not on stderr\n{shown}"
    got = read_lrs(out)
    assert len(got) == 1, f"{len(got)} lr columns, expected 1\n{shown}"
    want = expected_lrs(expect, case.metrics)
    assert len(got[0]) == expect.epochs * expect.steps_per_epoch, shown
    assert got[0] == want, shown


# ---------------------------------------------------------------------------
# SOURCES.md


_ROW = re.compile(r"^\| `(tests/realworld/configs/[^`]+)` \| ([^|]+) \| `([^`]+)` \| `([^`]*)` \| (\w+) \|")


def sources_rows() -> list[tuple[str, str, str, str, str]]:
    """(local path, repository, path in repo, commit, category) for each row of the Files table."""
    rows = []
    for line in SOURCES.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| `tests/realworld/configs/"):
            continue
        match = _ROW.match(line)
        assert match, f"SOURCES.md: cannot read row {line[:120]!r}"
        local, repo, upstream, commit, category = match.groups()
        rows.append((local, repo.strip(), upstream, commit, category))
    return rows
