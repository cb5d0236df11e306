"""Fixtures more than one test file uses.

The indexes of the repository's folders (``seeds/``, ``tests/fixtures/typos``,
``tests/fixtures/explore``) are built once a session and only read by the tests that take
them; a test that writes builds its own in ``tmp_path``.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import searchkit

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED = SEEDS / "000_43ca5ddb21f9512f.txt"
SHARED_DATA = ROOT.parent / "shared" / "data"
TYPOS = ROOT / "tests" / "fixtures" / "typos"
EXPLORE = ROOT / "tests" / "fixtures" / "explore"
FOLDERS = ROOT / "tests" / "fixtures" / "folders"


def _built(factory: pytest.TempPathFactory, name: str, folder: Path, documents: int) -> Path:
    path = factory.mktemp(name) / "index"
    with searchkit.Index.create(path) as index:
        report = index.add(folder)
    assert report.added == documents
    return path


@pytest.fixture(scope="session")
def seed_index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of ``seeds/`` (one article)."""
    return _built(tmp_path_factory, "seed-index", SEEDS, 1)


@pytest.fixture
def seed_index(seed_index_path: Path) -> Iterator[searchkit.Index]:
    with searchkit.Index.open(seed_index_path) as index:
        yield index


@pytest.fixture(scope="session")
def folders_pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of ``tests/fixtures/folders`` (pages in subfolders, two named ``kill``): its
    absolute path is the root of the indexes built from it."""
    folder = tmp_path_factory.mktemp("folders") / "pages"
    shutil.copytree(FOLDERS, folder)
    return folder


@pytest.fixture(scope="session")
def folders_index_path(folders_pages: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of :func:`folders_pages` (five files)."""
    return _built(tmp_path_factory, "folders-index", folders_pages, 5)


@pytest.fixture
def folders_index(folders_index_path: Path) -> Iterator[searchkit.Index]:
    with searchkit.Index.open(folders_index_path) as index:
        yield index


@pytest.fixture(scope="session")
def typos_index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of ``tests/fixtures/typos`` (three articles)."""
    return _built(tmp_path_factory, "typos-index", TYPOS, 3)


@pytest.fixture(scope="session")
def explore_index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of ``tests/fixtures/explore`` (six articles)."""
    return _built(tmp_path_factory, "explore-index", EXPLORE, 6)


@pytest.fixture(scope="session")
def explore_ids(explore_index_path: Path) -> dict[str, str]:
    """The explore index's article number (``"03"``) -> document id."""
    with searchkit.Index.open(explore_index_path) as index:
        return {Path(d.path).name[:2]: d.id for d in index.documents()}


@pytest.fixture
def index(tmp_path: Path) -> Iterator[searchkit.Index]:
    with searchkit.Index.create(tmp_path / "index") as ix:
        yield ix


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No environment variable of the user's that changes what a command prints."""
    for name in ("NO_COLOR", "SEARCHKIT_INDEX", "SEARCHKIT_LOCK_TIMEOUT", "TERM"):
        monkeypatch.delenv(name, raising=False)


def searchkit_script() -> str:
    """The installed ``searchkit`` console script (beside this Python, else on PATH); the
    test calling it is skipped when there is none."""
    beside = Path(sys.executable).parent / "searchkit"
    found = str(beside) if beside.exists() else shutil.which("searchkit")
    if found is None:
        pytest.skip("the searchkit script is not installed (pip install -e .)")
    return found
