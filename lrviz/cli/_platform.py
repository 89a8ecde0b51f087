"""Where platforms differ, decided in one place: whether forking is safe, what a stream can encode.

Forking without exec is what makes the installed command fast (torch imports in a child
while this process imports matplotlib), but it is only safe on a POSIX system that is not
macOS (its system frameworks are not fork-safe), and only while this process runs one
thread (a forked child gets only the calling thread; locks other threads hold stay held).
``LRVIZ_NO_FORK=1`` turns it off. Everything degrades to one process, with the same output.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import TextIO

#: ``fork``: set by ``main()``. Only the installed command forks; in-process callers
#: (tests, scripts, a notebook calling the CLI) keep one process.
state = {"fork": False}


def fork_is_safe() -> bool:
    """Whether this process may fork a child that runs Python code now."""
    if os.environ.get("LRVIZ_NO_FORK", "") not in ("", "0"):
        return False
    if not hasattr(os, "fork") or sys.platform == "darwin" or sys.platform.startswith("win"):
        return False
    return threading.active_count() == 1


def may_fork() -> bool:
    """Whether the command should fork now: it asked to (``main()``) and it is safe."""
    return state["fork"] and fork_is_safe()


def can_encode(stream: TextIO | None, text: str) -> bool:
    """Whether ``stream`` (stdout, say) can write ``text``: False for ``↺`` on a cp1252 or ASCII stream."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True
