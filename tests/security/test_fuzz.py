"""Property-based tests (hypothesis): random valid configs match PyTorch exactly; junk never crashes.

1. Exactness. For every non-composite scheduler of the registry, and for SequentialLR (a LinearLR
   warmup, then X), the ``warmup:`` key and ChainedScheduler (two simple schedulers), random valid
   arguments are drawn from each ``Arg``'s kind, bound and choices (numbers kept in sane ranges),
   with random optimizers (SGD/Adam/AdamW, one or two param groups, several config shapes), built
   with ``lrviz.load(mapping)``, stepped by ``lrviz.simulate`` and compared with ``==``
   to ``tests.conftest.reference_lrs``, a plain PyTorch training loop. PyTorch's own warnings must
   be the ones lrviz records. If plain PyTorch itself raises for a drawn combination, lrviz must
   refuse it too, with an ``LrvizError`` (never another exception).

2. Junk never crashes. Random YAML documents (junk trees, raw text, mutated valid configs, YAML
   oddities) rendered with ``lrviz render FILE -o out.csv``, and random flag values for the
   subcommands, run in-process: exit status 0, 1 or 2, no traceback, ``result.exception`` None or
   SystemExit, and on failure exactly one ``Error: `` line on stderr that is not an internal error
   (and no output file, as writes are all-or-nothing).

Defects these properties found are fixed; each has a regression test at the end of the file.
A new one would be pinned the same way: a strict xfail test plus its exact failure signature
in ``KNOWN_DEFECTS``, so that the junk properties keep hunting for others meanwhile.
"""

from __future__ import annotations

import copy
import math
import os
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, example, given, note, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from lrviz.api import load, simulate
from lrviz.cli import app
from lrviz.errors import LrvizError, ScheduleError
from lrviz.frameworks.torch.document import RUN_KEYS
from lrviz.schedules import OPTIMIZERS, SCHEDULERS, Arg, SchedulerSpec, get_scheduler
from tests.conftest import reference_lrs

SIMPLE = tuple(s for s in SCHEDULERS if not s.composite)
#: Schedulers PyTorch lets SequentialLR / ChainedScheduler hold (not ReduceLROnPlateau).
CHILDREN = tuple(s for s in SIMPLE if s.name != "ReduceLROnPlateau")
PER_STEP = frozenset(s.name for s in SCHEDULERS if s.interval == "step")
LINEAR = get_scheduler("LinearLR")

_HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]


#: LRVIZ_FUZZ_SCALE=10 pytest tests/security/test_fuzz.py runs ten times as many examples (a deeper hunt).
SCALE = max(1, int(os.environ.get("LRVIZ_FUZZ_SCALE", "1") or 1))


def _settings(n: int) -> settings:
    return settings(max_examples=n * SCALE, deadline=None, suppress_health_check=_HEALTH)


# ---------------------------------------------------------------------------
# 1. Random valid configs: lrviz == a plain PyTorch training loop

#: Sane ranges by argument name, intersected with each Arg's registry bound.
INT_RANGES: dict[str, tuple[int, int]] = {
    "T_max": (1, 30),
    "T_0": (1, 30),
    "T_mult": (1, 4),
    "step_size": (1, 30),
    "total_iters": (1, 30),
    "step_size_up": (1, 30),
    "step_size_down": (1, 30),
    "milestones": (1, 60),
    "patience": (0, 5),
    "cooldown": (0, 3),
}
FLOAT_RANGES: dict[str, tuple[float, float]] = {
    "gamma": (0.5, 1.0),
    "eta_min": (0.0, 1e-3),
    "factor": (0.0, 1.0),
    "start_factor": (0.0, 1.0),
    "end_factor": (0.0, 1.0),
    "power": (0.0, 3.0),
    "pct_start": (0.0, 1.0),
    "div_factor": (1.0, 100.0),
    "final_div_factor": (1.0, 1e4),
    "threshold": (0.0, 0.1),
    "eps": (0.0, 1e-6),
    "base_lr": (1e-5, 1.0),
    "max_lr": (1e-5, 1.0),
    "min_lr": (0.0, 1e-3),
    "base_momentum": (0.5, 0.9),
    "max_momentum": (0.9, 0.99),
}
#: A new registry argument without an entry above is still fuzzed, within these and its bound.
DEFAULT_INT_RANGE = (1, 30)
DEFAULT_FLOAT_RANGE = (0.0, 1.0)

