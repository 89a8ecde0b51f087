"""lrviz/cli/_platform.py: no platform traps. Forking only where it is safe; the same files without it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from lrviz.cli import _platform

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = [str(ROOT / "configs" / f"{n}.yaml") for n in ("cosine_article", "step_decay", "warmup_cosine", "plateau")]


def test_fork_is_safe_only_on_a_posix_system_with_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LRVIZ_NO_FORK", raising=False)
    # one thread, whatever threads earlier tests' libraries left running (W&B's, MLflow's, ...)
    monkeypatch.setattr(_platform.threading, "active_count", lambda: 1)
    assert _platform.fork_is_safe()
    monkeypatch.setattr(_platform.threading, "active_count", lambda: 2)
    assert not _platform.fork_is_safe()  # another thread may hold a lock the child would inherit
    monkeypatch.setattr(_platform.threading, "active_count", lambda: 1)
    monkeypatch.setattr(sys, "platform", "darwin")
    assert not _platform.fork_is_safe()  # macOS: system frameworks are not fork-safe
    monkeypatch.setattr(sys, "platform", "win32")
    assert not _platform.fork_is_safe()
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("LRVIZ_NO_FORK", "1")
    assert not _platform.fork_is_safe()
    monkeypatch.setenv("LRVIZ_NO_FORK", "0")
    assert _platform.fork_is_safe()
    monkeypatch.delattr(os, "fork")
    assert not _platform.fork_is_safe()


def test_no_fork_while_another_thread_runs() -> None:
    alone = threading.active_count() == 1  # an earlier test's thread (a TensorBoard writer's) may still run
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        assert not _platform.fork_is_safe()
    finally:
        stop.set()
        worker.join()
    assert _platform.fork_is_safe() == alone


def test_can_encode() -> None:
    class Stream:
        def __init__(self, encoding: str) -> None:
            self.encoding = encoding

    assert _platform.can_encode(Stream("utf-8"), "↺ ⠁")  # type: ignore[arg-type]
    assert not _platform.can_encode(Stream("cp1252"), "↺")  # type: ignore[arg-type]
    assert not _platform.can_encode(Stream("ascii"), "⠁")  # type: ignore[arg-type]
    assert _platform.can_encode(None, "↺")


RUN = """
import os, sys
{setup}
from lrviz.cli import main
sys.argv = ["lrviz", "render", *{configs!r}, "--out-dir", {out!r}, "--format", "png,csv", "-q"]
main()
"""


def _render(tmp_path: Path, setup: str, name: str, env: dict[str, str] | None = None) -> dict[str, bytes]:
    out = tmp_path / name
    code = RUN.format(setup=setup, configs=CONFIGS, out=str(out))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})}
    )
    assert result.returncode == 0, result.stderr
    assert "Error" not in result.stderr and "Traceback" not in result.stderr
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_render_without_os_fork_as_on_windows(tmp_path: Path) -> None:
    """Three or more configs used to fail with "cannot find context for 'fork'" where os.fork is missing."""
    forked = _render(tmp_path, "", "forked")
    no_fork = _render(tmp_path, "del os.fork", "nofork")
    assert len(forked) == 8 and forked == no_fork  # the same bytes, one process


def test_render_with_lrviz_no_fork_never_forks(tmp_path: Path) -> None:
    setup = "def _no(*a, **k):\n    raise SystemExit('forked')\nos.fork = _no\n"
    files = _render(tmp_path, setup, "off", env={"LRVIZ_NO_FORK": "1"})
    assert len(files) == 8


def test_render_with_a_thread_running_does_not_fork(tmp_path: Path) -> None:
    setup = (
        "import threading\n"
        "threading.Thread(target=threading.Event().wait, daemon=True).start()\n"
        "def _no(*a, **k):\n    raise SystemExit('forked while a thread ran')\nos.fork = _no\n"
    )
    files = _render(tmp_path, setup, "threaded")
    assert len(files) == 8
