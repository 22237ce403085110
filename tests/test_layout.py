"""The runtime package's imports point one way: no module imports, at its top level, one that imports it back
(directly or around a circle), and the settings module imports nothing of the package."""

from __future__ import annotations

import ast
from pathlib import Path

from orchestration.settings import PROJECT_DIR

PACKAGE = PROJECT_DIR / "orchestration"


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_DIR).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def top_level_imports(path: Path, known: set[str]) -> set[str]:
    """The package's modules `path` imports outside any function (what runs when it is imported)."""
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        found.update(name for name in names if name in known)
    return found


def graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    known = set(files)
    return {name: top_level_imports(path, known) - {name} for name, path in files.items()}


def test_no_module_of_the_package_imports_itself_around_a_circle() -> None:
    edges = graph()
    state: dict[str, str] = {}
    circles: list[list[str]] = []

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for target in sorted(edges[name]):
            if state.get(target) == "open":
                circles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[name] = "done"

    for name in sorted(edges):
        if name not in state:
            visit(name, [name])
    assert circles == []


def test_the_settings_module_stands_on_nothing_of_the_package() -> None:
    assert graph()["orchestration.settings"] == set()
