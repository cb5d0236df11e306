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
    assert {m for m in loaded if m.startswith("searchkit")} == {"searchkit"}


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