#: lr_lambda expressions valid both in lrviz's language and in the reference's Python lambda
#: (which has only min and max besides operators).
LAMBDA_EXPRS = (
    "0.95 ** epoch",
    "0.5 ** (epoch // 3)",
    "min(1, (epoch + 1) / 4)",
    "1 / (1 + 0.1 * epoch)",
    "1.0 if epoch < 5 else 0.1",
    "max(0.01, 1 - epoch / 50)",
    "(epoch + 1) / 10 if epoch < 10 else 0.9 ** (epoch - 10)",
    "2 ** -epoch",
    "epoch % 3 + 1",
    "(1 - epoch / 100) ** 0.9",
    "1 if epoch != 3 and not epoch > 20 else 0.25",
    "1",
)
MULTIPLICATIVE_EXPRS = (
    "0.95",
    "0.9 if epoch < 5 else 0.99",
    "1",
    "max(0.5, 1 - epoch / 100)",
    "1.01",
    "0.9 + 0.01 * (epoch % 2)",
    "min(1, 0.8 + epoch / 100)",
)
#: Arguments drawn together with the run's shape (OneCycleLR's step count) or with another argument.
JOINT = {
    ("OneCycleLR", "total_steps"),
    ("OneCycleLR", "epochs"),
    ("OneCycleLR", "steps_per_epoch"),
    ("CyclicLR", "base_lr"),
    ("CyclicLR", "max_lr"),
}


def _ints(arg: Arg) -> st.SearchStrategy[int]:
    lo, hi = INT_RANGES.get(arg.name, DEFAULT_INT_RANGE)
    b = arg.bound
    if b is not None and b.low is not None:
        lo = max(lo, math.floor(b.low) + 1 if b.low_open else math.ceil(b.low))
    if b is not None and b.high is not None:
        hi = min(hi, math.ceil(b.high) - 1 if b.high_open else math.floor(b.high))
    return st.integers(lo, hi)


def _floats(arg: Arg) -> st.SearchStrategy[float]:
    lo, hi = FLOAT_RANGES.get(arg.name, DEFAULT_FLOAT_RANGE)
    exclude_lo = exclude_hi = False
    b = arg.bound
    if b is not None and b.low is not None and b.low >= lo:
        lo, exclude_lo = b.low, b.low_open
    if b is not None and b.high is not None and b.high <= hi:
        hi, exclude_hi = b.high, b.high_open
    return st.floats(lo, hi, exclude_min=exclude_lo, exclude_max=exclude_hi)


def _value(spec: SchedulerSpec, arg: Arg, groups: int) -> st.SearchStrategy[Any]:
    kind = arg.kind
    if kind == "int":
        return _ints(arg)
    if kind == "optional_int":
        return st.none() | _ints(arg)
    if kind == "float":
        return _floats(arg)
    if kind == "floats":  # one value, or one per param group
        return _floats(arg) | st.lists(_floats(arg), min_size=groups, max_size=groups)
    if kind == "ints":
        return st.lists(_ints(arg), min_size=1, max_size=4, unique=True).map(sorted)
    if kind == "choice":
        return st.sampled_from(arg.choices)
    if kind == "bool":
        return st.booleans()
    if kind == "expr":
        texts = MULTIPLICATIVE_EXPRS if spec.name == "MultiplicativeLR" else LAMBDA_EXPRS
        one = st.sampled_from(texts) | st.sampled_from([0.95, 1, 0.5])  # YAML numbers work too
        return one | st.lists(one, min_size=groups, max_size=groups)
    raise AssertionError(f"no fuzz strategy for {spec.name}.{arg.name} of kind {kind}")


@dataclass(frozen=True)
class Shape:
    """What a scheduler node's strategy must know about the run."""

    groups: int
    epochs: int
    unit: int  # scheduler steps per epoch: steps_per_epoch when stepped per step, else 1

    @property
    def points(self) -> int:
        return self.epochs * self.unit


