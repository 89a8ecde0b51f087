"""The installed command's start: which command lines get a child importing torch (``lrviz.cli.main``)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from lrviz.cli import app, out_of_range, steps_a_schedule
from lrviz.schedules import SCHEDULERS

runner = CliRunner()

COMMANDS = [s for s in SCHEDULERS if s.command]


def _bad_values(arg) -> list[str]:  # type: ignore[no-untyped-def]
    """Values just outside the argument's range, and one that is not a number."""
    bound, values = arg.bound, ["x"]
    if bound.low is not None:
        values.append(str(int(bound.low) if bound.low_open and arg.kind == "int" else bound.low - 1))
    if bound.high is not None:
        values.append(str(bound.high if bound.high_open else bound.high + 1))
    return values


@pytest.mark.parametrize("spec", COMMANDS, ids=lambda s: s.command)
def test_every_value_flagged_as_out_of_range_is_a_usage_error_naming_the_flag(spec) -> None:  # type: ignore[no-untyped-def]
    checked = 0
    for arg in spec.args:
        if arg.kind not in ("int", "float") or arg.bound is None or not arg.cli:
            continue
        for value in _bad_values(arg):
            for argv in ([spec.command, arg.flag_name, value], [spec.command, f"{arg.flag_name}={value}"]):
                assert steps_a_schedule(argv)
                if not out_of_range(argv):
                    continue  # a hint only: the command itself decides
                result = runner.invoke(app, argv)
                assert result.exit_code == 2, (argv, result.output)
                assert arg.flag_name in result.output, (argv, result.output)
                checked += 1
    assert checked or not any(a.kind in ("int", "float") and a.bound is not None for a in spec.args)


@pytest.mark.parametrize("spec", COMMANDS, ids=lambda s: s.command)
def test_the_registry_sample_values_are_in_range(spec) -> None:  # type: ignore[no-untyped-def]
    argv = [spec.command]
    for arg in spec.args:
        if arg.name in spec.sample and arg.cli and arg.kind in ("int", "float"):
            argv += [arg.flag_name, str(spec.sample[arg.name])]
    assert not out_of_range(argv), argv


def test_only_a_scheduler_commands_own_numbers_are_read() -> None:
    assert out_of_range(["cosine", "--t-max", "0"])
    assert out_of_range(["COSINE", "--t-max=-3"])
    assert out_of_range(["cosine", "--t-max"])  # no value
    assert not out_of_range(["cosine", "--t-max", "7", "--epochs", "50"])
    assert not out_of_range(["render", "a.yaml", "--t-max", "0"])  # not a scheduler command
    assert not out_of_range(["cosine", "--epochs", "0"])  # a run flag, not the scheduler's: typer's part
