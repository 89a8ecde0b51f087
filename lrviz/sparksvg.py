"""A tiny SVG line chart in plain Python, for a ``Curve`` shown in Jupyter without matplotlib."""

from __future__ import annotations

import math
from collections.abc import Sequence

WIDTH, HEIGHT, PAD = 480, 120, 4
#: Points kept per pixel column when drawing: min and max, so spikes survive thinning.
MAX_POINTS = 2 * WIDTH


def polyline_svg(xs: Sequence[float], ys: Sequence[float], *, marks: Sequence[float] = ()) -> str:
    """An inline ``<svg>`` of ``ys`` over ``xs``, with dashed vertical lines at ``marks``."""
    if not xs or not ys:
        return f'<svg width="{WIDTH}" height="{HEIGHT}"></svg>'
    x0, x1 = xs[0], xs[-1]
    finite = [y for y in ys if math.isfinite(y)]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    span_x = (x1 - x0) or 1.0
    span_y = (hi - lo) or 1.0

    def px(x: float) -> float:
        return PAD + (x - x0) / span_x * (WIDTH - 2 * PAD)

    def py(y: float) -> float:
        return HEIGHT - PAD - (y - lo) / span_y * (HEIGHT - 2 * PAD)

    step = max(1, len(xs) // MAX_POINTS)
    points = " ".join(f"{px(xs[i]):.1f},{py(ys[i]):.1f}" for i in range(0, len(xs), step) if math.isfinite(ys[i]))
    lines = "".join(
        f'<line x1="{px(m):.1f}" y1="0" x2="{px(m):.1f}" y2="{HEIGHT}" stroke="#d62728" stroke-dasharray="3,3"/>'
        for m in marks
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}">{lines}'
        f'<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="{points}"/></svg>'
    )