@st.composite
def scheduler_nodes(draw: st.DrawFn, spec: SchedulerSpec, shape: Shape) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the node as written in the YAML, any of the scheduler's names; the same with PyTorch's class name)."""
    node: dict[str, Any] = {"name": draw(st.sampled_from(spec.names))}
    for arg in spec.args:
        if (spec.name, arg.name) in JOINT:
            continue
        if arg.required or draw(st.booleans()):
            node[arg.name] = draw(_value(spec, arg, shape.groups), label=f"{spec.name}.{arg.name}")
    if spec.name == "CyclicLR":
        base_arg, max_arg = spec.arg("base_lr"), spec.arg("max_lr")
        assert base_arg is not None and max_arg is not None
        pairs = [sorted((draw(_floats(base_arg)), draw(_floats(max_arg)))) for _ in range(shape.groups)]
        if shape.groups == 1 or draw(st.booleans()):
            node["base_lr"], node["max_lr"] = pairs[0]
        else:
            node["base_lr"], node["max_lr"] = [p[0] for p in pairs], [p[1] for p in pairs]
    if spec.name == "OneCycleLR":  # enough steps for the whole run, however they are given
        how = draw(st.sampled_from(["from the run", "total_steps", "epochs", "total_steps: null"]))
        if how == "total_steps":
            node["total_steps"] = draw(st.integers(shape.points, shape.points + 20))
        elif how == "epochs":
            node["epochs"] = draw(st.integers(shape.epochs, shape.epochs + 5))
            node["steps_per_epoch"] = draw(st.integers(shape.unit, shape.unit + 2))
        elif how == "total_steps: null":
            node["total_steps"] = None
    ref = copy.deepcopy(node)
    ref["name"] = spec.name
    return node, ref


OPTIONS: dict[str, list[dict[str, Any]]] = {
    "SGD": [{}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True}, {"weight_decay": 1e-4}],
    "Adam": [{}, {"weight_decay": 0.01}, {"betas": [0.9, 0.99]}, {"amsgrad": True}],
    "AdamW": [{}, {"weight_decay": 0.05}, {"betas": [0.85, 0.999]}],
}


@dataclass
class Case:
    """A YAML document and the same run spelled for the reference loop."""

    doc: dict[str, Any]
    scheduler: dict[str, Any]
    epochs: int
    steps_per_epoch: int
    optimizer: str
    lrs: tuple[float, ...]
    options: dict[str, Any]
    interval: str
    metrics: list[float] | None
    momentum: bool


def _fill_onecycle(node: dict[str, Any], epochs: int, unit: int, start: int = 0) -> None:
    """What lrviz documents for OneCycleLR without a step count: the rest of the run from where it
    takes over (the run's epochs and steps per epoch; total_steps after a SequentialLR milestone)."""
    starts = [start] * len(node.get("schedulers", []))
    if node["name"] == "SequentialLR":
        starts = [start] + [start + m for m in node["milestones"]]
    for child, begin in zip(node.get("schedulers", []), starts, strict=True):
        _fill_onecycle(child, epochs, unit, begin)
    if node["name"] == "OneCycleLR" and node.get("total_steps") is None:
        if start > 0 and "epochs" not in node and "steps_per_epoch" not in node:
            node["total_steps"] = max(epochs * unit - start, 1)
        else:
            node.setdefault("epochs", epochs)
            node.setdefault("steps_per_epoch", unit)


METRIC = st.sampled_from([1.0, 0.9, 0.9, 0.5, 0.5, 0.1]) | st.floats(-10, 10)


@st.composite
def cases(draw: st.DrawFn, spec: SchedulerSpec | None = None, composite: str | None = None) -> Case:
    epochs = draw(st.integers(1, 60), label="epochs")
    spe = draw(st.integers(1, 4), label="steps_per_epoch")
    groups = draw(st.integers(1, 2), label="param groups")
    opt_name = draw(st.sampled_from(sorted(OPTIONS)))
    spelled = draw(st.sampled_from([opt_name, opt_name.lower(), opt_name.upper()]))
    options = copy.deepcopy(draw(st.sampled_from(OPTIONS[opt_name])))
    lrs = tuple(draw(st.floats(1e-5, 1.0), label="lr") for _ in range(groups))

    if composite is None:
        assert spec is not None
        specs = [spec]
    elif composite == "ChainedScheduler":
        specs = [draw(st.sampled_from(CHILDREN)), draw(st.sampled_from(CHILDREN))]
    else:  # SequentialLR or `warmup:`: a LinearLR warmup, then X
        specs = [draw(st.sampled_from(CHILDREN))]
    plateau = specs[0].name == "ReduceLROnPlateau"
    interval = "step" if any(s.name in PER_STEP for s in specs) else "epoch"
    override = None if plateau else draw(st.sampled_from([None, None, "epoch", "step"]))
    interval = override or interval
    shape = Shape(groups, epochs, spe if interval == "step" else 1)

    nodes = [draw(scheduler_nodes(s, shape)) for s in specs]
    doc: dict[str, Any] = {}
    if composite is None:
        node, ref = nodes[0]
    elif composite == "ChainedScheduler":
        node = {"name": "ChainedScheduler", "schedulers": [n for n, _ in nodes]}
        ref = {"name": "ChainedScheduler", "schedulers": [r for _, r in nodes]}
    elif composite == "SequentialLR":
        warm, warm_ref = draw(scheduler_nodes(LINEAR, shape))
        milestone = draw(st.integers(1, shape.points + 5), label="milestone")
        node = {"name": "SequentialLR", "schedulers": [warm, nodes[0][0]], "milestones": [milestone]}
        ref = {"name": "SequentialLR", "schedulers": [warm_ref, nodes[0][1]], "milestones": [milestone]}
    else:
        assert composite == "warmup"
        node = nodes[0][0]
        warmup = draw(st.integers(1, 10), label="warmup")
        doc["warmup"] = warmup
        start = 0.01
        start_arg = LINEAR.arg("start_factor")
        assert start_arg is not None
        if draw(st.booleans()):
            start = doc["warmup_start_factor"] = draw(_floats(start_arg))
        w = warmup * shape.unit  # README: warmup epochs, in the scheduler's own steps
        ref = {
            "name": "SequentialLR",
            "schedulers": [
                {"name": "LinearLR", "start_factor": start, "end_factor": 1.0, "total_iters": w},
                nodes[0][1],
            ],
            "milestones": [w],
        }
    _fill_onecycle(ref, epochs, shape.unit)
    doc["scheduler"] = node
    doc["epochs"] = epochs
    if spe != 1 or draw(st.booleans()):
        doc["steps_per_epoch"] = spe
    if override is not None:
        doc["interval"] = override

    metrics = None
    if plateau:
        metrics = draw(st.lists(METRIC, min_size=epochs, max_size=epochs + 3), label="metrics")
        doc["metrics"] = metrics
        if len(metrics) == epochs and draw(st.booleans()):
            del doc["epochs"]  # README: the number of metric values is the default

    shapes = ["mapping", "param_groups", "name only", "lr beside optimizer"] if groups == 1 else ["param_groups"]
    how = draw(st.sampled_from(shapes), label="optimizer shape")
    if how == "name only" and lrs[0] != 0.1:
        how = "mapping"
    if how == "mapping":
        doc["optimizer"] = {"name": spelled, "lr": lrs[0], **options}
    elif how == "name only":  # `optimizer: adam`: PyTorch's defaults, lr 0.1
        doc["optimizer"] = spelled
        options = {}
    elif how == "lr beside optimizer":
        # The top-level `lr` follows the optimizer mapping: in the other order lrviz drops it
        # (pinned by test_known_defect_top_level_lr_before_optimizer_is_dropped).
        doc["optimizer"] = {"name": spelled, **options}
        doc["lr"] = lrs[0]
    else:
        pg: list[dict[str, Any]] = [{"lr": lr} for lr in lrs]
        if draw(st.booleans()):
            for i, group in enumerate(pg):
                group["name"] = f"group-{i}"
        doc["optimizer"] = {"name": spelled, **options, "param_groups": pg}

    keys = draw(st.permutations(list(doc)))  # YAML mappings have no order
    if how == "lr beside optimizer":
        keys = [k for k in keys if k != "lr"] + ["lr"]
    doc = {k: doc[k] for k in keys}
    return Case(
        doc=doc,
        scheduler=ref,
        epochs=epochs,
        steps_per_epoch=spe,
        optimizer=opt_name,
        lrs=lrs,
        options=options,
        interval=interval,
        metrics=metrics,
        momentum=draw(st.booleans()),
    )


def check_matches_pytorch(case: Case) -> None:
    note(f"doc = {case.doc!r}")
    note(f"reference scheduler = {case.scheduler!r}, interval = {case.interval}")
    expected: list[list[float]] | None = None
    ref_error: Exception | None = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            expected = reference_lrs(
                copy.deepcopy(case.scheduler),
                epochs=case.epochs,
                steps_per_epoch=case.steps_per_epoch,
                optimizer=case.optimizer,
                lrs=case.lrs,
                options=copy.deepcopy(case.options),
                interval=case.interval,
                metrics=case.metrics,
            )
        except Exception as exc:  # plain PyTorch refused this combination
            ref_error = exc
    ours_error: LrvizError | None = None
    try:
        curve = simulate(load(copy.deepcopy(case.doc)), momentum=case.momentum)
    except LrvizError as exc:  # anything else is a crash, and fails the test
        ours_error = exc
    if ref_error is not None:
        event("PyTorch itself rejects the drawn combination")
        note(f"PyTorch raised {ref_error!r}")
        assert ours_error is not None, f"PyTorch raised {ref_error!r}, lrviz did not"
        return
    assert expected is not None
    if ours_error is not None:
        # By design (engine.py), a non-finite LR is an error, not a curve: tiny factors overflow.
        assert not all(math.isfinite(v) for s in expected for v in s), f"lrviz refused a valid config: {ours_error}"
        assert isinstance(ours_error, ScheduleError) and "became" in str(ours_error), ours_error
        event("PyTorch gives a non-finite LR, which lrviz refuses by design")
        return
    assert [list(s) for s in curve.lrs] == expected  # exact: ==, not approx
    assert set(curve.torch_warnings) == {str(w.message) for w in caught}


@pytest.mark.parametrize("spec", SIMPLE, ids=lambda s: s.name)
@_settings(25)
@given(data=st.data())
def test_random_valid_arguments_match_pytorch(spec: SchedulerSpec, data: st.DataObject) -> None:
    check_matches_pytorch(data.draw(cases(spec=spec), label="case"))


@pytest.mark.parametrize("composite", ["SequentialLR", "warmup", "ChainedScheduler"])
@_settings(35)
@given(data=st.data())
def test_random_composites_match_pytorch(composite: str, data: st.DataObject) -> None:
    check_matches_pytorch(data.draw(cases(composite=composite), label="case"))


@pytest.mark.parametrize("spec", SIMPLE, ids=lambda s: s.name)
@_settings(10)
@given(data=st.data())
def test_drawn_arguments_are_within_the_registry_bounds(spec: SchedulerSpec, data: st.DataObject) -> None:
    node, ref = data.draw(scheduler_nodes(spec, Shape(groups=2, epochs=10, unit=3)))
    assert ref["name"] == spec.name and get_scheduler(node["name"]) is spec
    for key, value in node.items():
        arg = spec.arg(key)
        if key == "name" or arg is None or arg.bound is None:
            continue
        for v in value if isinstance(value, list) else [value]:
            if v is not None and not isinstance(v, str):
                assert arg.bound.contains(v), (key, v)


# ---------------------------------------------------------------------------
# 2. Junk never crashes the CLI

runner = CliRunner()


def invoke(args: list[str]) -> Result:
    """The CLI in-process, with Python warnings as a user gets them: printed, never raised.

    (pytest's `filterwarnings = error` would turn e.g. matplotlib's "Glyph missing from font"
    UserWarning into an exception the CLI reports as an internal error; lrviz run by a user
    only prints it.) The warnings are recorded here instead of printed, and counted as events.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = runner.invoke(app, args)
    for w in caught:
        event(f"a Python warning reached the user: {w.category.__name__}")
    return result


ODD_TEXT = [
    "",
    " ",
    "\t",
    "nan",
    "NaN",
    ".nan",
    "inf",
    "-inf",
    "1e400",
    "-0",
    "0x10",
    "1_000",
    "٣",
    "null",
    "~",
    "yes",
    "off",
    "é",
    "💥",
    "\u2028",
    "\x00",
    "\x1b[31m",
    "'",
    '"',
    "{",
    "[",
    "&a",
    "*a",
    "!!python/object/apply:os.system ['true']",
    "%",
    "@",
    "`",
    "--help",
    "-1",
    "1,2",
    "1,,2",
    ",",
    "3,1",
    "epoch",
    "0.95 ** epoch",
    "epoch ** epoch ** epoch",
    "10 ** 10 ** 10",
    "9 ** 9 ** 9",
    "__import__('os').system('true')",
    "(lambda: 1)()",
    "[1][0]",
    "[/]",
    "[bold]x",
    "1 # [/]",
    "$\\frac{$",
    "$x",
    "a" * 300,
    "1" * 400,
]
NAMES = [
    *(n for s in SCHEDULERS for n in s.names),
    *OPTIMIZERS,
    "torch.optim.lr_scheduler.StepLR",
    "torch.optim.lr_scheduler.os.system",
    "torch.optim.Adam",
    "os.system",
    "LRScheduler",
    "LBFGS",
    "SparseAdam",
]
ARG_NAMES = sorted({a.name for s in SCHEDULERS for a in s.args})
KEY_WORDS = [
    *RUN_KEYS,
    *ARG_NAMES,
    "name",
    "_target_",
    "class_path",
    "init_args",
    "param_groups",
    "params",
    "last_epoch",
    "verbose",
    "momentum",
    "betas",
    "weight_decay",
    "nesterov",
    "initial_lr",
    "max_epochs",
    "_partial_",
    "model",
    "<<",
]
#: Whole numbers stay small (runs stay short) or huge (past the 2,000,000-point limit).
INTS = st.integers(-10, 20) | st.sampled_from([0, -1, 10**8, 2**31, 2**63, 10**20, 10**100, -(10**30)])
FLOATS = (
    st.floats(-20, 20)
    | st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 5e-324, -0.0, 1e-300, 0.5, 2.0])
    | st.floats(min_value=1e8)
    | st.floats(max_value=-1e8)
)
SCALARS = (
    st.none()
    | st.booleans()
    | INTS
    | FLOATS
    | st.text(max_size=12)
    | st.sampled_from(ODD_TEXT)
    | st.sampled_from(NAMES)
)
KEYS = st.sampled_from(KEY_WORDS) | st.text(max_size=10) | st.integers(-3, 3) | st.booleans() | st.none()
JUNK = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4), max_leaves=12
)


@st.composite
def junk_scheduler_nodes(draw: st.DrawFn) -> Any:
    spec = draw(st.sampled_from(SCHEDULERS))
    node: dict[Any, Any] = {"name": draw(st.sampled_from(spec.names) | st.sampled_from(NAMES) | SCALARS)}
    for arg in draw(st.lists(st.sampled_from(spec.args), max_size=4, unique=True)):
        node[arg.name] = draw(JUNK)
    if spec.composite and draw(st.booleans()):
        node["schedulers"] = draw(st.lists(junk_scheduler_nodes() | JUNK, max_size=3))
    return node


def _slots(node: Any, out: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Every (container, key or index) in a document."""
    if isinstance(node, dict):
        for k in list(node):
            out.append((node, k))
            _slots(node[k], out)
    elif isinstance(node, list):
        for i in range(len(node)):
            out.append((node, i))
            _slots(node[i], out)
    return out


@st.composite
def mutated_configs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid config (any scheduler, composites too) with one to three random edits."""
    how = draw(st.sampled_from([*SIMPLE, "SequentialLR", "warmup", "ChainedScheduler"]))
    case = draw(cases(composite=how) if isinstance(how, str) else cases(spec=how))
    doc = copy.deepcopy(case.doc)
    for _ in range(draw(st.integers(1, 3))):
        slots = _slots(doc, [])
        op = draw(st.sampled_from(["replace", "replace", "delete", "add", "wrap", "stringify"]))
        if op == "add" or not slots:
            targets = [doc] + [c[k] for c, k in slots if isinstance(c[k], dict)]
            target = draw(st.sampled_from(targets))
            target[draw(KEYS)] = draw(JUNK)
            continue
        container, key = draw(st.sampled_from(slots))
        if op == "replace":
            container[key] = draw(JUNK)
        elif op == "delete":
            del container[key]
        elif op == "wrap":
            container[key] = draw(st.sampled_from([[container[key]], {"name": container[key]}]))
        else:
            container[key] = str(container[key])
    return doc


def _dump(doc: Any, flow: bool = False) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, default_flow_style=flow)


#: YAML that plain dictionaries do not produce: tags, aliases, merges, dates, odd scalars.
YAML_SNIPPETS = [
    "!!binary aGVsbG8=",
    "2001-12-14",
    "2001-12-14T21:59:43.10-05:00",
    "!!set {a: null}",
    "!!omap [a: 1]",
    "!!pairs [a: 1, a: 2]",
    "&x [1, *x]",
    "!!python/object/apply:os.system ['true']",
    "!!python/name:os.system",
    "!!str 5",
    "!!int '0x10'",
    "!!float '.nan'",
    "!!float 1e7",
    "0o17",
    "0x1F",
    "1_000",
    "+.inf",
    ".NaN",
    "~",
    "yes",
    "'1e-5'",
    "1.",
    ".5",
    "0b101",
    "=",
    "{<<: {a: 1}, b: 2}",
    "!custom x",
    "!<tag:yaml.org,2002:str> x",
    "[[[[]]]]",
    "{}",
    "[]",
    "''",
    '"\\r"',
    '"\\0"',
    '"\\e[2J"',
    '"a\\u2028b"',
    "? [a, b]",
    "[" * 60 + "]" * 60,
    "*undefined",
    "---",
    "...",
    "|\n  two\n  lines",
    "@",
    "`",
    "%YAML 1.1",
]
YAML_CHARS = st.sampled_from(list(":-[]{}&*!|>'\"%@`#,? \n\t") + ["\r", "\ufeff", "a", "1", ".", "e"])


@st.composite
def yaml_texts(draw: st.DrawFn) -> bytes:
    """A file's bytes: junk trees, mutated configs, raw text, edited YAML text, snippets, binary."""
    kind = draw(
        st.sampled_from(["junk tree", "junk scheduler", "mutated", "raw text", "edited", "snippet", "binary"]),
        label="kind",
    )
    if kind == "junk tree":
        return _dump(draw(JUNK | st.dictionaries(KEYS, JUNK, max_size=6)), draw(st.booleans())).encode()
    if kind == "junk scheduler":
        doc = {"scheduler": draw(junk_scheduler_nodes())}
        doc.update(draw(st.dictionaries(st.sampled_from(RUN_KEYS), JUNK, max_size=4)))
        return _dump(doc, draw(st.booleans())).encode()
    if kind == "mutated":
        return _dump(draw(mutated_configs()), draw(st.booleans())).encode()
    if kind == "raw text":
        return draw(st.text(max_size=60)).encode("utf-8", "surrogatepass")
    if kind == "binary":
        return draw(st.binary(max_size=60))
    case = draw(cases(spec=draw(st.sampled_from(SIMPLE))))
    if kind == "edited":
        text = _dump(case.doc)
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, len(text)))
            cut = draw(st.integers(0, 3))
            text = text[:at] + draw(st.text(YAML_CHARS, max_size=4)) + text[at + cut :]
        return text.encode()
    doc = copy.deepcopy(case.doc)
    slots = [(c, k) for c, k in _slots(doc, []) if isinstance(c, dict)]
    container, key = draw(st.sampled_from(slots))
    container[key] = "@@SNIPPET@@"
    text = _dump(doc).replace("'@@SNIPPET@@'", draw(st.sampled_from(YAML_SNIPPETS)))
    return text.encode()


