"""Tick labels as plain text, never mathtext: ``10⁻³`` on a log axis, ``1,000`` on an x axis.

``lrviz.render.plot`` and ``overlay`` label their axes with these; ``power_in_label`` moves a linear
axis's ``1e−6`` into its label where the optimizer-step axis on top would cover it.
"""

from __future__ import annotations

import math
import re
from typing import Any

from matplotlib.ticker import LogFormatter, ScalarFormatter

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten(exponent: int) -> str:
    """``10⁻³``: plain text with Unicode superscripts (1 and 10 for exponents 0 and 1)."""
    if exponent == 0:
        return "1"
    if exponent == 1:
        return "10"
    return "10" + str(exponent).translate(_SUPERSCRIPT)


class _LogLabels(LogFormatter):
    """Log-axis tick labels as plain text: ``10⁻³``, ``2×10⁻³``; never mathtext.

    Which ticks get a label is LogFormatter's own choice (decades only on a wide
    axis, some minor ticks on a narrow one); only the text is ours.
    """

    def _num_to_string(self, x: float, vmin: float, vmax: float) -> str:
        exponent = math.floor(math.log10(x) + 1e-9)
        coeff = x / 10.0**exponent
        if math.isclose(coeff, 1.0, rel_tol=1e-9):
            return power_of_ten(exponent)
        if 0 <= exponent <= 3:
            return f"{x:g}"
        return f"{coeff:.3g}×{power_of_ten(exponent)}"


def plain_number(x: float, pos: Any = None) -> str:
    """A tick on an x axis: ``1,000`` or ``2.5``, never an offset or scientific notation."""
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.6g}"


def y_scale(ax: Any, log_y: bool) -> None:
    if log_y:
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(_LogLabels())
        ax.yaxis.set_minor_formatter(_LogLabels(labelOnlyBase=False, minor_thresholds=(1, 0.4)))


def linear_y(ax: Any) -> None:
    """No additive offset on a linear y axis (``+1e−1`` above the axes): only a power of ten may be factored out."""
    formatter = ax.yaxis.get_major_formatter()
    if isinstance(formatter, ScalarFormatter):
        formatter.set_useOffset(False)


def power_in_label(ax: Any, label: str) -> None:
    """``learning rate (×10⁻⁶)`` instead of matplotlib's ``1e−6`` over the axis, which the optimizer-step axis's
    tick labels on top would cover. Call once the layout is done (the power is chosen from the ticks as placed)."""
    formatter = ax.yaxis.get_major_formatter()
    if not isinstance(formatter, ScalarFormatter):
        return
    power = re.fullmatch(r"1e(-?\d+)", formatter.get_offset().replace("\N{MINUS SIGN}", "-"))  # no offset: "1e−6" or ""
    if power is not None:
        ax.set_ylabel(f"{label} (×{power_of_ten(int(power[1]))})")
        ax.yaxis.get_offset_text().set_visible(False)
