"""The registry: every scheduler lrviz can build, its arguments and their rules.

This module knows PyTorch's scheduler classes by name only and never imports
torch, so ``--help``, validation and error messages stay fast. Argument names,
defaults and order mirror ``torch.optim.lr_scheduler`` (a test compares them
with ``inspect.signature`` of the real classes). ``config.py`` validates values
against these declarations; ``engine.py`` passes them to the real class.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from lrviz.errors import ConfigError

#: Marks an argument with no default (PyTorch requires it).
REQUIRED: Any = type("Required", (), {"__repr__": lambda self: "REQUIRED"})()

Kind = Literal[
    "int",  # a whole number
    "float",  # a real number
    "floats",  # a real number, or one per param group (PyTorch's `float | list[float]`)
    "ints",  # a list of whole numbers (milestones)
    "choice",  # one of `choices`
    "bool",
    "expr",  # an lr_lambda expression in `epoch`, or one per param group
    "schedulers",  # a list of nested scheduler nodes
    "optional_int",  # a whole number or null
]

#: How a scheduler is stepped: once per epoch, or once per optimizer step.
Interval = Literal["epoch", "step"]


@dataclass(frozen=True)
class Bound:
    """A numeric range; ``None`` means unbounded on that side."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def contains(self, value: float) -> bool:
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return not (self.high is not None and (value >= self.high if self.high_open else value > self.high))

    def describe(self) -> str:
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {_num(self.low)}")
        if self.high is not None:
            parts.append(f"{'<' if self.high_open else '<='} {_num(self.high)}")
        return " and ".join(parts)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


POSITIVE = Bound(0, low_open=True)
NON_NEGATIVE = Bound(0)
UNIT_OPEN = Bound(0, 1, low_open=True, high_open=True)
UNIT_HALF_OPEN = Bound(0, 1, low_open=True)
UNIT = Bound(0, 1)


@dataclass(frozen=True)
class Arg:
    """One constructor argument of a scheduler, spelled as PyTorch spells it."""

    name: str
    kind: Kind
    default: Any = REQUIRED
    help: str = ""
    bound: Bound | None = None
    choices: tuple[str, ...] = ()
    flag: str | None = None  # CLI flag when kebab-case of `name` is not the one
    cli: bool = True  # offered as a subcommand flag

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def flag_name(self) -> str:
        return self.flag or "--" + self.name.lower().replace("_", "-")

    def expects(self) -> str:
        """A phrase for messages: what a valid value looks like."""
        base = {
            "int": "an integer",
            "optional_int": "an integer or null",
            "float": "a number",
            "floats": "a number or a list of numbers (one per param group)",
            "ints": "a list of integers",
            "choice": "one of " + ", ".join(self.choices),
            "bool": "true or false",
            "expr": "an expression in `epoch` (a string), or a list of them",
            "schedulers": "a list of scheduler mappings",
        }[self.kind]
        if self.bound is not None:
            base += f" {self.bound.describe()}"
        return base


@dataclass(frozen=True)
class SchedulerSpec:
    """A scheduler class of ``torch.optim.lr_scheduler`` and how lrviz drives it."""

    name: str
    args: tuple[Arg, ...]
    summary: str
    command: str | None = None  # subcommand name, if it has one
    aliases: tuple[str, ...] = ()
    interval: Interval = "epoch"
    example: str = ""
    default_epochs: Callable[[Mapping[str, Any]], int] | None = None
    epochs_help: str = "50"
    composite: bool = False
    #: A typical configuration (YAML shape) of this scheduler: `lrviz list` shows
    #: it and the tests step it against PyTorch, so a new entry is tested for free.
    sample: Mapping[str, Any] = field(default_factory=dict)

    def arg(self, name: str) -> Arg | None:
        for a in self.args:
            if a.name == name:
                return a
        return None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *((self.command,) if self.command else ()), *self.aliases)


def _restarts_epochs(a: Mapping[str, Any]) -> int:
    t0, mult = int(a["T_0"]), int(a.get("T_mult", 1))
    return t0 * (1 + mult + mult * mult)


def _multistep_epochs(a: Mapping[str, Any]) -> int:
    ms = list(a["milestones"])
    return int(ms[-1] + ms[0]) if ms else 50


