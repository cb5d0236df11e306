"""Every match of a query with its score, term at a time; and the top k of them.

:func:`all_matches` is the one place that decides which chunks a query matches and what
each scores.  Every way of answering a search (top k by relevance, sorted by date,
grouped, paged, and anything counted over all matches) starts from its result, so they
cannot disagree about the set or the total.

Whoosh scores a disjunction document-at-a-time through a tree of union matchers (several
Python calls per posting per tree level), then walks every match a second time to count
the total.  Here ``Term`` and ``Phrase`` leaves under ``Or``, ``And``, ``AndNot``,
``AndMaybe`` and ``Not`` nodes are read a block of postings at a time: each posting's
score is added into a dict keyed by document number, so the dict is the full set of
matches and its size the exact total.  A phrase matches where its words sit in order,
each 1 to its slop positions after the one before (consecutive at slop 1), and scores
the sum of its words, as in Whoosh.  A date range reads
the date column (Whoosh would expand it into thousands of terms).  Any other leaf
(wildcards, fuzzy terms, numeric ranges) is walked through Whoosh's
own matcher for that leaf alone, every posting of it.

The boolean nodes are never left to Whoosh's matchers: its ``AndNotMatcher`` lets a
segment's first match through when the excluded side's first posting comes before it,
and its top-N collector skips blocks of ``AndNot``/``AndMaybe`` matches by their
"quality" and loses some.

Scores come from the searcher's own weighting model (its scorer objects: searchkit's
BM25 is the one formula of ``scoring.py``), so hits, scores and order match Whoosh's
collector up to the order in which floating-point scores are added.
"""

from __future__ import annotations

import heapq
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from whoosh import fields
from whoosh import query as wq
from whoosh.reading import TermNotFound
from whoosh.scoring import WeightLengthScorer, WeightScorer
from whoosh.searching import Searcher

from . import _whoosh
from ._limits import Deadline
from ._types import Scores
from .scoring import coverage

__all__ = ["all_matches", "best", "column", "match_scores", "or_clauses", "tie_key", "top_docs"]

# A compiled query: a tuple whose first item names its kind (see _compile).
_Node = tuple[Any, ...]


class _UnsupportedError(Exception):
    """The weighting needs more than a posting's weight and the field length."""


def all_matches(
    searcher: Searcher,
    q: wq.Query,
    filter: wq.Query | None = None,
    deadline: Deadline | None = None,
) -> Scores:
    """Every chunk that matches ``q`` and ``filter``: ``{docnum: score}``.

    This is the definition of a query's matches.  Ranking, sorting, grouping, paging,
    totals and counts over all matches (facets, histograms) take this dict and never ask
    Whoosh's collector again, so no two of them can see different sets.  ``filter``
    matches are computed the same way, and only decide membership (its scores are
    dropped).  A weighting with a ``final()`` hook has it applied to each score here.

    When ``deadline`` passes, the terms and postings not yet read are left out: the
    matches and scores are then those of what was read (the caller reports the search
    as timed out).  The filter is read in full, so a partial answer never holds a chunk
    the filter excludes.
    """
    scores = _Evaluator(searcher, deadline).run(_compile(q, searcher, 1.0))
    if filter is not None and scores:
        allowed = _Evaluator(searcher).run(_compile(filter, searcher, 1.0))
        scores = {d: s for d, s in scores.items() if d in allowed}
    weighting = searcher.weighting
    if getattr(weighting, "use_final", False):
        final = weighting.final
        scores = {d: final(searcher, d, s) for d, s in scores.items()}
    return scores


