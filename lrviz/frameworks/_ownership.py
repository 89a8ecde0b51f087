"""What each adapter owns (module prefixes of class nodes, top-level keys), so that no other adapter claims it.

``Adapter.owns_modules`` and ``Adapter.owns_keys`` declare it once per adapter; ``lrviz.frameworks.others``
gathers the others' into an ``Owners`` for ``Adapter.detect_among``. Nothing here imports torch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from lrviz.config.lazy import children
from lrviz.keys import KeyPath


class Declares(Protocol):
    """What an adapter declares it owns (``base.Adapter`` has these class attributes)."""

    @property
    def name(self) -> str: ...

    @property
    def owns_modules(self) -> tuple[str, ...]: ...

    @property
    def owns_keys(self) -> tuple[str, ...]: ...


def mappings(node: Any, base: KeyPath = (), depth: int = 0) -> Iterator[tuple[KeyPath, Mapping[str, Any]]]:
    """Every mapping in a document with its key path, outermost first, at most 8 levels deep."""
    if isinstance(node, Mapping | list) and depth <= 8:
        if isinstance(node, Mapping):
            yield base, node
        for k, v in children(node):  # on a lazy document, only values that may be mappings are read
            yield from mappings(v, (*base, k), depth + 1)


@dataclass(frozen=True)
class Owners:
    """What the other registered adapters own, as ``lrviz.frameworks.choose`` hands it to ``Adapter.detect_among``.

    ``modules`` maps a module prefix to the adapter that steps the classes in it from a class node
    (``fvcore.common.param_scheduler``: fvcore); ``keys`` maps a top-level key to the adapter whose
    layout it marks (``scheduler_conf``: ESPnet). Each adapter declares its own in ``owns_modules``
    and ``owns_keys``; a claim that rests on what another adapter owns is withdrawn, so every adapter
    scores on its own evidence.
    """

    modules: Mapping[str, str] = field(default_factory=dict)
    keys: Mapping[str, str] = field(default_factory=dict)

    def of_target(self, target: Any) -> str | None:
        """The adapter owning the module a dotted class path (``_target_``, ``class_path``) names, if another owns it."""
        if not isinstance(target, str):
            return None
        target = target.strip()
        return next((who for prefix, who in self.modules.items() if target.startswith(f"{prefix}.")), None)

    def of_node(self, node: Any) -> str | None:
        """The adapter owning the class a Hydra (``_target_``) or LightningCLI (``class_path``) node names."""
        if not isinstance(node, Mapping):
            return None
        return self.of_target(node.get("_target_")) or self.of_target(node.get("class_path"))

    def in_document(self, data: Mapping[str, Any]) -> str | None:
        """The first adapter owning a top-level key of ``data`` or a class node in it (at most 8 levels deep)."""
        owner = next((self.keys[k] for k in data if isinstance(k, str) and k in self.keys), None)
        if owner is None and self.modules:
            owner = next((o for _, node in mappings(data) if (o := self.of_node(node))), None)
        return owner

    @classmethod
    def of(cls, adapters: Iterable[Declares]) -> Owners:
        """The modules and keys ``adapters`` declare they own."""
        listed = list(adapters)
        return cls(
            {m: a.name for a in listed for m in a.owns_modules}, {k: a.name for a in listed for k in a.owns_keys}
        )