#: Failure signatures the junk properties tolerate (each must be pinned by a strict xfail test).
KNOWN_DEFECTS: dict[str, Callable[[Result], bool]] = {}  # all fixed; see the regression tests below


def assert_clean_exit(result: Result, out: Path | None = None) -> None:
    """Exit 0/1/2, no traceback, no stray exception; a failure is one `Error: ` line, no output file."""
    note(f"exit {result.exit_code}; stdout {result.stdout[-500:]!r}; stderr {result.stderr!r}")
    for name, matches in KNOWN_DEFECTS.items():
        if matches(result):
            event(f"known defect: {name}")
            return
    assert result.exit_code in (0, 1, 2)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stdout and "Traceback" not in result.stderr
    if result.exit_code != 0:
        err = result.stderr
        # `warning: ...` lines (diagnostics.py, silenced by --quiet) may come first: the config was
        # valid, and then stepping or writing failed. The error itself is the last line, alone.
        while err.startswith("warning: ") and "\n" in err:
            err = err.split("\n", 1)[1]
        assert err.startswith("Error: ")
        # one line, as any reader sees it (universal newlines split on \r too)
        assert err.endswith("\n") and "\n" not in err[:-1] and "\r" not in err
        assert "internal error" not in err
        if out is not None:
            assert not out.exists()
            assert list(out.parent.glob(f".{out.name}.*")) == []  # no temporary file left
    elif out is not None:
        assert out.is_file()


