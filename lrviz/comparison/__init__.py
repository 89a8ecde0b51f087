"""A curve held against something else: one ``Tolerance``, one ``Difference``, ``Finding`` for diagnoses.

* ``curves``: curves against each other, aligned on the epoch axis (``compare`` -> ``Comparison``);
* ``baseline``: a curve against a CSV lrviz wrote earlier (``read_baseline``, ``against_baseline``);
* ``log``: a curve against what a run logged (``compare_log`` -> ``LogReport``, with diagnoses that
  name the setting to change); ``replan`` re-steps a plan the way a run actually stepped it;
* ``expectations``: what a team states about a schedule (``check_expectations``).

Nothing here imports torch (``replan`` does, only when it re-steps a plan). What a run logged is read
by ``lrviz.logs``.
"""

from __future__ import annotations

from lrviz.comparison.baseline import Baseline, against_baseline, describe, load_baseline, read_baseline
from lrviz.comparison.curves import Comparison, compare
from lrviz.comparison.difference import Difference
from lrviz.comparison.expectations import check_expectations
from lrviz.comparison.log import compare_log
from lrviz.comparison.reports import CheckReport, GroupReport, LogReport, diagnosis
from lrviz.comparison.tolerance import CURVES, LOG, Tolerance

__all__ = [
    "CURVES",
    "LOG",
    "Baseline",
    "CheckReport",
    "Comparison",
    "Difference",
    "GroupReport",
    "LogReport",
    "Tolerance",
    "against_baseline",
    "check_expectations",
    "compare",
    "compare_log",
    "describe",
    "diagnosis",
    "load_baseline",
    "read_baseline",
]
