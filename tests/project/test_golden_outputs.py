"""The installed command's outputs, byte for byte, as recorded before the start-up work (issue 24).

``tests/golden_cases.py`` lists the cases (tables, charts, CSV/JSON/SVG/PNG files, standard
output, batches, help, usage errors) and made ``tests/golden/`` with the lrviz of main before
the change; each case runs here as a user runs it (``python -m lrviz``, so the forked path
too) and must give the same exit status, standard output, standard error and files.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.golden_cases import CASES, GOLDEN, Case, run_case, versions

MANIFEST = json.loads((GOLDEN / "manifest.json").read_text())
NOW = versions()


def _recorded(case: Case) -> dict[str, bytes]:
    return {key: (GOLDEN / case.name / key).read_bytes() for key in MANIFEST["cases"][case.name]}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_same_bytes_as_recorded(case: Case, tmp_path: Path) -> None:
    differ = [lib for lib in case.needs if NOW[lib] != MANIFEST["versions"][lib]]
    if differ:
        pytest.skip("recorded with " + ", ".join(f"{lib} {MANIFEST['versions'][lib]}" for lib in differ))
    got = run_case(case, tmp_path / case.name)
    expected = _recorded(case)
    assert sorted(got) == sorted(expected), got.get("stderr")
    for key, data in expected.items():
        assert got[key] == data, (
            f"{case.name}: {key} differs\n--- recorded\n{data[:2000]!r}\n--- now\n{got[key][:2000]!r}"
        )


def test_the_sample_covers_tables_files_batches_help_and_errors() -> None:
    outputs = [key for keys in MANIFEST["cases"].values() for key in keys]
    for suffix in (".csv", ".json", ".svg", ".png"):
        assert any(key.startswith("files/") and key.endswith(suffix) for key in outputs), suffix
    assert sum(1 for key in outputs if key.startswith("files/out/")) >= 9  # a batch written by the pool
    codes = [(GOLDEN / name / "exit").read_text() for name in MANIFEST["cases"]]
    assert codes.count("2") >= 10 and codes.count("1") >= 1 and codes.count("0") >= 20
    assert sorted(c.name for c in CASES) == sorted(MANIFEST["cases"])
