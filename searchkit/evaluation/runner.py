"""Run a test collection through searchkit and measure the ranking: :func:`evaluate`.

The collection's documents go into a searchkit index through ``Index.add_documents``
(each becomes a :class:`~searchkit.Document` whose paragraphs are its text's blank-line
separated blocks), and each query goes through ``Index.search``, so what is measured is
the paragraph index every user gets, with its default settings.  A document ranks by
its best paragraph: the paragraph hits, best first, are read until ``depth`` distinct
documents are found.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import attrs

from .._base import IndexLike
from .._types import MODES, Mode
from ..analysis import ANALYZER_ID
from ..errors import ArgumentError, CollectionError, QueryError
from ..index import Index, ShardedIndex
from ..models import Document, Paragraph
from ..query import plain_query
from ..search import MAX_LIMIT
from .metrics import mean, ranking, score_query
from .readers import Collection, CollectionDocument, Format, read_collection

__all__ = [
    "DEFAULT_DEPTH",
    "EvaluationReport",
    "Progress",
    "QueryResult",
    "Ranking",
    "Setup",
    "evaluate",
    "evaluate_rankings",
    "to_document",
]

# Documents retrieved per query: enough for Recall@100 and MAP@100.
DEFAULT_DEPTH = 100

# progress(stage, done, total): stage is "index" (documents) or "search" (queries).
Progress = Callable[[str, int, int], None]

_BLANK_LINES = re.compile(r"\n[ \t\r\f\v]*\n")
# The metrics' keys in the JSON of a report and of each of its queries, by attribute.
_METRIC_KEYS = {
    "ndcg_10": "ndcg@10",
    "recall_100": "recall@100",
    "mrr_10": "mrr@10",
    "map_100": "map@100",
}


@attrs.frozen
class QueryResult:
    """One query's figures; ``top`` holds its first ten document ids."""

    id: str
    text: str
    ndcg_10: float
    recall_100: float
    mrr_10: float
    map_100: float
    relevant: int
    retrieved: int
    seconds: float
    top: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view: every field, the metrics under the keys of
        :meth:`EvaluationReport.as_dict`."""
        fields = {_METRIC_KEYS.get(k, k): v for k, v in attrs.asdict(self).items()}
        return {**fields, "top": list(self.top)}


@attrs.frozen
class EvaluationReport:
    """What :func:`evaluate` measured: mean metrics over ``queries`` judged queries.

    ``qps`` is queries per second of searching alone (parsing, ``Index.search`` and
    ranking documents); ``index_seconds`` is the time to build the index, 0 when an
    existing one was reused.
    """

    collection: str
    format: str
    split: str
    documents: int
    chunks: int
    queries: int
    ndcg_10: float
    recall_100: float
    mrr_10: float
    map_100: float
    qps: float
    search_seconds: float
    index_seconds: float
    analyzer: str
    per_query: tuple[QueryResult, ...] = ()
    # Document ids the collection repeats (the first document of each was indexed).
    duplicates: tuple[str, ...] = ()

    def as_dict(self, *, per_query: bool = False) -> dict[str, Any]:
        """The JSON form: exactly ``ndcg@10``, ``recall@100``, ``mrr@10``, ``map@100``,
        ``queries`` and ``qps``; ``per_query=True`` adds a ``per_query`` list."""
        out: dict[str, Any] = {
            **_metrics(self),
            "queries": self.queries,
            "qps": self.qps,
        }
        if per_query:
            out["per_query"] = [q.as_dict() for q in self.per_query]
        return out


def _metrics(figures: QueryResult | EvaluationReport) -> dict[str, float]:
    """The metrics of a report or of one of its queries, under their JSON keys."""
    return {key: getattr(figures, name) for name, key in _METRIC_KEYS.items()}


def evaluate(
    path: str | Path,
    *,
    format: Format = "auto",
    split: str = "test",
    index_path: str | Path | None = None,
    rebuild: bool = False,
    depth: int = DEFAULT_DEPTH,
    progress: Progress | None = None,
    mode: Mode = "lexical",
    proximity: bool = False,
) -> EvaluationReport:
    """Index the test collection at ``path``, run its queries, and report the metrics.

    ``format`` is ``beir``, ``smart`` or ``auto`` (told by file names); ``split`` picks
    BEIR's ``qrels/<split>.tsv``.  The index is built in a temporary folder and removed,
    unless ``index_path`` is given: an index already there is reused as it is (``rebuild``
    replaces it), and a new one is kept there for next time.  ``depth`` documents are
    ranked per query (at least 100 for Recall@100 and MAP@100 to mean what they say).
    ``mode`` and ``proximity`` are ``Index.search``'s ranking options.
    """
    setup = Setup(format, split, index_path, rebuild, depth, progress)
    return evaluate_rankings(path, [Ranking(mode, proximity)], setup)[0]


@attrs.frozen
class Setup:
    """How a collection is read, indexed and searched for an evaluation: the keywords
    :func:`evaluate` and :func:`~searchkit.evaluation.compare` share, as one value."""

    format: Format = "auto"
    split: str = "test"
    index_path: str | Path | None = None
    rebuild: bool = False
    depth: int = DEFAULT_DEPTH
    progress: Progress | None = None


@attrs.frozen
class Ranking:
    """One way to rank: ``Index.search``'s ``mode`` and ``proximity``."""

    mode: Mode = "lexical"
    proximity: bool = False

    @classmethod
    def parse(cls, text: str) -> Ranking:
        """``lexical``, ``hybrid``, ``lexical+proximity`` or ``hybrid+proximity``."""
        mode, _, extra = text.strip().lower().partition("+")
        if mode not in MODES or extra not in ("", "proximity"):
            raise ArgumentError(
                f"a ranking is lexical or hybrid, optionally +proximity, not {text!r}"
            )
        return cls(mode, extra == "proximity")  # type: ignore[arg-type]

    def __str__(self) -> str:
        return self.mode + ("+proximity" if self.proximity else "")


