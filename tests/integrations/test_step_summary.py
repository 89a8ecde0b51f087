"""GitHub step summaries: appended Markdown with a table and sparklines."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from lrviz.cli import app
from lrviz.summary import BLOCKS, sparkline

ROOT = Path(__file__).resolve().parents[2]


def test_sparkline() -> None:
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == BLOCKS
    assert sparkline([1, 1, 1]) == BLOCKS[4] * 3
    assert len(sparkline(list(range(1000)), width=40)) == 40
    assert sparkline([]) == ""


def test_render_appends_never_overwrites(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    cfg = str(ROOT / "configs" / "restarts_article.yaml")
    for _ in range(2):
        assert CliRunner().invoke(app, ["render", cfg, "-o", str(tmp_path / "r.csv")]).exit_code == 0
    text = summary.read_text()
    assert text.startswith("# earlier step\n") and text.count("### lrviz render") == 2
    assert "| config | scheduler | epochs | min LR | max LR | final LR | restarts | curve |" in text
    assert "CosineAnnealingWarmRestarts(T_0=10, T_mult=10, eta_min=1e-05) | 110 |" in text
    assert "| 10 | `" in text  # the restart epoch, then the sparkline


def test_no_variable_no_file(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.chdir(tmp_path)
    cfg = str(ROOT / "configs" / "step_decay.yaml")
    assert CliRunner().invoke(app, ["render", cfg, "-o", "s.csv"]).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.csv"]


def test_github_annotations_only_under_actions_and_escaped(tmp_path: Path) -> None:
    from lrviz.summary import github_annotations

    config = tmp_path / "odd, name:50%.yaml"
    config.write_text("epochs: 3\nlr_scheduler:\n  name: StepLR\n  step_size: 1\nexpect:\n  restarts: [1]\n")
    failures = ["restarts: expected restarts at [1], the schedule restarts at []", "base.csv: first differs\nat 1"]
    assert github_annotations(config, failures, env={}) == []
    assert github_annotations(config, failures, env={"GITHUB_ACTIONS": "false"}) == []
    restarts, baseline = github_annotations(config, failures, env={"GITHUB_ACTIONS": "true"})
    path = config.as_posix().replace("%", "%25").replace(":", "%3A").replace(",", "%2C")
    assert restarts.startswith(f"::error file={path},line=6,title=lrviz check::")  # the expect.restarts line
    assert baseline.startswith(f"::error file={path},line=2,")  # the scheduler node
    assert baseline.endswith(": base.csv: first differs%0Aat 1") and "50%25.yaml" in baseline
    keyed = github_annotations(config, failures[1:], key="lr_scheduler.name", env={"GITHUB_ACTIONS": "true"})
    assert keyed[0].startswith(f"::error file={path},line=3,")
    missing = github_annotations(tmp_path / "gone.yaml", failures[1:], env={"GITHUB_ACTIONS": "true"})
    assert missing[0].startswith("::error file=") and ",line=1," in missing[0]
