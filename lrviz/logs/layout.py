"""Which tracker wrote a file or directory, from its name and layout alone (nothing is imported)."""

from __future__ import annotations

import re
from pathlib import Path

#: The tracker formats, by the module that reads each.
FORMATS = ("mlflow", "wandb", "trackio", "dvclive", "clearml", "comet", "ultralytics", "mmengine", "megatron")

_SQLITE = b"SQLite format 3\x00"


def _head(path: Path, size: int = 4096) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


def _is_sqlite(path: Path) -> bool:
    return path.is_file() and _head(path, 16) == _SQLITE


def sqlite_tables(path: Path) -> set[str]:
    """The table names of an SQLite file, read-only and without a lock (empty when it is not one)."""
    import sqlite3

    if not _is_sqlite(path):
        return set()
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.Error:
        return set()


def _mlruns_run(path: Path) -> bool:
    return (path / "meta.yaml").is_file() and (path / "metrics").is_dir()


def _mlruns_store(path: Path) -> bool:
    """An MLflow file store: experiment folders holding meta.yaml and run folders with metrics/."""
    if path.name == "mlruns" and path.is_dir():
        return True
    try:
        return any(_mlruns_run(run) for exp in path.iterdir() if (exp / "meta.yaml").is_file() for run in exp.iterdir())
    except OSError:
        return False


def _wandb_dir(path: Path) -> bool:
    return path.is_dir() and any(path.glob("run-*.wandb"))


def detect(path: Path) -> str | None:
    """The tracker format of ``path`` (a key of ``FORMATS``), or None for one ``runlog`` reads or none at all."""
    name = path.name
    if path.is_dir():
        if (path / "mlflow.db").is_file() or _mlruns_store(path) or _mlruns_run(path):
            return "mlflow"
        if _wandb_dir(path) or any(_wandb_dir(p) for p in path.glob("*run-*")):
            return "wandb"
        if (path / "plots" / "metrics").is_dir() or (path / "dvclive" / "plots" / "metrics").is_dir():
            return "dvclive"
        if (
            (path / "vis_data" / "scalars.json").is_file()
            or (path / "scalars.json").is_file()
            and (path.name == "vis_data")
            or any(path.glob("*/vis_data/scalars.json"))  # a work_dir: one <timestamp>/ folder per run
        ):
            return "mmengine"
        if (path / "results.csv").is_file() and _ultralytics_csv(path / "results.csv"):
            return "ultralytics"
        return None
    if not path.is_file():
        return None
    suffix = path.suffix.lower()
    if suffix == ".wandb":
        return "wandb"
    if suffix in (".db", ".sqlite", ".sqlite3") or name == "mlflow.db":
        tables = sqlite_tables(path)
        if {"metrics", "runs", "experiments"} <= tables:
            return "mlflow"
        if "metrics" in tables and "configs" in tables:
            return "trackio"
        return None
    if path.parent.name == "metrics" and "metrics" in path.parent.parent.parts[-1:] + ("metrics",):
        if _mlruns_run(path.parent.parent):
            return "mlflow"
    if suffix == ".tsv" and "plots" in path.parts and "metrics" in path.parts:
        return "dvclive"
    if name == "scalars.json":
        return "mmengine"
    if suffix == ".csv" and _ultralytics_csv(path):
        return "ultralytics"
    if suffix in ("", ".log", ".txt", ".out", ".err") and _megatron_stdout(path):
        return "megatron"
    if suffix == ".zip":
        head = _zip_names(path)
        if any(n.endswith("messages.json") or n.endswith("experiment.json") for n in head):
            return "comet"
        if any(n.endswith("task.json") for n in head):
            return "clearml"
    return None


def _ultralytics_csv(path: Path) -> bool:
    first = _head(path, 2048).split(b"\n", 1)[0].decode("utf-8", "replace")
    cells = [c.strip() for c in first.split(",")]
    return bool(cells) and cells[0] == "epoch" and any(c.startswith("lr/pg") for c in cells)


#: What Megatron-LM prints before training (``_print_args``'s banner, ``validate_args``' world size line;
#: megatron/training/arguments.py 567, 1994 at d98e8a64): a file that starts so is read on to the first MiB.
_MEGATRON_START = (b"------------------------ arguments ------------------------", b"using world size: ")
#: ``training_log``'s line (training.py 3567-3597): ``iteration N/ M |`` then, on the same line, the LR
#: (two searches per line, as ``lrviz.logs.megatron`` reads it: one pattern spanning the line with ``[^\n]*?``
#: rescans the rest of the line from every ``iteration N/ M |``, quadratic: a 1 MiB line of them took minutes)
_MEGATRON_ITERATION = re.compile(rb"\biteration\s+\d+\s*/\s*\d+\s*\|")
_MEGATRON_LR = re.compile(rb"\|\s*learning rate:\s*[-+0-9.eEnaNinf]+\s*\|")
#: Bytes read from each candidate text file while searching a directory (``discover``).
SNIFF_BYTES = 64 * 1024
#: Text files ``discover`` looks into for a Megatron-LM stdout log (``slurm-*.out`` among them).
TEXT_SUFFIXES = (".log", ".out", ".txt", ".err")


