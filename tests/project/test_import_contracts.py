"""The import contracts cover every module, and no module imports itself in a circle (not even lazily).

``test_quality`` runs import-linter; these tests keep its contracts from going stale: a new top-level
module or package that no layer names, or that the "library never imports the CLI" contract leaves
out, fails here. The circle check reads every import grimp finds, function-level ones included, so a
circle hidden behind an import inside a function fails too.
"""

from __future__ import annotations

from pathlib import Path

import grimp
import tomllib

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def _top_level() -> set[str]:
    """Every module and package directly under lrviz/ (``lrviz.cli``, ``lrviz.model``, ...)."""
    names = {p.stem for p in (ROOT / "lrviz").glob("*.py") if p.stem not in ("__init__", "__main__")}
    names |= {p.name for p in (ROOT / "lrviz").iterdir() if (p / "__init__.py").is_file()}
    return names


def _contract(name_start: str) -> dict[str, object]:
    return next(c for c in CONTRACTS if str(c["name"]).startswith(name_start))


def test_every_module_is_in_a_layer() -> None:
    layers = _contract("Imports go one way")
    named = {part.strip() for layer in layers["layers"] for part in str(layer).split("|")}  # type: ignore[attr-defined]
    assert sorted(_top_level() - named) == [], "add the new module to the layers contract in pyproject.toml"
    assert sorted(named - _top_level()) == [], "the layers contract names a module that is gone"


def test_every_library_module_is_forbidden_the_cli() -> None:
    forbidden = _contract("The library never imports the CLI")
    sources = {str(s).removeprefix("lrviz.") for s in forbidden["source_modules"]}  # type: ignore[attr-defined]
    exempt = {"cli", "_version"}  # the CLI itself; a version string imports nothing
    assert sorted(_top_level() - sources - exempt) == []


def test_every_framework_package_is_independent() -> None:
    independent = _contract("Each framework's package stands alone")
    listed = {str(m) for m in independent["modules"]}  # type: ignore[attr-defined]
    packages = {
        f"lrviz.frameworks.{p.name}" for p in (ROOT / "lrviz" / "frameworks").iterdir() if (p / "__init__.py").is_file()
    }
    assert sorted(packages - listed) == []


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _edges() -> dict[str, set[str]]:
    graph = grimp.build_graph("lrviz", cache_dir=None)
    return {m: {i for i in graph.find_modules_directly_imported_by(m) if i.startswith("lrviz")} for m in graph.modules}


def test_no_import_circles() -> None:
    assert _cycles(_edges()) == []


def test_the_circle_check_can_fail() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(edges) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_every_command_module_is_held_to_the_api() -> None:
    commands = _contract("Commands call the API")
    listed = {str(m) for m in commands["source_modules"]}  # type: ignore[attr-defined]
    modules = {f"lrviz.cli.{p.stem}" for p in (ROOT / "lrviz" / "cli").glob("*.py") if not p.stem.startswith("_")}
    assert sorted(modules - listed) == [], "a new command module: add it to the 'Commands call the API' contract"
