"""lrviz/config/interpolation.py: OmegaConf interpolation, --set and Hydra composition, as users write them."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lrviz.api import load
from lrviz.cli import app
from lrviz.config.interpolation import needs_resolution, parse_sets
from lrviz.errors import ConfigError
from tests.conftest import reference_lrs

runner = CliRunner()


def write(tmp_path: Path, text: str, name: str = "train.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


HYDRA = """\
trainer:
  max_epochs: 12
epochs: ${trainer.max_epochs}
model:
  optimizer:
    _target_: torch.optim.AdamW
    _partial_: true
    lr: 0.002
  scheduler:
    _target_: torch.optim.lr_scheduler.CosineAnnealingLR
    _partial_: true
    T_max: ${trainer.max_epochs}
    eta_min: ${oc.decode:${oc.env:LRVIZ_TEST_ETA_MIN,0.0001}}
  net:
    width: ${model.missing_width}
    data: ???
"""


def test_interpolation_resolved_by_omegaconf_and_lazily(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LRVIZ_ALLOW_ENV", "LRVIZ_TEST_ETA_MIN")  # oc.env reads only variables allowed
    run = load(write(tmp_path, HYDRA))
    assert run.scheduler.args["T_max"] == 12 and run.epochs == 12
    assert run.optimizer.name == "AdamW" and run.optimizer.groups[0].lr == 0.002
    assert run.scheduler.args["eta_min"] == 0.0001  # ${oc.decode:${oc.env:VAR,default}}, as OmegaConf resolves it


def test_unresolvable_values_elsewhere_are_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LRVIZ_ALLOW_ENV", "LRVIZ_TEST_ETA_MIN")
    # model.net.width points nowhere and model.net.data is ???, but lrviz never reads them: no error, no note
    run = load(write(tmp_path, HYDRA))
    assert not any("model.net" in note or "missing_width" in note for note in run.notes), run.notes
    # the same dangling reference where lrviz does read it is an error that names it
    read = HYDRA.replace("T_max: ${trainer.max_epochs}", "T_max: ${model.missing_width}")
    with pytest.raises(
        ConfigError, match=r"scheduler\.T_max: \$\{model\.missing_width\} points at model\.missing_width"
    ):
        load(write(tmp_path, read))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "scheduler:\n  _target_: torch.optim.lr_scheduler.StepLR\n  step_size: ${trainer.max_epochs}\n",
            r"train.yaml:3: scheduler.step_size: \$\{trainer.max_epochs\} points at trainer.max_epochs, which is not "
            r"in the file; set it with overrides trainer.max_epochs=VALUE$",
        ),
        (
            "scheduler:\n  _target_: torch.optim.lr_scheduler.StepLR\n  step_size: ???\n",
            r"train.yaml:3: scheduler.step_size: is \?\?\? \(a value the file leaves to be filled in\); "
            r"set it with overrides scheduler.step_size=VALUE$",
        ),
        (
            "a: ${b}\nb: ${a}\nscheduler:\n  _target_: torch.optim.lr_scheduler.StepLR\n  step_size: ${a}\n",
            r"train.yaml:5: scheduler.step_size: \$\{a\} refers back to itself through other keys \(a cycle\)",
        ),
        (
            "scheduler:\n  _target_: torch.optim.lr_scheduler.StepLR\n  step_size: ${min:3,4}\n",
            r"uses the resolver 'min', which lrviz does not run \(it runs no project code\)",
        ),
        (
            "scheduler:\n  _target_: torch.optim.lr_scheduler.StepLR\n  step_size: ${oc.env:LRVIZ_SURELY_UNSET}\n",
            r"reads the environment variable LRVIZ_SURELY_UNSET, which lrviz reads only when asked: pass allow_env",
        ),
        (
            "x: ???\nscheduler:\n  _target_: torch.optim.lr_scheduler.StepLR\n  step_size: ${x}\n",
            r"\$\{x\} points at x, which is \?\?\? in the file; set it with overrides x=VALUE",
        ),
    ],
)
def test_unresolvable_values_lrviz_reads_are_one_precise_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(write(tmp_path, text))


def test_custom_resolvers_are_never_run(tmp_path: Path) -> None:
    from omegaconf import OmegaConf

    calls: list[str] = []
    OmegaConf.register_new_resolver("lrviz_probe", lambda: calls.append("ran") or 3, replace=True)
    try:
        text = "scheduler:\n  _target_: torch.optim.lr_scheduler.StepLR\n  step_size: 2\n"
        load(write(tmp_path, text))
        assert calls == []  # nothing interpolated: OmegaConf was not even asked
    finally:
        OmegaConf.clear_resolver("lrviz_probe")


def test_set_fills_and_overrides_keys(tmp_path: Path) -> None:
    path = write(
        tmp_path, "scheduler:\n  _target_: torch.optim.lr_scheduler.StepLR\n  step_size: ${trainer.max_epochs}\n"
    )
    run = load(path, overrides=["trainer.max_epochs=7", "scheduler.gamma=0.5"])
    assert run.scheduler.args == {"step_size": 7, "gamma": 0.5} and run.epochs == 7


@pytest.mark.parametrize(
    ("item", "message"),
    [("trainer.max_epochs", "expected KEY=VALUE"), ("=3", "expected KEY=VALUE"), ("a b=1", "is not a dotted key")],
)
def test_bad_set_syntax(item: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_sets([item])


def test_cli_set_and_error_names_the_flag(tmp_path: Path) -> None:
    path = write(
        tmp_path, "scheduler:\n  _target_: torch.optim.lr_scheduler.StepLR\n  step_size: ${trainer.max_epochs}\n"
    )
    out = tmp_path / "x.csv"
    bad = runner.invoke(app, ["render", str(path), "-o", str(out)])
    assert bad.exit_code == 2 and not out.exists()
    assert bad.stderr.strip().endswith("set it with --set trainer.max_epochs=VALUE")
    assert len(bad.stderr.strip().splitlines()) == 1
    good = runner.invoke(app, ["render", str(path), "--set", "trainer.max_epochs=4", "-o", str(out)])
    assert good.exit_code == 0, good.stderr
    assert [float(r.split(",")[1]) for r in out.read_text().splitlines()[1:]] == reference_lrs(
        {"name": "StepLR", "step_size": 4}, epochs=4
    )[0]
    syntax = runner.invoke(app, ["render", str(path), "--set", "oops", "-o", str(out)])
    assert syntax.exit_code == 2 and "--set 'oops': expected KEY=VALUE" in syntax.stderr


def test_defaults_list_read_alone_gets_a_note(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "defaults:\n  - _self_\n  - trainer: default\nscheduler:\n  _target_: torch.optim.lr_scheduler.StepLR\n  step_size: 2\n",
    )
    result = runner.invoke(app, ["render", str(path), "--epochs", "4"])
    assert result.exit_code == 0, result.stderr
    assert "note: " in result.stderr and "its `defaults:` list is not composed" in result.stderr
    assert "--config-dir DIR --config-name NAME" in result.stderr


# -- Hydra composition ---------------------------------------------------------------------------------


def make_project(tmp_path: Path) -> Path:
    conf = tmp_path / "conf"
    write(
        conf,
        "defaults:\n  - _self_\n  - scheduler: cosine\n  - optimizer: adam\ntrainer:\n  max_epochs: 10\n",
        "train.yaml",
    )
    write(
        conf,
        "_target_: torch.optim.lr_scheduler.CosineAnnealingLR\n_partial_: true\nT_max: ${trainer.max_epochs}\n",
        "scheduler/cosine.yaml",
    )
    write(conf, "_target_: torch.optim.lr_scheduler.StepLR\n_partial_: true\nstep_size: 3\n", "scheduler/step.yaml")
    write(conf, "_target_: torch.optim.Adam\nlr: 0.003\n", "optimizer/adam.yaml")
    return conf


def test_hydra_compose_as_the_training_script_sees_it(tmp_path: Path) -> None:
    pytest.importorskip("hydra")
    conf = make_project(tmp_path)
    run = load(config_dir=conf, config_name="train")
    assert run.scheduler.name == "CosineAnnealingLR" and run.scheduler.args["T_max"] == 10 and run.epochs == 10
    assert run.optimizer.name == "Adam" and run.optimizer.groups[0].lr == 0.003
    picked = load(config_dir=conf, config_name="train", overrides=["scheduler=step", "trainer.max_epochs=6"])
    assert picked.scheduler.name == "StepLR" and picked.epochs == 6


def test_hydra_compose_from_the_cli_and_its_errors(tmp_path: Path) -> None:
    pytest.importorskip("hydra")
    conf = make_project(tmp_path)
    out = tmp_path / "x.csv"
    result = runner.invoke(
        app, ["render", "--config-dir", str(conf), "--config-name", "train", "--set", "scheduler=step", "-o", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    lrs = [float(r.split(",")[1]) for r in out.read_text().splitlines()[1:]]
    assert lrs == reference_lrs({"name": "StepLR", "step_size": 3}, epochs=10, optimizer="Adam", lrs=(0.003,))[0]
    for args, message in [
        (["--config-dir", str(tmp_path / "nope"), "--config-name", "train"], "no such directory"),
        (["--config-dir", str(conf), "--config-name", "missing"], "Hydra could not compose the config"),
        (
            ["--config-dir", str(conf), "--config-name", "train", "--set", "scheduler=nope"],
            "Could not find 'scheduler/nope'",
        ),
        (["--config-dir", str(conf)], "--config-dir and --config-name go together"),
    ]:
        bad = runner.invoke(app, ["render", *args, "-o", str(tmp_path / "bad.csv")])
        assert bad.exit_code == 2, (args, bad.stderr)
        assert message in bad.stderr and bad.stderr.startswith("Error: ") and len(bad.stderr.splitlines()) == 1
        assert not (tmp_path / "bad.csv").exists()


def test_omegaconf_and_hydra_are_imported_only_when_needed(tmp_path: Path) -> None:
    import subprocess

    plain = write(tmp_path, "scheduler: {name: StepLR, step_size: 2}\nepochs: 4\n", "plain.yaml")
    code = (
        "import sys\n"
        "import lrviz\n"
        f"lrviz.load({str(plain)!r})\n"
        "print(sorted(m for m in ('omegaconf', 'hydra') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert out.stdout.strip() == "[]", out.stderr


# -- fuzzing ------------------------------------------------------------------------------------------------

_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(key=_text, value=_text)
def test_fuzz_set_never_crashes(tmp_path_factory: pytest.TempPathFactory, key: str, value: str) -> None:
    path = tmp_path_factory.getbasetemp() / "fuzz_set.yaml"
    path.write_text("scheduler:\n  _target_: torch.optim.lr_scheduler.StepLR\n  step_size: 2\nepochs: 3\n")
    try:
        load(path, overrides=[f"{key}={value}"])
    except ConfigError as exc:
        assert "\n" not in str(exc).strip()  # one message, on one line
        assert str(exc)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(inner=_text)
def test_fuzz_interpolation_strings_never_crash(tmp_path_factory: pytest.TempPathFactory, inner: str) -> None:
    import json

    path = tmp_path_factory.getbasetemp() / "fuzz_interp.yaml"
    path.write_text(
        "x: 4\nscheduler:\n  _target_: torch.optim.lr_scheduler.StepLR\n  step_size: "
        + json.dumps("${" + inner + "}")
        + "\nepochs: 3\n"
    )
    assert needs_resolution({"v": "${" + inner + "}"})
    try:
        load(path)
    except ConfigError as exc:
        assert str(exc)
