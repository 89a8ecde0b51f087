"""MLflow, read without a server: the SQLite store (``mlflow.db``, MLflow 3's default) and the legacy
``mlruns/`` file store.

SQLite: ``metrics(key, value, timestamp, run_uuid, step, is_nan)``, ``runs(run_uuid, name,
lifecycle_stage, experiment_id)`` (mlflow/store/tracking/dbmodels/models.py); the database is opened
read-only, so a run still writing keeps its lock. File store: ``<experiment>/<run>/metrics/<key>``,
one ``timestamp value step`` line per logged point, the run's name in ``meta.yaml``
(mlflow/store/tracking/file_store.py). A metric logged twice at one step keeps its latest value.
Deleted runs are left out. ``--run`` chooses a run by name or id (prefix). A run logged by
transformers' ``MLflowCallback`` (its TrainingArguments are the run's params, ``lr_scheduler_type``
among them; ``learning_rate`` logged at ``step=state.global_step``) is read on transformers'
step convention (integrations/integration_utils.py, ``MLflowCallback.on_log``).
"""

from __future__ import annotations

import math
import sqlite3
from array import array
from collections.abc import Mapping
from itertools import chain
from pathlib import Path

from lrviz.errors import ConfigError
from lrviz.logs._common import from_series, pick_series, select_run
from lrviz.logs.runlog import CONVENTIONS, RunLog, StepConvention, _names
from lrviz.logs.window import Tally, Window


def read(
    path: Path, *, x: str | None = None, y: str | None = None, run: str | None = None, window: Window | None = None
) -> RunLog:
    """A run of an MLflow store; with a ``window``, the database returns only the steps inside it (the
    others counted by SQLite), the file store's are trimmed by ``read_log``."""
    if x is not None and x != "step":
        raise ConfigError(f"{path}: MLflow logs every metric at its own step; --x takes only 'step'")
    if path.is_dir() and (path / "mlflow.db").is_file():
        path = path / "mlflow.db"
    if path.is_file() and path.parent.name != "metrics":
        return _read_sqlite(path, y, run, window)
    return _read_files(path, y, run)


# ---------------------------------------------------------------------------
# SQLite


def _read_sqlite(path: Path, y: str | None, run: str | None, window: Window | None = None) -> RunLog:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ConfigError(f"{path}: cannot open the MLflow database ({exc})") from None
    try:
        runs = {
            f"{name or run_id} ({run_id})": run_id
            for run_id, name in db.execute(
                "SELECT run_uuid, name FROM runs WHERE lifecycle_stage != 'deleted' ORDER BY start_time, run_uuid"
            )
        }
        run_id = select_run(path, runs, run)
        keys = [k for (k,) in db.execute("SELECT DISTINCT key FROM metrics WHERE run_uuid = ? ORDER BY key", (run_id,))]
        names = pick_series(path, keys, y)
        columns = {}
        tallies: dict[str, Tally] = {}
        for name in names:
            column = _column(db, run_id, name, window, tallies)
            if column is not None:
                columns[name] = column
        hf = bool(
            db.execute("SELECT 1 FROM params WHERE run_uuid = ? AND key = 'lr_scheduler_type'", (run_id,)).fetchone()
        )
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"{path}: not an MLflow database ({exc}); name an mlflow.db or an mlruns folder") from None
    finally:
        db.close()
    return from_series(path, "mlflow", columns, _transformers(hf, columns), tallies)


def _column(
    db: sqlite3.Connection,
    run_id: str,
    name: str,
    window: Window | None = None,
    tallies: dict[str, Tally] | None = None,
) -> tuple[array[int], array[float]] | None:
    """One metric's (steps, values), in the order SQLite returns them (``_build`` keeps a step's later value).

    Read column-wise: the rows go straight from sqlite3 into one array of doubles (no Python object
    per row); steps are whole numbers well inside a double's exact range, which the query checks.
    With a ``window``, SQLite returns only its steps and counts the others (distinct steps each side,
    the lowest and highest) into ``tallies[name]``."""
    where = "FROM metrics WHERE run_uuid = ? AND key = ?"
    args: tuple[object, ...] = (run_id, name)
    # MIN and MAX as scalar subqueries: SQLite answers each from MLflow's (run_uuid, key, step) index
    # without a scan; only the NaN check reads the rows (is_nan is in no index)
    lowest, highest, nans = db.execute(
        f"SELECT (SELECT MIN(step) {where}), (SELECT MAX(step) {where}), EXISTS(SELECT 1 {where} AND is_nan)",
        args * 3,
    ).fetchone()
    if lowest is None:
        return None
    widest = max(abs(lowest), abs(highest))
    if window is not None and tallies is not None and (lowest < window.low or highest >= window.high):
        tally = tallies[name] = Tally()
        tally.first, tally.last = lowest, highest
        (tally.before,) = db.execute(
            f"SELECT COUNT(DISTINCT step) {where} AND step < ?", (*args, window.low)
        ).fetchone()
        (tally.after,) = db.execute(
            f"SELECT COUNT(DISTINCT step) {where} AND step >= ?", (*args, window.high)
        ).fetchone()
        where += " AND step >= ? AND step < ?"
        args = (*args, window.low, window.high)
    if nans or widest > 2**53:
        rows = db.execute(f"SELECT step, CASE WHEN is_nan THEN NULL ELSE value END {where}", args).fetchall()
        if not rows:
            return array("q"), array("d")
        steps_t, values_t = zip(*rows, strict=True)
        return array("q", steps_t), array("d", (math.nan if v is None else v for v in values_t))
    flat = array("d", chain.from_iterable(db.execute(f"SELECT step, value {where}", args)))
    if len(flat) < 4096:  # a few points: numpy's import would cost more than it saves
        return array("q", map(int, flat[0::2])), flat[1::2]
    import numpy as np

    pairs = np.frombuffer(flat, dtype=np.float64)
    steps, values = array("q"), array("d")
    steps.frombytes(pairs[0::2].astype(np.int64).tobytes())  # whole numbers below 2**53: exact
    values.frombytes(pairs[1::2].tobytes())
    return steps, values


