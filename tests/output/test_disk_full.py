"""A write that fails part-way, for real (issue 23): the old file stays, exit 1, one line, no temporary file.

The file system is made "full" for one subprocess with ``RLIMIT_FSIZE`` (no root, no mount): a
write past the limit fails with EFBIG, as a write to a full disk fails with ENOSPC, after part of
the file is written. SIGXFSZ, which would kill the process instead, is ignored in the child as a
program that handles its errors sees it.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_FSIZE and SIGXFSZ: Linux")

CONFIG = "scheduler: {name: CosineAnnealingLR, T_max: 4000}\nepochs: 4000\n"
OLD = b"the old file, which must survive\n"


def _full_at(size: int) -> Any:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        resource.setrlimit(resource.RLIMIT_CPU, (120, 120))

    return apply


@pytest.mark.parametrize("name", ["out.csv", "out.png"])
def test_a_write_that_fails_part_way_leaves_the_old_file(tmp_path: Path, name: str) -> None:
    (tmp_path / "c.yaml").write_text(CONFIG)
    target = tmp_path / name
    target.write_bytes(OLD)
    before = sorted(p.name for p in tmp_path.iterdir())
    proc = subprocess.run(
        [sys.executable, "-m", "lrviz", "render", "c.yaml", "-o", name],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"},
        capture_output=True,
        text=True,
        preexec_fn=_full_at(4096),  # every output of a 4,000-epoch curve is larger than 4 KiB
        timeout=1200,
    )
    shown = f"exit {proc.returncode}\nstdout: {proc.stdout[-2000:]!r}\nstderr: {proc.stderr[-3000:]!r}"
    assert proc.returncode == 1, shown
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and len(errors[0]) <= 1000, shown
    assert name in errors[0], shown
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, shown
    assert target.read_bytes() == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no temporary file left behind


def test_the_same_render_without_the_limit_writes_the_file(tmp_path: Path) -> None:
    """The limit is what fails the write above: with room, the same command replaces the file."""
    (tmp_path / "c.yaml").write_text(CONFIG)
    (tmp_path / "out.csv").write_bytes(OLD)
    proc = subprocess.run(
        [sys.executable, "-m", "lrviz", "render", "c.yaml", "-o", "out.csv"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"},
        capture_output=True,
        text=True,
        preexec_fn=_full_at(64 * 1024**2),
        timeout=1200,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out.csv").stat().st_size > 4096
