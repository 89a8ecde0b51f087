"""Warnings about a schedule that is valid but probably not what the user meant.

Two passes, both plain Python (nothing here imports torch):

* ``run_findings`` (and ``check_run``, its messages as strings) looks at the
  validated ``RunConfig`` before anything is stepped: settings that make the
  schedule never decay, OneCycleLR step counts that PyTorch would reject,
  warmups, milestones and plateau patience the run is too short for.
* ``check_curve`` looks at a stepped ``Curve`` (its recorded LRs) and the config:
  warm restarts that stop mid-cycle or on a peak, CosineAnnealingLR climbing
  back past ``T_max``, OneCycleLR and CyclicLR runs that stop short of the end of
  their cycle. It does not repeat what ``run_findings`` reports.

Every number a finding shows about the LR is read from the recorded curve;
only integer arithmetic on the configured arguments (restart epochs, cycle
lengths, step counts) is done here. Each finding is one line of plain text;
the CLI prints them to stderr as ``warning: ...`` (``--quiet`` silences them),
and ``Finding.data`` holds the same facts for JSON.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lrviz.frameworks._text import count as _n
from lrviz.frameworks._text import lr as _lr
from lrviz.frameworks._text import plain as _plain
from lrviz.frameworks.torch import handoff
from lrviz.model import Curve, Finding, RunConfig, SchedulerConfig
from lrviz.plan import Candidate, plan_restarts

# ---------------------------------------------------------------------------
# Where each scheduler of the tree is in charge


@dataclass(frozen=True)
class _Span:
    """A scheduler node and the scheduler steps it drives: [offset, end) in the run's own steps."""

    node: SchedulerConfig
    offset: int
    end: int
    where: str  # "CosineAnnealingLR" or "CosineAnnealingLR (SequentialLR scheduler 2, from epoch 5)"
    parent: SchedulerConfig | None = None
    index: int = 0  # position among the parent's schedulers

    @property
    def length(self) -> int:
        return self.end - self.offset


def _total_steps(run: RunConfig) -> int:
    """How many times the (top-level) scheduler is stepped: once per epoch or once per optimizer step."""
    return run.points if run.interval == "step" else run.epochs


def _unit(run: RunConfig) -> str:
    return "step" if run.interval == "step" else "epoch"


def _stride(run: RunConfig) -> int:
    """Points recorded per scheduler step."""
    return 1 if run.interval == "step" else run.steps_per_epoch


def _spans(run: RunConfig) -> Iterator[_Span]:
    """Every node that is in charge for at least one step of the run, with its span."""
    unit = _unit(run)

    def visit(span: _Span) -> Iterator[_Span]:
        yield span
        node, offset, end = span.node, span.offset, span.end
        if node.name == "SequentialLR":
            # child i is in charge from milestone i - 1 to milestone i, in SequentialLR's own steps
            starts = [offset, *(offset + int(m) for m in node.args.get("milestones", ()))]
            for i, child in enumerate(node.children):
                start = starts[i]
                stop = min(end, starts[i + 1]) if i + 1 < len(starts) else end
                if start < stop:
                    place = f"{child.name} (SequentialLR scheduler {i + 1}, from {unit} {start:,})"
                    yield from visit(_Span(child, start, stop, place, node, i))
        elif node.children:
            for i, child in enumerate(node.children):
                yield from visit(_Span(child, offset, end, f"{child.name} ({node.name} scheduler {i + 1})", node, i))

    yield from visit(_Span(run.scheduler, 0, _total_steps(run), run.scheduler.name))


#: Two LRs closer than this (relative) are the same LR: float drift makes a later peak look higher.
SAME_LR = 1e-9


def _first(value: Any) -> float | None:
    """A scalar argument, or the first param group's value of a per-group list."""
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


# ---------------------------------------------------------------------------
# Before stepping


