"""The protocol every framework adapter implements, and the small types it speaks.

A framework (PyTorch's own schedulers, Hugging Face transformers, timm, DeepSpeed, ...)
is one package under ``lrviz/frameworks/`` with one ``Adapter`` subclass, registered by
one line in ``lrviz/frameworks/__init__.py``. An adapter:

* ``detect``: looks at a parsed document and returns its ``Evidence``: a score and the
  keys that decided it. lrviz picks a dialect on evidence, never on one key, and refuses
  when two adapters are close (``lrviz.frameworks.choose``);
* ``inventory``: declares every key its framework reads, each classified as *modelled*
  (lrviz reads it), *no effect* on the LR or the step count, or *unmodelled* (it changes
  the schedule but lrviz cannot step that: reading the file is refused, naming the key);
* ``build``: reads a layer into a ``RunConfig`` whose ``settings`` are the adapter's own
  typed, frozen dataclass;
* ``simulate`` / ``simulate_resume``: build the framework's real scheduler class and step
  it exactly as its trainer does;
* ``run_findings`` / ``curve_findings``: its known traps (``mismatch_cause``: its causes of a log's pattern);
* ``code``: a runnable snippet that reproduces the curve with the framework's own API;
* ``log_convention``: how its trainer numbers the logged LR (``lrviz.logs.CONVENTIONS``).

Nothing here imports torch or any framework.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import importlib.util
import re
from abc import ABC, abstractmethod
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from lrviz.config.layer import Layer
from lrviz.config.lazy import shallow_copy
from lrviz.errors import ConfigError, option
from lrviz.frameworks._ownership import Owners as Owners  # what the other adapters own (detect_among)
from lrviz.frameworks._ownership import mappings as mappings  # the document walker adapters use
from lrviz.keys import KeyPath, dotted
from lrviz.model import Curve, Finding, RunConfig

if TYPE_CHECKING:
    from lrviz.logs.axis import LogAxis

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Evidence:
    """How strongly a document looks like one adapter's: ``score`` and the keys that decided it.

    A key unique to the framework weighs ``STRONG``; a key other frameworks spell the same
    way weighs ``WEAK``. ``dialect`` names the spelling (``axolotl`` within ``hf``).
    """

    adapter: str
    dialect: str
    score: int = 0
    keys: tuple[str, ...] = ()
    #: the keys among ``keys`` only this framework spells so (the rest are shared, weighing ``WEAK``)
    weak: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.score > 0

    def beyond(self, other: Evidence) -> int:
        """The score of the keys ``other`` does not also claim: what tells the two apart."""
        theirs = set(other.keys)
        return sum(WEAK if k in self.weak else STRONG for k in self.keys if k not in theirs)


STRONG = 3
WEAK = 1


def score_keys(
    adapter: str, dialect: str, data: Mapping[str, Any], strong: Iterable[str], weak: Iterable[str] = ()
) -> Evidence:
    """Evidence from the top-level keys of ``data``: each strong key present counts 3, each weak one 1."""
    found_strong = [k for k in strong if k in data]
    found_weak = [k for k in weak if k in data]
    score = STRONG * len(found_strong) + WEAK * len(found_weak)
    return Evidence(adapter, dialect, score, tuple(found_strong + found_weak), tuple(found_weak))


class KeyKind(enum.Enum):
    """How a key of a framework's config bears on the LR curve."""

    MODELLED = "read"  # lrviz reads it
    NO_EFFECT = "no effect on the LR"  # model, data, logging keys
    UNMODELLED = "changes the schedule, not modelled"  # reading the file is refused, naming it