def _cyclic_steps(a: Mapping[str, Any]) -> int:
    up = int(a.get("step_size_up", 2000))
    down = a.get("step_size_down")
    return 3 * (up + (up if down is None else int(down)))


_F: Kind = "float"
SCHEDULERS: tuple[SchedulerSpec, ...] = (
    SchedulerSpec(
        "CosineAnnealingLR",
        (
            Arg(
                "T_max",
                "int",
                help="Half-period in epochs: LR falls from lr to eta_min over T_max epochs.",
                bound=POSITIVE,
            ),
            Arg("eta_min", _F, 0.0, "Minimum LR.", NON_NEGATIVE),
        ),
        "Cosine annealing from lr to eta_min over T_max epochs, then back up.",
        command="cosine",
        aliases=("cosineannealing",),
        example="lrviz cosine --t-max 10 --epochs 50",
        default_epochs=lambda a: int(a["T_max"]) + 1,
        epochs_help="T_max + 1: one whole annealing, epoch 0 at lr and epoch T_max at eta_min",
        sample={"T_max": 10, "eta_min": 1e-5},
    ),
    SchedulerSpec(
        "CosineAnnealingWarmRestarts",
        (
            Arg(
                "T_0",
                "int",
                help="Length of the first cycle; the first restart is at epoch T_0.",
                bound=POSITIVE,
                flag="--t0",
            ),
            Arg("T_mult", "int", 1, "Each cycle is T_mult times longer than the one before.", Bound(1)),
            Arg("eta_min", _F, 0.0, "Minimum LR.", NON_NEGATIVE),
        ),
        "Cosine annealing with warm restarts (SGDR); restarts at T_0, T_0(1+T_mult), ...",
        command="restarts",
        aliases=("sgdr", "warmrestarts"),
        example="lrviz restarts --t0 5 --t-mult 2 -o restarts.png",
        default_epochs=_restarts_epochs,
        epochs_help="three whole cycles, ending on a restart: T_0*(1+T_mult+T_mult^2)",
        sample={"T_0": 5, "T_mult": 2},
    ),
    SchedulerSpec(
        "StepLR",
        (
            Arg("step_size", "int", help="Decay the LR every step_size epochs.", bound=POSITIVE),
            Arg("gamma", _F, 0.1, "Multiplicative factor of each decay.", POSITIVE),
        ),
        "Multiply the LR by gamma every step_size epochs.",
        command="step",
        example="lrviz step --step-size 30 --gamma 0.1",
        default_epochs=lambda a: 4 * int(a["step_size"]),
        epochs_help="4 * step_size: three decays",
        sample={"step_size": 3, "gamma": 0.5},
    ),
    SchedulerSpec(
        "MultiStepLR",
        (
            Arg("milestones", "ints", help="Epochs at which to decay, comma-separated: 30,80.", bound=POSITIVE),
            Arg("gamma", _F, 0.1, "Multiplicative factor of each decay.", POSITIVE),
        ),
        "Multiply the LR by gamma at each milestone epoch.",
        command="multistep",
        example="lrviz multistep --milestones 30,80 --gamma 0.1",
        default_epochs=_multistep_epochs,
        epochs_help="last milestone + first milestone",
        sample={"milestones": [3, 7], "gamma": 0.2},
    ),
    SchedulerSpec(
        "ConstantLR",
        (
            Arg("factor", _F, 1 / 3, "LR is lr * factor until total_iters.", UNIT),
            Arg("total_iters", "int", 5, "Epochs the factor applies.", POSITIVE),
        ),
        "Scale the LR by a constant factor for the first total_iters epochs.",
        command="constant",
        example="lrviz constant --factor 0.5 --total-iters 4",
        default_epochs=lambda a: 2 * int(a.get("total_iters", 5)),
        epochs_help="2 * total_iters",
        sample={"factor": 0.5, "total_iters": 4},
    ),
    SchedulerSpec(
        "LinearLR",
        (
            Arg("start_factor", _F, 1 / 3, "Factor at epoch 0.", UNIT_HALF_OPEN),
            Arg("end_factor", _F, 1.0, "Factor from total_iters on.", UNIT),
            Arg("total_iters", "int", 5, "Epochs of the linear ramp.", POSITIVE),
        ),
        "Ramp the LR factor linearly from start_factor to end_factor (warmup).",
        command="linear",
        example="lrviz linear --start-factor 0.01 --total-iters 10",
        default_epochs=lambda a: 2 * int(a.get("total_iters", 5)),
        epochs_help="2 * total_iters",
        sample={"start_factor": 0.1, "total_iters": 6},
    ),
    SchedulerSpec(
        "ExponentialLR",
        (Arg("gamma", _F, help="Multiply the LR by gamma every epoch.", bound=POSITIVE),),
        "Multiply the LR by gamma every epoch.",
        command="exponential",
        example="lrviz exponential --gamma 0.95 --log-y",
        sample={"gamma": 0.9},
    ),
    SchedulerSpec(
        "PolynomialLR",
        (
            Arg("total_iters", "int", 5, "Epochs until the LR reaches 0.", POSITIVE),
            Arg("power", _F, 1.0, "Power of the polynomial.", NON_NEGATIVE),
        ),
        "Decay the LR to 0 over total_iters epochs with a polynomial of the given power.",
        command="polynomial",
        example="lrviz polynomial --total-iters 40 --power 2",
        default_epochs=lambda a: 2 * int(a.get("total_iters", 5)),
        epochs_help="2 * total_iters",
        sample={"total_iters": 8, "power": 2.0},
    ),
    SchedulerSpec(
        "CyclicLR",
        (
            Arg("base_lr", "floats", help="Lower LR bound of the cycle (overrides --lr).", bound=NON_NEGATIVE),
            Arg("max_lr", "floats", help="Upper LR bound of the cycle.", bound=NON_NEGATIVE),
            Arg("step_size_up", "int", 2000, "Optimizer steps in the rising half.", POSITIVE),
            Arg("step_size_down", "optional_int", None, "Steps in the falling half (default: step_size_up).", POSITIVE),
            Arg("mode", "choice", "triangular", "Cycle policy.", choices=("triangular", "triangular2", "exp_range")),
            Arg("gamma", _F, 1.0, "Decay constant of exp_range.", POSITIVE),
            Arg(
                "scale_mode",
                "choice",
                "cycle",
                "Evaluate the scale per cycle or per iteration.",
                choices=("cycle", "iterations"),
            ),
            Arg("cycle_momentum", "bool", True, "Cycle momentum inversely to the LR."),
            Arg("base_momentum", "floats", 0.8, "Lower momentum bound.", NON_NEGATIVE),
            Arg("max_momentum", "floats", 0.9, "Upper momentum bound.", NON_NEGATIVE),
        ),
        "Cyclical LR between base_lr and max_lr, stepped every optimizer step.",
        command="cyclic",
        interval="step",
        example="lrviz cyclic --base-lr 0.001 --max-lr 0.1 --step-size-up 10 --epochs 60",
        default_epochs=_cyclic_steps,
        epochs_help="three whole cycles (counted in steps, divided by steps per epoch)",
        sample={"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4, "mode": "triangular2"},
    ),
    SchedulerSpec(
        "OneCycleLR",
        (
            Arg("max_lr", "floats", help="Peak LR.", bound=POSITIVE),
            Arg(
                "total_steps",
                "optional_int",
                None,
                "Total optimizer steps (default: epochs * steps_per_epoch).",
                POSITIVE,
            ),
            Arg(
                "epochs",
                "optional_int",
                None,
                "Used with steps_per_epoch when total_steps is not given (default: the run's).",
                POSITIVE,
                cli=False,
            ),
            Arg("steps_per_epoch", "optional_int", None, "Default: the run's steps per epoch.", POSITIVE, cli=False),
            Arg("pct_start", _F, 0.3, "Fraction of the cycle spent increasing the LR.", UNIT_OPEN),
            Arg("anneal_strategy", "choice", "cos", "Annealing shape.", choices=("cos", "linear")),
            Arg("cycle_momentum", "bool", True, "Cycle momentum inversely to the LR."),
            Arg("base_momentum", "floats", 0.85, "Lower momentum bound.", NON_NEGATIVE),
            Arg("max_momentum", "floats", 0.95, "Upper momentum bound.", NON_NEGATIVE),
            Arg("div_factor", _F, 25.0, "Initial LR = max_lr / div_factor.", POSITIVE),
            Arg("final_div_factor", _F, 1e4, "Final LR = initial LR / final_div_factor.", POSITIVE),
            Arg("three_phase", "bool", False, "Use fast.ai's three-phase schedule."),
        ),
        "The 1cycle policy: warm up to max_lr, then anneal far below the start, stepped every optimizer step.",
        command="onecycle",
        interval="step",
        example="lrviz onecycle --max-lr 0.1 --epochs 30 --steps-per-epoch 100 -o onecycle.png",
        default_epochs=lambda a: 30,
        epochs_help="30, or total_steps / steps per epoch when total_steps is given",
        sample={"max_lr": 0.5},
    ),
    SchedulerSpec(
        "LambdaLR",
        (Arg("lr_lambda", "expr", help='LR factor as an expression in epoch, e.g. "0.95 ** epoch".'),),
        "LR = lr * f(epoch) for an expression f.",
        command="lambda",
        example="lrviz lambda --lr-lambda '0.95 ** epoch'",
        sample={"lr_lambda": "0.95 ** epoch"},
    ),
    SchedulerSpec(
        "MultiplicativeLR",
        (Arg("lr_lambda", "expr", help='Factor applied every epoch, e.g. "0.95".'),),
        "Multiply the LR every epoch by an expression f(epoch).",
        command="multiplicative",
        example="lrviz multiplicative --lr-lambda '0.9 if epoch < 10 else 0.99'",
        sample={"lr_lambda": "0.9 if epoch < 5 else 0.99"},
    ),
    SchedulerSpec(
        "ReduceLROnPlateau",
        (
            Arg(
                "mode",
                "choice",
                "min",
                "Reduce when the metric stops decreasing (min) or increasing (max).",
                choices=("min", "max"),
            ),
            Arg("factor", _F, 0.1, "New LR = LR * factor.", UNIT_OPEN),
            Arg("patience", "int", 10, "Epochs without improvement before a reduction.", NON_NEGATIVE),
            Arg("threshold", _F, 1e-4, "Minimum change that counts as improvement.", NON_NEGATIVE),
            Arg("threshold_mode", "choice", "rel", "Relative or absolute threshold.", choices=("rel", "abs")),
            Arg("cooldown", "int", 0, "Epochs to wait after a reduction.", NON_NEGATIVE),
            Arg("min_lr", "floats", 0.0, "Lower bound on the LR.", NON_NEGATIVE),
            Arg("eps", _F, 1e-8, "Smaller updates are ignored.", NON_NEGATIVE),
        ),
        "Reduce the LR when a metric stops improving; needs one metric value per epoch.",
        command="plateau",
        example="lrviz plateau --metrics val_loss.txt --patience 3",
        epochs_help="the number of metric values",
        sample={"patience": 2, "factor": 0.5},
    ),
    SchedulerSpec(
        "SequentialLR",
        (
            Arg("schedulers", "schedulers", help="Schedulers run one after another.", cli=False),
            # 0 is accepted, as PyTorch accepts it (its effect is a diagnosis: pytorch/pytorch#185872)
            Arg(
                "milestones", "ints", help="Epochs where the next scheduler takes over.", bound=NON_NEGATIVE, cli=False
            ),
        ),
        "Run schedulers one after another, switching at the milestones (warmup, then decay).",
        composite=True,
        example="lrviz render configs/warmup_cosine.yaml",
        sample={
            "schedulers": [
                {"name": "LinearLR", "start_factor": 0.1, "total_iters": 3},
                {"name": "CosineAnnealingLR", "T_max": 10},
            ],
            "milestones": [3],
        },
    ),
    SchedulerSpec(
        "ChainedScheduler",
        (Arg("schedulers", "schedulers", help="Schedulers whose factors multiply.", cli=False),),
        "Step several schedulers together every epoch; their effects multiply.",
        composite=True,
        example="lrviz render chained.yaml",
        sample={
            "schedulers": [
                {"name": "ConstantLR", "factor": 0.5, "total_iters": 3},
                {"name": "ExponentialLR", "gamma": 0.9},
            ]
        },
    ),
)

#: torch.optim optimizers a config may name (case-insensitive), with their constructor's
#: options as in torch 2.13 (a test compares them with the installed torch). LBFGS needs a
#: closure and SparseAdam sparse gradients, so neither can drive a schedule here.
OPTIMIZER_ARGS: dict[str, tuple[str, ...]] = {
    "SGD": (
        "lr",
        "momentum",
        "dampening",
        "weight_decay",
        "nesterov",
        "maximize",
        "foreach",
        "differentiable",
        "fused",
    ),
    "Adam": (
        "lr",
        "betas",
        "eps",
        "weight_decay",
        "amsgrad",
        "foreach",
        "maximize",
        "capturable",
        "differentiable",
        "fused",
        "decoupled_weight_decay",
    ),
    "AdamW": (
        "lr",
        "betas",
        "eps",
        "weight_decay",
        "amsgrad",
        "maximize",
        "foreach",
        "capturable",
        "differentiable",
        "fused",
    ),
    "Adamax": ("lr", "betas", "eps", "weight_decay", "foreach", "maximize", "differentiable", "capturable"),
    "NAdam": (
        "lr",
        "betas",
        "eps",
        "weight_decay",
        "momentum_decay",
        "decoupled_weight_decay",
        "foreach",
        "maximize",
        "capturable",
        "differentiable",
    ),
    "RAdam": (
        "lr",
        "betas",
        "eps",
        "weight_decay",
        "decoupled_weight_decay",
        "foreach",
        "maximize",
        "capturable",
        "differentiable",
    ),
    "RMSprop": (
        "lr",
        "alpha",
        "eps",
        "weight_decay",
        "momentum",
        "centered",
        "capturable",
        "foreach",
        "maximize",
        "differentiable",
    ),
    "Adagrad": (
        "lr",
        "lr_decay",
        "weight_decay",
        "initial_accumulator_value",
        "eps",
        "foreach",
        "maximize",
        "differentiable",
        "fused",
    ),
    "Adadelta": ("lr", "rho", "eps", "weight_decay", "foreach", "capturable", "maximize", "differentiable"),
    "ASGD": ("lr", "lambd", "alpha", "t0", "weight_decay", "foreach", "maximize", "differentiable", "capturable"),
    "Rprop": ("lr", "etas", "step_sizes", "capturable", "foreach", "maximize", "differentiable"),
}
OPTIMIZERS: tuple[str, ...] = tuple(OPTIMIZER_ARGS)


def _norm(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


_BY_NAME: dict[str, SchedulerSpec] = {}
for _spec in SCHEDULERS:
    for _n in _spec.names:
        _BY_NAME[_norm(_n)] = _spec


def suggest(word: str, candidates: list[str] | tuple[str, ...]) -> str:
    """`` (did you mean X?)`` for the closest candidates, or an empty string."""
    close = difflib.get_close_matches(word, list(candidates), n=3, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in candidates}
        close = [lowered[c] for c in difflib.get_close_matches(word.lower(), list(lowered), n=3, cutoff=0.6)]
    return f" (did you mean {' or '.join(close)}?)" if close else ""


def get_scheduler(name: str) -> SchedulerSpec:
    """Resolve a class name, subcommand or alias (case-insensitive); ConfigError otherwise."""
    spec = _BY_NAME.get(_norm(str(name)))
    if spec is None:
        hint = suggest(str(name), [n for s in SCHEDULERS for n in s.names])
        if not hint:
            hint = " (valid: " + ", ".join(s.name for s in SCHEDULERS) + ")"
        raise ConfigError(f"unknown scheduler {name!r}{hint}")
    return spec


def get_optimizer(name: str) -> str:
    """The canonical torch.optim class name for ``name`` (case-insensitive)."""
    for canonical in OPTIMIZERS:
        if canonical.lower() == str(name).lower():
            return canonical
    hint = suggest(str(name), OPTIMIZERS) or " (valid: " + ", ".join(OPTIMIZERS) + ")"
    raise ConfigError(f"unknown optimizer {name!r}{hint}")
