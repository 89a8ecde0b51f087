"""trackio, read without a server: a project's SQLite database (``<project>.db`` in ``TRACKIO_DIR``,
by default ``~/.cache/huggingface/trackio``).

``metrics(run_name, run_id, step, metrics)`` holds one row per ``trackio.log`` call, the values as a
JSON object (trackio/sqlite_storage.py); the database is opened read-only. ``--run`` chooses a run by
name or id; ``--x`` a logged value to use as the step instead of the row's ``step``.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from lrviz.errors import ConfigError
from lrviz.logs._common import from_records, select_run
from lrviz.logs.runlog import RunLog


def read(path: Path, *, x: str | None = None, y: str | None = None, run: str | None = None) -> RunLog:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ConfigError(f"{path}: cannot open the trackio database ({exc})") from None
    rows: list[dict[str, Any]] = []
    try:
        runs = {
            f"{name} ({run_id})": run_id
            for name, run_id in db.execute("SELECT run_name, run_id FROM metrics GROUP BY run_id ORDER BY MIN(id)")
        }
        run_id = select_run(path, runs, run)
        for step, text in db.execute("SELECT step, metrics FROM metrics WHERE run_id = ? ORDER BY id", (run_id,)):
            try:
                values = json.loads(text)
            except ValueError:
                raise ConfigError(f"{path}: a metrics row at step {step} is not JSON") from None
            if isinstance(values, dict):
                rows.append({**values, "step": step})
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"{path}: not a trackio database ({exc})") from None
    finally:
        db.close()
    return from_records(path, "trackio", rows, x, y, ("step",))


def runs(path: Path) -> list[str]:
    """The runs of a project database, as ``--run`` takes them (their ids)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return [r for (r,) in db.execute("SELECT run_id FROM metrics GROUP BY run_id ORDER BY MIN(id)")]