def _transformers(logged_by_hf: bool, columns: Mapping[str, object]) -> StepConvention | None:
    """transformers' convention for a run its MLflowCallback logged (``learning_rate`` at ``global_step``)."""
    return CONVENTIONS["transformers"] if logged_by_hf and "learning_rate" in columns else None


# ---------------------------------------------------------------------------
# The file store


def _run_name(run_dir: Path) -> str:
    for line in _text(run_dir / "meta.yaml").splitlines():
        if line.startswith("run_name:"):
            return line.partition(":")[2].strip().strip("'\"")
    tag = run_dir / "tags" / "mlflow.runName"
    return _text(tag).strip() if tag.is_file() else run_dir.name


def _deleted(run_dir: Path) -> bool:
    return any(line.strip() == "lifecycle_stage: deleted" for line in _text(run_dir / "meta.yaml").splitlines())


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _runs(store: Path) -> dict[str, Path]:
    if (store / "meta.yaml").is_file() and (store / "metrics").is_dir():
        return {f"{_run_name(store)} ({store.name})": store}
    runs: dict[str, Path] = {}
    experiments = [store] if (store / "meta.yaml").is_file() else sorted(p for p in store.iterdir() if p.is_dir())
    for exp in experiments:
        for run_dir in sorted(p for p in exp.iterdir() if (p / "metrics").is_dir()):
            if not _deleted(run_dir):
                runs[f"{_run_name(run_dir)} ({run_dir.name})"] = run_dir
    return runs


def _read_files(path: Path, y: str | None, run: str | None) -> RunLog:
    if path.is_file():  # one metric file: <run>/metrics/<key>
        run_dir, keys = path.parent.parent, [path.name]
        y = y or path.name
    else:
        run_dir = select_run(path, _runs(path), run)
        metrics = run_dir / "metrics"
        keys = sorted(str(p.relative_to(metrics)) for p in metrics.rglob("*") if p.is_file())
    names = pick_series(path, keys, y)
    columns = {}
    for name in names:
        merged: dict[int, float] = {}
        file = run_dir / "metrics" / name
        for line_no, line in enumerate(_text(file).splitlines(), start=1):
            parts = line.split()
            if not parts:
                continue
            try:
                value, step = float(parts[1]), int(parts[2]) if len(parts) > 2 else 0
            except (ValueError, IndexError):
                raise ConfigError(f"{file}:{line_no}: not an MLflow metric line (timestamp value step)") from None
            merged[step] = value
        keys_sorted = sorted(merged)
        columns[name] = (array("q", keys_sorted), array("d", (merged[k] for k in keys_sorted)))
    if not any(c[0] for c in columns.values()):
        raise ConfigError(f"{path}: the MLflow run has no values for {_names(names)}; was the run logging yet?")
    hf = (run_dir / "params" / "lr_scheduler_type").is_file()
    return from_series(path, "mlflow", columns, _transformers(hf, columns))


def runs(path: Path) -> list[str]:
    """The runs of a store, as ``--run`` takes them (their ids)."""
    if path.is_dir() and (path / "mlflow.db").is_file():
        path = path / "mlflow.db"
    if path.is_file():
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return [
                r
                for (r,) in db.execute(
                    "SELECT run_uuid FROM runs WHERE lifecycle_stage != 'deleted' ORDER BY start_time, run_uuid"
                )
            ]
    return [label.rsplit("(", 1)[-1].rstrip(")") for label in _runs(path)]
