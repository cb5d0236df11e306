"""searchkit: paragraph-level full-text search over a folder of articles, on Whoosh.

>>> import searchkit
>>> index = searchkit.Index.create("my-index")
>>> report = index.add("seeds/")
>>> for hit in index.search("prisoner exchange", limit=5):
...     print(hit.rank, hit.title, hit.paragraph, hit.highlights)
"""

from __future__ import annotations

__version__ = "0.1.0"

from .chunking import chunk_document
from .errors import (
    CollectionError,
    DocumentError,
    EmptyQueryError,
    FilterError,
    IndexExistsError,
    IndexIncompatibleError,
    IndexLockedError,
    IndexNotFoundError,
    NotFoundError,
    QueryError,
    QuerySyntaxError,
    SearchkitError,
    SearchkitIndexError,
)
from .evaluation import EvaluationReport, evaluate
from .index import Index, check_index, rebuild_index
from .loaders import load_document, load_documents, register_loader
from .models import (
    CheckReport,
    Chunk,
    Document,
    DocumentInfo,
    Hit,
    IndexReport,
    IndexStats,
    Paragraph,
    Passage,
    Results,
    Skipped,
)

__all__ = [
    "CheckReport",
    "Chunk",
    "CollectionError",
    "Document",
    "DocumentError",
    "DocumentInfo",
    "EmptyQueryError",
    "EvaluationReport",
    "FilterError",
    "Hit",
    "Index",
    "IndexExistsError",
    "IndexIncompatibleError",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexReport",
    "IndexStats",
    "NotFoundError",
    "Paragraph",
    "Passage",
    "QueryError",
    "QuerySyntaxError",
    "Results",
    "SearchkitError",
    "SearchkitIndexError",
    "Skipped",
    "__version__",
    "check_index",
    "chunk_document",
    "evaluate",
    "load_document",
    "load_documents",
    "rebuild_index",
    "register_loader",
]
