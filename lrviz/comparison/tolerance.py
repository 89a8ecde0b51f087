"""How close two learning rates must be to count as the same: one ``Tolerance``, with named defaults.

* ``CURVES`` (rtol 1e-9): a simulated curve against another curve or a baseline lrviz wrote. Both
  are float64 computed by the same library, so only last-digit differences are forgiven.
* ``LOG`` (rtol 1e-6): a curve against what a run logged. TensorBoard and most trackers store
  float32 (about 6e-8 relative error), and some loggers round further.
* ``Tolerance.for_log(log)``: ``LOG``, widened to the precision the log's own digits show when
  it was written with fewer (``lrviz.logs.precision``: Ultralytics' ``%.6g`` CSV, say).

A value ``logged`` matches ``planned`` when ``|logged - planned| <= atol + rtol * |planned|``
against a log, and when ``math.isclose(a, b, rel_tol=rtol, abs_tol=atol)`` between two curves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lrviz.errors import ConfigError
from lrviz.logs.precision import relative_precision
from lrviz.logs.runlog import RunLog

__all__ = ["CURVES", "LOG", "Tolerance"]


@dataclass(frozen=True)
class Tolerance:
    """A relative and an absolute tolerance (both finite and >= 0)."""

    rtol: float = 0.0
    atol: float = 0.0

    def __post_init__(self) -> None:
        for name, value in (("rtol", self.rtol), ("atol", self.atol)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0 or math.isinf(value):
                raise ConfigError(f"{name}: expected a finite number >= 0, got {value!r}")

    def with_rtol(self, rtol: float | None) -> Tolerance:
        """This tolerance with ``rtol`` replaced, when one is given (a ``--rtol`` flag)."""
        return self if rtol is None else Tolerance(rtol, self.atol)

    def with_atol(self, atol: float | None) -> Tolerance:
        """This tolerance with ``atol`` replaced, when one is given (an ``--atol`` flag)."""
        return self if atol is None else Tolerance(self.rtol, atol)

    @classmethod
    def for_log(cls, log: RunLog, rtol: float | None = None, atol: float = 0.0) -> Tolerance:
        """The tolerance against ``log``: ``rtol`` when given, else ``LOG``'s, widened to the digits the
        log was written with (a ``%.6g`` CSV holds 6 significant digits)."""
        if rtol is not None:
            return cls(rtol, atol)
        written = relative_precision(log)
        return cls(LOG.rtol if written is None else max(LOG.rtol, written), atol)


#: Curve against curve or baseline: float64 from the same library, last digits forgiven.
CURVES = Tolerance(rtol=1e-9)
#: Curve against a log: float32 (TensorBoard stores about 6e-8 relative error).
LOG = Tolerance(rtol=1e-6)
