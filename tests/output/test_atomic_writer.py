"""AtomicWriter: overwriting keeps permission bits, writes through symlinks, refuses read-only files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from lrviz.errors import OutputError
from lrviz.output import AtomicWriter


def _write(path: Path, data: bytes) -> None:
    with AtomicWriter() as writer, writer.open(path) as out:
        out.write(data)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o755])
def test_overwrite_keeps_permission_bits(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"old")
    path.chmod(mode)
    _write(path, b"new")
    assert path.read_bytes() == b"new" and _mode(path) == mode


def test_new_file_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        _write(tmp_path / "new.csv", b"x")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "new.csv") == 0o640


def test_writes_through_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "store" / "real.csv"
    real.parent.mkdir()
    real.write_bytes(b"old")
    real.chmod(0o600)
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    _write(link, b"new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes() == b"new" and _mode(real) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.csv", "store"]
    assert [p.name for p in real.parent.iterdir()] == ["real.csv"]


def test_writes_through_a_dangling_symlink(tmp_path: Path) -> None:
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "later.csv")
    _write(link, b"new")
    assert link.is_symlink() and (tmp_path / "later.csv").read_bytes() == b"new"


def test_refuses_a_read_only_file(tmp_path: Path) -> None:
    # tests run as root, for whom os.access says yes: the mode bits decide
    path = tmp_path / "keep.png"
    path.write_bytes(b"old")
    path.chmod(0o444)
    other = tmp_path / "other.csv"
    with pytest.raises(OutputError) as err, AtomicWriter() as writer:
        with writer.open(other) as out:
            out.write(b"x")
        with writer.open(path) as out:
            out.write(b"new")
    message = str(err.value)
    assert "\n" not in message and str(path) in message and "read-only" in message
    assert path.read_bytes() == b"old" and _mode(path) == 0o444
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.png"]  # nothing written, no temporary file


def test_refuses_a_read_only_file_behind_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.csv"
    real.write_bytes(b"old")
    real.chmod(0o444)
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    with pytest.raises(OutputError, match="link.csv: is read-only"):
        _write(link, b"new")
    assert real.read_bytes() == b"old"