@_settings(160)
@given(
    content=yaml_texts(),
    output=st.sampled_from(["out.csv"] * 6 + ["out.json", "out.json", "table", "table", "out.svg", "out.png"]),
    momentum=st.booleans(),
)
@example(content=b"epochs: 3\nscheduler: {name: StepLR, step_size: 1, gamma: .nan}\n", output="out.csv", momentum=False)
@example(
    content=b"epochs: 1e400\nscheduler: {name: cosine, T_max: 99999999999999999999999}\n",
    output="out.csv",
    momentum=False,
)
@example(content=b"scheduler: {name: ExponentialLR, gamma: 1e300}\nepochs: 3\n", output="out.csv", momentum=True)
def test_junk_yaml_never_crashes(content: bytes, output: str, momentum: bool) -> None:
    # `-o out.csv` mostly; JSON, the terminal table (rich) and plots (matplotlib) now and then.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.yaml"
        path.write_bytes(content)
        note(f"file: {content!r}")
        out = None if output == "table" else Path(tmp) / "out" / output
        args = ["render", str(path), *(["-o", str(out)] if out else []), *(["--momentum"] if momentum else [])]
        assert_clean_exit(invoke(args), out)


def _short_run(text: str) -> bool:
    """False for whole numbers that would make a long (valid, but slow) run: 41 .. 10**8."""
    for part in text.split(","):
        try:
            value = int(part)
        except ValueError:
            continue
        if 40 < value < 10**8:
            return False
    return True