def run_findings(run: RunConfig) -> list[Finding]:
    """Findings about the configuration itself, before anything is stepped."""
    found: list[Finding] = []
    total = _total_steps(run)
    unit = _unit(run)
    for span in _spans(run):
        node = span.node
        found.extend(_min_lr_findings(run, node))
        if node.name in ("LinearLR", "ConstantLR"):
            found.extend(_warmup_findings(run, span, total))
        elif node.name == "MultiStepLR":
            late = [int(m) for m in node.args.get("milestones", ()) if span.offset + int(m) >= span.end]
            if late and span.end == total:
                found.append(
                    Finding(
                        "milestone-beyond-run",
                        f"{span.where}: milestone(s) {', '.join(_n(m) for m in late)} are beyond the last "
                        f"{unit} ({_n(total - 1)}), so those decays never happen",
                        {"scheduler": node.name, "milestones": late, "last": total - 1, "unit": unit},
                    )
                )
        elif node.name == "SequentialLR":
            found.extend(_sequential_findings(run, span, total))
        elif node.name == "ReduceLROnPlateau":
            patience = int(node.args.get("patience", 10))
            # step(metric) after epoch k can count at most k bad epochs; it reduces once more than
            # `patience` were bad (k >= patience + 1), and the new LR is used from epoch k + 1 on.
            first = patience + 2
            if first > run.epochs - 1:
                found.append(
                    Finding(
                        "patience-too-long",
                        f"ReduceLROnPlateau: patience {patience} with {_n(run.epochs)} epochs: the earliest "
                        f"reduction would apply from epoch {_n(first)} (patience + 2), after the last epoch "
                        f"({_n(run.epochs - 1)}), so the LR never changes",
                        {"patience": patience, "epochs": run.epochs, "first_possible_reduction": first},
                    )
                )
        elif node.name == "OneCycleLR":
            found.extend(_onecycle_overrun(run, span, total))
        if node.name in GROWS_WITH_GAMMA:
            found.extend(_gamma_findings(span, unit))
    return found


#: Schedulers that multiply the LR by ``gamma``: above 1 it grows at every decay, without bound.
GROWS_WITH_GAMMA = {
    "ExponentialLR": "every {unit}",
    "StepLR": "every {step_size} {unit}s",
    "MultiStepLR": "at every milestone",
}


def _gamma_findings(span: _Span, unit: str) -> list[Finding]:
    node = span.node
    gamma = _first(node.args.get("gamma", 0.1))
    if gamma is None or gamma <= 1:
        return []
    when = GROWS_WITH_GAMMA[node.name].format(unit=unit, step_size=_n(node.args.get("step_size", 1)))
    return [
        Finding(
            "lr-grows",
            f"{span.where}: gamma={_n(gamma)} is above 1, so the LR is multiplied by {_n(gamma)} {when} and grows "
            f"without bound instead of decaying; a decay needs gamma < 1 (e.g. {_n(round(1 / gamma, 4))})",
            {"scheduler": node.name, "gamma": gamma},
        )
    ]


def _min_lr_findings(run: RunConfig, node: SchedulerConfig) -> list[Finding]:
    found = []
    groups = run.optimizer.groups
    for key in ("eta_min", "min_lr"):
        value = node.args.get(key)
        if value is None or isinstance(value, bool):
            continue
        floors = list(value) if isinstance(value, list | tuple) else [value] * len(groups)
        hit = [(g, float(f)) for g, f in zip(groups, floors, strict=False) if float(f) >= g.lr and float(f) > 0]
        if not hit:
            continue
        group, floor = max(hit, key=lambda gf: gf[1] - gf[0].lr)
        which = f" of param group {group.name!r}" if len(groups) > 1 else ""
        if floor > group.lr:
            message = (
                f"{node.name}: {key} ({_lr(floor)}) is above the initial lr{which} ({_lr(group.lr)}), "
                "so the schedule rises instead of decaying; was that meant?"
            )
        else:
            message = f"{node.name}: {key} ({_lr(floor)}) equals the initial lr{which}, so the schedule never decays"
        found.append(
            Finding(
                "no-decay",
                message,
                {"scheduler": node.name, "argument": key, "value": floor, "initial_lr": group.lr, "group": group.name},
            )
        )
    return found


