"""searchkit: paragraph-level full-text search over a folder of articles, on Whoosh.

>>> import searchkit
>>> index = searchkit.Index.create("my-index")
>>> report = index.add("seeds/")
>>> for hit in index.search("prisoner exchange", limit=5):
...     print(hit.rank, hit.title, hit.paragraph, hit.highlights)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from ._limits import QueryLimits
    from ._types import SearchRequest, SimilarRequest
    from .analysis.detect import detect_language
    from .check import check_index
    from .chunking import chunk_document
    from .errors import (
        ArgumentError,
        ClusterTimeoutError,
        CollectionError,
        DaskUnavailableError,
        DocumentError,
        EmptyQueryError,
        FilterError,
        IndexAccessError,
        IndexDamagedError,
        IndexExistsError,
        IndexIncompatibleError,
        IndexLockedError,
        IndexNotFoundError,
        NotFoundError,
        QueryError,
        QueryLimitError,
        QuerySyntaxError,
        RebuildRefusedError,
        SearchkitError,
        SearchkitIndexError,
        SemanticUnavailableError,
        SettingsError,
        VectorsMissingError,
    )
    from .evaluation import EvaluationReport, evaluate
    from .index import Index, rebuild_index
    from .loaders import load_document, load_documents, register_loader
    from .models import (
        Bucket,
        CheckReport,
        Chunk,
        Completion,
        Document,
        DocumentInfo,
        Hit,
        IndexReport,
        IndexStats,
        Paragraph,
        Passage,
        Results,
        Skipped,
        TermScore,
    )
    from .multi import MultiIndex
    from .shards import ShardedIndex, open_many

__all__ = [
    "ArgumentError",
    "Bucket",
    "CheckReport",
    "Chunk",
    "ClusterTimeoutError",
    "CollectionError",
    "Completion",
    "DaskUnavailableError",
    "Document",
    "DocumentError",
    "DocumentInfo",
    "EmptyQueryError",
    "EvaluationReport",
    "FilterError",
    "Hit",
    "Index",
    "IndexAccessError",
    "IndexDamagedError",
    "IndexExistsError",
    "IndexIncompatibleError",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexReport",
    "IndexStats",
    "MultiIndex",
    "NotFoundError",
    "Paragraph",
    "Passage",
    "QueryError",
    "QueryLimitError",
    "QueryLimits",
    "QuerySyntaxError",
    "RebuildRefusedError",
    "Results",
    "SearchRequest",
    "SearchkitError",
    "SearchkitIndexError",
    "SemanticUnavailableError",
    "SettingsError",
    "ShardedIndex",
    "SimilarRequest",
    "Skipped",
    "TermScore",
    "VectorsMissingError",
    "__version__",
    "check_index",
    "chunk_document",
    "detect_language",
    "evaluate",
    "load_document",
    "load_documents",
    "open_many",
    "rebuild_index",
    "register_loader",
]

# Each public name and the module that defines it (every ``...Error`` is ``errors``').
# The modules load on first use (PEP 562), so ``import searchkit`` stays cheap and a
# command that only searches never loads the evaluation, the loaders' parsers or the
# writer's process pool.
_HOME: dict[str, str] = {
    **{name: "errors" for name in __all__ if name.endswith("Error")},
    "chunk_document": "chunking",
    "detect_language": "analysis.detect",
    "EvaluationReport": "evaluation",
    "evaluate": "evaluation",
    "Index": "index",
    "QueryLimits": "_limits",
    "SearchRequest": "_types",
    "SimilarRequest": "_types",
    "check_index": "check",
    "rebuild_index": "index",
    "MultiIndex": "multi",
    "ShardedIndex": "shards",
    "open_many": "shards",
    "load_document": "loaders",
    "load_documents": "loaders",
    "register_loader": "loaders",
    **dict.fromkeys(
        (
            "Bucket",
            "CheckReport",
            "Chunk",
            "Completion",
            "Document",
            "DocumentInfo",
            "Hit",
            "IndexReport",
            "IndexStats",
            "Paragraph",
            "Passage",
            "Results",
            "Skipped",
            "TermScore",
        ),
        "models",
    ),
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{home}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
