"""Numbers in findings, as people write them: ``1,000``, ``2.5``, ``0.0727``."""

from __future__ import annotations

import math


def plain(value: float, digits: int) -> str:
    """``value`` as people write it: ``1,000``, ``2.5``, ``0.0727``; exponents only for tiny values (``1e-07``)."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    if abs(value) < 1e-4:
        return f"{value:.{digits}g}"
    if abs(value) >= 10**digits and float(value).is_integer():
        return f"{int(value):,}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def count(value: int | float) -> str:
    return f"{value:,}" if isinstance(value, int) else plain(value, 4)


def lr(value: float) -> str:
    return plain(value, 4)