@dataclass(frozen=True)
class Inventory:
    """Every key a framework reads, classified; ``unmodelled`` maps a key to what the framework does with it."""

    modelled: frozenset[str] = frozenset()
    no_effect: frozenset[str] = frozenset()
    unmodelled: Mapping[str, str] = field(default_factory=dict)

    def kind(self, key: str) -> KeyKind | None:
        if key in self.modelled:
            return KeyKind.MODELLED
        if key in self.unmodelled:
            return KeyKind.UNMODELLED
        if key in self.no_effect:
            return KeyKind.NO_EFFECT
        return None

    def __or__(self, other: Inventory) -> Inventory:
        modelled = self.modelled | other.modelled
        unmodelled = {**self.unmodelled, **other.unmodelled}
        return Inventory(modelled, (self.no_effect | other.no_effect) - modelled - set(unmodelled), unmodelled)


#: Words in a key that say it can touch the LR: an unknown key with one of them gets a note.
LR_WORDS = re.compile(
    r"(^|_)(lr|learning|warmup|sched|scheduler|decay|cycle|cycles|restart|anneal|min_lr|gamma|milestones?)(_|$)"
)


def looks_like_lr_key(key: str) -> bool:
    """A key whose name says it can change the LR (``lr_end``, ``warmup_iters``, ``cosine_cycles``, ...)."""
    return bool(LR_WORDS.search(key.lower())) and not key.lower().startswith(("weight_decay", "log"))


@dataclass(frozen=True)
class Accounting:
    """What lrviz did with each key of a framework document: read, no effect, unknown (named in a note)."""

    dialect: str
    decided_by: tuple[str, ...]
    read: tuple[str, ...]
    no_effect: tuple[str, ...]
    unknown: tuple[str, ...]

    def lines(self) -> list[str]:
        def join(keys: tuple[str, ...]) -> str:
            return ", ".join(keys) if keys else "(none)"

        decided = join(self.decided_by[:6]) + (
            f" and {len(self.decided_by) - 6} more" if len(self.decided_by) > 6 else ""
        )
        return [
            f"dialect: {self.dialect} (decided by {decided})",
            f"read: {join(self.read)}",
            f"no effect on the LR: {join(self.no_effect)}",
            f"unknown to lrviz (not read): {join(self.unknown)}",
        ]


def account(inventory: Inventory, document: Mapping[str, Any], evidence: Evidence) -> tuple[Accounting, list[str]]:
    """Classify every top-level key of ``document``; the unmodelled ones raise, LR-looking unknown ones get notes."""
    read: list[str] = []
    no_effect: list[str] = []
    unknown: list[str] = []
    for key in document:
        name = str(key)
        kind = inventory.kind(name)
        if kind is KeyKind.MODELLED:
            read.append(name)
        elif kind is KeyKind.NO_EFFECT:
            no_effect.append(name)
        elif kind is None:
            unknown.append(name)
    notes = [
        f"{key}: not a key {evidence.dialect} is known to read; if it changes the LR, lrviz did not draw that"
        for key in unknown
        if looks_like_lr_key(key)
    ]
    return Accounting(evidence.dialect, evidence.keys, tuple(read), tuple(no_effect), tuple(unknown)), notes


def refuse_unmodelled(inventory: Inventory, fields: Fields, title: str) -> None:
    """A ConfigError naming the first key that changes the schedule in a way lrviz does not step; its way
    out nulls every such key (ESPnet's optim2 comes with scheduler2), not only the first."""
    found = [k for k in inventory.unmodelled if fields.doc.get(k) not in (None, False, "", 0, [], {})]
    if found:
        what = inventory.unmodelled[found[0]].removeprefix(f"{found[0]}: ")  # the location names the key
        nulls = " ".join(f"{option('overrides')} {k}=null" for k in found)
        raise ConfigError(
            f"{fields.at(found[0])}: {what}; lrviz does not step that ({title}), so it refuses to draw a curve the "
            f"run would not follow (to see the schedule without {'them' if found[1:] else 'it'}: {nulls})"
        )


