"""Atomic file output: temporary files in the target folder, renamed into place together.

``AtomicWriter`` collects several outputs; each is written to a temporary file
beside its target. Only when the ``with`` block ends without error are they
renamed (``os.replace``) over their targets, so a failure or Ctrl-C leaves
neither a truncated file nor a clobbered old one, and no temporary file.

Overwriting behaves as writing in place would: a new file keeps the permission
bits of the one it replaces; a symlink is written through (its target is
replaced, the link stays a link); a read-only file (no write bit set, or not
writable by this user) is refused with an ``OutputError`` naming it.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO

from lrviz.errors import OutputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class AtomicWriter:
    """Write several files so that they all appear, or none does."""

    def __init__(self) -> None:
        self._pending: list[tuple[Path, Path, int | None]] = []  # temporary file, target, mode to give it
        self._made: list[Path] = []  # folders this writer created, removed again on failure

    def __enter__(self) -> AtomicWriter:
        return self

    @contextlib.contextmanager
    def open(self, target: Path) -> Iterator[IO[bytes]]:
        """A binary file to write ``target``'s content into."""
        if target.is_dir():
            raise OutputError(f"{target}: is a directory; give a file name such as {target / 'schedule.png'}")
        shown = target
        if target.is_symlink():  # write through the link: its target is replaced, the link stays
            target = target.resolve()
        mode = None
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            st = target.stat()
            mode = stat.S_IMODE(st.st_mode)
            # mode bits first: root may write anything, but a file without write bits is meant to stay
            if st.st_mode & 0o222 == 0 or not os.access(target, os.W_OK):
                raise OutputError(
                    f"{shown}: is read-only; not overwritten (make it writable, e.g. chmod u+w, or write elsewhere)"
                )
        folder = target.parent
        import tempfile  # not on the start-up path: only when a file is written

        missing = [p for p in (folder, *folder.parents) if not p.exists()]
        try:
            for path in reversed(missing):
                try:
                    path.mkdir()
                except FileExistsError:  # made meanwhile (by a parallel writer): not ours to remove
                    if not path.is_dir():
                        raise
                    continue
                self._made.append(path)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise OutputError(f"{target}: cannot write: {exc.strerror or exc}") from None
        tmp = Path(tmp_name)
        self._pending.append((tmp, target, mode))
        with os.fdopen(fd, "wb") as handle:
            yield handle

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                default = 0o666 & ~_umask()
                for tmp, target, mode in self._pending:
                    try:
                        os.chmod(tmp, default if mode is None else mode)
                        os.replace(tmp, target)
                    except OSError as err:
                        raise OutputError(f"{target}: cannot write: {err.strerror or err}") from None
        except BaseException:
            exc_type = OutputError
            raise
        finally:
            for tmp, _, _ in self._pending:
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
            self._pending.clear()
            if exc_type is not None:
                for folder in reversed(self._made):
                    with contextlib.suppress(OSError):
                        folder.rmdir()
