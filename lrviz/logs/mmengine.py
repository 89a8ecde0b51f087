"""mmengine (OpenMMLab): ``<work_dir>/<timestamp>/vis_data/scalars.json``, one JSON object a line.

``LoggerHook.after_train_iter`` writes the training scalars with ``step=runner.iter + 1``
(mmengine/hooks/logger_hook.py) and ``lr`` is the value ``RuntimeInfoHook.before_train_iter`` read
from the optimizer before that iteration's step (mmengine/hooks/runtime_info_hook.py): logged step s
holds the LR optimizer step s-1 used. Validation lines carry no ``lr`` and are skipped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lrviz.errors import ConfigError
from lrviz.inputs import read_limited
from lrviz.logs._common import convention, from_records
from lrviz.logs.runlog import MAX_LOG_BYTES, RunLog

MMENGINE = convention(
    "mmengine",
    1,
    "mmengine's LoggerHook logs step=runner.iter + 1 with the LR read before that iteration's optimizer step "
    "(mmengine/hooks/logger_hook.py, runtime_info_hook.py)",
)


def _file(path: Path) -> Path:
    if path.is_file():
        return path
    for candidate in (path / "vis_data" / "scalars.json", path / "scalars.json"):
        if candidate.is_file():
            return candidate
    found = sorted(path.glob("*/vis_data/scalars.json"))
    if len(found) == 1:
        return found[0]
    raise ConfigError(f"{path}: no vis_data/scalars.json here" + (f" ({len(found)} runs: name one)" if found else ""))


def read(path: Path, *, x: str | None = None, y: str | None = None, run: str | None = None) -> RunLog:
    file = _file(path)
    text = read_limited(file, MAX_LOG_BYTES, str(file)).decode("utf-8", "replace")
    rows: list[dict[str, Any]] = []
    lines = text.splitlines()
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            if line_no == len(lines):
                break  # a line still being written
            raise ConfigError(f"{file}:{line_no}: not valid JSON") from None
        if isinstance(row, dict):
            rows.append(row)
    if not rows:
        raise ConfigError(f"{file}: empty log; was the run logging yet?")
    return from_records(file, "mmengine", rows, x, y, ("step",), MMENGINE if x is None else None)