def _warmup_findings(run: RunConfig, span: _Span, total: int) -> list[Finding]:
    node = span.node
    iters = int(node.args.get("total_iters", 5))
    # The factor reaches its end value when the scheduler's own step count reaches total_iters; the
    # run records steps 0 .. length - 1 of this scheduler, so a ramp of length or more never ends.
    if span.end != total or iters < span.length:
        return []
    parent = span.parent
    if parent is not None and parent.name == "SequentialLR" and span.index == 0:
        return []  # the run never reaches SequentialLR's first milestone: _sequential_findings says so
    unit = _unit(run)
    start, end = node.args.get("start_factor", 1 / 3), node.args.get("end_factor", 1.0)
    decays = node.name == "LinearLR" and isinstance(start, int | float) and isinstance(end, int | float) and end < start
    what = "warmup" if node.name == "LinearLR" else "constant factor"
    outcome = (
        "so the decay never finishes and the LR never reaches its final value"
        if decays
        else f"so the {what} never finishes and the LR never reaches its full value"
    )
    return [
        Finding(
            "warmup-beyond-run",
            f"{span.where}: total_iters={_n(iters)} but it runs for only {_n(span.length)} {unit}s, {outcome}",
            {"scheduler": node.name, "total_iters": iters, "steps": span.length, "unit": unit},
        )
    ]


def _sequential_findings(run: RunConfig, span: _Span, total: int) -> list[Finding]:
    node = span.node
    unit = _unit(run)
    milestones = [int(m) for m in node.args.get("milestones", ())]
    late = [(i, m) for i, m in enumerate(milestones) if span.offset + m >= span.end]
    if not late or span.end != total:
        return []
    never = [node.children[i + 1].name for i, _ in late]
    first = late[0][0] == 0
    head = node.children[0]
    verb = "runs" if len(never) == 1 else "run"
    if first:
        stage = f"the {head.name} warmup" if head.name in ("LinearLR", "ConstantLR") else f"{head.name}"
        iters = head.args.get("total_iters")
        detail = f" (total_iters={iters})" if iters is not None else ""
        message = (
            f"{span.where}: the first milestone ({_n(milestones[0])}) is at or beyond the end of the run "
            f"({_n(total)} {unit}s), so the run never gets past {stage}{detail} and {', '.join(never)} never {verb}"
        )
    else:
        message = (
            f"{span.where}: milestone(s) {', '.join(_n(m) for _, m in late)} are at or beyond the end of the "
            f"run ({_n(total)} {unit}s), so {', '.join(never)} never {verb}"
        )
    return [
        Finding(
            "warmup-beyond-run" if first else "milestone-beyond-run",
            message,
            {
                "scheduler": node.name,
                "milestones": [m for _, m in late],
                "never_run": never,
                "steps": total,
                "unit": unit,
            },
        )
    ]


def _onecycle_steps(node: SchedulerConfig) -> int | None:
    args = node.args
    if args.get("total_steps") is not None:
        return int(args["total_steps"])
    if args.get("epochs") is not None and args.get("steps_per_epoch") is not None:
        return int(args["epochs"]) * int(args["steps_per_epoch"])
    return None


def _onecycle_source(node: SchedulerConfig, planned: int) -> str:
    """``total_steps=800`` or ``epochs=8 x steps_per_epoch=100 = 800 steps``."""
    args = node.args
    if args.get("total_steps") is not None:
        return f"total_steps={_n(planned)}"
    return f"epochs={args.get('epochs')} x steps_per_epoch={args.get('steps_per_epoch')} = {_n(planned)} steps"


def _run_steps_text(run: RunConfig, steps: int) -> str:
    if run.interval == "step" and run.steps_per_epoch > 1:
        return f"{_n(steps)} steps ({_n(run.epochs)} epochs x {_n(run.steps_per_epoch)} steps per epoch)"
    return f"{_n(steps)} {_unit(run)}s"


def _onecycle_overrun(run: RunConfig, span: _Span, total: int) -> list[Finding]:
    planned = _onecycle_steps(span.node)
    if planned is None:
        return []
    # PyTorch raises once the scheduler's own step count exceeds total_steps. A scheduler in charge
    # until the end is stepped once after the last recorded point; one handed over earlier is not.
    calls = span.length if span.end == total else span.length - 1
    if calls <= planned:
        return []
    fail = span.offset + planned  # the point index (in scheduler steps) after which it raises
    epoch, i = divmod(fail, run.steps_per_epoch) if run.interval == "step" else (fail, 0)
    at = f"epoch {_n(epoch)}" + (f", step {_n(i)}" if run.interval == "step" and run.steps_per_epoch > 1 else "")
    return [
        Finding(
            "onecycle-overrun",
            f"{span.where}: {_onecycle_source(span.node, planned)} but the run takes "
            f'{_run_steps_text(run, span.length)}; PyTorch would raise "Tried to step {_n(planned + 1)} times" '
            f"at {at}; set total_steps to {_n(span.length)} or leave it out (lrviz then uses the run's)",
            {"total_steps": planned, "run_steps": span.length, "fails_at_step": fail},
        )
    ]


