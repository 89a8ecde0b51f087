"""Bash's words as a launch script spells them: quoting, line continuations, comments, operators, variables.

``tokens`` splits a script into words (each with its parts and their quoting, and its line),
operators and newlines; ``Vars`` holds the variables a script assigns (``X=1``, ``export``,
arrays ``A=( ... )`` and ``+=``) and expands a word as bash does (``$X``, ``${X}``,
``${X:-default}``, ``${A[@]}``, split on whitespace when unquoted). An expansion the script
does not fill in (``$1``, ``$(nproc)``, a variable assigned only inside a block, the
environment) stays in its word as written, marked with why (``Word.unknown``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lrviz.errors import ConfigError

ASSIGN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(\+?)=")
_OPERATORS = ("&&", "||", ";;", ">>", "&>", ">&", "2>", ";", "|", "&", ">", "<", "(", ")")


@dataclass(frozen=True)
class Word:
    """One word of a command after expansion; ``unknown`` names the expansion bash would fill in at run time."""

    text: str
    line: int
    unknown: str = ""


# ---------------------------------------------------------------------------
# Tokens: words with their quoting, operators and newlines


@dataclass
class Raw:
    """A word as written: parts of (text, quoting) where quoting is ``'`` , ``"`` or empty."""

    parts: list[tuple[str, str]] = field(default_factory=list)
    line: int = 0
    array: list[Raw] | None = None  # NAME=( ... ): the elements

    @property
    def plain(self) -> str:
        return "".join(text for text, _ in self.parts)


Token = Raw | str  # a str is an operator or "\n"


def tokens(text: str, label: str) -> list[Token]:
    out: list[Token] = []
    i, n, line = 0, len(text), 1
    stack: list[list[Token]] = [out]
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
        word = Raw(line=line)
        i, line = _word(text, i, line, word, label)
        target = stack[-1]
        if ASSIGN.fullmatch(word.plain) and text.startswith("(", i) and len(stack) == 1:
            word.array = []
            target.append(word)
            stack.append(word.array)  # type: ignore[arg-type]
            i += 1
            continue
        target.append(word)
    if len(stack) > 1:
        raise ConfigError(f"{label}: an array `( ...` is not closed with `)`; fix the script")
    return out


def _word(text: str, i: int, line: int, word: Raw, label: str) -> tuple[int, int]:
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


class Vars:
    def __init__(self) -> None:
        self.values: dict[str, _Value] = {}
        self.unknown: dict[str, int] = {}  # variables assigned inside a block: the block's first line
        self.computed: dict[str, int] = {}  # variables a `let` could not compute here: its line

    def why(self, m: re.Match[str]) -> str:
        """What an unknown expansion is, for the message that refuses a flag holding it."""
        text = m.group(0)
        if m.group("sub") is not None:
            return f"{text}, which bash computes when the script runs"
        name = re.match(r"[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-]", m.group("braced") or m.group("name") or "")
        if name and name.group(0) in self.computed:
            return f"{text}, which the `let` at line {self.computed[name.group(0)]} computes from values not set here"
        if name and name.group(0) in self.unknown:
            return f"{text}, which the script sets only inside the block at line {self.unknown[name.group(0)]}"
        if name and name.group(0).isdigit():
            return f"{text}, the script's argument {name.group(0)}"
        return f"{text}, which the script does not set (an environment variable?)"

    def expand(self, raw: Raw) -> list[Word]:
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

    def assign(self, raw: Raw, inside_block: int) -> None:
        m = ASSIGN.match(raw.plain)
        if m is None:
            return
        name, append = m.group(1), m.group(2)
        if inside_block:
            self.unknown[name] = inside_block
            return
        new: _Value
        if raw.array is not None:
            new = [[(w.text, w.unknown)] for e in raw.array if isinstance(e, Raw) for w in self.expand(e)]
        else:
            new = [self._scalar(self._drop_prefix(raw.parts, m.end()))]
        self.unknown.pop(name, None)
        self.computed.pop(name, None)
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

    def let(self, words: list[Word], inside_block: int) -> None:
        """``let NAME=EXPR ...``: bash's integer arithmetic over variables the script set (``+ - * / %``, parentheses);
        a name it cannot compute is unknown, as bash would compute it only when the script runs."""
        for word in words:
            m = ASSIGN.match(word.text)
            if m is None or m.group(2):
                continue
            value = None if inside_block or word.unknown else _arithmetic(word.text[m.end() :], self.values)
            name = m.group(1)
            self.values.pop(name, None)
            if inside_block:
                self.unknown[name] = inside_block
            elif value is None:
                self.computed[name] = word.line
            else:
                self.unknown.pop(name, None)
                self.computed.pop(name, None)
                self.values[name] = [[(str(value), "")]]

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


_ARITH_TOKEN = re.compile(r"\s*(?:(\d+)|([A-Za-z_][A-Za-z0-9_]*)|([-+*/%()]))")


def _arithmetic(expr: str, values: dict[str, _Value]) -> int | None:
    """An integer expression as bash's ``let`` computes it (``/`` truncates toward zero), or None."""
    tokens: list[int | str] = []
    pos = 0
    expr = expr.strip()
    while pos < len(expr):
        m = _ARITH_TOKEN.match(expr, pos)
        if m is None or m.end() == pos:
            return None
        pos = m.end()
        if m.group(1) is not None:
            tokens.append(int(m.group(1)))
        elif m.group(2) is not None:
            held = values.get(m.group(2))
            text = "".join(t for element in held[:1] for t, unknown in element if not unknown) if held else ""
            if not re.fullmatch(r"-?\d+", text):
                return None
            tokens.append(int(text))
        else:
            tokens.append(m.group(3))
    try:
        result, rest = _sum(tokens)
    except (IndexError, ZeroDivisionError, TypeError):
        return None
    return result if not rest else None


def _sum(tokens: list[int | str]) -> tuple[int, list[int | str]]:
    value, tokens = _product(tokens)
    while tokens and tokens[0] in ("+", "-"):
        op, (right, tokens) = tokens[0], _product(tokens[1:])
        value = value + right if op == "+" else value - right
    return value, tokens


def _product(tokens: list[int | str]) -> tuple[int, list[int | str]]:
    value, tokens = _unary(tokens)
    while tokens and tokens[0] in ("*", "/", "%"):
        op, (right, tokens) = tokens[0], _unary(tokens[1:])
        if op == "*":
            value *= right
        else:
            quotient = abs(value) // abs(right) * (1 if (value < 0) == (right < 0) else -1)  # C's truncation
            value = quotient if op == "/" else value - quotient * right
    return value, tokens


def _unary(tokens: list[int | str]) -> tuple[int, list[int | str]]:
    head = tokens[0]
    if head in ("+", "-"):
        value, rest = _unary(tokens[1:])
        return (-value if head == "-" else value), rest
    if head == "(":
        value, rest = _sum(tokens[1:])
        if not rest or rest[0] != ")":
            raise IndexError("unbalanced")
        return value, rest[1:]
    if isinstance(head, int):
        return head, tokens[1:]
    raise TypeError(head)
