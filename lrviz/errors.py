"""Errors lrviz raises. The CLI turns them into one-line messages and exit codes.

Core modules raise these and never print or exit; ``lrviz.cli`` is the only place
where an ``LrvizError`` becomes ``Error: ...`` on stderr and an exit status.

A message refers to a run option through ``option(key)``: library users read the
key (``epochs``), and the CLI renders the flag that sets it (``--epochs``) with
``render(names)``, so no core module names a flag.
"""

from __future__ import annotations

from collections.abc import Mapping

_MARK = "\x1f"  # unit separator: never in a rendered message (control characters are escaped there)


#: Environment values ``${oc.env:NAME}`` resolved (value -> NAME): never shown in a message.
_SECRETS: dict[str, str] = {}


def redact(value: str, name: str) -> None:
    """Keep ``value`` (the environment variable ``name``) out of every message from now on.

    Values shorter than 4 characters (a number of epochs) are no secret and stay readable.
    """
    if len(value) >= 4:
        _SECRETS[value] = name


def _redacted(text: str) -> str:
    for value, name in sorted(_SECRETS.items(), key=lambda item: -len(item[0])):
        if value in text:
            text = text.replace(value, f"<the value of ${name}>")
    return text


def option(key: str) -> str:
    """A reference to the run option ``key`` inside a message."""
    return f"{_MARK}{key}{_MARK}"


def render_options(text: str, names: Mapping[str, str] | None = None) -> str:
    """``text`` with each ``option(key)`` replaced by ``names[key]``, or by the key itself."""
    if _MARK not in text:
        return text
    parts = text.split(_MARK)
    if len(parts) % 2 == 0:  # an unpaired mark came from elsewhere: leave the text alone
        return text
    names = names or {}
    return "".join(part if i % 2 == 0 else names.get(part, part) for i, part in enumerate(parts))


class LrvizError(Exception):
    """Base class: something the user can fix. Exit code 1 unless a subclass says otherwise."""

    exit_code = 1

    @property
    def message(self) -> str:
        """The message with its option references kept, for wrapping into another error."""
        return str(self.args[0]) if self.args else ""

    def render(self, names: Mapping[str, str] | None = None) -> str:
        """The message, with option references spelled by ``names`` (key -> flag)."""
        text = render_options(self.message, names)
        return _redacted(text) if _SECRETS else text

    def __str__(self) -> str:
        return self.render()


class ConfigError(LrvizError):
    """Bad input: a flag, a YAML key or a value that cannot describe a schedule (exit 2)."""

    exit_code = 2


class OutputError(LrvizError):
    """An output file cannot be written (exit 1)."""


class ScheduleError(LrvizError):
    """PyTorch failed while stepping a schedule that looked valid: the input's values are at fault (exit 2)."""

    exit_code = 2
