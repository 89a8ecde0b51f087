"""A sample of what the installed command prints and writes, recorded once and compared byte for byte.

Each case runs ``python -m lrviz ARGS`` in a fresh folder holding copies of ``configs/`` and
``baselines/`` (so paths in messages are relative), and keeps its exit status, standard
output, standard error and every file it wrote. ``tests/golden/`` holds the recording, made
by the lrviz of commit ``RECORDED_AT`` (before the start-up work of issue 24);
``tests/project/test_golden_outputs.py`` runs the same cases on this tree and compares.

The bytes depend on the libraries that compute or draw them (torch's values, rich's table,
typer's help and usage messages, matplotlib's SVG and PNG), so the manifest records their
versions and a case is compared only where the ones it needs match the recording.

    python -m tests.golden_cases        # re-record (only when an output is meant to change)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
#: The commit whose lrviz made the recording (main before issue 24's change).
RECORDED_AT = "3a049b3"
LIBRARIES = ("torch", "matplotlib", "rich", "typer", "transformers", "pyyaml", "omegaconf")


@dataclass(frozen=True)
class Case:
    """One command line, the libraries its bytes depend on, and the environment it runs with."""

    name: str
    args: tuple[str, ...]
    needs: tuple[str, ...] = ("torch", "rich", "typer")
    env: dict[str, str] = field(default_factory=dict)


def _case(name: str, *args: str, needs: tuple[str, ...] = ("torch", "rich", "typer"), **env: str) -> Case:
    return Case(name, args, needs, env)


PLOT = ("torch", "rich", "typer", "matplotlib")
CASES = [
    # tables, charts and summaries
    _case("table_cosine", "cosine", "--t-max", "5", "--epochs", "50"),
    _case("table_cosine_one_process", "cosine", "--t-max", "5", "--epochs", "50", LRVIZ_NO_FORK="1"),
    _case("chart_restarts", "restarts", "--t0", "5", "--t-mult", "2", "--epochs", "20", "--chart"),
    _case("table_every", "onecycle", "--max-lr", "0.1", "--epochs", "4", "--steps-per-epoch", "10", "--every", "7"),
    _case("table_adam_warmup", "cosine", "--t-max", "10", "--warmup", "3", "--epochs", "13", "--optimizer", "adam"),
    _case("table_from_config", "render", "configs/restarts_article.yaml"),
    _case("table_config_flags", "cosine", "--config", "configs/cosine_article.yaml", "--epochs", "12", "--lr", "0.5"),
    # files: CSV, JSON, SVG, PNG; standard output
    _case(
        "files_step",
        *("step", "--step-size", "10", "--gamma", "0.5", "--epochs", "30", "--momentum"),
        *("-o", "s.csv", "-o", "s.json", "-o", "s.svg"),
        needs=PLOT,
    ),
    _case(
        "png_cosine", "cosine", "--t-max", "10", "--epochs", "20", "--log-y", "--title", "T", "-o", "c.png", needs=PLOT
    ),
    _case("stdout_csv", "onecycle", "--max-lr", "0.1", "--epochs", "3", "--steps-per-epoch", "10", "-o", "-"),
    _case("stdout_json", "multistep", "--milestones", "3,6", "--epochs", "8", "-o", "-.json"),
    _case(
        "resume_geometry",
        *("onecycle", "--max-lr", "0.1", "--epochs", "4", "--dataset-size", "1000", "--batch-size", "100"),
        *("--resume-at", "2", "-o", "r.csv"),
    ),
    _case(
        "render_batch",
        *("render", "configs/cosine_article.yaml", "configs/step_decay.yaml", "configs/warmup_cosine.yaml"),
        *("configs/two_param_groups.yaml", "configs/onecycle_per_step.yaml"),
        *("--out-dir", "out", "--format", "csv,json,svg"),
        needs=PLOT,
    ),
    _case("compare", "compare", "configs/restarts_article.yaml", "configs/cosine_article.yaml", "-o", "cmp.csv"),
    _case("check_baseline", "check", "configs/step_decay.yaml", "--baseline", "baselines/step_decay.csv"),
    _case("check_fails", "check", "configs/step_decay.yaml", "--baseline", "baselines/cosine_article.csv"),
    _case("plan", "plan", "--epochs", "75"),
    _case("list", "list"),
    _case("code", "code", "configs/warmup_cosine.yaml"),
    _case("print_code", "restarts", "--t0", "5", "--t-mult", "2", "--print-code"),
    _case(
        "hf_cosine",
        *("hf", "cosine", "--lr", "2e-5", "--warmup-steps", "0.1", "--num-train-epochs", "3"),
        *("--per-device-train-batch-size", "8", "--dataset-size", "5000", "-o", "hf.csv"),
        needs=("torch", "rich", "typer", "transformers"),
    ),
    # help and usage
    _case("help", "--help", needs=("typer",)),
    _case("help_bare", needs=("typer",)),
    _case("help_cosine", "cosine", "--help", needs=("typer",)),
    _case("help_render", "render", "--help", needs=("typer",)),
    _case("version", "--version", needs=("environment",)),
    # bad input: one line, exit 2, nothing written
    _case("error_value", "cosine", "--t-max", "0", "-o", "x.png"),
    _case("error_epochs", "cosine", "--epochs", "abc"),
    _case("error_every_range", "cosine", "--every", "0"),
    _case("error_every_type", "cosine", "--every", "x"),
    _case("error_dpi", "cosine", "--dpi", "x", "-o", "x.png"),
    _case("error_rtol", "check", "configs/step_decay.yaml", "--rtol", "-1"),
    _case("error_unknown_option", "cosine", "--t-maxx", "5"),
    _case("error_unknown_command", "nosuch"),
    _case("error_class_name", "CosineAnnealingLR"),
    _case("error_spaced_list", "multistep", "--milestones", "30", "80"),
    _case("error_missing_file", "render", "nope.yaml"),
    _case("error_suffix", "cosine", "-o", "x.bmp"),
    _case("error_no_value", "cosine", "--t-max"),
    _case("error_bool_value", "cosine", "--log-y=3"),
]


def versions() -> dict[str, str | None]:
    """Each library's installed version, and ``environment``: what ``lrviz --version`` lists."""
    from lrviz.environment import versions as environment

    found: dict[str, str | None] = {"environment": "; ".join(environment())}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def run_case(case: Case, folder: Path) -> dict[str, bytes]:
    """Run ``case`` in ``folder`` (emptied first): {"exit", "stdout", "stderr", "files/<path>": bytes}."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name in ("configs", "baselines"):
        shutil.copytree(ROOT / name, folder / name)
    before = {p for p in folder.rglob("*")}
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("LRVIZ_NO_FORK", "LRVIZ_DEBUG", "COLUMNS", "LINES")},
        "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "MPLBACKEND": "Agg",
        "PYTHONIOENCODING": "utf-8",
        **case.env,
    }
    result = subprocess.run(
        [sys.executable, "-m", "lrviz", *case.args], capture_output=True, cwd=folder, env=env, timeout=300
    )
    out = {"exit": str(result.returncode).encode(), "stdout": result.stdout, "stderr": result.stderr}
    for path in sorted(p for p in folder.rglob("*") if p not in before and p.is_file()):
        out[f"files/{path.relative_to(folder).as_posix()}"] = path.read_bytes()
    return out


def record() -> None:
    """Write every case's outputs and the manifest into ``tests/golden/``."""
    import tempfile

    if GOLDEN.exists():
        shutil.rmtree(GOLDEN)
    GOLDEN.mkdir()
    manifest: dict[str, object] = {"recorded_at": RECORDED_AT, "versions": versions(), "cases": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            outputs = run_case(case, Path(tmp) / case.name)
            for key, data in outputs.items():
                target = GOLDEN / case.name / key
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            manifest["cases"][case.name] = sorted(outputs)  # type: ignore[index]
            print(case.name, outputs["exit"].decode(), file=sys.stderr)
    (GOLDEN / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    record()
