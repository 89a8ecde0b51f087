"""A plain CSV's step column, read with numpy from the bytes: the fast path of ``check --against`` a long log.

A block of whole lines, every line with the header's number of cells, no quote, no carriage
return, and a step column of plain digits (at most 15, the largest step lrviz accepts has 16),
gives its steps as one int64 array without a Python object per line, and the byte offsets of the
LR cells, so only the LRs inside the plan's window are ever parsed. Any other block returns None,
and the reader takes its general path (which also names a bad line).
"""

from __future__ import annotations

from typing import Any

__all__ = ["Cells", "step_cells"]

#: (steps of every line, {LR column: (cell starts, cell ends)}) as numpy arrays, offsets into the block.
Cells = tuple[Any, dict[int, tuple[Any, Any]]]


def step_cells(data: bytes, delimiter: str, width: int, step_col: int, lr_cols: list[int]) -> Cells | None:
    """The steps and LR cell offsets of ``data`` (whole lines, each ending in a newline), or None."""
    import numpy as np

    if not data or data[-1:] != b"\n" or b'"' in data or b"\r" in data:
        return None
    raw = np.frombuffer(data, dtype=np.uint8)
    seps = np.flatnonzero((raw == ord(delimiter)) | (raw == 10))
    if seps.size % width:
        return None
    grid = seps.reshape(-1, width)
    if not bool(np.all(raw[grid[:, -1]] == 10)):
        return None  # a line with too few or too many cells
    starts = np.empty(len(grid), dtype=np.int64)
    starts[0] = 0
    starts[1:] = grid[:-1, -1] + 1

    def bounds(column: int) -> tuple[Any, Any]:
        return (starts if column == 0 else grid[:, column - 1] + 1), grid[:, column]

    first, end = bounds(step_col)
    lengths = end - first
    if not len(lengths) or int(lengths.min()) < 1 or int(lengths.max()) > 15:
        return None
    steps = np.zeros(len(lengths), dtype=np.int64)
    for j in range(int(lengths.max())):
        active = lengths > j
        digit = raw[np.where(active, first + j, 0)].astype(np.int64) - 48
        if bool(np.any(((digit < 0) | (digit > 9)) & active)):
            return None  # a sign, a decimal point, a space: the general path reads it
        steps = np.where(active, steps * 10 + digit, steps)
    return steps, {c: bounds(c) for c in lr_cols}