def require(module: str, extra: str) -> None:
    """ConfigError naming the pip extra when an optional framework is not installed."""
    if importlib.util.find_spec(module) is None:
        raise ConfigError(f"needs {module}: pip install 'lrviz[{extra}]'")


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def rejected(where: Mapping[str, str], exc: BaseException, who: str) -> ConfigError:
    """A framework's own rejection of a value, at the config's ``file:line: key`` of the value it names.

    ``where`` maps each argument the framework was given to where it came from (``""``: the block)."""
    text = one_line(exc) or type(exc).__name__
    named = [k for k in where if k and re.search(rf"\b{re.escape(k)}\b", text)]
    key = max(named, key=len) if named else ""
    place = where.get(key) or where.get("") or "the config"
    what = "rejected this value" if key else "rejected the arguments"
    return ConfigError(f"{place}: {who} {what}: {text}; fix it in the config")


class Fields:
    """A framework document's values, with where each came from (a file line, or a flag)."""

    def __init__(self, layer: Layer) -> None:
        self.layer = layer
        self.doc: dict[str, Any] = shallow_copy(layer.data["document"])
        self.origin = layer.origin

    def at(self, key: str, *more: str | int) -> str:
        path: KeyPath = ("document", key, *more)
        if path[:2] in self.layer.where or path in self.layer.where:
            return self.layer.at(path)
        return f"{self.origin}: {dotted((key, *more))}" if self.origin != "flags" else dotted((key, *more))

    @property
    def prefix(self) -> str:
        """``args.yaml: `` for a file; nothing for flags."""
        return "" if self.origin == "flags" else f"{self.origin}: "

    def given(self, key: str) -> bool:
        return key in self.doc and self.doc[key] is not None

    def override(self, key: str) -> Any:
        """A run option merged over the document (``--dataset-size``), or None."""
        return self.layer.data.get(key)

    def override_at(self, key: str) -> str:
        return self.layer.at((key,))

    def source(self, key: str) -> str:
        """Where a value came from, for ``--explain``: ``file:line key``, a flag, or ``default``."""
        if self.given(key):
            return self.at(key)
        return "default"