def evaluate_rankings(
    path: str | Path, rankings: Sequence[Ranking], setup: Setup | None = None
) -> list[EvaluationReport]:
    """:func:`evaluate` for each of ``rankings``, over one index of the collection
    (``setup``: :func:`evaluate`'s other keywords, default its defaults)."""
    setup = setup or Setup()
    depth, progress = setup.depth, setup.progress
    if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= MAX_LIMIT:
        raise CollectionError(path, f"depth must be a whole number from 1 to {MAX_LIMIT}")
    collection = read_collection(path, format=setup.format, split=setup.split)
    if not collection.judged_queries():  # metrics over no query would read as 0.0000
        raise CollectionError(
            path,
            f"none of its {len(collection.queries)} queries has a relevant document in "
            "its judgments: nothing to evaluate",
        )
    with ExitStack() as stack:
        index, index_seconds = _open_index(stack, collection, setup)
        stack.enter_context(index)
        stats = index.stats()
        judged = collection.judged_queries()
        runs: list[list[QueryResult]] = []
        for ranking in rankings:
            results: list[QueryResult] = []
            for done, qid in enumerate(judged, 1):
                results.append(_run_query(index, collection, qid, depth, ranking))
                if progress:
                    progress("search", done, len(judged))
            runs.append(results)
    return [
        _report(collection, stats.documents, stats.chunks, results, index_seconds)
        for results in runs
    ]


def _report(
    collection: Collection,
    documents: int,
    chunks: int,
    results: list[QueryResult],
    index_seconds: float,
) -> EvaluationReport:
    seconds = sum(r.seconds for r in results)
    return EvaluationReport(
        collection=collection.name,
        format=collection.format,
        split=collection.split,
        documents=documents,
        chunks=chunks,
        queries=len(results),
        ndcg_10=mean([r.ndcg_10 for r in results]),
        recall_100=mean([r.recall_100 for r in results]),
        mrr_10=mean([r.mrr_10 for r in results]),
        map_100=mean([r.map_100 for r in results]),
        qps=len(results) / seconds if seconds > 0 else 0.0,
        search_seconds=seconds,
        index_seconds=index_seconds,
        analyzer=ANALYZER_ID,
        per_query=tuple(results),
        duplicates=collection.duplicates,
    )


