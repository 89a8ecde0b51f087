"""The plot options (dpi, size in inches, style) and their bounds, checked without importing matplotlib."""

from __future__ import annotations

import math

from lrviz.errors import ConfigError

__all__ = [
    "DEFAULT_DPI",
    "DEFAULT_SIZE",
    "DEFAULT_STYLE",
    "DPI_RANGE",
    "MAX_SIDE_PX",
    "SIZE_RANGE",
    "STYLES",
    "check_plot_options",
]

DEFAULT_DPI = 100
DEFAULT_SIZE = (12.0, 6.0)
DEFAULT_STYLE = "light"
STYLES = ("light", "dark")
#: Bounds of the plot options: dpi, inches per side, and pixels per side of the image.
DPI_RANGE = (20, 1200)
SIZE_RANGE = (1.0, 100.0)
MAX_SIDE_PX = 16000


def check_plot_options(
    *, dpi: object = DEFAULT_DPI, size: object = DEFAULT_SIZE, style: object = DEFAULT_STYLE
) -> None:
    """ConfigError naming ``dpi``, ``size`` or ``style`` when a plot option is out of range."""
    low, high = DPI_RANGE
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not low <= dpi <= high:
        raise ConfigError(f"dpi: expected an integer from {low} to {high}, got {dpi!r}")
    smallest, largest = SIZE_RANGE
    if (
        not isinstance(size, tuple | list)
        or len(size) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in size)
        or not all(smallest <= v <= largest for v in size)
    ):
        raise ConfigError(
            f"size: expected (width, height) in inches, each from {smallest:g} to {largest:g}, "
            f"e.g. (12, 6), got {size!r}"
        )
    if max(size) * dpi > MAX_SIDE_PX:
        raise ConfigError(
            f"size: {size[0]:g} x {size[1]:g} inches at dpi {dpi} is {size[0] * dpi:,.0f} x {size[1] * dpi:,.0f} "
            f"pixels; at most {MAX_SIDE_PX:,} pixels a side (lower dpi or size)"
        )
    if style not in STYLES:
        raise ConfigError(f"style: expected one of {', '.join(STYLES)}, got {style!r}")