# ---------------------------------------------------------------------------
# After stepping


def check_curve(curve: Curve) -> list[Finding]:
    """Findings that need the recorded LRs: where the run stops within the schedule's cycles."""
    run = curve.run
    total = _total_steps(run)
    found: list[Finding] = []
    for span in _spans(run):
        name = span.node.name
        if name == "CosineAnnealingWarmRestarts" and span.end == total:
            found.extend(_restart_findings(curve, span))
        elif name == "CosineAnnealingLR":
            found.extend(_cosine_rise(curve, span))
        elif name == "OneCycleLR" and span.end == total:
            found.extend(_onecycle_short(curve, span))
        elif name == "CyclicLR":
            found.extend(_cyclic_findings(curve, span, total))
        elif name == "SequentialLR":
            found.extend(handoff.findings(curve, span.node, span.offset, span.end, _unit(run), _stride(run)))
    return found


def _restart_bounds(t_0: int, t_mult: int, limit: int) -> list[int]:
    """Restart steps of CosineAnnealingWarmRestarts (counted from its start) up to the first one >= limit.

    Cycle k lasts ``t_0 * t_mult**k`` steps, so restarts are at T_0, T_0(1 + T_mult), ...
    For T_mult == 1 only the two around ``limit`` are computed, so the list stays short.
    """
    if t_mult == 1:
        k = limit // t_0
        return sorted({b for b in ((k - 1) * t_0, k * t_0, (k + 1) * t_0) if b > 0})
    out = []
    b, length = 0, t_0
    while b < limit:
        b += length
        length *= t_mult
        out.append(b)
    return out


def _around(t_0: int, t_mult: int, x: int) -> tuple[int, int, int]:
    """The cycle (1-based) holding scheduler step ``x``, its start and its end (the next restart)."""
    if t_mult == 1:
        k = x // t_0
        return k + 1, k * t_0, (k + 1) * t_0
    start, length, k = 0, t_0, 1
    while start + length <= x:
        start += length
        length *= t_mult
        k += 1
    return k, start, start + length


def _plan(epochs: int, t_0: int, t_mult: int) -> list[Candidate]:
    """Up to three T_mult > 1 settings whose cycles end exactly at ``epochs``, the most useful first.

    Settings sharing the user's T_0 or T_mult come first, then smaller T_mult; a T_mult above
    10 (a tiny first cycle and one huge one) is offered only when nothing else fits.
    """
    ranked = sorted(
        (c for c in plan_restarts(epochs) if c.t_mult > 1 and c.cycles >= 2),
        key=lambda c: (c.t_0 != t_0 and c.t_mult != t_mult, c.t_mult, -c.t_0),
    )
    usual = [c for c in ranked if c.t_mult <= 10]
    return (usual or ranked)[:3]


def _plan_text(plans: list[Candidate]) -> str:
    """``(T_0, T_mult) = (5, 9) or (10, 4)``."""
    return "(T_0, T_mult) = " + " or ".join(f"({c.t_0}, {c.t_mult})" for c in plans)


