"""Margins measured from the text of a figure once it is placed: nothing falls off the edge.

``fit`` wraps long titles to the figure's width, then sets the subplot edges from the tick
labels, axis labels, titles and legends as placed (``lrviz.render.plot`` and ``overlay``
call it last, before saving). It lays out text only, never draws the lines.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.text import Text

#: Space kept free around everything drawn, in points (1/72 inch).
PAD_PT = 6.0
#: The least share of the figure the axes keep, across and down, whatever the text around them needs.
MIN_AXES = 0.2


def _wrap_title(text: Text, width_px: float, renderer: Any) -> None:
    """Wrap ``text`` on spaces until it is at most ``width_px`` wide (one measurement per try)."""
    content = text.get_text()
    lines = content.split("\n")
    chars = max(len(line) for line in lines)
    while chars > 20 and text.get_window_extent(renderer).width > width_px:
        chars = int(chars * 0.9)
        text.set_text("\n".join(textwrap.fill(line, chars, break_on_hyphens=False) for line in lines))


def fit(fig: Figure, titles: Sequence[Text], extra: Sequence[Any]) -> None:
    """Wrap titles to the figure's width, then set the margins so every label and legend is inside.

    Measures the tick labels, axis labels, titles and ``extra`` artists as placed, and moves
    the subplot edges so that they end PAD_PT inside the figure: a wide log-axis label or a
    wrapped title gets its room, and a short one gives it back. Two passes, since the ticks
    can change when the axes change size. This lays out text only, never draws the lines.
    """
    from matplotlib.transforms import Bbox

    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    width, height = fig.bbox.width, fig.bbox.height
    pad = PAD_PT * fig.dpi / 72
    for title in titles:
        # one plot: its title may use the figure's whole width; in a grid, its own column
        spec = title.axes.get_subplotspec() if title.axes is not None else None
        columns = spec.get_gridspec().ncols if spec is not None else 1
        _wrap_title(title, width / columns - 2 * pad, renderer)
    for _ in range(2):
        boxes = [a.get_tightbbox(renderer, bbox_extra_artists=a.child_axes) for a in fig.axes]
        boxes += [a.get_window_extent(renderer) for a in extra]
        union = Bbox.union([b for b in boxes if b is not None])
        sp = fig.subplotpars
        left = sp.left + (pad - union.x0) / width
        right = sp.right - (union.x1 - (width - pad)) / width
        bottom = sp.bottom + (pad - union.y0) / height
        top = sp.top - (union.y1 - (height - pad)) / height
        if right - left < MIN_AXES or top - bottom < MIN_AXES:  # text wider or taller than the figure
            return  # keep the axes drawable: the text overflows instead
        fig.subplots_adjust(left=left, right=right, bottom=bottom, top=top)