def top_docs(
    searcher: Searcher,
    q: wq.Query,
    limit: int,
    filter: wq.Query | None = None,
    deadline: Deadline | None = None,
    stored: Callable[[int], dict[str, Any]] | None = None,
) -> tuple[list[tuple[float, int]], int]:
    """The best ``limit`` ``(score, docnum)`` pairs of :func:`all_matches`, and their number.

    Ordered by score descending, then by :func:`tie_key` (document id, then the chunk's
    place in it): an order that does not depend on how documents fall into segments,
    so one index and the same documents spread over several indexes or shards agree
    (``shards.py`` merges by the same key).  When ``deadline`` passes, what is not yet
    read is left out (see :func:`all_matches`).  ``stored`` reads a document's stored
    record (default the searcher's): a caller that builds hits passes one that remembers
    what it read.
    """
    scores = all_matches(searcher, q, filter, deadline)
    read = searcher.stored_fields if stored is None else stored
    return best(scores, limit, lambda d: tie_key(read(d))), len(scores)


def match_scores(searcher: Searcher, q: wq.Query) -> list[float]:
    """The score of every document ``q`` matches, in no order (of :func:`all_matches`)."""
    return list(all_matches(searcher, q).values())


def tie_key(stored: dict[str, Any]) -> tuple[str, int]:
    """Equal scores are ordered by document id, then by the chunk's place in its document."""
    return (str(stored.get("doc_id", "")), int(stored.get("seq", 1)))


def best(
    scores: Scores, limit: int, key: Callable[[int], tuple[str, int]]
) -> list[tuple[float, int]]:
    """The ``limit`` best ``(score, docnum)``: score descending, ties by ``key(docnum)``.

    ``key`` reads stored fields, so it is asked only for documents that tie with another
    within the best ``limit`` (every one of a tie that straddles the cut).
    """
    if len(scores) > limit:
        # The limit-th best score, found in C; only documents at or above it are sorted.
        floor = heapq.nlargest(limit, scores.values())[-1]
        items = [(-s, d) for d, s in scores.items() if s >= floor]
    else:
        items = [(-s, d) for d, s in scores.items()]
    items.sort()
    out: list[tuple[float, int]] = []
    i = 0
    while i < len(items) and len(out) < limit:
        j = i + 1
        while j < len(items) and items[j][0] == items[i][0]:
            j += 1
        tied = [d for _s, d in items[i:j]]
        if len(tied) > 1:
            tied.sort(key=key)
        out.extend((-items[i][0], d) for d in tied)
        i = j
    return out[:limit]


# -- compiling a Whoosh query into a plan --------------------------------------------
#
# A plan is a tree of tuples: ("term", field, text, boost), ("phrase", field, [text, ...],
# boost, slop), ("or", [node, ...]), ("and", [node, ...]), ("andnot", [positive, negative]),
# ("andmaybe", [required, optional]), ("not", node), ("range", field, start, end,
# start excluded, end excluded, boost): a date range read from the field's column, and
# ("leaf", query, boost): any other query, read through its own Whoosh matcher.

_NOTHING: _Node = ("or", [])


def _compile(q: wq.Query, searcher: Searcher, boost: float) -> _Node:
    kind = type(q)
    schema = searcher.schema
    if kind is wq.Term:
        if q.fieldname not in schema:
            return _NOTHING
        try:
            text = schema[q.fieldname].to_bytes(q.text)
        except ValueError:
            return _NOTHING
        return ("term", q.fieldname, text, boost * q.boost)
    if kind is wq.Phrase:
        return _compile_phrase(q, searcher, boost)
    if kind is wq.Or and not (q.scale or q.minmatch):
        return ("or", [node for _sub, _boost, node in or_clauses(q, searcher, boost)])
    if kind is wq.And:
        return ("and", [_compile(sub, searcher, boost * q.boost) for sub in q.subqueries])
    if kind is wq.AndNot:
        return ("andnot", [_compile(q.a, searcher, boost), _compile(q.b, searcher, 1.0)])
    if kind is wq.AndMaybe:
        return ("andmaybe", [_compile(q.a, searcher, boost), _compile(q.b, searcher, boost)])
    if kind is wq.Not:
        return ("not", _compile(q.query, searcher, 1.0))
    if kind in _RANGES and q.constantscore and _has_column(schema, q.fieldname):
        # Whoosh expands a range into thousands of terms; the column holds each chunk's
        # value in one array.  Whoosh scores every match the range's boost.  (The query
        # parser makes a NumericRange of a date, ``since`` and ``until`` a DateRange.)
        start, end = (_number(schema[q.fieldname], x) for x in (q.start, q.end))
        return ("range", q.fieldname, start, end, q.startexcl, q.endexcl, boost * q.boost)
    if q is wq.NullQuery:
        return _NOTHING
    return ("leaf", q, boost)


