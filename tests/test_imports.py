"""Import costs: ``import searchkit`` loads nothing heavy, and a search loads only what it uses."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import searchkit

HEAVY = ("whoosh", "yaml", "charset_normalizer", "dateutil", "multiprocessing", "ctypes")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        check=True,
        capture_output=True,
        text=True,
    )
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_import_searchkit_loads_no_dependency() -> None:
    loaded = _modules_after("import searchkit")
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}
    # searchkit._version holds one string (__version__), and imports nothing.
    assert {m for m in loaded if m.startswith("searchkit")} == {"searchkit", "searchkit._version"}


def test_every_public_name_resolves_to_its_module_object() -> None:
    for name in searchkit.__all__:
        value = getattr(searchkit, name)
        home = searchkit._HOME.get(name)
        if home is not None:
            assert value is getattr(importlib.import_module(f"searchkit.{home}"), name)
    assert set(searchkit.__all__) == set(searchkit._HOME) | {"__version__"}
    assert set(searchkit.__all__) <= set(dir(searchkit))


def test_unknown_name_is_an_attribute_error() -> None:
    try:
        searchkit.no_such_thing  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_a_search_does_not_load_evaluation_or_writer_processes(seed_index_path: Path) -> None:
    loaded = _modules_after(
        "import searchkit\n"
        f"searchkit.Index.open({str(seed_index_path)!r}).search('prisoner exchange')"
    )
    for module in ("searchkit.evaluation", "searchkit._mpwriter", "multiprocessing", "ctypes"):
        assert module not in loaded
    assert not {m for m in loaded if m.split(".")[0] in ("charset_normalizer", "dateutil", "yaml")}


def _imports_of(path: Path, package: str) -> set[str]:
    """The searchkit modules ``path`` imports, at the top or inside functions."""
    import ast

    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            stem = ".".join(base + ([node.module] if node.module else []))
            if node.module is None:
                found.update(f"{stem}.{alias.name}" for alias in node.names)
            else:
                found.add(stem)
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names = [node.module] if isinstance(node, ast.ImportFrom) else []
            names += [a.name for a in node.names] if isinstance(node, ast.Import) else []
            found.update(n for n in names if n and n.startswith("searchkit"))
    return found


def test_no_import_cycles_between_searchkit_modules() -> None:
    root = Path(searchkit.__file__).parent
    graph: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        graph[name] = _imports_of(path, package)
    # The package itself only re-exports (lazily); a cycle through it is not a real one.
    edges = {a: {b for b in deps if b in graph and b != "searchkit"} for a, deps in graph.items()}

    def cycle_from(start: str) -> list[str] | None:
        """A way from ``start`` back to itself: each module is entered once (every way
        through a module is tried at once), its way in kept to name the cycle."""
        came_from: dict[str, str] = {}
        stack = [start]
        while stack:
            node = stack.pop()
            for nxt in sorted(edges.get(node, ())):
                if nxt == start:
                    trail = [node]
                    while trail[-1] != start:
                        trail.append(came_from[trail[-1]])
                    return [*reversed(trail), start]
                if nxt not in came_from:
                    came_from[nxt] = node
                    stack.append(nxt)
        return None

    cycles = [c for c in map(cycle_from, sorted(edges)) if c]
    assert not cycles, f"import cycles: {cycles}"


def test_the_version_lives_in_a_module_that_imports_nothing_and_matches_the_package() -> None:
    import tomllib

    root = Path(searchkit.__file__).parent
    assert _imports_of(root / "_version.py", "searchkit") == set()
    meta = tomllib.loads((root.parent / "pyproject.toml").read_text(encoding="utf-8"))
    assert searchkit.__version__ == meta["project"]["version"]
    for name in ("_settings.py", "_shardset.py", "web/app.py"):
        package = "searchkit.web" if "/" in name else "searchkit"
        assert "searchkit.__version__" not in _imports_of(root / name, package)  # not upward