def to_document(doc: CollectionDocument, source: str = "") -> Document:
    """A collection document as a searchkit :class:`Document`.

    Paragraphs are the text's blank-line separated blocks (one for most abstracts), with
    offsets into the text; a document without text gets its title as its one paragraph,
    so it can still be found.
    """
    text = doc.text if doc.text.strip() else doc.title
    paragraphs: list[Paragraph] = []
    start = 0
    for m in [*_BLANK_LINES.finditer(text), None]:
        end = m.start() if m else len(text)
        block = text[start:end]
        if block.strip():
            lead = len(block) - len(block.lstrip())
            s, e = start + lead, start + len(block.rstrip())
            paragraphs.append(Paragraph(len(paragraphs) + 1, text[s:e], s, e))
        start = m.end() if m else end
    return Document(
        id=doc.id,
        path=f"{source}#{doc.id}" if source else doc.id,
        title=doc.title,
        paragraphs=tuple(paragraphs),
        author=doc.author,
        content_hash=hashlib.sha256(f"{doc.title}\n{doc.text}".encode()).hexdigest(),
        format="collection",
    )


def _open_index(
    stack: ExitStack, collection: Collection, setup: Setup
) -> tuple[Index | ShardedIndex, float]:
    index_path, rebuild = setup.index_path, setup.rebuild
    if index_path is not None and Index.exists(index_path) and not rebuild:
        index = Index.open(index_path)
        held = {d.id for d in index.documents()}
        expected = {d.id for d in collection.documents if d.text.strip() or d.title.strip()}
        if held != expected:
            index.close()
            raise CollectionError(
                index_path,
                f"this index holds other documents than {collection.name} "
                f"({len(held - expected)} not in it, {len(expected - held)} missing); "
                "rebuild it (rebuild=True, or --rebuild) or give another folder",
            )
        return index, 0.0
    if index_path is None:
        index_path = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "index"
    started = time.perf_counter()
    index = Index.create(index_path, overwrite=rebuild)
    index.add_documents(_counted(collection, setup.progress))
    return index, time.perf_counter() - started


def _counted(collection: Collection, progress: Progress | None) -> Iterator[Document]:
    total = len(collection.documents)
    docs: Iterable[CollectionDocument] = collection.documents
    for done, doc in enumerate(docs, 1):
        yield to_document(doc, collection.name)
        if progress and (done % 500 == 0 or done == total):
            progress("index", done, total)


def _run_query(
    index: IndexLike, collection: Collection, qid: str, depth: int, how: Ranking
) -> QueryResult:
    text = collection.queries[qid]
    qrels = collection.qrels.get(qid, {})
    started = time.perf_counter()
    run = _rank_documents(index, plain_query(text), depth, how)
    seconds = time.perf_counter() - started
    m = score_query(run, qrels)
    return QueryResult(
        id=qid,
        text=text,
        ndcg_10=m["ndcg@10"],
        recall_100=m["recall@100"],
        mrr_10=m["mrr@10"],
        map_100=m["map@100"],
        relevant=sum(1 for g in qrels.values() if g > 0),
        retrieved=len(run),
        seconds=seconds,
        top=tuple(run[:10]),
    )


def _rank_documents(index: IndexLike, query: str, depth: int, how: Ranking) -> list[str]:
    """The ``depth`` best documents for ``query``, each scored by its best paragraph.

    The words are searched as the collection asks them (``exact``): a run measures the
    ranking, not the correction of words the collection does not hold."""
    if not query:
        return []
    limit = depth
    while True:
        try:
            results = index.search(
                query, limit=limit, exact=True, mode=how.mode, proximity=how.proximity
            )
        except QueryError:  # nothing searchable in it: only stop words
            return []
        best: dict[str, float] = {}
        for hit in results:
            best.setdefault(hit.doc_id, hit.score)
        if len(best) >= depth or results.total <= limit or limit >= MAX_LIMIT:
            return ranking(best)[:depth]
        limit = min(MAX_LIMIT, limit * 2)