def or_clauses(q: wq.Or, searcher: Searcher, boost: float) -> list[tuple[wq.Query, float, _Node]]:
    """The clauses of a plain ``Or`` as its plan has them: nested plain ``Or`` flattened
    into one accumulator, clauses that can match nothing left out; each with its boost
    and its plan.  ``explain`` counts an OR's clauses from here, as the plan does."""
    out: list[tuple[wq.Query, float, _Node]] = []
    boost *= q.boost
    for sub in q.subqueries:
        if type(sub) is wq.Or and not (sub.scale or sub.minmatch):
            out.extend(or_clauses(sub, searcher, boost))
            continue
        node = _compile(sub, searcher, boost)
        if node[0] == "or":  # a clause that can match nothing
            out.extend((sub, boost, child) for child in node[1])
        else:
            out.append((sub, boost, node))
    return out


def _compile_phrase(q: wq.Phrase, searcher: Searcher, boost: float) -> _Node:
    """Whoosh matches a phrase as its words in order, each 1 to ``slop`` positions after
    the one before (slop 1: at consecutive positions), and scores it as the sum of its
    words' scores; a slop under 1 is read through Whoosh's matcher."""
    schema = searcher.schema
    if q.fieldname not in schema or type(q.slop) is not int or q.slop < 1:
        return ("leaf", q, boost)
    field = schema[q.fieldname]
    if not field.format or not field.format.supports("positions"):
        return ("leaf", q, boost)  # Whoosh's matcher raises its QueryError for this
    try:
        words = [field.to_bytes(w) for w in q.words]
    except ValueError:
        return _NOTHING
    if not words:
        return _NOTHING
    if len(words) == 1:
        return ("term", q.fieldname, words[0], boost * q.boost)
    return ("phrase", q.fieldname, words, boost * q.boost, q.slop)


# -- evaluating a plan -------------------------------------------------------------------


