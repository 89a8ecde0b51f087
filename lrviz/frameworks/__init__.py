"""The frameworks lrviz reads and steps: one adapter each, registered in ``adapters()``, chosen on evidence.

Adding a framework is one package under ``lrviz/frameworks/`` with one ``Adapter``
subclass (``base.Adapter`` documents the protocol) and one line below. Nothing outside
an adapter's package switches on a framework's name: callers ask ``get(name)`` or
``for_run(run)`` for the adapter and call its methods.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from lrviz.errors import ConfigError, option
from lrviz.frameworks.base import STRONG, WEAK, Adapter, Evidence, Owners
from lrviz.model import RunConfig

TORCH = "torch"


@functools.cache
def adapters() -> tuple[Adapter, ...]:
    """Every adapter, the framework lrviz steps first; the refused ones are recognised so they are named.

    Built on first use, so that importing one adapter's module (``lrviz hf``'s flag table) does not
    import them all.
    """
    from lrviz.frameworks import refused
    from lrviz.frameworks.deepspeed import DeepSpeed
    from lrviz.frameworks.diffusers import Diffusers
    from lrviz.frameworks.espnet import ESPnet
    from lrviz.frameworks.fvcore import Fvcore
    from lrviz.frameworks.hf import HuggingFace
    from lrviz.frameworks.litgpt import LitGPT
    from lrviz.frameworks.llamafactory import LlamaFactoryV1
    from lrviz.frameworks.megatron import Megatron
    from lrviz.frameworks.mmengine import MMEngine
    from lrviz.frameworks.nemo import NeMo
    from lrviz.frameworks.timm import Timm
    from lrviz.frameworks.torch import Torch
    from lrviz.frameworks.torchtune import TorchTune

    return (
        Torch(),
        HuggingFace(),
        Timm(),
        DeepSpeed(),
        MMEngine(),
        Diffusers(),
        Megatron(),
        Fvcore(),
        ESPnet(),
        LlamaFactoryV1(),
        TorchTune(),
        LitGPT(),
        NeMo(),
        *refused.ADAPTERS,
    )


def __getattr__(name: str) -> Any:
    if name == "ADAPTERS":
        return adapters()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get(name: str) -> Adapter:
    """The adapter registered as ``name``."""
    found = next((a for a in adapters() if a.name == name), None)
    if found is None:
        raise KeyError(name)
    return found


def for_run(run: RunConfig) -> Adapter:
    """The adapter that read ``run`` (a run built by a user's own callable is torch's)."""
    return next((a for a in adapters() if a.name == run.scheduler.family), adapters()[0])


@functools.cache
def others(name: str) -> Owners:
    """What every registered adapter but ``name`` owns (``Adapter.owns_modules``, ``owns_keys``)."""
    return Owners.of(a for a in adapters() if a.name != name)


def dialect_names() -> list[str]:
    """What ``--dialect`` accepts: every adapter's name and its other spellings."""
    return [n for a in adapters() for n in (a.name, *a.dialects)]


def choose(data: Mapping[str, Any], label: str, dialect: str | None = None) -> Evidence:
    """The dialect ``data`` is written in, on evidence: one key never decides, close calls are refused.

    The best-scoring adapter wins when its score is at least one unique key's worth and at
    least twice the runner-up's; otherwise the candidates are listed with ``--dialect``.
    A document no adapter recognises is torch's (lrviz's own format, or a training config
    whose scheduler node torch's reader looks for).
    """
    registry = adapters()
    evidence = [a.detect_among(data, others(a.name)) for a in registry]
    if dialect is not None:
        for adapter, found in zip(registry, evidence, strict=True):
            if dialect == adapter.name or dialect in adapter.dialects:
                chosen = found.dialect if dialect == adapter.name and found.adapter == adapter.name else dialect
                return Evidence(
                    adapter.name, chosen, max(found.score, 1), (f"dialect {dialect} asked for", *found.keys)
                )
        raise ConfigError(
            f"{option('dialect')} {dialect}: not a dialect lrviz knows; one of {', '.join(dialect_names())}"
        )
    ranked = sorted((e for e in evidence if e), key=lambda e: -e.score)
    if not ranked or ranked[0].score < 2 * WEAK:  # one shared key is no evidence: torch's reading looks on
        return Evidence(TORCH, "hydra")
    best = ranked[0]
    runner = ranked[1] if len(ranked) > 1 else None
    if best.score >= STRONG and (runner is None or best.score >= 2 * runner.score):
        return best
    if runner is not None and best.beyond(runner) >= STRONG and best.beyond(runner) >= 2 * runner.beyond(best):
        return best  # the keys they share say nothing; the ones only the best has decide
    shown = "; ".join(f"{e.dialect} (score {e.score}: {', '.join(e.keys)})" for e in ranked[:4])
    why = (
        "two dialects fit about as well"
        if runner is not None and best.score < 2 * runner.score
        else "the evidence is weak"
    )
    raise ConfigError(
        f"{label}: cannot tell which framework this file is for ({why}): {shown}; choose with "
        f"{option('dialect')} NAME (one of {', '.join(dialect_names())})"
    )


__all__ = ["Adapter", "Evidence", "Owners", "adapters", "choose", "dialect_names", "for_run", "get", "others"]
