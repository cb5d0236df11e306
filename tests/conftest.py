from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import searchkit

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED = SEEDS / "000_43ca5ddb21f9512f.txt"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def seed_index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed-index") / "index"
    with searchkit.Index.create(path) as index:
        report = index.add(SEEDS)
    assert report.added == 1
    return path


@pytest.fixture
def seed_index(seed_index_path: Path) -> Iterator[searchkit.Index]:
    with searchkit.Index.open(seed_index_path) as index:
        yield index


@pytest.fixture
def index(tmp_path: Path) -> Iterator[searchkit.Index]:
    with searchkit.Index.create(tmp_path / "index") as ix:
        yield ix