class _Evaluator:
    def __init__(self, searcher: Searcher, deadline: Deadline | None = None) -> None:
        self.searcher = searcher
        self.deadline = deadline
        self.weighting = searcher.weighting
        self.leaves = searcher.leaf_searchers()
        # The weight of an OR's coverage (scoring.BM25's), 0 for a weighting without one.
        self.coverage: float = getattr(self.weighting, "coverage", 0.0)

    def run(self, node: _Node) -> Scores:
        kind = node[0]
        if kind == "or":
            if self.coverage and len(node[1]) > 1:
                return self._covered(node[1])
            acc: Scores = {}
            for child in node[1]:
                if child[0] == "term":
                    self._add_term(acc, child)
                else:
                    for d, s in self.run(child).items():
                        acc[d] = acc.get(d, 0.0) + s
            return acc
        if kind == "and":
            parts = sorted((self.run(child) for child in node[1]), key=len)
            if not parts:
                return {}
            first, rest = parts[0], parts[1:]
            out: Scores = {}
            for d, s in first.items():
                if all(d in p for p in rest):
                    out[d] = s + sum(p[d] for p in rest)
            return out
        if kind == "andnot":
            positive = self.run(node[1][0])
            if positive:
                for d in self._in_full(node[1][1]):
                    positive.pop(d, None)
            return positive
        if kind == "andmaybe":  # a's matches, plus b's score where b matches too
            required = self.run(node[1][0])
            if required:
                for d, s in self.run(node[1][1]).items():
                    if d in required:
                        required[d] += s
            return required
        if kind == "not":  # every live chunk the child does not match, scoring 1 as in Whoosh
            excluded = self._in_full(node[1])
            return {d: 1.0 for d in self._every() if d not in excluded}
        if kind == "leaf":
            return self._walk(node[1], node[2])
        if kind == "range":
            return self._range(node)
        if kind == "phrase":
            try:
                return self._phrase(node)
            except _UnsupportedError:
                return self._walk(wq.Phrase(node[1], node[2], slop=node[4]), node[3])
        acc = {}
        self._add_term(acc, node)
        return acc

    def _covered(self, children: list[_Node]) -> Scores:
        """An OR's sums, each scaled by how many of its clauses the chunk matches
        (``scoring.coverage``); the sums are added in the order ``run`` adds them."""
        acc: Scores = {}
        matched: dict[int, int] = {}
        for child in children:
            if child[0] == "term":
                part: Scores = {}
                self._add_term(part, child)
            else:
                part = self.run(child)
            get, seen = acc.get, matched.get
            for d, s in part.items():
                acc[d] = get(d, 0.0) + s
                matched[d] = seen(d, 0) + 1
        n, weight = len(children), self.coverage
        return {d: coverage(s, matched[d], n, weight) for d, s in acc.items()}

    def _in_full(self, node: _Node) -> Scores:
        """``run(node)`` past the deadline: what a query excludes is always read whole,
        so an answer cut short holds fewer matches, never a chunk it should not."""
        deadline, self.deadline = self.deadline, None
        try:
            return self.run(node)
        finally:
            self.deadline = deadline

    def _walk(self, q: wq.Query, boost: float) -> Scores:
        """Every posting of ``q``'s own Whoosh matcher in every segment, scored by it.

        Only leaves come here (no boolean node of Whoosh's runs), and the matcher is
        walked to its end, never skipped by score.
        """
        acc: Scores = {}
        for sub, offset in self.leaves:
            m = q.matcher(sub, sub.context())
            reader = sub.reader()
            deleted = reader.deleted_docs_set if reader.has_deletions() else ()
            n = 0
            while m.is_active():
                d = m.id()
                if d not in deleted:
                    acc[d + offset] = m.score() * boost
                m.next()
                n += 1
                if n % 1024 == 0 and self.deadline is not None and self.deadline.passed():
                    return acc
        return acc

    def _range(self, node: _Node) -> Scores:
        _kind, field, start, end, start_excluded, end_excluded, boost = node
        missing = _missing(self.searcher.schema, field)
        acc: Scores = {}
        for sub, offset in self.leaves:
            reader = sub.reader()
            deleted = reader.deleted_docs_set if reader.has_deletions() else ()
            for d, v in enumerate(column(reader, field)):
                if (
                    v == missing
                    or (start is not None and (v < start or (start_excluded and v == start)))
                    or (end is not None and (v > end or (end_excluded and v == end)))
                    or d in deleted
                ):
                    continue
                acc[d + offset] = boost
        return acc

    def _every(self) -> Iterator[int]:
        for sub, offset in self.leaves:
            reader = sub.reader()
            deleted = reader.deleted_docs_set if reader.has_deletions() else ()
            for d in range(reader.doc_count_all()):
                if d not in deleted:
                    yield d + offset

    def _scorer(self, field: str, text: bytes) -> Any:
        # Scorers take idf and average length from the top-level searcher, so one
        # serves every segment (Whoosh makes one per segment).
        return self.weighting.scorer(self.searcher, field, text)

    def _add_term(self, acc: Scores, term: _Node) -> None:
        if self.deadline is not None and self.deadline.passed():
            return
        _kind, field, text, boost = term
        scorer = None
        for sub, offset in self.leaves:
            reader = sub.reader()
            blocks = _postings(reader, field, text)
            if blocks is None:
                continue
            if scorer is None:
                scorer = self._scorer(field, text)
            get = acc.get
            if _is_length_scorer(scorer):
                # Lengths are quantised to 256 values and most weights are small counts,
                # so a term sees few distinct (weight, length) pairs: score each once.
                lengths = _lengths(reader, field)
                score = scorer._score
                seen: dict[tuple[float, int], float] = {}
                for ids, weights, _v in blocks:
                    for d, w in zip(ids, weights, strict=True):
                        key = (w, lengths[d])
                        s = seen.get(key)
                        if s is None:
                            s = seen[key] = score(*key) * boost
                        g = d + offset
                        acc[g] = get(g, 0.0) + s
            elif type(scorer) is WeightScorer:
                for ids, weights, _v in blocks:
                    for d, w in zip(ids, weights, strict=True):
                        g = d + offset
                        acc[g] = get(g, 0.0) + w * boost
            else:
                for g, s in self._walk(wq.Term(field, text), boost).items():
                    acc[g] = get(g, 0.0) + s
                return  # the walk read every segment, without deleted chunks
            _drop_deleted(acc, reader, offset)

    def _phrase(self, node: _Node) -> Scores:
        if self.deadline is not None and self.deadline.passed():
            return {}
        _kind, field, words, boost, slop = node
        decode = self.searcher.schema[field].format.decode_positions
        scorers = {
            w: self._scorer(field, w) for w in set(words) if (field, w) in self.searcher.reader()
        }
        if len(scorers) < len(set(words)):
            return {}
        acc: Scores = {}
        for sub, offset in self.leaves:
            reader = sub.reader()
            if any((field, w) not in reader for w in scorers):
                continue
            # Each distinct word's postings: docnum -> (score, encoded positions).
            postings = {w: _scored_postings(reader, field, w, scorers[w]) for w in scorers}
            smallest = min(postings.values(), key=len)
            per_word = [postings[w] for w in words]
            for d in smallest:
                if not all(d in p for p in per_word):
                    continue
                positions = [decode(p[d][1]) for p in per_word]
                if _consecutive(positions) if slop == 1 else _chained(positions, slop):
                    acc[d + offset] = sum(p[d][0] for p in per_word) * boost
            _drop_deleted(acc, reader, offset)
        return acc


