"""Which tracker wrote a file or directory, from its name and layout alone (nothing is imported)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

#: The tracker formats, by the module that reads each.
FORMATS = ("mlflow", "wandb", "trackio", "dvclive", "clearml", "comet", "ultralytics", "mmengine")

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


def _zip_names(path: Path) -> list[str]:
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            return archive.namelist()[:200]
    except (OSError, zipfile.BadZipFile):
        return []


# ---------------------------------------------------------------------------
# Discovery


_RUNLOG_FILES = ("trainer_state.json", "metrics.csv")


def discover(directory: Path) -> list[tuple[str, Path]]:
    """Every training log under ``directory``: (format, path), sorted by path. A tracker's store is one
    entry (an ``mlruns`` store, a ``wandb`` folder of runs); TensorBoard runs are their directories."""
    found: dict[Path, str] = {}
    for path in _walk(directory):
        if path.is_dir():
            kind = detect(path)
            if kind is not None and not (kind == "wandb" and not _wandb_dir(path)):
                found[path] = kind
            elif any(p.name.startswith("events.out.tfevents.") for p in _files(path)):
                found[path] = "tensorboard"
            continue
        if path.name in _RUNLOG_FILES:
            found[path] = "trainer_state" if path.name == "trainer_state.json" else "lightning_csv"
            continue
        kind = detect(path)
        if kind is not None and kind not in ("dvclive",) and not (kind == "wandb" and path.parent in found):
            found[path] = kind
    # a store's parts are not logs of their own: keep the outermost entry
    kept: dict[Path, str] = {}
    for path in sorted(found, key=lambda p: len(p.parts)):
        if any(parent in kept and kept[parent] in ("mlflow", "dvclive", "mmengine") for parent in path.parents):
            continue
        if found[path] == "mlflow" and path.suffix == "" and any(p in kept for p in path.parents):
            continue
        kept[path] = found[path]
    return sorted(((kind, path) for path, kind in kept.items()), key=lambda item: str(item[1]))


def _files(directory: Path) -> Iterator[Path]:
    try:
        yield from (p for p in directory.iterdir() if p.is_file())
    except OSError:
        return


def _walk(directory: Path) -> Iterator[Path]:
    """Every path under ``directory`` except inside a tracker store already recognised (not followed
    into ``.git``, virtual environments, or ``node_modules``)."""
    stack = [directory]
    while stack:
        current = stack.pop()
        try:
            entries = sorted(current.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.name in (".git", "node_modules", "__pycache__", ".venv", "venv", "site-packages"):
                continue
            yield entry
            if entry.is_dir() and not entry.is_symlink():
                kind = detect(entry)
                if kind in ("mlflow", "dvclive", "mmengine") or (kind == "wandb" and _wandb_dir(entry)):
                    continue
                stack.append(entry)
