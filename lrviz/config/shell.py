"""A launch script (``train.sh``) or a ``--command``: the one training command in it, its arguments and processes.

Many runs are configured by flags in a shell script. This reads the part of bash such
scripts use, the way bash reads it: words with their quoting (``'...'``, ``"..."``,
backslashes, line continuations), comments, ``;``/``&&``/``|`` separated commands,
redirections, variables assigned in the script (``LR=1e-4``, ``export``, arrays
``ARGS=( ... )`` and ``+=``) and their expansion (``$X``, ``${X}``, ``${X:-default}``,
``${X[@]}``, split into words when unquoted). It follows no control flow: a training
command inside ``if``/``for``/``while``/``case`` or a function is refused, naming the line,
and a variable assigned there is unknown. A word holding an unknown expansion
(``$1``, ``$(nproc)``, a variable the script does not assign) is kept as written and
marked, so the reader of the flags refuses it only when the flag changes the LR.

The training command is the one that starts Python: ``python[3] script.py``, ``python -m
module``, ``accelerate launch``, ``torchrun``, ``python -m torch.distributed.run|launch``
or ``deepspeed``; several are refused, naming their lines. The launcher's process count
(``--num_processes``, ``--nproc_per_node`` x ``--nnodes``, ``--num_gpus`` x ``--num_nodes``)
is kept with where it was written. Nothing here knows a training framework.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pathlib import Path

from lrviz.errors import ConfigError

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(\+?)=")
_OPERATORS = ("&&", "||", ";;", ">>", "&>", ">&", "2>", ";", "|", "&", ">", "<", "(", ")")
_BLOCK_OPEN = {"if", "for", "while", "until", "case", "select"}
_BLOCK_CLOSE = {"fi", "done", "esac"}
_KEYWORDS = {"then", "do", "else", "elif", "{", "}", "!"}
#: Launchers: word(s) that start the training command.
_PYTHON = re.compile(r"python(\d+(\.\d+)?)?$")
_TORCHRUN_MODULES = ("torch.distributed.run", "torch.distributed.launch")


@dataclass(frozen=True)
class Word:
    """One word of a command after expansion; ``unknown`` names the expansion bash would fill in at run time."""

    text: str
    line: int
    unknown: str = ""


@dataclass(frozen=True)
class Count:
    """A launcher's process count and where it was written (``train.sh:3: --nproc_per_node 8``)."""

    value: int
    where: str


@dataclass(frozen=True)
class Launch:
    """The training command of a script: its launcher, the script, its arguments and its processes."""

    label: str
    line: int
    launcher: str  # python, accelerate, torchrun, deepspeed
    script: str  # the .py file or the -m module
    args: tuple[Word, ...]
    processes: Count | None = None  # None: the launcher's default (said in ``notes``)
    notes: tuple[str, ...] = ()


# ---------------------------------------------------------------------------
# Tokens: words with their quoting, operators and newlines


@dataclass
class _Raw:
    """A word as written: parts of (text, quoting) where quoting is ``'`` , ``"`` or empty."""

    parts: list[tuple[str, str]] = field(default_factory=list)
    line: int = 0
    array: list[_Raw] | None = None  # NAME=( ... ): the elements

    @property
    def plain(self) -> str:
        return "".join(text for text, _ in self.parts)


_Token = _Raw | str  # a str is an operator or "\n"


def _tokens(text: str, label: str) -> list[_Token]:
    out: list[_Token] = []
    i, n, line = 0, len(text), 1
    stack: list[list[_Token]] = [out]
    while i < n:
        c = text[i]
        if c == "\\" and text.startswith("\n", i + 1):
            i, line = i + 2, line + 1
            continue
        if c == "\n":
            stack[-1].append("\n")
            i, line = i + 1, line + 1
            continue
        if c in " \t\r":
            i += 1
            continue
        if c == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
        if op is not None:
            if op == ")" and len(stack) > 1:  # the end of an array's elements
                stack.pop()
            else:
                stack[-1].append(op)
            i += len(op)
            continue
        word = _Raw(line=line)
        i, line = _word(text, i, line, word, label)
        target = stack[-1]
        if _ASSIGN.fullmatch(word.plain) and text.startswith("(", i) and len(stack) == 1:
            word.array = []
            target.append(word)
            stack.append(word.array)  # type: ignore[arg-type]
            i += 1
            continue
        target.append(word)
    if len(stack) > 1:
        raise ConfigError(f"{label}: an array `( ...` is not closed with `)`; fix the script")
    return out


