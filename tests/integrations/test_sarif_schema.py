"""The SARIF that ``check -o report.sarif`` writes is valid SARIF 2.1.0, as GitHub code scanning requires.

``tests/integrations/schemas/sarif-schema-2.1.0.json`` is the OASIS schema (errata 01, the one GitHub's
``upload-sarif`` validates against), copied unchanged from github.com/oasis-tcs/sarif-spec,
``sarif-2.1/schema/sarif-schema-2.1.0.json`` at commit a560296ca8c921f3bdb8d4a8db57ab83dae968a7.
The logs are real runs (``tests/realruns.py``): a torch loop that steps its scheduler three times
per optimizer step, one whose scheduler restarts on resume, and a right one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lrviz.cli import app

jsonschema = pytest.importorskip("jsonschema")
pytest.importorskip("tensorboard")

SCHEMA = Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json"

COSINE = """\
# the plan of the run
scheduler:
  name: CosineAnnealingLR
  T_max: 24
optimizer: {name: SGD, lr: 0.1, momentum: 0.9}
epochs: 3
steps_per_epoch: 8
interval: step
"""


def errors(doc: dict[str, Any]) -> list[str]:
    """Every way ``doc`` breaks the SARIF 2.1.0 schema or GitHub's documented code-scanning requirements."""
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    found = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]
    # docs.github.com, "SARIF support for code scanning": the properties upload-sarif needs
    for run in doc.get("runs", []):
        if not run.get("tool", {}).get("driver", {}).get("name"):
            found.append("runs[].tool.driver.name is required")
        rules = {rule["id"] for rule in run["tool"]["driver"].get("rules", [])}
        for result in run.get("results", []):
            if result.get("ruleId") not in rules:
                found.append(f"result ruleId {result.get('ruleId')!r} names no rule of the driver")
            if not result.get("message", {}).get("text"):
                found.append("results[].message.text is required")
            for location in result.get("locations", []):
                physical = location.get("physicalLocation", {})
                if not physical.get("artifactLocation", {}).get("uri"):
                    found.append("locations[].physicalLocation.artifactLocation.uri is required")
                if physical.get("region", {}).get("startLine", 0) < 1:
                    found.append("region.startLine must be a line number, 1 or more")
    return found


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests import realruns

    base = tmp_path_factory.mktemp("runs")
    realruns.torch_tb_run(base / "thrice", sched_steps=3)
    realruns.torch_tb_run(base / "resumed", resume_at=10)
    realruns.torch_tb_run(base / "right")
    return base


def test_the_validator_can_fail() -> None:
    assert errors({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "lrviz"}}, "results": [{}]}]})
    assert errors({"version": "2.0.0", "runs": []})


@pytest.mark.parametrize("against", ["thrice", "resumed", "."])
def test_check_writes_valid_sarif(runs: Path, tmp_path: Path, against: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("cosine.yaml").write_text(COSINE)
    result = CliRunner().invoke(app, ["check", "cosine.yaml", "--against", str(runs / against), "-o", "report.sarif"])
    assert result.exit_code == 1, result.output
    doc = json.loads(Path("report.sarif").read_text())
    assert errors(doc) == []
    results = doc["runs"][0]["results"]
    assert results, "a failed check reports at least one result"
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "cosine.yaml" for r in results)
