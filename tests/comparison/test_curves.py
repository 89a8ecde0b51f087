"""compare: schedules aligned on one epoch axis, differences against the first, outputs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from lrviz.cli import app
from lrviz.comparison import compare
from lrviz.engine import simulate
from tests.conftest import make_run


def restarts(t_mult: int, epochs: int = 40):  # type: ignore[no-untyped-def]
    return simulate(
        make_run({"epochs": epochs, "scheduler": {"name": "CosineAnnealingWarmRestarts", "T_0": 5, "T_mult": t_mult}})
    )


def test_first_and_largest_differences() -> None:
    a, b = restarts(2), restarts(3)
    cmp = compare([a, b], ["two", "three"])
    first = next(k for k in range(a.points) if a.lrs[0][k] != b.lrs[0][k])
    assert cmp.first_diff == first == 6
    diffs = [abs(a.lrs[0][k] - b.lrs[0][k]) for k in range(a.points)]
    assert cmp.max_abs == max(diffs) and cmp.max_abs_at == diffs.index(max(diffs))
    assert "first differs at epoch 6" in cmp.describe()


def test_identical_and_different_lengths() -> None:
    cmp = compare([restarts(2), restarts(2, epochs=50)], ["a", "a"])
    assert cmp.labels == ("a", "a (2)")
    assert cmp.first_diff is None and cmp.columns[0][45] is None and cmp.columns[1][45] is not None
    assert cmp.describe().startswith("identical")


def test_cli_writes_plot_csv_json(tmp_path: Path) -> None:
    for name, mult in (("a", 2), ("b", 3)):
        (tmp_path / f"{name}.yaml").write_text(
            f"label: T_mult={mult}\nepochs: 40\nscheduler: {{name: CosineAnnealingWarmRestarts, T_0: 5, T_mult: {mult}}}\n"
        )
    outs = [tmp_path / "c.png", tmp_path / "c.csv", tmp_path / "c.json"]
    args = ["compare", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")]
    for o in outs:
        args += ["-o", str(o)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "first differs at epoch 6" in result.stdout
    rows = list(csv.reader(outs[1].read_text().splitlines()))
    assert rows[0] == ["epoch", "T_mult=2", "T_mult=3"]
    assert [float(v) for v in rows[7][1:]] == [restarts(2).lrs[0][6], restarts(3).lrs[0][6]]
    data = json.loads(outs[2].read_text())
    assert data["restarts"] == {"T_mult=2": [5, 15, 35], "T_mult=3": [5, 20]}
    assert data["differences"]["first_differs_at"] == 6
    assert outs[0].stat().st_size > 10_000
    table = CliRunner().invoke(app, args[:3])
    assert table.exit_code == 0 and "T_mult=3" in table.stdout


def test_last_digit_differences_are_within_the_default_tolerance() -> None:
    import dataclasses
    from array import array

    import pytest

    from lrviz.comparison import CURVES, Tolerance
    from lrviz.errors import ConfigError

    a = restarts(2)
    nudged = array("d", (v * (1 + 4e-16) if k >= 2 else v for k, v in enumerate(a.lrs[0])))
    b = dataclasses.replace(a, lrs=(nudged,))
    assert nudged[2] != a.lrs[0][2]
    cmp = compare([a, b], ["a", "b"])
    assert cmp.tolerance == CURVES == Tolerance(rtol=1e-9, atol=0.0)
    assert cmp.first_diff is None and cmp.max_abs == 0.0
    assert "identical on every shared epoch within rtol=1e-09" in cmp.describe()
    exact = compare([a, b], ["a", "b"], tolerance=Tolerance(rtol=0.0))
    assert exact.first_diff == 2 and "first differs at epoch 2" in exact.describe()
    assert exact.difference.at == 2 and exact.difference.count == exact.differing > 0
    assert (exact.difference.expected, exact.difference.actual) == (a.lrs[0][2], nudged[2])
    loose = compare([restarts(2), restarts(3)], ["two", "three"], tolerance=Tolerance(1e-9, atol=1.0))
    assert loose.first_diff is None
    with pytest.raises(ConfigError, match="^rtol: "):
        Tolerance(rtol=-1.0)
    with pytest.raises(ConfigError, match="^atol: "):
        Tolerance(atol=float("nan"))