def _restart_findings(curve: Curve, span: _Span) -> list[Finding]:
    run = curve.run
    node = span.node
    t_0, t_mult = int(node.args["T_0"]), int(node.args.get("T_mult", 1))
    unit = _unit(run)
    length = span.length  # steps this scheduler takes; its last recorded step is length - 1
    found: list[Finding] = []
    if t_0 == 1 and t_mult == 1:
        stride = _stride(run)
        lrs = curve.lrs[0][span.offset * stride : span.end * stride]
        if len(lrs) > 1 and max(lrs) == min(lrs):
            # a new cycle every step: cosine never gets past its first value, so there is nothing to restart
            return [
                Finding(
                    "constant-lr",
                    f"{span.where}: T_0=1 with T_mult=1 restarts every {unit}, before the cosine can fall, so the "
                    f"LR stays at {_lr(lrs[0])} for the whole run: this schedule is constant; T_0 is the length of "
                    f"the first cycle in {unit}s (e.g. T_0=10), or use T_mult >= 2",
                    {"scheduler": node.name, "T_0": t_0, "T_mult": t_mult, "lr": lrs[0], "unit": unit},
                )
            ]
    bounds = _restart_bounds(t_0, t_mult, length + 1)
    inside = [b for b in bounds if b < length]
    restarts_in_run = len(inside) if t_mult != 1 else (length - 1) // t_0
    if t_mult == 1 and restarts_in_run >= 2:
        better = _plan(length, t_0, t_mult)[:2]
        hint = _plan_text(better) if better else ""
        found.append(
            Finding(
                "equal-cycles",
                f"{span.where}: T_mult=1 restarts {restarts_in_run} times to the same peak every {_n(t_0)} {unit}s, "
                f"so the LR climbs back up late in training; with T_mult > 1 later cycles get longer and the "
                f"run can end on one long decay" + (f" (for {_n(length)} {unit}s: {hint})" if hint else ""),
                {
                    "T_0": t_0,
                    "restarts": restarts_in_run,
                    "suggestions": [{"T_0": c.t_0, "T_mult": c.t_mult} for c in better],
                },
            )
        )
    if length in bounds:
        return found  # ends at the bottom of a cycle
    final = curve.lrs[0][-1]
    last = length - 1
    cycle, start, stop = _around(t_0, t_mult, last)
    below = max((b for b in bounds if b < length), default=None)
    above = min(b for b in bounds if b > length)
    shift = span.offset
    ends: list[int] = [shift + b for b in (below, above) if b is not None]
    ends_text = " or ".join(_n(e) for e in ends)
    plans = _plan(length, t_0, t_mult)[:3]
    data: dict[str, Any] = {
        "scheduler": node.name,
        "cycle": cycle,
        "cycle_start": shift + start,
        "next_restart": shift + stop,
        "final_lr": final,
        "unit": unit,
        "end_on_boundary": ends,
        "suggestions": [{"T_0": c.t_0, "T_mult": c.t_mult, "restarts": [shift + r for r in c.restarts]} for c in plans],
    }
    keep = f", or keep {_n(shift + length)} {unit}s with {_plan_text(plans)}" if plans else ""
    stride = _stride(run)
    peak = max(curve.lrs[0][(shift + start) * stride :])  # the cycle falls from where it (re)started
    share = f", {final / peak:.0%} of the cycle's peak {_lr(peak)}" if peak > 0 else ""
    data.update(peak_lr=peak, fraction_of_peak=final / peak if peak > 0 else None)
    if start == last and start > 0:
        at = f"the peak LR {_lr(final)}" if final == peak else f"LR {_lr(final)}{share}"
        found.append(
            Finding(
                "ends-at-peak",
                f"{span.where}: the last {unit} ({_n(shift + last)}) is a warm restart, so training ends at {at}; "
                f"train {ends_text} {unit}s to end at the bottom of a cycle{keep}",
                data,
            )
        )
        return found
    found.append(
        Finding(
            "mid-cycle",
            f"{span.where}: the run ends mid-cycle: cycle {cycle} runs from {unit} {_n(shift + start)} to the next "
            f"restart at {_n(shift + stop)}, and the last {unit} ({_n(shift + last)}) has LR {_lr(final)}{share}; "
            f"train {ends_text} {unit}s to end at the bottom of a cycle{keep}",
            data,
        )
    )
    return found


