"""Before a release: the tag names the version in lrviz/_version.py; CHANGELOG.md and the conda recipe agree.

    python scripts/check_release.py v0.3.0          # the release workflow passes the pushed tag
    python scripts/check_release.py                 # just the CHANGELOG check for the current version

Exit 0 when both hold; otherwise one line saying what to fix, exit 1. The version is read from
the file's text (``__version__ = "X.Y.Z"``), so lrviz need not be installed.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def version(path: Path = ROOT / "lrviz" / "_version.py") -> str:
    """The version written in ``_version.py`` (the one place it is set)."""
    found = re.search(r'^__version__ = "([^"]+)"$', path.read_text(encoding="utf-8"), re.M)
    if not found:
        raise SystemExit(f'{path}: no line `__version__ = "X.Y.Z"`')
    return found.group(1)


def release_notes(changelog: str, wanted: str) -> str:
    """The text of the ``## [wanted]`` section (Keep a Changelog), up to the next ``## `` heading."""
    match = re.search(rf"^## \[{re.escape(wanted)}\][^\n]*\n(.*?)(?=^## |\Z)", changelog, re.M | re.S)
    return match.group(1).strip() if match else ""


def recipe_version(recipe: str) -> str | None:
    """The ``version:`` in the ``context:`` of recipe/recipe.yaml."""
    match = re.search(r'^context:\n(?:[ \t]+.*\n)*?[ \t]+version: "([^"]+)"', recipe, re.M)
    return match.group(1) if match else None


def problems(tag: str | None, current: str, changelog: str, recipe: str | None = None) -> list[str]:
    """What stands in the way of releasing ``current`` (empty: nothing)."""
    found = []
    if recipe is not None and recipe_version(recipe) != current:
        found.append(f"recipe/recipe.yaml: context.version is {recipe_version(recipe)}, not {current}; set it")
    if tag is not None and tag != f"v{current}":
        found.append(f"the tag {tag} does not name the version in lrviz/_version.py ({current}); tag v{current}")
    if not release_notes(changelog, current):
        found.append(f"CHANGELOG.md has no notes under `## [{current}]`; move the entries from [Unreleased] there")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tag", nargs="?", help="the git tag being released, e.g. v0.3.0")
    parser.add_argument("--changelog", type=Path, default=ROOT / "CHANGELOG.md")
    parser.add_argument("--version-file", type=Path, default=ROOT / "lrviz" / "_version.py")
    parser.add_argument("--recipe", type=Path, default=ROOT / "recipe" / "recipe.yaml")
    args = parser.parse_args(argv)
    current = version(args.version_file)
    recipe = args.recipe.read_text(encoding="utf-8")
    found = problems(args.tag, current, args.changelog.read_text(encoding="utf-8"), recipe)
    for problem in found:
        print(f"Error: {problem}", file=sys.stderr)
    if not found:
        print(f"lrviz {current}: tag and CHANGELOG agree")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
