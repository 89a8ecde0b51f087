"""Install each built distribution (wheel, sdist) into a fresh venv and run lrviz from there, as a user would.

    python scripts/smoke_dist.py dist/*  --first "torch --index-url https://download.pytorch.org/whl/cpu"

For each file: a new venv; the ``--first`` requirements installed (the CPU build of torch);
the distribution installed; then ``lrviz --version`` must print this version first, and the
README's hero plot (``lrviz restarts --t0 5 --t-mult 2 --epochs 35 -o restarts.png``) must be
written as a PNG, by the lrviz inside that venv, run from an empty folder. ``--inherit-site``
with ``--pip-args=--no-deps`` lets an offline test take the dependencies from the running
environment while lrviz itself still comes only from the distribution.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_release import version  # noqa: E402

HERO = ["restarts", "--t0", "5", "--t-mult", "2", "--epochs", "35", "-o", "restarts.png"]


#: The environment of every command: none of the caller's PYTHONPATH (a source tree on it would pass
#: for an installed lrviz, and pip would skip installing the dist) or virtualenv.
ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def _run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, capture_output=True, text=True, env=ENV, **kwargs)
    if result.returncode != 0:
        raise SystemExit(f"Error: `{shlex.join(cmd)}` exited {result.returncode}\n{result.stdout}{result.stderr}")
    return result


def smoke(dist: Path, first: list[str], pip_args: list[str], inherit_site: bool) -> str:
    """Install ``dist`` in a fresh venv, run ``lrviz --version`` and the hero render; return what --version said."""
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "venv"
        _run([sys.executable, "-m", "venv", str(venv)], timeout=300)
        python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
        lrviz = python.with_name("lrviz.exe" if os.name == "nt" else "lrviz")
        if inherit_site:
            site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout
            Path(site.strip(), "_smoke_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        for requirement in first:
            _run([str(python), "-m", "pip", "install", "-q", *shlex.split(requirement)], timeout=1800)
        _run([str(python), "-m", "pip", "install", "-q", *pip_args, str(dist)], timeout=1800)
        work = Path(tmp) / "work"
        work.mkdir()
        said = _run([str(lrviz), "--version"], cwd=work, timeout=120).stdout
        if said.splitlines()[0] != f"lrviz {version()}":
            raise SystemExit(f"Error: {dist.name}: `lrviz --version` said {said.splitlines()[0]!r}")
        where = _run([str(python), "-c", "import lrviz; print(lrviz.__file__)"], cwd=work).stdout.strip()
        if not where.startswith(str(venv)):
            raise SystemExit(f"Error: {dist.name}: lrviz was imported from {where}, not from the venv")
        _run([str(lrviz), *HERO], cwd=work, timeout=300)
        if (work / "restarts.png").read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
            raise SystemExit(f"Error: {dist.name}: restarts.png is not a PNG")
        return said


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dists", nargs="+", type=Path)
    parser.add_argument("--first", action="append", default=[], help="requirements installed before the dist")
    parser.add_argument("--pip-args", default="", help="extra arguments for installing the dist")
    parser.add_argument("--inherit-site", action="store_true", help="see the running environment's packages")
    args = parser.parse_args(argv)
    for dist in args.dists:
        said = smoke(dist, args.first, shlex.split(args.pip_args), args.inherit_site)
        print(f"{dist.name}: ok: {said.splitlines()[0]}, hero plot rendered")
    return 0


if __name__ == "__main__":
    sys.exit(main())