def _is_length_scorer(scorer: Any) -> bool:
    """A scorer whose score is ``_score(weight, length)``, as WeightLengthScorer defines."""
    return isinstance(scorer, WeightLengthScorer) and (
        type(scorer).score is WeightLengthScorer.score
    )


def _scored_postings(reader: Any, field: str, text: bytes, scorer: Any) -> dict[int, Any]:
    """docnum -> (score, encoded value) for one term in one segment."""
    out: dict[int, Any] = {}
    if _is_length_scorer(scorer):
        lengths = _lengths(reader, field)
        score = scorer._score
        for ids, weights, values in _postings(reader, field, text, values=True) or ():
            for d, w, v in zip(ids, weights, values, strict=True):
                out[d] = (score(w, lengths[d]), v)
    else:
        raise _UnsupportedError
    return out


def _consecutive(positions: list[list[int]]) -> bool:
    """Whether some position p of the first word has p+1 for the second word, p+2 ..."""
    rest = [set(p) for p in positions[1:]]
    return any(all(p + i in s for i, s in enumerate(rest, 1)) for p in positions[0])


def _chained(positions: list[list[int]], slop: int) -> bool:
    """Whether the words sit in order, each 1 to ``slop`` positions after the one before
    (Whoosh's ``SpanNear2``, ordered, ``mindist`` 1, as its ``Phrase`` asks): the
    positions each word can end a chain at, word by word."""
    ends = set(positions[0])
    for following in positions[1:]:
        ends = {b for b in following if any(b - slop <= a < b for a in ends)}
        if not ends:
            return False
    return True


def _drop_deleted(acc: Scores, reader: Any, offset: int) -> None:
    if reader.has_deletions():
        for d in reader.deleted_docs_set:
            acc.pop(d + offset, None)


# -- postings and field lengths ----------------------------------------------------------


