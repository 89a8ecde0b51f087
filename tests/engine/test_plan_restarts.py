"""plan.plan_restarts: every (T_0, T_mult) whose warm restarts end with training, checked against PyTorch."""

from __future__ import annotations

import time

import pytest

from lrviz.api import load, simulate
from lrviz.errors import ConfigError, option
from lrviz.plan import Candidate, _whole, plan_restarts


def verify(candidate: Candidate, epochs: int) -> tuple[int, ...]:
    """The restart epochs PyTorch produces for ``candidate`` over ``epochs`` epochs (stepping the real scheduler)."""
    epochs = _whole(epochs, option("epochs"), 1)
    document = candidate.document()
    document["epochs"] = epochs
    curve = simulate(load(document))
    return tuple(int(e) for e in curve.restart_epochs)


def _brute_force(epochs: int) -> set[tuple[int, int, int]]:
    """(T_0, T_mult, cycles) by trying every pair: the definition, slowly."""
    found = set()
    for t_0 in range(1, epochs + 1):
        for t_mult in range(1, epochs + 1):
            total, length, cycles = 0, t_0, 0
            while total < epochs:
                total += length
                length *= t_mult
                cycles += 1
            if total == epochs and cycles >= 2:
                found.add((t_0, t_mult, cycles))
    return found


def test_the_article_plans_for_75_epochs() -> None:
    plans = {(c.t_0, c.t_mult): c for c in plan_restarts(75)}
    assert plans[(5, 2)] == Candidate(5, 2, 4)
    assert plans[(5, 2)].restarts == (5, 15, 35)
    assert plans[(5, 2)].lengths == (5, 10, 20, 40)
    assert plans[(5, 2)].epochs == 75
    assert plans[(25, 2)].restarts == (25,)
    assert plans[(15, 4)].restarts == (15,)
    assert plans[(15, 4)].cycles == 2
    assert plans[(25, 1)].restarts == (25, 50)


@pytest.mark.parametrize("epochs", [1, 2, 3, 7, 12, 35, 60, 64, 75, 97, 120])
def test_plans_are_exactly_the_pairs_that_end_on_the_run(epochs: int) -> None:
    plans = plan_restarts(epochs)
    assert {(c.t_0, c.t_mult, c.cycles) for c in plans} == _brute_force(epochs)
    assert [(c.cycles, c.t_0) for c in plans] == sorted((c.cycles, c.t_0) for c in plans)
    for c in plans:
        assert c.epochs == epochs
        assert len(c.restarts) == c.cycles - 1 >= 1


def _every_candidate(*epoch_counts: int) -> list[object]:
    return [
        # T_0 = 1 included: its first cycle is one epoch long, so T_cur stays 0 across that restart
        pytest.param(epochs, c, id=f"{epochs}-T0={c.t_0}-Tmult={c.t_mult}")
        for epochs in epoch_counts
        for c in plan_restarts(epochs)
    ]


@pytest.mark.parametrize(("epochs", "candidate"), _every_candidate(35, 75, 120))
def test_pytorch_restarts_where_the_plan_says(epochs: int, candidate: Candidate) -> None:
    assert verify(candidate, epochs) == candidate.restarts


def test_verify_over_a_longer_run_sees_the_next_restart() -> None:
    candidate = next(c for c in plan_restarts(75) if (c.t_0, c.t_mult) == (5, 2))
    assert verify(candidate, 76) == (5, 15, 35, 75)


def test_fixed_t0_t_mult_and_max_cycles() -> None:
    assert [(c.t_0, c.t_mult) for c in plan_restarts(75, t_mult=2)] == [(25, 2), (5, 2)]
    assert [(c.t_mult, c.cycles) for c in plan_restarts(75, t_0=5)] == [(14, 2), (2, 4), (1, 15)]
    assert [(c.t_0, c.t_mult) for c in plan_restarts(75, t_0=5, t_mult=2)] == [(5, 2)]
    assert plan_restarts(75, t_0=4) == []  # 4 does not divide 75
    assert plan_restarts(75, t_0=75) == []  # one cycle is no plan
    assert all(c.cycles <= 3 for c in plan_restarts(75, max_cycles=3))
    assert [c.cycles for c in plan_restarts(75, max_cycles=2)] == [2] * 5
    assert plan_restarts(1) == []


def test_describe_and_document() -> None:
    candidate = Candidate(5, 2, 4)
    assert candidate.describe() == "T_0=5, T_mult=2: 4 cycles (5+10+20+40)"
    assert Candidate(3, 1, 25).describe() == "T_0=3, T_mult=1: 25 cycles (3+3+...+3)"
    assert Candidate(1, 2, 8).describe() == "T_0=1, T_mult=2: 8 cycles (1+2+...+128)"
    assert Candidate(1, 1, 50_000_000).describe() == "T_0=1, T_mult=1: 50000000 cycles (1+1+...+1)"
    assert candidate.document(eta_min=1e-5) == {
        "epochs": 75,
        "scheduler": {"name": "CosineAnnealingWarmRestarts", "T_0": 5, "T_mult": 2, "eta_min": 1e-5},
    }