class Adapter(ABC):
    """One framework. Subclasses set the class attributes and implement the abstract methods.

    ``name`` is the registry key and a ``--dialect`` value; ``dialects`` lists the other
    spellings ``--dialect`` accepts for it (``axolotl`` for ``hf``). ``package`` and ``extra``
    name the import checked before stepping and the pip extra that installs it (None for torch).
    """

    name: ClassVar[str]
    title: ClassVar[str]
    dialects: ClassVar[tuple[str, ...]] = ()
    package: ClassVar[str | None] = None
    extra: ClassVar[str | None] = None
    log_convention: ClassVar[str] = "lrviz"
    #: module prefixes whose classes this adapter steps from a class node (``_target_``, ``class_path``): naming
    #: one is this framework's evidence, and another adapter's claim on that node is withdrawn (``Owners``)
    owns_modules: ClassVar[tuple[str, ...]] = ()
    #: top-level keys that mark a document as this framework's layout (ESPnet's ``scheduler_conf``) rather than
    #: lrviz's own format: another adapter's claim on the document's format is withdrawn
    owns_keys: ClassVar[tuple[str, ...]] = ()
    #: run options (flags) a document of this framework takes; any other is refused, never ignored
    applies: ClassVar[frozenset[str]] = frozenset()
    #: run option -> the --set that does it in the framework's own keys
    own_keys: ClassVar[Mapping[str, str]] = {}
    #: a command flag whose file replaces the command's flags (Megatron's ``--yaml-cfg``), read as this framework's
    config_file_key: ClassVar[str | None] = None

    @abstractmethod
    def detect(self, data: Mapping[str, Any]) -> Evidence:
        """How strongly ``data`` (a parsed document) looks like this framework's config."""

    def detect_among(self, data: Mapping[str, Any], others: Owners) -> Evidence:
        """``detect``, knowing what the other adapters own (``others``): what ``choose`` calls.

        By default ``detect``; an adapter whose claim can rest on another framework's nodes (torch's
        reader looks through every class node) overrides this to withdraw that claim."""
        return self.detect(data)

    def inventory(self, dialect: str) -> Inventory:
        """Every key the framework reads in ``dialect``, classified (empty when it has no fixed schema)."""
        return Inventory()

    def caveats(self, dialect: str) -> Mapping[str, str]:
        """Keys that change the schedule at run time in a way the file cannot tell: said in a note when set."""
        return {}

    @abstractmethod
    def build(self, layer: Layer) -> RunConfig:
        """Read a layer (``layer.data["document"]`` plus run options) into a validated run."""

    @abstractmethod
    def simulate(self, run: RunConfig, *, momentum: bool = False, progress: Progress | None = None) -> Curve:
        """Build the real scheduler and step it over the run as the framework's trainer does."""

    @abstractmethod
    def simulate_resume(self, run: RunConfig, resume_at: int) -> tuple[array[float], ...]:
        """The LRs of the run checkpointed and resumed at ``resume_at``, as the trainer resumes."""

    def run_findings(self, run: RunConfig) -> list[Finding]:
        """Traps in the settings, before stepping."""
        return []

    def curve_findings(self, curve: Curve) -> list[Finding]:
        """Traps read from the recorded LRs."""
        return []

    def log_axis(self, run: RunConfig) -> LogAxis | None:
        """The axis the trainer logs ``run``'s LR on when it is not optimizer steps (litgpt's batches), from its
        own code, or None: ``check --against`` and ``watch`` put such a log on optimizer steps before comparing."""
        return None

    def mismatch_cause(self, run: RunConfig, code: str, factor: int) -> str | None:
        """What makes this trainer log ``check``'s ``faster`` (the scheduler stepped ``factor`` times per optimizer
        step) or ``lag`` (it skipped ``factor`` steps) pattern, and the fix; None: PyTorch's, Accelerate's and the
        HF Trainer's causes (``lrviz.comparison.causes``)."""
        return None

    def samples_per_step(self, run: RunConfig) -> int | str:
        """The samples one optimizer step of ``run`` consumes, constant over the run, which puts a log's
        consumed-samples axis (Megatron-LM's ``learning-rate vs samples``) on optimizer steps; or why there
        is no such number (a sentence ``check`` shows in its refusal)."""
        return f"a {self.title} plan does not say how many samples each optimizer step consumes"

    @abstractmethod
    def code(self, run: RunConfig) -> str:
        """Python that builds the same scheduler with the framework's API and prints the same LRs."""

    def read_document(
        self,
        data: Mapping[str, Any],
        path: Path | str,
        key: str | None,
        lines: Mapping[KeyPath, int],
        allow_import: tuple[str, ...],
    ) -> Layer:
        """A layer holding the whole document under ``document``, each key's ``file:line`` kept."""
        layer = Layer({"document": shallow_copy(data)}, {}, str(path), foreign=True, adapter=self.name)
        for kp, line in lines.items():
            layer.where[("document", *kp)] = f"{path}:{line}: {dotted(kp)}"
        return layer

    #: the configs of this framework that are programs (``"mmengine"``: its Python configs), named in messages;
    #: empty when it has none. An adapter that sets it implements ``reads_program`` and ``read_program``.
    program: ClassVar[str] = ""

    def reads_program(self, path: Path) -> bool:
        """Whether a config that is a program (a ``.py`` file) is this framework's, judged from its text, never run."""
        return False

    def program_refusal(self, path: Path) -> str:
        """Why ``path`` is not run without ``--allow-exec`` (one line, naming the flag)."""
        return f"{path}: a {self.program} config is a program: pass {option('allow_exec')} if you trust it"

    def read_program(
        self, path: Path, key: str | None, sets: Sequence[str], allow_import: tuple[str, ...], dialect: str | None
    ) -> Layer:
        """Run the program config ``path`` with the framework's own loader (``--allow-exec`` given) into a layer.

        ``sets`` are the framework's own overrides of the loaded config; the layer is this adapter's."""
        raise ConfigError(f"{path}: {self.title} configs are not programs lrviz runs")

    def read_command(self, parsed: Any) -> dict[str, Any]:
        """A launch command's flags (``frameworks.command.CommandDocument``) as this framework's document.

        The generic reading by default; an adapter whose framework has its own argument parser
        retypes the words with it."""
        return dict(parsed.data)

    def read(self, layer: Layer) -> RunConfig:
        """Account for every key, refuse what changes the schedule unmodelled, then ``build``."""
        self.refuse_options(layer)
        evidence = Evidence(self.name, layer.dialect or self.name, 0, layer.decided_by)
        document = layer.data.get("document", {})
        inventory = self.inventory(evidence.dialect)
        accounting, notes = account(inventory, document, evidence)
        fields = Fields(layer)
        refuse_unmodelled(inventory, fields, self.title if evidence.dialect == self.name else evidence.dialect)
        for key, what in self.caveats(evidence.dialect).items():
            if fields.doc.get(key) not in (None, False, "", 0, [], {}):
                notes.append(f"{fields.at(key)}: {what}")
        run = self.build(layer)
        # a build's own lines (the keys of a nested block it accounts for) follow the top-level ones
        lines = (*accounting.lines(), *run.accounting)
        return dataclasses.replace(run, notes=(*run.notes, *notes), accounting=lines)

    def refuse_options(self, layer: Layer) -> None:
        """A run option that does not apply to this framework's file is refused, naming its own key."""
        for key in layer.data:
            if key in ("document", "label", "title") or key in self.applies:
                continue
            own = self.own_keys.get(key)
            fix = f"set the file's own key: {option('overrides')} {own}" if own else "it has no equivalent there"
            value = layer.data[key]
            path = (key, next(iter(value))) if isinstance(value, dict) and value else (key,)
            raise ConfigError(f"{layer.at(path)}: does not apply to a {self.title} file; {fix}")