def _word(text: str, i: int, line: int, word: _Raw, label: str) -> tuple[int, int]:
    n = len(text)
    buf: list[str] = []

    def flush(quote: str) -> None:
        if buf or quote:
            word.parts.append(("".join(buf), quote))
        buf.clear()

    while i < n:
        c = text[i]
        if c in " \t\r\n" or (c in ";|&<>()" and not (c == "(" and text[i - 1 : i] == "$")):
            break
        if c == "\\":
            if text.startswith("\n", i + 1):
                i, line = i + 2, line + 1
                continue
            buf.append(text[i + 1 : i + 2])
            i += 2
            continue
        if c in "'\"":
            flush("")
            end = i + 1
            while end < n and text[end] != c:
                if c == '"' and text[end] == "\\" and end + 1 < n:
                    end += 1
                end += 1
            if end >= n:
                raise ConfigError(f"{label}:{line}: a {c} quote is not closed; fix the script")
            inner = text[i + 1 : end]
            if c == '"':
                inner = re.sub(r'\\([$`"\\\n])', r"\1", inner)
            line += inner.count("\n")
            word.parts.append((inner, c))
            i = end + 1
            continue
        if c == "$" and text.startswith("$(", i):  # a command substitution: skip to its closing )
            depth, end = 0, i + 1
            while end < n:
                depth += {"(": 1, ")": -1}.get(text[end], 0)
                end += 1
                if depth == 0:
                    break
            buf.append(text[i:end])
            i = end
            continue
        buf.append(c)
        i += 1
    flush("")
    return i, line


# ---------------------------------------------------------------------------
# Expansion

_EXPANSION = re.compile(r"\$(?:\{(?P<braced>[^}]*)\}|(?P<name>[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])|(?P<sub>\(.*\)))")


#: A variable's value: its elements (one for a plain variable), each a list of (text, the unknown expansion in it).
_Value = list[list[tuple[str, str]]]


class _Word:
    """A word being built from pieces: its text, the first unknown expansion in it, whether quotes made it."""

    def __init__(self) -> None:
        self.chunks: list[str] = []
        self.unknown = ""
        self.quoted = False

    def add(self, text: str, unknown: str = "") -> None:
        self.chunks.append(text)
        self.unknown = self.unknown or unknown