def _cosine_rise(curve: Curve, span: _Span) -> list[Finding]:
    run = curve.run
    t_max = int(span.node.args["T_max"])
    if span.length <= t_max + 1:
        return []
    unit = _unit(run)
    stride = _stride(run)
    lrs = curve.lrs[0]
    low_at = span.offset + t_max
    after = lrs[low_at * stride : span.end * stride]
    top = max(after)
    # the first point back at the peak: later peaks can be higher by float drift alone
    first = next(i for i, v in enumerate(after) if math.isclose(v, top, rel_tol=SAME_LR))
    if first == 0:
        return []  # the LR never climbs above where T_max leaves it (eta_min above lr: no-decay says so)
    top = after[first]
    top_at = span.offset + t_max + first // stride
    half_periods = (span.length - 1) / t_max
    return [
        Finding(
            "cosine-rises",
            f"{span.where}: T_max={_n(t_max)} is a half period and its {_n(span.length)} {unit}s span "
            f"{_plain(half_periods, 3)} of them: the LR reaches {_lr(lrs[low_at * stride])} at {unit} {_n(low_at)} and "
            f"climbs back to {_lr(top)} by {unit} {_n(top_at)} (fine if intended; T_max={_n(span.length - 1)} "
            f"decays once over the whole span)",
            {
                "T_max": t_max,
                "steps": span.length,
                "half_periods": half_periods,
                "low_at": low_at,
                "rises_to": top,
                "rises_to_at": top_at,
                "unit": unit,
            },
        )
    ]


def _onecycle_short(curve: Curve, span: _Span) -> list[Finding]:
    run = curve.run
    planned = _onecycle_steps(span.node)
    if planned is None or span.length >= planned:
        return []
    args = span.node.args
    final = curve.lrs[0][-1]
    max_lr = _first(args.get("max_lr"))
    div = float(args.get("div_factor", 25.0))
    final_div = float(args.get("final_div_factor", 1e4))
    data: dict[str, Any] = {"total_steps": planned, "run_steps": span.length, "final_lr": final}
    end_text = ""
    if max_lr is not None:
        # PyTorch documents the end of the annealing as initial_lr / final_div_factor, initial_lr = max_lr / div_factor
        end = max_lr / div / final_div
        data["schedule_end_lr"] = end
        end_text = f" instead of the end value {_lr(end)} (max_lr / div_factor / final_div_factor)"
    return [
        Finding(
            "onecycle-short",
            f"{span.where}: {_onecycle_source(span.node, planned)} but the run takes only "
            f"{_run_steps_text(run, span.length)}, so training stops at {span.length / planned:.0%} of the cycle "
            f"with LR {_lr(final)}{end_text}; set total_steps to {_n(span.length)} or leave it out",
            data,
        )
    ]


def _cyclic_findings(curve: Curve, span: _Span, total: int) -> list[Finding]:
    run = curve.run
    args = span.node.args
    up = int(args.get("step_size_up", 2000))
    down = up if args.get("step_size_down") is None else int(args["step_size_down"])
    cycle = up + down
    found: list[Finding] = []
    if run.interval == "step" and run.steps_per_epoch > 1 and cycle < run.steps_per_epoch:
        found.append(
            Finding(
                "cyclic-short-cycle",
                f"{span.where}: a cycle of {_n(cycle)} steps (step_size_up {_n(up)} + step_size_down {_n(down)}) "
                f"is shorter than one epoch ({_n(run.steps_per_epoch)} steps): step sizes count optimizer steps, "
                f"not epochs",
                {"cycle_steps": cycle, "steps_per_epoch": run.steps_per_epoch},
            )
        )
    length = span.length
    # Cycles meet at base_lr every `cycle` steps: a run whose last step is one of those, or the
    # one before it, has run whole cycles.
    if span.end != total or length % cycle in (0, 1):
        return found
    unit = _unit(run)
    final = curve.lrs[0][-1]
    below, above = (length // cycle) * cycle, (length // cycle + 1) * cycle
    ends = [span.offset + e for e in (below, above) if e > 0]
    base, peak = _first(args.get("base_lr")), _first(args.get("max_lr"))
    range_text = f" (cycle range {_lr(base)} to {_lr(peak)})" if base is not None and peak is not None else ""
    reach = f"; it never reaches max_lr (the first {_n(up)} {unit}s rise)" if length <= up else ""
    found.append(
        Finding(
            "cyclic-mid-cycle",
            f"{span.where}: the run's {_run_steps_text(run, length)} are {_plain(length / cycle, 3)} cycles of "
            f"{_n(cycle)} (step_size_up {_n(up)} + step_size_down {_n(down)}), so it stops mid-cycle at LR "
            f"{_lr(final)}{range_text}{reach}; {' or '.join(_n(e) for e in ends)} {unit}s end on a cycle boundary",
            {"cycle_steps": cycle, "run_steps": length, "cycles": length / cycle, "final_lr": final, "ends": ends},
        )
    )
    return found
