"""A launch command's arguments as a document: ``--lr_scheduler=cosine --lr-warmup-iters 500`` -> keys and values.

Each ``--flag`` becomes the key argparse would store it under (dashes to underscores,
as argparse makes a ``dest``), its value typed as the generic reading can (an integer,
a number, true/false, several values as a list, a flag with no value as true); the
last occurrence wins, as in argparse. Each key keeps where it was written
(``train.sh:12: --learning_rate``). An adapter whose framework has its own parser
retypes the words with it (``Adapter.read_command``: ``HfArgumentParser`` for
TrainingArguments). Nothing here imports a framework.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lrviz.config.bash import Word
from lrviz.config.shell import Launch
from lrviz.errors import ConfigError

_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


@dataclass(frozen=True)
class Flag:
    """One flag as written: its spelling, its words (after ``=`` or following it), and its line."""

    flag: str
    values: tuple[Word, ...]
    line: int


@dataclass
class CommandDocument:
    """The document a command's flags make, where each key was written, and the words kept for a real parser."""

    launch: Launch
    data: dict[str, Any] = field(default_factory=dict)
    flags: dict[str, Flag] = field(default_factory=dict)
    positional: tuple[Word, ...] = ()

    def at(self, key: str) -> str:
        flag = self.flags.get(key)
        if flag is None:
            return f"{self.launch.label}: {key}"
        if not flag.line:  # --set
            return flag.flag
        return f"{self.launch.label}:{flag.line}: {flag.flag}"

    @property
    def argv(self) -> list[str]:
        return [w.text for w in self.launch.args]


def key_of(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def typed(text: str) -> Any:
    """A word as the generic reading types it: int, float, bool, or the text."""
    if _NUMBER.fullmatch(text):
        number = float(text)
        return int(text) if re.fullmatch(r"[-+]?\d+", text) else number
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text.lower() in ("none", "null"):
        return None
    return text


def document(launch: Launch) -> CommandDocument:
    """The command's flags as a document (``--a=1 --b 2 3 --c`` -> ``{a: 1, b: [2, 3], c: true}``)."""
    doc = CommandDocument(launch)
    positional: list[Word] = []
    words = list(launch.args)
    k = 0
    while k < len(words):
        word = words[k]
        if not word.text.startswith("-") or _NUMBER.fullmatch(word.text) or word.text in ("-", "--"):
            positional.append(word)
            k += 1
            continue
        name, eq, value = word.text.partition("=")
        values: list[Word] = []
        if eq:
            values.append(Word(value, word.line, word.unknown))
        else:
            while k + 1 < len(words) and (
                not words[k + 1].text.startswith("-") or _NUMBER.fullmatch(words[k + 1].text)
            ):
                values.append(words[k + 1])
                k += 1
        k += 1
        key = key_of(name)
        if not key:
            continue
        doc.flags[key] = Flag(name, tuple(values), word.line)
        if not values:
            doc.data[key] = True
        elif len(values) == 1:
            doc.data[key] = typed(values[0].text)
        else:
            doc.data[key] = [typed(v.text) for v in values]
    doc.positional = tuple(positional)
    return doc


def unresolved(doc: CommandDocument) -> Mapping[str, Word]:
    """The keys whose value holds an expansion the script does not fill in (``$1``, ``$(nproc)``)."""
    return {
        key: next(w for w in flag.values if w.unknown)
        for key, flag in doc.flags.items()
        if any(w.unknown for w in flag.values)
    }


def refuse_unresolved(doc: CommandDocument, key: str) -> None:
    word = unresolved(doc).get(key)
    if word is not None:
        raise ConfigError(
            f"{doc.at(key)} {word.text}: the value depends on {word.unknown}; lrviz does not run the script, so "
            "it cannot know it: set it in the script, or give the command with --command '...'"
        )


def override(doc: CommandDocument, sets: Sequence[str]) -> set[str]:
    """``--set KEY=VALUE`` over the command's flags (``KEY=null`` removes one), as if the command said so."""
    done: set[str] = set()
    for item in sets:
        name, eq, value = item.partition("=")
        key = key_of(name.strip())
        if not eq or not key:
            raise ConfigError(f"--set {item}: expected KEY=VALUE, e.g. --set lr_warmup_steps=100")
        done.add(key)
        # `null` removes the flag; `none` is a word, as the command would give it (timm's --sched none)
        if value.strip().lower() in ("null", "~", ""):
            doc.data.pop(key, None)
            doc.flags.pop(key, None)
            continue
        words = tuple(Word(v, 0) for v in value.split())
        doc.data[key] = typed(value.strip()) if len(words) == 1 else [typed(w.text) for w in words]
        doc.flags[key] = Flag(f"--set {name.strip()}", words, 0)
    return done
