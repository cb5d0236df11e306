"""Loaders from other packages, found through the ``searchkit.loaders`` entry point group."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import searchkit
from searchkit import loaders

PLUGIN = Path(__file__).parent / "fixtures" / "plugin"
ROOT = Path(__file__).resolve().parent.parent


def _install(site: Path, entry_point: str = "org = searchkit_org:OrgLoader") -> Path:
    """Install the fixture plug-in into ``site`` as pip lays out a wheel: the package and
    its ``.dist-info`` with the entry point."""
    shutil.copytree(PLUGIN / "searchkit_org", site / "searchkit_org")
    info = site / "searchkit_org-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: searchkit-org\nVersion: 0.1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[searchkit.loaders]\n{entry_point}\n", encoding="utf-8"
    )
    return site


@pytest.fixture
def fresh_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Plug-ins looked for again, and the registry as it was afterwards."""
    monkeypatch.setattr(loaders, "_plugins", None)
    monkeypatch.setattr(loaders, "LOADERS", dict(loaders.LOADERS))
    yield


def test_the_cli_indexes_a_format_a_plug_in_brings(tmp_path: Path) -> None:
    site = _install(tmp_path / "site")
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(PLUGIN / "notes.org", docs / "notes.org")
    (docs / "plain.txt").write_text("Weather\n\nRain all day.\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}
    ix = str(tmp_path / "ix")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "searchkit", *args, "--index", ix],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )

    done = run("index", str(docs), "--json", "--language", "en")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["added"], report["skipped"]) == (2, [])
    found = run("search", "--flat", "tomato", "--json")
    hits = json.loads(found.stdout)["hits"]
    assert [(Path(h["path"]).name, h["title"], h["author"], h["text"]) for h in hits] == [
        ("notes.org", "Garden notes", "Ann Lee", "Tomatoes"),
        (
            "notes.org",
            "Garden notes",
            "Ann Lee",
            "The tomatoes ripened early this year, after a warm June.",
        ),
    ]
    # Without the plug-in, the same folder has no loader for .org files.
    env["PYTHONPATH"] = str(ROOT)
    command = [sys.executable, "-m", "searchkit", "index", str(docs), "--language", "en"]
    bare = subprocess.run(
        [*command, "--index", str(tmp_path / "b")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert f"Skipped {docs / 'notes.org'}: no loader for .org files" in bare.stderr


def test_plug_ins_register_once(tmp_path: Path, fresh_registry: None) -> None:
    sys.path.insert(0, str(_install(tmp_path / "site")))
    try:
        assert loaders.load_plugins() == ["org"]
        assert loaders.LOADERS[".org"].name == "org"
        assert loaders.load_plugins() == ["org"]
        doc = searchkit.load_document(PLUGIN / "notes.org")
    finally:
        sys.path.remove(str(tmp_path / "site"))
        sys.modules.pop("searchkit_org", None)
    assert (doc.title, doc.author, doc.format, len(doc.paragraphs)) == (
        "Garden notes",
        "Ann Lee",
        "org",
        3,
    )


@pytest.mark.parametrize(
    ("entry_point", "reason"),
    [
        (
            "org = searchkit_org:Missing",
            "loader plug-in 'org' (searchkit_org:Missing) cannot be loaded: module "
            "'searchkit_org' has no attribute 'Missing'",
        ),
        (
            "org = searchkit_org:_KEYWORD",
            "loader plug-in 'org' (searchkit_org:_KEYWORD) is not a loader "
            "(it needs name, suffixes and load())",
        ),
    ],
)
def test_a_broken_plug_in_is_named(
    tmp_path: Path, fresh_registry: None, entry_point: str, reason: str
) -> None:
    sys.path.insert(0, str(_install(tmp_path / "site", entry_point)))
    try:
        with pytest.raises(searchkit.SettingsError) as caught:
            loaders.load_plugins()
    finally:
        sys.path.remove(str(tmp_path / "site"))
        sys.modules.pop("searchkit_org", None)
    assert str(caught.value) == reason
