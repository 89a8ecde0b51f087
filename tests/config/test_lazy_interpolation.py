"""Interpolation is resolved only for the keys lrviz reads (issue 23): lrviz/config/lazy.py and resolution.py.

A key lrviz never reads is never handed to OmegaConf: not its ``${...}``, not a bomb, not a
grammar error. Each read key is resolved once, under the budgets, with OmegaConf's own semantics
(relative and node interpolations, ``oc.select``, ``--set`` values that interpolate).
"""

from __future__ import annotations

import copy
import json
import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from lrviz.api import load
from lrviz.config.interpolation import resolve
from lrviz.config.lazy import LazyList, LazyMapping
from lrviz.config.resolution import Resolver, Unresolved

ROOT = Path(__file__).resolve().parents[2]

LIGHTNING = """\
model:
  optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}
  scheduler:
    class_path: torch.optim.lr_scheduler.StepLR
    init_args:
      step_size: ${schedule.every}
      gamma: 0.5
trainer:
  max_epochs: ${schedule.epochs}
schedule: {every: 3, epochs: 7}
"""


@pytest.fixture
def resolved(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """The key paths OmegaConf was asked to resolve."""
    seen: list[tuple[Any, ...]] = []
    original = Resolver.value

    def spy(self: Resolver, path: tuple[Any, ...], raw: str) -> Any:
        seen.append(path)
        return original(self, path, raw)

    monkeypatch.setattr(Resolver, "value", spy)
    return seen


def test_only_the_keys_read_are_resolved(tmp_path: Path, resolved: list[tuple[Any, ...]]) -> None:
    unread = "".join(f"  k{i}: ${{data.root}}/shard-{i}\n" for i in range(200))
    path = tmp_path / "c.yaml"
    path.write_text(LIGHTNING + "data:\n  root: /x\n" + unread)
    run = load(path)
    assert run.scheduler.name == "StepLR" and run.scheduler.args["step_size"] == 3
    assert run.epochs == 7
    assert not [p for p in resolved if p[0] == "data"]
    assert set(resolved) == {("model", "scheduler", "init_args", "step_size"), ("trainer", "max_epochs")}


HF = "learning_rate: 0.0001\nlr_scheduler_type: cosine\nwarmup_steps: 10\nmax_steps: 100\n"
TIMM = "sched: cosine\nepochs: 10\nlr: 0.1\nwarmup_epochs: 2\nmodel: resnet50\n"
NESTED = "junk:\n  k0: xxxxxxxxxxxxxxxx\n" + "".join(f"  k{i + 1}: ${{junk.k{i}}}${{junk.k{i}}}\n" for i in range(30))
TOP = "b0: xxxxxxxxxxxxxxxx\n" + "".join(f"b{i + 1}: ${{b{i}}}${{b{i}}}\n" for i in range(30))


@pytest.mark.parametrize(
    "text",
    [LIGHTNING + NESTED, LIGHTNING + TOP, HF + TOP, TIMM + TOP],
    ids=["lightning-nested", "lightning-top-level", "transformers-top-level", "timm-top-level"],
)
def test_an_unread_bomb_is_never_resolved_even_when_the_budget_would_allow_it(tmp_path: Path, text: str) -> None:
    """With the size budget raised out of the way, an eager resolver would run for hours; lazily it is never touched."""
    (tmp_path / "b.yaml").write_text(text)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LRVIZ_MAX_RESOLVED_CHARS": str(10**12),
        "LRVIZ_MAX_RESOLUTIONS": str(10**12),
    }

    def ceiling() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (60, 60))
        resource.setrlimit(resource.RLIMIT_AS, (4 * 1024**3, 4 * 1024**3))

    proc = subprocess.run(
        [sys.executable, "-m", "lrviz", "render", "b.yaml", "-o", "b.csv"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=ceiling,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "b.csv").read_text().count("\n") > 5


def test_read_values_follow_omegaconf(tmp_path: Path) -> None:
    from omegaconf import OmegaConf

    text = textwrap.dedent(
        """\
        base: {lr: 0.1, steps: [2, 4]}
        copy: ${base}
        sel: ${oc.select:base.lr,7}
        missing: ${oc.select:nothere,7}
        text: lr=${base.lr}/${copy.steps}
        nested: {a: 1, b: ${.a}, c: ${..base.lr}}
        listed: [${base.lr}, '${nested.b}-x']
        bad: ${oops
        todo: ???
        """
    )
    data = {
        "base": {"lr": 0.1, "steps": [2, 4]},
        "copy": "${base}",
        "sel": "${oc.select:base.lr,7}",
        "missing": "${oc.select:nothere,7}",
        "text": "lr=${base.lr}/${copy.steps}",
        "nested": {"a": 1, "b": "${.a}", "c": "${..base.lr}"},
        "listed": ["${base.lr}", "${nested.b}-x"],
    }
    expected = OmegaConf.to_container(OmegaConf.create(data), resolve=True)
    assert text  # the same document as YAML, with two values OmegaConf refuses
    doc = resolve({**data, "bad": "${oops", "todo": "???"}, (), "c.yaml", {})
    assert isinstance(doc, LazyMapping) and isinstance(doc["listed"], LazyList)
    plain = {k: doc[k] for k in data}
    assert json.loads(json.dumps(plain)) == expected
    assert dict(doc["copy"]) == expected["copy"] and doc["copy"] == expected["copy"]
    assert copy.deepcopy(doc["nested"]) == {"a": 1, "b": 1, "c": 0.1}
    assert isinstance(doc["bad"], Unresolved) and "not a valid OmegaConf interpolation" in doc["bad"].reason
    assert isinstance(doc["todo"], Unresolved) and "???" in doc["todo"].reason


def test_set_values_that_interpolate_are_read_lazily_too(tmp_path: Path) -> None:
    data = {"a": {"x": 5}, "b": "${a.x}", "junk": "${oops"}
    doc = resolve(data, ["c=${b}", "a.y=${a.x}"], "c.yaml", {})
    assert doc["c"] == 5 and doc["a"]["y"] == 5 and doc["b"] == 5
    assert isinstance(doc["junk"], Unresolved)


def test_a_walk_for_mappings_reads_no_string(resolved: list[tuple[Any, ...]]) -> None:
    from lrviz.frameworks.base import mappings

    doc = resolve({"a": {"b": "${c}-${c}", "n": "${d}"}, "c": "x", "d": {"e": 1}}, (), "c.yaml", {})
    found = [path for path, _ in mappings(doc)]
    assert found == [(), ("a",), ("a", "n"), ("d",)]
    assert resolved == [("a", "n")]  # a lone ${d} may be a mapping: read; "${c}-${c}" is a string: not read