def _postings(
    reader: Any, field: str, text: bytes, values: bool = False
) -> Iterator[tuple[Any, Any, Any]] | None:
    """``(ids, weights, values)`` blocks of one term's postings in one segment, deletions
    included; ``None`` when the segment does not hold the term.

    ``values`` (the encoded positions) only when asked for, else ``None``.  Whoosh's W3
    codec keeps postings in blocks of up to 128; reading a block's arrays directly skips
    three method calls per posting, and opening the matcher is the one term look-up.
    Another codec's matcher is walked one posting at a time.
    """
    if _whoosh.terms_table(reader) is not None:
        try:
            m = _whoosh.codec_matcher(reader, field, text)
        except TermNotFound:
            return None
        except Exception:  # any codec surprise: take the public road below
            m = None
        if m is not None and _whoosh.reads_w3_blocks(m):
            return _whoosh.w3_blocks(m, values)
    if (field, text) not in reader:
        return None
    return _each_posting(reader.postings(field, text), values)


def _each_posting(m: Any, values: bool) -> Iterator[tuple[Any, Any, Any]]:
    each_id: list[int] = []
    each_weight: list[float] = []
    each_value: list[Any] = []
    while m.is_active():
        each_id.append(m.id())
        each_weight.append(m.weight())
        if values:
            each_value.append(m.value())
        m.next()
    yield each_id, each_weight, each_value if values else None


_BYTE_TO_LENGTH: list[int] | None = None
# Per segment reader: {field or ("column", field): per-document list}.  Weak keys,
# so an entry goes when Whoosh closes and drops the reader.
_CACHE: weakref.WeakKeyDictionary[Any, dict[Any, list[Any]]] = weakref.WeakKeyDictionary()


def _lengths(reader: Any, field: str) -> list[int]:
    """Every document's length in ``field``, as ``doc_field_length(d, field, 1)`` gives it."""
    cache = _CACHE.setdefault(reader, {})
    found = cache.get(field)
    if found is not None:
        return found
    global _BYTE_TO_LENGTH
    n = reader.doc_count_all()
    lengths: list[int] | None = None
    try:  # one read of the length column instead of one seek per document
        col = _whoosh.length_column(_whoosh.per_document_reader(reader), field)
        if col is not None:
            if _BYTE_TO_LENGTH is None:
                from whoosh.util.numeric import byte_to_length

                _BYTE_TO_LENGTH = [byte_to_length(b) for b in range(256)]
            table = _BYTE_TO_LENGTH
            raw = _whoosh.column_bytes(col)
            lengths = [table[b] if b else 1 for b in raw]
            lengths.extend([1] * (n - len(lengths)))
    except Exception:  # another codec: ask per document
        lengths = None
    if lengths is None or len(lengths) != n:
        lengths = [reader.doc_field_length(d, field, 1) or 1 for d in range(n)]
    cache[field] = lengths
    return lengths


_RANGES = (wq.DateRange, wq.NumericRange)


def _number(field: Any, end: Any) -> int | None:
    """A range's end as the date column holds it (Whoosh's long)."""
    return None if end is None else int(field.prepare_number(end))


def _has_column(schema: Any, field: str) -> bool:
    return (
        field in schema
        and isinstance(schema[field], fields.DATETIME)
        and schema[field].column_type is not None
    )


def _missing(schema: Any, field: str) -> int:
    """The column value of a chunk without a value in ``field``."""
    return int(schema[field].column_type.default_value(False))


def column(reader: Any, field: str) -> list[int]:
    """Every document's value in the sortable column of ``field`` (one segment), as the
    column stores it (a date as Whoosh's long); :func:`_missing` where a document has
    none, and on every document of a segment with no column for the field."""
    cache = _CACHE.setdefault(reader, {})
    key = ("column", field)
    found = cache.get(key)
    if found is None:
        # An empty index's reader (no segment yet, or an empty shard) has no columns.
        values = (
            _whoosh.column_values(reader, field, translate=False) if reader.doc_count_all() else []
        )
        values.extend([_missing(reader.schema, field)] * (reader.doc_count_all() - len(values)))
        found = cache[key] = values
    return found