NUMBER_TEXT = (
    st.integers(-10, 40).map(str)
    | st.integers(10**8, 10**30).map(str)
    | st.floats().map(repr)
    | st.floats(-2, 2).map(str)
    | st.sampled_from(["1e-5", "0.1", "1.5", "0", "1", "2", "+3", " 4 ", "5.0", "1e1", "٣"])
)
FLAG_TEXT = (
    st.text(max_size=15)
    | NUMBER_TEXT
    | st.lists(NUMBER_TEXT | st.text(max_size=3), max_size=4).map(",".join)
    | st.sampled_from(ODD_TEXT)
).filter(_short_run)

EXPR_ATOMS = st.sampled_from(
    ["epoch", "pi", "e", "0", "1", "2", "0.5", "1e308", "1e-320", "1e400", "True", "None", "'a'", "x", "[]"]
) | st.integers(-1000, 1000).map(str)
BINARY_OPS = ["+", "-", "*", "/", "//", "%", "**", "<", "<=", ">", "==", "!=", "and", "or", "@", "<<", "|", "in"]
FUNCTIONS = ["min", "max", "abs", "cos", "sin", "exp", "log", "sqrt", "floor", "ceil", "print", "getattr", "open"]
EXPRESSIONS = st.recursive(
    EXPR_ATOMS,
    lambda inner: (
        st.tuples(inner, st.sampled_from(BINARY_OPS), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
        | st.tuples(st.sampled_from(["-", "+", "not ", "~"]), inner).map("".join)
        | st.tuples(st.sampled_from(FUNCTIONS), st.lists(inner, max_size=3)).map(lambda t: f"{t[0]}({', '.join(t[1])})")
        | st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})")
        | inner.map(lambda s: f"{s}.real")
        | inner.map(lambda s: f"lambda: {s}")
    ),
    max_leaves=10,
)
# Deep nesting, kept below the depths where the pinned RecursionError defect lives.
DEEP = st.tuples(st.sampled_from(["-", "not ", "+"]), st.integers(1, 300)).map(lambda t: t[0] * t[1] + "epoch") | (
    st.integers(1, 300).map(lambda n: "(" * n + "epoch" + ")" * n)
)
EXPR_TEXT = FLAG_TEXT | EXPRESSIONS | DEEP

