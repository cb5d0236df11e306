"""The package's shape: one way to open an index, no private attributes set or read across
module lines (Whoosh's only through ``_whoosh.py``), modules of a readable size."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import searchkit
from searchkit import ArgumentError, MultiIndex, ShardedIndex
from searchkit._base import IndexFolder, IndexLike
from searchkit.index import Index

from .conftest import ROOT

PACKAGE = Path(searchkit.__file__).parent
SOURCES = sorted(PACKAGE.rglob("*.py"))


def _trees() -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in SOURCES]


def test_index_open_returns_a_sharded_index_without_importing_shards_first(
    tmp_path: Path,
) -> None:
    Index.create(tmp_path / "sh", shards=2).close()
    code = (
        "import sys\n"
        "from searchkit.index import Index\n"
        f"ix = Index.open({str(tmp_path / 'sh')!r})\n"
        "print(type(ix).__name__, ix.shard_count, 'searchkit.shards' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.split() == ["ShardedIndex", "2", "False"]


def test_a_sharded_index_is_not_an_ordinary_one_but_both_are_index_folders() -> None:
    assert not issubclass(ShardedIndex, Index)
    assert issubclass(ShardedIndex, IndexFolder) and issubclass(Index, IndexFolder)


@pytest.mark.parametrize("kind", [Index, MultiIndex, ShardedIndex])
def test_every_kind_of_index_answers_the_index_like_protocol(kind: type) -> None:
    members = [n for n in vars(IndexLike) if not n.startswith("_") or n == "__len__"]
    assert {"search", "similar", "documents", "stats", "close", "__len__"} <= set(members)
    assert [n for n in members if not callable(getattr(kind, n, None))] == []


def test_open_or_create_makes_the_kind_asked_for_and_refuses_another_count(
    tmp_path: Path,
) -> None:
    with Index.open_or_create(tmp_path / "sh", shards=3) as ix:
        assert isinstance(ix, ShardedIndex) and ix.shard_count == 3
    with Index.open_or_create(tmp_path / "sh") as again:
        assert isinstance(again, ShardedIndex)
    with pytest.raises(ArgumentError, match="has 3 shards; the shard count is chosen"):
        Index.open_or_create(tmp_path / "sh", shards=2)
    with Index.open_or_create(tmp_path / "one", shards=1) as one:
        assert type(one) is Index
    with pytest.raises(ArgumentError, match="has 1 shard; the shard count is chosen"):
        Index.open_or_create(tmp_path / "one", shards=2)


def test_adding_with_a_dask_client_to_an_ordinary_index_is_refused(tmp_path: Path) -> None:
    with Index.create(tmp_path / "one") as ix, pytest.raises(ArgumentError, match="one shard"):
        ix.add(ROOT / "seeds", client=object())
    assert len(Index.open(tmp_path / "one")) == 0


def test_searching_an_ordinary_index_with_a_dask_client_is_refused(tmp_path: Path) -> None:
    """``search`` is written once for every kind (``_reads.Reads``): an ordinary index
    takes ``client=`` as a sharded one does, and refuses it as its ``add`` does."""
    with Index.create(tmp_path / "one") as ix:
        with pytest.raises(ArgumentError, match="has one shard: Dask can search a sharded"):
            ix.search("harbour", client=object())
        assert ix.search("harbour").total == 0


def _is_self(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id in ("self", "cls")
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"
    )


def _set_attributes(tree: ast.Module) -> list[ast.Attribute]:
    found: list[ast.Attribute] = []
    for node in ast.walk(tree):
        targets = list(node.targets) if isinstance(node, ast.Assign) else []
        targets += [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign) else []
        found.extend(t for t in targets if isinstance(t, ast.Attribute))
    return found


def test_no_module_sets_a_private_attribute_of_another_modules_object() -> None:
    found = []
    for path, tree in _trees():
        if path.name == "_whoosh.py":
            continue
        attributes = _set_attributes(tree)
        # A class's own private attributes, which its module may set, and marks on the
        # module's own functions.
        own = {a.attr for a in attributes if _is_self(a.value)}
        functions = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        for a in attributes:
            if isinstance(a.value, ast.Name) and a.value.id in functions:
                continue
            if a.attr.startswith("_") and not _is_self(a.value) and a.attr not in own:
                found.append(f"{path.relative_to(PACKAGE)}:{a.lineno} .{a.attr}")
    assert found == []


def _own_private_names() -> set[str]:
    """Every ``_name`` searchkit defines: functions, classes, attributes, module names."""
    names = {p.stem for p in SOURCES}
    for _, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and _is_self(node.value):
                names.add(node.attr)
            elif isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.alias):
                names.add((node.asname or node.name).split(".")[-1])
    return {n for n in names if n.startswith("_")}


# Whoosh's private names that searchkit also uses for its own things.
WHOOSH_NAMES = {"_read_toc", "_segments", "_perdoc", "_btexts", "_terms", "_child", "_compress"}


def test_only_whoosh_module_reaches_into_whooshs_private_attributes() -> None:
    own = _own_private_names() - WHOOSH_NAMES
    found = []
    for path, tree in _trees():
        if path.name == "_whoosh.py":
            continue
        functions = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
                if node.attr.startswith("__") or _is_self(node.value) or node.attr in own:
                    continue
                if isinstance(node.value, ast.Name) and node.value.id in functions:
                    continue  # a mark on the module's own function
                if isinstance(node.value, ast.Name) and node.value.id == "os":
                    continue  # os._exit
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} .{node.attr}")
            elif isinstance(node, ast.Constant) and node.value in WHOOSH_NAMES:
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.value!r}")
    assert found == []


def test_no_module_is_over_600_lines_and_the_index_facade_stays_small() -> None:
    sizes = {str(p.relative_to(PACKAGE)): len(p.read_text().splitlines()) for p in SOURCES}
    assert {p: n for p, n in sizes.items() if n > 600} == {}
    new = ("_batch.py", "_sync.py", "_rebuild.py", "check.py", "_open.py", "_base.py", "_write.py")
    cli = [str(p.relative_to(PACKAGE)) for p in SOURCES if p.parent.name == "cli"]
    for name in (*new, "_whoosh.py", "_sharded.py", "_stats.py", "shards.py", "multi.py", *cli):
        assert sizes[name] <= 450, name


def test_one_rebuild_path_takes_the_same_arguments_for_both_kinds(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "far.txt").write_text("Far away\n\nA paragraph about otters.\n", encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "near.txt").write_text("Near\n\nA paragraph about beavers.\n", encoding="utf-8")
    (corpus / "link.txt").symlink_to(outside / "far.txt")
    for shards in (1, 3):
        where = tmp_path / f"ix{shards}"
        Index.create(where, shards=shards).close()
        with pytest.raises(searchkit.DocumentError, match="no such file or folder"):
            searchkit.rebuild_index(where, tmp_path / "missing")
        report = searchkit.rebuild_index(where, corpus, follow_links=True)
        assert (report.added, [s.path for s in report.skipped]) == (2, [])
        with Index.open(where) as ix:
            assert sorted(Path(d.path).name for d in ix.documents()) == ["far.txt", "near.txt"]


def test_garbage_met_in_whoosh_module_reads_is_damage(tmp_path: Path) -> None:
    from searchkit import _whoosh
    from searchkit._damage import damage_guard

    class Garbled:  # a W3 matcher whose block decoded to nothing
        _data = None
        _byteids = True

        def is_active(self) -> bool:
            return True

        def _read_data(self) -> None:
            pass

    with pytest.raises(searchkit.IndexDamagedError, match="TypeError"), damage_guard(tmp_path):
        next(_whoosh.w3_blocks(Garbled(), values=False))
