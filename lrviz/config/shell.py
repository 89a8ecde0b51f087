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
is kept with where it was written. A launcher script that wraps one is read as the command
it runs: timm's ``distributed_train.sh N ARGS`` is ``torchrun --nproc_per_node=N train.py ARGS``
(``_WRAPPERS``). Nothing else here knows a training framework.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from lrviz.config.bash import ASSIGN, Raw, Token, Vars, Word, tokens
from lrviz.errors import ConfigError

_BLOCK_OPEN = {"if", "for", "while", "until", "case", "select"}
_BLOCK_CLOSE = {"fi", "done", "esac"}
_KEYWORDS = {"then", "do", "else", "elif", "{", "}", "!"}
#: Launchers: word(s) that start the training command.
_PYTHON = re.compile(r"python(\d+(\.\d+)?)?$")
_TORCHRUN_MODULES = ("torch.distributed.run", "torch.distributed.launch")
#: Words before the launcher that only change how it runs (``/usr/bin/env python3``, ``nohup``, ...).
_PREFIXES = ("nohup", "exec", "time", "stdbuf", "env")


#: Launcher scripts run as ``[sh|bash] NAME N ARGS``: NAME -> (launcher, script) of the command they run with
#: N processes (pytorch-image-models' distributed_train.sh: ``torchrun --nproc_per_node=$1 train.py "$@"``).
_WRAPPERS = {"distributed_train.sh": ("torchrun", "train.py")}


def _prefix(word: Word) -> bool:
    return word.text.rsplit("/", 1)[-1] in _PREFIXES


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
    wrapper: str | None = None  # the launcher script that runs the command (``_WRAPPERS``)


# ---------------------------------------------------------------------------
# Commands


def _commands(tokens: list[Token]) -> list[list[Raw]]:
    commands: list[list[Raw]] = [[]]
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
    words_of = tokens(text, label)
    variables = Vars()
    depth = 0
    block_line = 0
    found: list[tuple[list[Word], int]] = []
    for command in _commands(words_of):
        first = command[0].plain
        if first in _BLOCK_OPEN or first.endswith("()") or (len(command) > 1 and command[1].plain == "()"):
            depth, block_line = depth + 1, block_line if depth else command[0].line
        if first in _BLOCK_CLOSE or first == "}":
            depth = max(depth - 1, 0)
            continue
        words = command
        while words and words[0].plain in _KEYWORDS | _BLOCK_OPEN:
            words = words[1:]
        assigning = [w for w in words if ASSIGN.match(w.plain) and w.array is None]
        if words and words[0].plain == "let":  # `let BATCH=ALL/GPUS/ACCUM`: integer arithmetic
            variables.let([w for raw in words[1:] for w in variables.expand(raw)], block_line if depth else 0)
            continue
        if words and words[0].plain in ("export", "declare", "local", "readonly"):
            words = [w for w in words[1:] if not w.plain.startswith("-")]
            for w in words:
                variables.assign(w, block_line if depth else 0)
            continue
        while words and (ASSIGN.match(words[0].plain) or words[0].array is not None):
            if len(words) == len(assigning) or all(ASSIGN.match(w.plain) for w in words):
                for w in words:
                    variables.assign(w, block_line if depth else 0)
                words = []
                break
            words = words[1:]  # VAR=x python ...: an environment for that command only
        if not words:
            continue
        expanded = [w for raw in words for w in variables.expand(raw)]
        if _starts_python(expanded) or _wrapper_at(expanded) is not None:
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
    while words and _prefix(words[0]):
        words = words[1:]
    if not words:
        return False
    head = words[0].text.rsplit("/", 1)[-1]
    if head == "accelerate":
        return len(words) > 1 and words[1].text == "launch"
    return head in ("torchrun", "deepspeed") or bool(_PYTHON.fullmatch(head))


def _wrapper_at(words: list[Word]) -> int | None:
    """Where a ``_WRAPPERS`` script is named (``sh distributed_train.sh``, ``./distributed_train.sh``), if it is."""
    k = 0
    while k < len(words) and _prefix(words[k]):
        k += 1
    if k < len(words) and words[k].text.rsplit("/", 1)[-1] in ("sh", "bash"):
        k += 1
    return k if k < len(words) and words[k].text.rsplit("/", 1)[-1] in _WRAPPERS else None


def _wrapped(words: list[Word], at: int, label: str) -> Launch:
    """``[sh] distributed_train.sh N ARGS`` as the command it runs: ``torchrun --nproc_per_node=N train.py ARGS``."""
    name = words[at].text.rsplit("/", 1)[-1]
    launcher, script = _WRAPPERS[name]
    rest = words[at + 1 :]
    if not rest:
        raise ConfigError(f"{label}:{words[at].line}: {name} takes the process count first; fix the script")
    count = _count(rest[0])
    runs = f"{name} {rest[0].text} runs {launcher} --nproc_per_node={rest[0].text} {script}"
    if count is None:
        note = f"{label}:{rest[0].line}: {runs}: the process count is decided at run time; lrviz assumed 1: give the real one with --world-size N"
        return Launch(label, words[at].line, launcher, script, tuple(rest[1:]), None, (note,), wrapper=name)
    where = f"{label}:{rest[0].line}: {runs}"
    return Launch(label, words[at].line, launcher, script, tuple(rest[1:]), Count(count, where), wrapper=name)


def _launch(words: list[Word], label: str) -> Launch:
    at = _wrapper_at(words)
    if at is not None:
        return _wrapped(words, at, label)
    while _prefix(words[0]):
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
    # `python -m M`; the launchers' own `--module` (deepspeed, torchrun, accelerate launch) runs M as python -m does
    module = ("-m",) if launcher == "python" else ("-m", "--module")
    script_at = next(
        (k for k, w in enumerate(rest) if w.text.endswith(".py") or (k and rest[k - 1].text in module)), None
    )
    if script_at is None:
        raise ConfigError(f"{label}:{line}: the {launcher} command runs no .py script or -m module; fix the script")
    options, script, args = rest[:script_at], rest[script_at], rest[script_at + 1 :]
    if script.unknown:
        raise ConfigError(f"{label}:{script.line}: the script {script.text} depends on {script.unknown}, not set here")
    if script_at and options[-1].text in module:
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
    if launcher == "torchrun" and per is None and nodes_n is not None:  # torchrun's default: one process per node
        return Count(nodes_n, f"{label}: torchrun's default --nproc_per_node 1"), []
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
            "decided at run time"
            + (" (accelerate's config file, or 1)" if launcher == "accelerate" else "")
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