def test_large_epoch_counts_are_fast() -> None:
    start = time.perf_counter()
    plans = plan_restarts(100_000)
    also = plan_restarts(2_000_000)
    assert time.perf_counter() - start < 0.5
    found = {(c.t_0, c.t_mult, c.cycles) for c in plans}
    assert {(25_000, 3, 2), (20_000, 4, 2), (1, 1, 100_000), (1, 99_999, 2)} <= found
    assert all(c.epochs == 100_000 for c in plans) and all(c.epochs == 2_000_000 for c in also)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, "--epochs: must be an integer >= 1, got 0"),
        ({"epochs": -5}, "--epochs: must be an integer >= 1, got -5"),
        ({"epochs": 7.5}, "--epochs: expected an integer >= 1, got 7.5"),
        ({"epochs": True}, "--epochs: expected an integer >= 1, got True"),
        ({"epochs": 10**9}, "--epochs: at most 2,000,000"),
        ({"epochs": 75, "t_0": 0}, "--t0: must be an integer >= 1, got 0"),
        ({"epochs": 75, "t_mult": 0}, "--t-mult: must be an integer >= 1, got 0"),
        ({"epochs": 75, "t_mult": 1.5}, "--t-mult: expected an integer >= 1, got 1.5"),
        ({"epochs": 75, "max_cycles": 1}, "--max-cycles: must be an integer >= 2, got 1"),
    ],
)
def test_bad_input_names_the_flag(kwargs: dict[str, object], message: str) -> None:
    from lrviz.cli.options import FLAGS

    with pytest.raises(ConfigError) as info:
        plan_restarts(**kwargs)  # type: ignore[arg-type]
    assert info.value.render(FLAGS).startswith(message)  # as the CLI shows it
    key = {"--epochs": "epochs", "--t0": "t_0", "--t-mult": "t_mult", "--max-cycles": "max_cycles"}
    assert str(info.value).startswith(key[message.split(":")[0]] + ":")  # library users read the argument name


def test_verify_rejects_a_bad_epoch_count() -> None:
    with pytest.raises(ConfigError, match="^epochs: must be an integer >= 1, got 0"):
        verify(Candidate(5, 2, 4), 0)


def test_useful_plans_come_first() -> None:
    plans = plan_restarts(75, max_cycles=4, useful_first=True)
    assert [(c.t_0, c.t_mult) for c in plans] == [(5, 2), (25, 2), (15, 4), (25, 1), (1, 74), (3, 24), (5, 14)]
    assert sorted(plans, key=lambda c: (c.cycles, c.t_0)) == plan_restarts(75, max_cycles=4)  # the same plans
    big = plan_restarts(1000, useful_first=True)
    first_bad = next(i for i, c in enumerate(big) if c.t_0 == 1 or c.t_mult > 10)
    assert all(c.t_0 == 1 or c.t_mult > 10 for c in big[first_bad:])
    assert all(c.t_mult >= 2 for c in big[:1])


def test_plans_as_csv_and_json() -> None:
    import csv
    import io
    import json

    from lrviz.render.data import write_plans_csv, write_plans_json

    plans = plan_restarts(75, max_cycles=4, useful_first=True)
    buf = io.BytesIO()
    write_plans_csv(plans, buf)
    rows = list(csv.DictReader(io.StringIO(buf.getvalue().decode())))
    assert rows[0] == {
        "T_0": "5",
        "T_mult": "2",
        "cycles": "4",
        "epochs": "75",
        "lengths": "5 10 20 40",
        "restarts": "5 15 35",
    }
    assert len(rows) == len(plans)
    buf = io.BytesIO()
    write_plans_json(plans, buf)
    data = json.loads(buf.getvalue())
    assert data["plans"][0] == {
        "T_0": 5,
        "T_mult": 2,
        "cycles": 4,
        "epochs": 75,
        "lengths": [5, 10, 20, 40],
        "restarts": [5, 15, 35],
    }
    buf = io.BytesIO()
    write_plans_json([], buf)
    assert json.loads(buf.getvalue()) == {"plans": []}
    many = [c for c in plan_restarts(5000) if c.t_0 == 1 and c.t_mult == 1]
    buf = io.BytesIO()
    write_plans_json(many, buf)
    assert json.loads(buf.getvalue())["plans"][0]["restarts"] is None