#: The subcommands and flags the brief names, every flag given a random value.
FLAG_SETS = [
    ("cosine", ["--t-max", "--epochs"]),
    ("restarts", ["--t0", "--t-mult"]),
    ("step", ["--step-size", "--gamma"]),
    ("multistep", ["--milestones"]),
    ("onecycle", ["--max-lr", "--pct-start"]),
    ("lambda", ["--lr-lambda"]),
]


@pytest.mark.parametrize(("command", "flags"), FLAG_SETS, ids=[c for c, _ in FLAG_SETS])
@_settings(25)
@given(data=st.data())
def test_random_flag_values_never_crash(command: str, flags: list[str], data: st.DataObject) -> None:
    args = [command]
    for flag in flags:
        args += [flag, data.draw(EXPR_TEXT if flag == "--lr-lambda" else FLAG_TEXT, label=flag)]
    assert_clean_exit(invoke(args))


COMMON_FLAGS = ["--epochs", "--steps-per-epoch", "--lr", "--optimizer", "--warmup", "--warmup-start-factor"]
COMMANDS = [s for s in SCHEDULERS if s.command]


@_settings(80)
@given(data=st.data())
def test_any_subcommand_with_random_flags_never_crashes(data: st.DataObject) -> None:
    spec = data.draw(st.sampled_from(COMMANDS), label="command")
    args: list[str] = [str(spec.command)]
    cli_args = [a for a in spec.args if a.cli]
    chosen = data.draw(st.lists(st.sampled_from([*cli_args, *COMMON_FLAGS]), max_size=5, unique=True))
    with tempfile.TemporaryDirectory() as tmp:
        for item in chosen:
            if isinstance(item, str):
                args += [item, data.draw(FLAG_TEXT, label=item)]
            elif item.kind == "bool":
                args.append(data.draw(st.sampled_from([item.flag_name, "--no-" + item.flag_name[2:]])))
            else:
                values = EXPR_TEXT if item.kind == "expr" else FLAG_TEXT
                args += [item.flag_name, data.draw(values, label=item.flag_name)]
        if spec.name == "ReduceLROnPlateau" and data.draw(st.booleans(), label="--metrics"):
            metrics = Path(tmp) / "metrics.txt"
            lines = data.draw(st.lists(NUMBER_TEXT | st.text(max_size=8), max_size=20))
            metrics.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
            args += ["--metrics", str(metrics)]
        out = None
        if data.draw(st.booleans(), label="-o"):
            out = Path(tmp) / "out.csv"
            args += ["-o", str(out)]
        note(f"args = {args!r}")
        assert_clean_exit(invoke(args), out)


