"""The work budget: every limit on the size of lrviz's inputs and of the work they ask for, in one place.

lrviz reads configs and logs that arrive in pull requests, so every input is bounded
before the work it asks for starts: file sizes, nesting depth, key segments, digits in
a number, the text an interpolation resolves to, the values a run records, the times a
scheduler is stepped, the rows of a log. Each ``Limit`` has a default chosen so that a
run at the limit finishes in the time a user waits (measured in ``bench/limits.py``), and
an environment variable that raises it (``LRVIZ_MAX_POINTS=100000000``) for the rare run
that needs more. A refusal is a ``ConfigError`` naming the amount, the limit and that
variable, raised by ``Limit.check`` before anything is computed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from lrviz.errors import ConfigError


@dataclass(frozen=True)
class Limit:
    """One bound: its default, what it counts, and the environment variable that raises it."""

    env: str  # LRVIZ_MAX_POINTS
    default: int
    unit: str  # what is counted: "values", "bytes", "levels"

    @property
    def value(self) -> int:
        """The limit in force: the environment's value when it is a positive integer, else the default."""
        text = os.environ.get(self.env, "").strip().replace("_", "")
        if text.isdigit() and 0 < len(text) <= 18 and int(text) > 0:
            return int(text)
        return self.default

    def exceeded(self, amount: int) -> bool:
        return amount > self.value

    def refusal(self, where: str, what: str) -> ConfigError:
        """The one-line refusal: ``where: what is more than the limit of N unit (raise it with ENV=...)``."""
        return ConfigError(
            f"{where}: {what} is more than the limit of {self.value:,} {self.unit}; "
            f"reduce it, or raise the limit with {self.env}=N if the run really needs it"
        )

    def check(self, amount: int, where: str, what: str | None = None) -> None:
        """Raise ``refusal`` when ``amount`` is over the limit; ``what`` describes the amount."""
        if amount > self.value:
            raise self.refusal(where, what if what is not None else f"{amount:,} {self.unit}")


#: LR values a run records: epochs x steps per epoch x param groups (8 bytes each, plus drawing).
POINTS = Limit("LRVIZ_MAX_POINTS", 2_000_000, "values")
#: Scheduler steps: optimizer steps x the times each one steps the scheduler (Accelerate's processes).
STEPS = Limit("LRVIZ_MAX_STEPS", 5_000_000, "scheduler steps")
#: A config file, a --config-dir file, or all --set values together.
CONFIG_BYTES = Limit("LRVIZ_MAX_CONFIG_BYTES", 1024 * 1024, "bytes")
#: A run's log file (CSV, JSON, JSONL, one TensorBoard event file).
LOG_BYTES = Limit("LRVIZ_MAX_LOG_BYTES", 1024 * 1024 * 1024, "bytes")
#: A JSON log read whole (trainer_state.json): parsed JSON takes ~10x its size in memory.
LOG_JSON_BYTES = Limit("LRVIZ_MAX_LOG_JSON_BYTES", 128 * 1024 * 1024, "bytes")
#: One TensorBoard event file (bench/event_read.py): 7.8 s at the limit with google-crc32c
#: (``lrviz[tensorboard]``), ~14 s if every record is an LR point; without it 9.5 s, ~35 s, so a file over
#: 32 MiB is then refused naming the package unless this variable is set (``logs.tensorboard.SLOW_EVENT_BYTES``).
LOG_EVENT_BYTES = Limit("LRVIZ_MAX_EVENT_FILE_BYTES", 128 * 1024 * 1024, "bytes")
#: Logged points held from a log (the LR columns' rows; against a plan, ``check``, only those inside its
#: steps: the rest stream past and are counted, so a longer log costs time, bounded by LOG_BYTES, not memory).
LOG_ROWS = Limit("LRVIZ_MAX_LOG_ROWS", 5_000_000, "rows")
#: Values in a YAML document with every alias expanded.
EXPANDED_NODES = Limit("LRVIZ_MAX_EXPANDED_NODES", 100_000, "values")
#: Mappings and lists nested inside each other.
NESTING = Limit("LRVIZ_MAX_NESTING", 64, "levels of nesting")
#: Dotted segments of one key (a --set key, --key).
KEY_SEGMENTS = Limit("LRVIZ_MAX_KEY_SEGMENTS", 64, "key segments")
#: Digits of one number in a config or a log.
DIGITS = Limit("LRVIZ_MAX_DIGITS", 400, "digits")
#: Characters an interpolation resolves to (one value, and all of a document's together).
RESOLVED_CHARS = Limit("LRVIZ_MAX_RESOLVED_CHARS", 100_000, "characters")
#: Interpolations an interpolation passes through (``${a}`` -> ``${b}`` -> ...), and resolutions in all.
RESOLUTION_DEPTH = Limit("LRVIZ_MAX_RESOLUTION_DEPTH", 32, "levels of interpolation")
RESOLUTIONS = Limit("LRVIZ_MAX_RESOLUTIONS", 5_000, "interpolations")
#: Files read from a --config-dir project.
PROJECT_FILES = Limit("LRVIZ_MAX_PROJECT_FILES", 2_000, "files")

LIMITS = (
    POINTS,
    STEPS,
    CONFIG_BYTES,
    LOG_BYTES,
    LOG_JSON_BYTES,
    LOG_EVENT_BYTES,
    LOG_ROWS,
    EXPANDED_NODES,
    NESTING,
    KEY_SEGMENTS,
    DIGITS,
    RESOLVED_CHARS,
    RESOLUTION_DEPTH,
    RESOLUTIONS,
    PROJECT_FILES,
)


def nesting(data: object, where: str) -> None:
    """Raise when ``data`` (plain dicts and lists) nests deeper than ``NESTING``; iterative, so never a RecursionError."""
    limit = NESTING.value
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > limit:
                raise NESTING.refusal(where, f"a value nested {depth} levels deep")
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