class _Vars:
    def __init__(self) -> None:
        self.values: dict[str, _Value] = {}
        self.unknown: dict[str, int] = {}  # variables assigned inside a block: the block's first line

    def why(self, m: re.Match[str]) -> str:
        """What an unknown expansion is, for the message that refuses a flag holding it."""
        text = m.group(0)
        if m.group("sub") is not None:
            return f"{text}, which bash computes when the script runs"
        name = re.match(r"[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-]", m.group("braced") or m.group("name") or "")
        if name and name.group(0) in self.unknown:
            return f"{text}, which the script sets only inside the block at line {self.unknown[name.group(0)]}"
        if name and name.group(0).isdigit():
            return f"{text}, the script's argument {name.group(0)}"
        return f"{text}, which the script does not set (an environment variable?)"

    def expand(self, raw: _Raw) -> list[Word]:
        """The words ``raw`` becomes: unquoted expansions split on whitespace, ``${A[@]}`` into its elements."""
        words = [_Word()]

        def split(text: str, unknown: str) -> None:
            if unknown:  # an unknown part stays inside the word it is written in
                words[-1].add(text, unknown)
                return
            for piece in re.split(r"(\s+)", text):
                if not piece:
                    continue
                if piece.isspace():
                    if words[-1].chunks or words[-1].quoted:
                        words.append(_Word())
                    continue
                words[-1].add(piece)

        for text, quote in raw.parts:
            if quote == "'":
                words[-1].add(text)
                words[-1].quoted = True
                continue
            if quote:
                words[-1].quoted = True
            pos = 0
            for m in _EXPANSION.finditer(text):
                words[-1].add(text[pos : m.start()])
                pos = m.end()
                value = self._lookup(m)
                if value is None:
                    words[-1].add(m.group(0), self.why(m))
                    continue
                for k, element in enumerate(value):
                    if k and (quote or words[-1].chunks):
                        words.append(_Word())
                        words[-1].quoted = bool(quote)
                    for piece, unknown in element:
                        if quote:
                            words[-1].add(piece, unknown)
                        else:
                            split(piece, unknown)
            words[-1].add(text[pos:])
        return [Word("".join(w.chunks), raw.line, w.unknown) for w in words if "".join(w.chunks) or w.quoted]

    def _lookup(self, m: re.Match[str]) -> _Value | None:
        """The value of an expansion, or None when the script does not set it."""
        if m.group("sub") is not None:
            return None
        body = m.group("braced") if m.group("braced") is not None else m.group("name")
        index = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\[([@*]|\d+)\]", body)
        if index:
            name = index.group(1)
            if name in self.unknown or name not in self.values:
                return None
            found = self.values[name]
            return found if index.group(2) in "@*" else found[int(index.group(2)) : int(index.group(2)) + 1]
        plain = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])(?:(:?[-=+?])(.*))?", body, re.S)
        if plain is None:
            return None
        name, op, default = plain.groups()
        if name in self.unknown:
            return None
        if name in self.values:
            value = self.values[name]
            if op in (":-", ":=") and all(not text for element in value for text, _ in element):
                return [[(default or "", "")]]
            return value[:1]
        if op in ("-", ":-", "=", ":="):
            return [[(default or "", "")]]
        return None

    def assign(self, raw: _Raw, inside_block: int) -> None:
        m = _ASSIGN.match(raw.plain)
        if m is None:
            return
        name, append = m.group(1), m.group(2)
        if inside_block:
            self.unknown[name] = inside_block
            return
        new: _Value
        if raw.array is not None:
            new = [[(w.text, w.unknown)] for e in raw.array if isinstance(e, _Raw) for w in self.expand(e)]
        else:
            new = [self._scalar(self._drop_prefix(raw.parts, m.end()))]
        self.unknown.pop(name, None)
        self.values[name] = [*self.values.get(name, []), *new] if append else new

    def _scalar(self, parts: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """A plain assignment's value: expansions filled in, not split (bash does not split there)."""
        out: list[tuple[str, str]] = []
        for text, quote in parts:
            if quote == "'":
                out.append((text, ""))
                continue
            pos = 0
            for m in _EXPANSION.finditer(text):
                out.append((text[pos : m.start()], ""))
                pos = m.end()
                value = self._lookup(m)
                if value is None:
                    out.append((m.group(0), self.why(m)))
                    continue
                for k, element in enumerate(value):
                    if k:
                        out.append((" ", ""))
                    out.extend(element)
            out.append((text[pos:], ""))
        return [piece for piece in out if piece[0]]

    @staticmethod
    def _drop_prefix(parts: list[tuple[str, str]], count: int) -> list[tuple[str, str]]:
        out = []
        for text, quote in parts:
            if count >= len(text) and not quote:
                count -= len(text)
                continue
            if count:
                text, count = text[count:], 0
            out.append((text, quote))
        return out


# ---------------------------------------------------------------------------
# Commands


def _commands(tokens: list[_Token]) -> list[list[_Raw]]:
    commands: list[list[_Raw]] = [[]]
    skip = False
    for token in tokens:
        if isinstance(token, str):
            if token in ("\n", ";", "&&", "||", "|", "&", ";;", "(", ")"):
                commands.append([])
                skip = False
            else:  # a redirection: the next word is its target
                skip = True
            continue
        if skip:
            skip = False
            continue
        commands[-1].append(token)
    return [c for c in commands if c]


def script_text(path: Path) -> str:
    """A script's text, read with the limits and encoding checks of every config file."""
    from lrviz.config.files import _read_text

    return _read_text(path)


def read_script(text: str, label: str) -> Launch:
    """The one training command of a shell script (or a ``--command``), with its arguments expanded."""
    tokens = _tokens(text, label)
    variables = _Vars()
    depth = 0
    block_line = 0
    found: list[tuple[list[Word], int]] = []
    for command in _commands(tokens):
        first = command[0].plain
        if first in _BLOCK_OPEN or first.endswith("()") or (len(command) > 1 and command[1].plain == "()"):
            depth, block_line = depth + 1, block_line if depth else command[0].line
        if first in _BLOCK_CLOSE or first == "}":
            depth = max(depth - 1, 0)
            continue
        words = command
        while words and words[0].plain in _KEYWORDS | _BLOCK_OPEN:
            words = words[1:]
        assigning = [w for w in words if _ASSIGN.match(w.plain) and w.array is None]
        if words and words[0].plain in ("export", "declare", "local", "readonly"):
            words = [w for w in words[1:] if not w.plain.startswith("-")]
            for w in words:
                variables.assign(w, block_line if depth else 0)
            continue
        while words and (_ASSIGN.match(words[0].plain) or words[0].array is not None):
            if len(words) == len(assigning) or all(_ASSIGN.match(w.plain) for w in words):
                for w in words:
                    variables.assign(w, block_line if depth else 0)
                words = []
                break
            words = words[1:]  # VAR=x python ...: an environment for that command only
        if not words:
            continue
        expanded = [w for raw in words for w in variables.expand(raw)]
        if _starts_python(expanded):
            if depth:
                raise ConfigError(
                    f"{label}:{expanded[0].line}: the training command is inside the block that starts at line "
                    f"{block_line} (a loop, conditional or function): lrviz does not run the script, so it cannot "
                    "tell which command runs with which flags; give the one command with --command '...'"
                )
            found.append((expanded, expanded[0].line))
    if not found:
        raise ConfigError(
            f"{label}: no training command found (python, accelerate launch, torchrun, deepspeed, "
            "python -m torch.distributed.run); give it with --command '...'"
        )
    if len(found) > 1:
        lines = ", ".join(str(line) for _, line in found)
        raise ConfigError(
            f"{label}: {len(found)} training commands (lines {lines}); lrviz draws one run: give the one you mean "
            "with --command '...'"
        )
    return _launch(found[0][0], label)


def _starts_python(words: list[Word]) -> bool:
    while words and words[0].text in ("nohup", "exec", "time", "stdbuf", "env"):
        words = words[1:]
    if not words:
        return False
    head = words[0].text.rsplit("/", 1)[-1]
    if head == "accelerate":
        return len(words) > 1 and words[1].text == "launch"
    return head in ("torchrun", "deepspeed") or bool(_PYTHON.fullmatch(head))


def _launch(words: list[Word], label: str) -> Launch:
    while words[0].text in ("nohup", "exec", "time", "stdbuf", "env"):
        words = words[1:]
    head = words[0].text.rsplit("/", 1)[-1]
    line = words[0].line
    rest = words[1:]
    launcher = "python"
    if head == "accelerate":
        launcher, rest = "accelerate", rest[1:]
    elif head in ("torchrun", "deepspeed"):
        launcher = head
    elif len(rest) > 1 and rest[0].text == "-m" and rest[1].text in _TORCHRUN_MODULES:
        launcher, rest = "torchrun", rest[2:]
    script_at = next(
        (k for k, w in enumerate(rest) if w.text.endswith(".py") or (k and rest[k - 1].text == "-m")), None
    )
    if script_at is None:
        raise ConfigError(f"{label}:{line}: the {launcher} command runs no .py script or -m module; fix the script")
    options, script, args = rest[:script_at], rest[script_at], rest[script_at + 1 :]
    if script.unknown:
        raise ConfigError(f"{label}:{script.line}: the script {script.text} depends on {script.unknown}, not set here")
    if script_at and options[-1].text == "-m":
        options = options[:-1]
    processes, notes = _processes(launcher, options, label)
    return Launch(label, line, launcher, script.text, tuple(args), processes, tuple(notes))


def _option(options: list[Word], *names: str) -> Word | None:
    for k, w in enumerate(options):
        flag, eq, value = w.text.partition("=")
        if flag in names:
            if eq:
                return Word(value, w.line, w.unknown)
            if k + 1 < len(options):
                return options[k + 1]
    return None


def _count(word: Word | None) -> int | None:
    if word is None:
        return None
    if word.unknown or not word.text.isdigit() or int(word.text) < 1:
        return None
    return int(word.text)


def _processes(launcher: str, options: list[Word], label: str) -> tuple[Count | None, list[str]]:
    """The launcher's process count; None with a note when it is the launcher's default or set at run time."""
    if launcher == "python":
        return Count(1, f"{label}: python (one process)"), []
    names = {
        "accelerate": (("--num_processes", "--num-processes"), ("--num_machines", "--num-machines")),
        "torchrun": (("--nproc_per_node", "--nproc-per-node"), ("--nnodes",)),
        "deepspeed": (("--num_gpus", "--num-gpus"), ("--num_nodes", "--num-nodes")),
    }[launcher]
    per, nodes = _option(options, *names[0]), _option(options, *names[1])
    per_n = _count(per)
    nodes_n = _count(nodes) if nodes is not None else 1
    include = _option(options, "--include", "-i") if launcher == "deepspeed" else None
    if per is None and include is not None and ":" in include.text and not include.unknown:
        per_n = len(include.text.split(":", 1)[1].split(","))
        per = include
    if per_n is None or nodes_n is None:
        what = per if per_n is None else nodes
        shown = f"{what.text}" if what is not None else "not given"
        flag = names[0][0] if per_n is None else names[1][0]
        note = (
            f"{label}{f':{what.line}' if what is not None else ''}: {launcher} {flag} {shown}: the process count is "
            "decided at run time" + (" (accelerate's config file, or 1)" if launcher == "accelerate" else "")
            + "; lrviz assumed 1: give the real one with --world-size N"
        )
        return None, [note]
    if launcher == "accelerate" and nodes is not None:
        nodes_n = 1  # accelerate's --num_processes is already the total over all machines
    assert per is not None
    where = f"{label}:{per.line}: {launcher} " + (f"{names[0][0]} {per_n}" if per is not include else "--include")
    if nodes is not None and nodes_n > 1:
        where += f" x {names[1][0]} {nodes_n}"
    return Count(per_n * nodes_n, where), []