# ---------------------------------------------------------------------------
# Defects the properties above found, fixed: regression tests


def test_fixed_defect_control_character_in_config(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"\x1f")
    result = runner.invoke(app, ["render", str(path), "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 2, result.stderr
    assert "internal error" not in result.stderr


def test_fixed_defect_lr_lambda_comment_with_markup() -> None:
    result = runner.invoke(app, ["lambda", "--lr-lambda", "1 # [/]", "--epochs", "2"])
    assert result.exit_code == 0, result.stderr
    assert "1 # [/]" in result.stdout


def test_fixed_defect_group_name_with_markup(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text(
        "epochs: 2\n"
        "optimizer: {param_groups: [{name: '[/]', lr: 0.1}, {name: b, lr: 0.2}]}\n"
        "scheduler: {name: StepLR, step_size: 2}\n"
    )
    result = runner.invoke(app, ["render", str(path)])
    assert result.exit_code == 0, result.stderr


def test_fixed_defect_group_name_with_mathtext(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "epochs: 5\n"
        "optimizer: {param_groups: [{name: '$\\frac{$', lr: 0.1}, {name: b, lr: 0.2}]}\n"
        "scheduler: {name: StepLR, step_size: 2}\n"
    )
    result = runner.invoke(app, ["render", str(path), "-o", str(tmp_path / "m.svg")])
    assert result.exit_code == 0, result.stderr


def test_fixed_defect_deeply_nested_lr_lambda() -> None:
    # The failing depths depend on the stack depth: just below the deepest one lrviz accepts.
    def run(depth: int) -> Result:
        return runner.invoke(app, ["lambda", "--lr-lambda", "-" * depth + "1", "--epochs", "1"])

    low, high = 1, 1000  # run(low) is accepted, run(high) refused as nested too deeply (exit 2)
    assert run(low).exit_code != 2 and run(high).exit_code == 2
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if run(mid).exit_code != 2 else (low, mid)
    for depth in range(low, low - 20, -1):
        result = run(depth)
        assert "internal error" not in result.stderr, f"depth {depth}: {result.stderr}"


def test_fixed_defect_carriage_return_in_error_line(tmp_path: Path) -> None:
    path = tmp_path / "k.yaml"
    path.write_text('epochs: 3\nscheduler: {name: StepLR, step_size: 2, "a\\rb": 1}\n')
    result = runner.invoke(app, ["render", str(path)])
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1, repr(result.stderr)


def test_fixed_defect_top_level_lr_before_optimizer_is_dropped() -> None:
    before = {"lr": 0.5, "optimizer": {"name": "Adam"}, "epochs": 2, "scheduler": {"name": "StepLR", "step_size": 5}}
    after = {"optimizer": {"name": "Adam"}, "lr": 0.5, "epochs": 2, "scheduler": {"name": "StepLR", "step_size": 5}}
    assert load(after).optimizer.groups[0].lr == 0.5
    assert load(before).optimizer.groups[0].lr == 0.5