def _megatron_stdout(path: Path, sniff: bool = False) -> bool:
    """Megatron-LM's stdout: an ``iteration N/ M | ... | learning rate: X |`` line within the first MiB
    (after its argument listing). With ``sniff`` (a directory search) the first ``SNIFF_BYTES`` must hold
    that line or Megatron's start-up lines before the rest of the MiB is read: an unrelated file costs one
    small read."""
    head = _head(path, SNIFF_BYTES if sniff else 1 << 20)
    if b" iteration " in head and b"| learning rate: " in head and _training_line(head):
        return True
    if not sniff or len(head) < SNIFF_BYTES or not any(m in head for m in _MEGATRON_START):
        return False
    return _megatron_stdout(path)


def _training_line(head: bytes) -> bool:
    """Whether a line of ``head`` is ``training_log``'s: ``iteration N/ M |`` and, after it, ``| learning rate: X |``."""
    for line in head.split(b"\n"):
        found = _MEGATRON_ITERATION.search(line)
        if found is not None and _MEGATRON_LR.search(line, found.end()):
            return True
    return False


def _zip_names(path: Path) -> list[str]:
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            return archive.namelist()[:200]
    except (OSError, zipfile.BadZipFile):
        return []


# ---------------------------------------------------------------------------
# Discovery

#: Directories never searched (environments, caches, VCS) and checkpoint copies of a log.
_SKIP = {".git", "node_modules", "__pycache__", ".venv", "venv", "site-packages", ".cache", "media", "artifacts"}
#: Trackers whose directory is one log (not searched further).
_STORES = ("mlflow", "wandb", "dvclive", "mmengine", "ultralytics")


def discover(directory: Path, limit: int = 1000) -> list[tuple[str, Path]]:
    """Every training log under ``directory``, as (format, path) sorted by path: tracker stores and files
    (``detect``), TensorBoard run directories (event files directly inside), ``trainer_state.json`` (not
    the copies in ``checkpoint-*``), Lightning's ``metrics.csv``, Megatron-LM's stdout in a ``*.log``,
    ``*.out`` (``slurm-*.out``), ``*.txt`` or ``*.err`` file (by its content: ``SNIFF_BYTES`` of each, see
    ``_megatron_stdout``). At most ``limit`` logs."""
    found: list[tuple[str, Path]] = []
    stack = [directory]
    while stack and len(found) < limit:
        current = stack.pop()
        kind = detect(current) if current != directory or not _has_events(current) else None
        if kind in _STORES and not (kind == "wandb" and not _wandb_dir(current) and current != directory):
            found.append((kind, current))
            continue
        if _has_events(current):
            found.append(("tensorboard", current))
        try:
            entries = sorted(current.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.name in _SKIP or entry.is_symlink():
                continue
            if entry.is_dir():
                if not entry.name.startswith("checkpoint-"):
                    stack.append(entry)
                continue
            if entry.name == "trainer_state.json":
                found.append(("trainer_state", entry))
            elif entry.name == "metrics.csv":
                found.append(("lightning_csv", entry))
            elif entry.suffix.lower() in (".db", ".sqlite", ".sqlite3", ".zip", ".csv"):
                file_kind = detect(entry)
                if file_kind is not None:
                    found.append((file_kind, entry))
            elif entry.suffix.lower() in TEXT_SUFFIXES and _megatron_stdout(entry, sniff=True):
                found.append(("megatron", entry))
    return sorted(found, key=lambda item: str(item[1]))


def _has_events(directory: Path) -> bool:
    try:
        return directory.is_dir() and any(p.name.startswith("events.out.tfevents.") for p in directory.iterdir())
    except OSError:
        return False


def locate(path: Path) -> Path | None:
    """The log to follow at ``path`` (``lrviz watch``, ``guard.watch``): ``path`` itself when it is a log or
    not there yet; under a run directory that holds none itself, the one log ``discover`` finds, or None
    while there is none yet (a run that has not started logging). Several are a ConfigError naming them."""
    from lrviz.errors import ConfigError, option

    if not path.is_dir() or detect(path) is not None or _has_events(path):
        return path
    found = discover(path)
    if len(found) > 1:
        names = ", ".join(f"{kind} {p}" for kind, p in found[:8]) + (", ..." if len(found) > 8 else "")
        raise ConfigError(
            f"{path}: {len(found)} logs under this directory ({names}); name the one to watch as LOG "
            f"(or check them all after the run: lrviz check CONFIG {option('against')} {path})"
        )
    return found[0][1] if found else None
