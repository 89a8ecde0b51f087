"""Atomic file output: temporary files in the target folder, renamed into place together.

``AtomicWriter`` collects several outputs; each is written to a temporary file
beside its target. Only when the ``with`` block ends without error are they
renamed (``os.replace``) over their targets, so a failure or Ctrl-C leaves
neither a truncated file nor a clobbered old one, and no temporary file.

Nothing an output names is ever lost (``examine``, also run by ``check_targets`` before
any work): an output may not be one of the process's inputs (by device and inode, so a
symlink or a hard link to an input is caught too), nor a directory, a FIFO or a device,
nor two outputs of one run the same file. Overwriting keeps what writing in place would:
the new file gets the permission bits of the one it replaces, and a symlink is written
through (its target is replaced, the link stays a link). Where a rename cannot keep the
file's identity (a file with other hard links, another user's file, a setuid or setgid
file) or the file is read-only, it is refused with one line naming it. Every operating
system failure (a full disk, a name too long, a symlink loop) is an ``OutputError``.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from lrviz.errors import ConfigError, LrvizError, OutputError
from lrviz.inputs import read_as


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _kind(st: os.stat_result) -> str:
    mode = st.st_mode
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _os_problem(exc: OSError) -> str:
    import errno

    if exc.errno == errno.ELOOP:
        return "a loop of symbolic links; fix or remove the link"
    if exc.errno == errno.ENAMETOOLONG:
        return "the name is too long for the file system; use a shorter one"
    if exc.errno == errno.ENOSPC:
        return "no space left on the device; the old file, if any, is unchanged"
    return f"cannot write: {exc.strerror or exc}"


def examine(target: Path, error: type[LrvizError] = OutputError) -> tuple[Path, os.stat_result | None]:
    """Where writing ``target`` lands (symlinks resolved) and the file it replaces, if any.

    Raises ``error`` (one line naming ``target``) when writing there would lose something:
    an input, a directory, a FIFO or device, a file whose identity a rename would change.
    """
    if target.is_dir():
        raise error(f"{target}: is a directory; give a file name such as {target / 'schedule.png'}")
    try:
        real = Path(os.path.realpath(target))
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        return real, None
    except NotADirectoryError:
        raise error(f"{target}: a part of the path is a file, not a folder") from None
    except OSError as exc:
        raise error(f"{target}: {_os_problem(exc)}") from None
    except ValueError as exc:  # a NUL in the name
        raise error(f"{target}: cannot write: {exc}") from None
    assert st is not None
    shown = f"{target}"
    if os.path.islink(target):  # the problem is the link's target: name it
        error = _naming_link(error, real)
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{shown}: is a directory; give a file name such as {target / 'schedule.png'}")
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{shown}: is {_kind(st)}; lrviz writes only regular files, never replaces this; write elsewhere")
    source = read_as(st)
    if source is not None:
        raise error(f"{shown}: is the input {source}; lrviz never writes over an input; write elsewhere")
    if st.st_nlink > 1:
        raise error(
            f"{shown}: has {st.st_nlink} hard links; replacing it would break them, so it is left alone "
            "(remove it first, or write elsewhere)"
        )
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        raise error(
            f"{shown}: belongs to another user (uid {st.st_uid}); replacing it would change its owner, "
            "so it is left alone (write elsewhere)"
        )
    if st.st_mode & (stat.S_ISUID | stat.S_ISGID):
        raise error(f"{shown}: has its setuid or setgid bit set; lrviz does not replace it (write elsewhere)")
    # mode bits first: root may write anything, but a file without write bits is meant to stay
    if st.st_mode & 0o222 == 0 or not os.access(target, os.W_OK):
        raise error(f"{shown}: is read-only; not overwritten (make it writable, e.g. chmod u+w, or write elsewhere)")
    return real, st


def _naming_link(error: type[LrvizError], real: Path) -> Any:
    """``error`` with `` (a link to REAL)`` at the end of its message."""

    def make(message: str) -> LrvizError:
        return error(f"{message} ({real} is where the link points)")

    return make


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def check_targets(outputs: Sequence[Path], inputs: Iterable[Path] = (), flag: str = "-o/--out") -> None:
    """Before any work: ``ConfigError`` naming both files when an output would replace an input
    (``inputs``: files, or folders whose files are all inputs, as a --config-dir project or a
    run's log folder), is not a regular file, or is the same file as another output."""
    from lrviz.inputs import remember

    known: dict[tuple[int, int], str] = {}
    for path in inputs:
        for file in _files_in(Path(path)):
            ident = _identity(file)
            if ident is not None:
                known.setdefault(ident, str(file))
                remember(file)
    by_real: dict[Path, Path] = {}
    by_ident: dict[tuple[int, int], Path] = {}
    for out in outputs:
        real, st = examine(out, ConfigError)
        ident = (st.st_dev, st.st_ino) if st is not None else None
        if ident is not None and ident in known:
            raise ConfigError(
                f"{flag} {out}: is the input {known[ident]}; lrviz never writes over an input; write elsewhere"
            )
        first = by_real.get(real) or (by_ident.get(ident) if ident is not None else None)
        if first is not None:
            same = "given twice" if str(first) == str(out) else f"is the same file as {first}"
            raise ConfigError(f"{flag} {out}: {same}; one run writes each file once")
        by_real[real] = out
        if ident is not None:
            by_ident[ident] = out


def _files_in(path: Path, limit: int = 20_000) -> Iterator[Path]:
    """``path`` itself, or the files under a folder (at most ``limit``: a folder that large is no project)."""
    if not path.is_dir():
        yield path
        return
    count = 0
    for root, _, names in os.walk(path):
        for name in names:
            yield Path(root, name)
            count += 1
            if count >= limit:
                return


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
        real, st = examine(target)
        mode = stat.S_IMODE(st.st_mode) if st is not None else None
        folder = real.parent
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
            fd, tmp_name = tempfile.mkstemp(prefix=f".{real.name[:200]}.", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise OutputError(f"{target}: {_os_problem(exc)}") from None
        tmp = Path(tmp_name)
        self._pending.append((tmp, real, mode))
        try:
            with os.fdopen(fd, "wb") as handle:
                yield handle
        except OSError as exc:  # a full disk while writing or closing
            raise OutputError(f"{target}: {_os_problem(exc)}") from None

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
                        raise OutputError(f"{target}: {_os_problem(err)}") from None
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
