"""PyTorch's own schedulers: lrviz's YAML, Hydra (``_target_``) and LightningCLI (``class_path``) nodes, flags.

Read by ``document``/``training``/``nodes``/``optimizer`` into a layer and validated by
``build`` against the registry in ``lrviz.schedules``; stepped by ``lrviz.engine``
(the real ``torch.optim.lr_scheduler`` class, as a training loop steps it); checked by
``rules``; written out by ``code``. Layouts that name no class lrviz can read are refused
by ``refusals``.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lrviz.config.layer import Layer
from lrviz.config.lazy import children
from lrviz.errors import ConfigError
from lrviz.frameworks.base import STRONG, Adapter, Evidence, Owners, Progress
from lrviz.frameworks.torch import classes, document, training
from lrviz.keys import KeyPath
from lrviz.model import Curve, Finding, RunConfig

#: A document holding a torch scheduler node is a training config for that node, whatever other keys it has.
CLASS_NODE = 100


class Torch(Adapter):
    name = "torch"
    title = "PyTorch"
    dialects = ("lrviz", "hydra", "lightning")

    owns_modules = ("torch.optim.lr_scheduler", "timm.scheduler", "transformers", "diffusers.optimization")

    def detect(self, data: Mapping[str, Any]) -> Evidence:
        return self.detect_among(data, Owners())

    def detect_among(self, data: Mapping[str, Any], others: Owners) -> Evidence:
        """lrviz's own format, or a training config's scheduler nodes, or its class nodes; never another's.

        A node whose class is in a module another adapter owns (``fvcore.common.param_scheduler``) is not
        torch's to read, and a document holding one, or a top-level key another adapter's layout owns
        (``scheduler_conf``), is that framework's training config: there torch claims only the nodes
        naming a torch scheduler, not a project's class under a ``scheduler`` key (the other framework's
        reader names that one) nor the document's other class nodes."""
        if document.native(data) and not any(k in others.keys for k in data if isinstance(k, str)):
            return Evidence(self.name, "lrviz", CLASS_NODE, ("scheduler",))
        foreign = others.in_document(data)
        found = [
            p
            for p in training.find_scheduler_nodes(data, document.known_scheduler)
            if others.of_node(node := training.get(data, p)) is None
            and (foreign is None or classes.is_torch_scheduler_node(node, document.known_scheduler))
        ]
        if found or classes.is_torch_scheduler_node(data, document.known_scheduler):
            keys = tuple(".".join(map(str, p)) or "(top level)" for p in found) or ("(top level)",)
            return Evidence(self.name, "hydra", CLASS_NODE, keys)
        nodes = _class_nodes(data)
        if nodes and foreign is None:  # Hydra/LightningCLI class nodes torch's reader looks through
            return Evidence(self.name, "hydra", 2 * STRONG, nodes)
        return Evidence(self.name, "hydra")

    def read_document(
        self,
        data: Mapping[str, Any],
        path: Path | str,
        key: str | None,
        lines: Mapping[KeyPath, int],
        allow_import: tuple[str, ...],
    ) -> Layer:
        """A torch layer from a document: lrviz's own format, or the scheduler node of a training config."""
        return document.from_document(data, path, key, lines, allow_import=allow_import)

    def read(self, layer: Layer) -> RunConfig:
        return self.build(layer)

    def build(self, layer: Layer) -> RunConfig:
        from lrviz.frameworks.torch.build import build_run

        if layer.data.get("param") is not None:  # a run option only some frameworks' schedulers serve
            raise ConfigError(
                f"{layer.at(('param',))}: PyTorch's schedulers change the LR (and momentum, with OneCycleLR and "
                f"CyclicLR), never {layer.data['param']}"
            )

        return build_run(layer)

    def simulate(self, run: RunConfig, *, momentum: bool = False, progress: Progress | None = None) -> Curve:
        from lrviz import engine  # torch: only now that a schedule is stepped

        return engine.simulate(run, momentum=momentum, progress=progress)

    def simulate_resume(self, run: RunConfig, resume_at: int) -> tuple[array[float], ...]:
        from lrviz import engine

        return engine.simulate_resume(run, resume_at)

    def run_findings(self, run: RunConfig) -> list[Finding]:
        from lrviz.frameworks.torch import rules

        return rules.run_findings(run)

    def curve_findings(self, curve: Curve) -> list[Finding]:
        from lrviz.frameworks.torch import rules

        return rules.check_curve(curve)

    def code(self, run: RunConfig) -> str:
        from lrviz.frameworks.torch.code import pytorch_code

        return pytorch_code(run).text


def _class_nodes(node: Any, path: KeyPath = (), depth: int = 0) -> tuple[str, ...]:
    """Where a ``_target_`` or ``class_path`` names a class (up to three)."""
    found: list[str] = []
    if isinstance(node, Mapping) and depth <= 8:
        for marker in ("_target_", "class_path"):
            if isinstance(node.get(marker), str):
                found.append(".".join(map(str, (*path, marker))))
        for k, v in children(node):
            found.extend(_class_nodes(v, (*path, k), depth + 1))
    elif isinstance(node, list) and depth <= 8:
        for i, v in children(node):
            found.extend(_class_nodes(v, (*path, i), depth + 1))
    return tuple(found[:3])