class LibraryAdapter(Adapter):
    """An adapter whose package follows the layout ``read``, ``step``, ``rules``, ``code``.

    ``read.build`` reads a layer; ``step.<stepper>`` builds and steps the library's scheduler for
    ``lrviz.frameworks._stepping``; ``rules.run_findings``/``curve_findings`` are its traps;
    ``code.code`` writes its snippet. Each module is imported when first needed, so detecting a
    document imports none of them, and only stepping imports the framework and torch.
    """

    #: the adapter's package (``lrviz.frameworks.hf``) and the class in its ``step`` module
    modules: ClassVar[str]
    stepper: ClassVar[str]

    def _module(self, name: str) -> Any:
        return importlib.import_module(f"{self.modules}.{name}")

    def build(self, layer: Layer) -> RunConfig:
        run: RunConfig = self._module("read").build(layer)
        return run

    def _library(self) -> Any:
        return getattr(self._module("step"), self.stepper)()

    def simulate(self, run: RunConfig, *, momentum: bool = False, progress: Progress | None = None) -> Curve:
        from lrviz.frameworks import _stepping

        return _stepping.simulate(self._library(), run, momentum=momentum, progress=progress)

    def simulate_resume(self, run: RunConfig, resume_at: int) -> tuple[array[float], ...]:
        from lrviz.frameworks import _stepping

        return _stepping.simulate_resume(self._library(), run, resume_at)

    def run_findings(self, run: RunConfig) -> list[Finding]:
        found: list[Finding] = self._module("rules").run_findings(run)
        return found

    def curve_findings(self, curve: Curve) -> list[Finding]:
        found: list[Finding] = self._module("rules").curve_findings(curve)
        return found

    def code(self, run: RunConfig) -> str:
        text: str = self._module("code").code(run).text
        return text
