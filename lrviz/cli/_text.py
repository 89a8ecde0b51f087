"""One-line messages on stderr, shared by the command and the child that steps its schedule.

Light on purpose (no typer, no rich): ``show_warning`` is the warning handler the command
installs, and the prestarted child (``_fork.py``) installs the same one, by reference,
before it runs its job.
"""

from __future__ import annotations

import sys
from typing import Any

#: The longest message printed: a longer one (a value quoted from a huge file) keeps its start and its end.
MAX_MESSAGE = 1000


def one_line(text: str) -> str:
    """``text`` on one line: line breaks become spaces, other control characters are escaped, at most
    ``MAX_MESSAGE`` characters (the middle of a longer one is cut)."""
    text = str(text)
    if len(text) > 4 * MAX_MESSAGE:  # never escape a 300 KB message only to cut it
        text = f"{text[: 2 * MAX_MESSAGE]} ... {text[-MAX_MESSAGE:]}"
    flat = " ".join(text.splitlines())
    line = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in flat).strip()
    if len(line) > MAX_MESSAGE:
        line = f"{line[: MAX_MESSAGE - 300]} ... {line[-290:]}"
    return line


def show_warning(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
    """Python warnings (from matplotlib, say) as one `warning:` line, not a source listing."""
    print(f"warning: {one_line(str(message))}", file=sys.stderr)
