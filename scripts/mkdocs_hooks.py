"""mkdocs hook: draw the gallery with lrviz (scripts/gallery.py) into a temporary folder and add it to the site.

Nothing is written into docs/: the plots and ``gallery/index.md`` exist only in the build,
so the gallery always shows what the installed lrviz draws today.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gallery  # noqa: E402

_tmp: tempfile.TemporaryDirectory[str] | None = None


def on_files(files: Any, config: Any) -> Any:
    """Add the gallery's page and plots to the site's files."""
    from mkdocs.structure.files import File

    global _tmp
    _tmp = tempfile.TemporaryDirectory(prefix="lrviz-gallery-")
    root = Path(_tmp.name)
    gallery.build(root / "gallery", page_name="index.md")
    for path in sorted((root / "gallery").iterdir()):
        if path.suffix in (".png", ".md"):
            files.append(File(f"gallery/{path.name}", str(root), config["site_dir"], config["use_directory_urls"]))
    return files


def on_post_build(config: Any) -> None:
    """Remove the temporary gallery folder."""
    global _tmp
    if _tmp is not None:
        _tmp.cleanup()
        _tmp = None
