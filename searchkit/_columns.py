"""Queries scored with numpy over per-segment columns of postings (see ``_colcache.py``).

:func:`column_scores` scores the queries :func:`._topk.top_docs` answers (words and
phrases under OR, AND, NOT and ANDMAYBE) with array operations: each term's
scores are computed for all its postings in a segment at once and added into a dense
array over every document, with the same BM25 formula, collection statistics and order
of floating-point additions as ``_topk``.  So it gives exactly what ``_topk`` gives: the
same documents, the same total, the same order (score descending, then ``_topk.tie_key``:
document id, then the chunk's place in it) and the same scores.  Deleted documents and
filters are masks; the top k is a partial sort.  A phrase's candidates are the documents
holding all its words, found in the columns, and the columns' positions of those
candidates say where the words sit at consecutive places, with array operations.

numpy is imported only here, only when columns are used, and :func:`top_docs` uses them
from a searcher's second query on: a one-off search (the command line) pays neither
numpy's import nor a cache build, and answers through ``_topk`` as before.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from whoosh import query as wq
from whoosh.searching import Searcher

from . import _topk
from ._colcache import KEPT_NORMS, Columns, DamagedError, UnavailableError, columns
from ._colfilter import filter_mask, in_range
from ._order import at_least_kth
from ._positions import consecutive, joined, shared, within
from .scoring import BM25, bm25_idf, bm25_tf, coverage

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from ._limits import Deadline

    Floats = npt.NDArray[np.float64]
    Flags = npt.NDArray[np.bool_]
    Ints = npt.NDArray[np.int64]

__all__ = ["Scored", "answered_before", "column_scores", "top_docs"]

_MAX_REBUILDS = 100
# An OR's terms are summed by one ``bincount`` in a reader of at most this many documents,
# a term at a time in a larger one: there the arrays over every document, and the
# postings joined, cost more than the numpy calls saved (2-3x the time of a Reuters
# title query's sum at 80,000 to 107,000 documents, where each new array of a few
# hundred KiB is fresh pages; 5 to 2x less at 5,000 to 20,000).
_BINCOUNT_DOCS = 32_768


def top_docs(
    searcher: Searcher,
    q: wq.Query,
    limit: int,
    filter: wq.Query | None = None,
    deadline: Deadline | None = None,
    stored: Callable[[int], dict[str, Any]] | None = None,
) -> tuple[list[tuple[float, int]], int]:
    """:func:`._topk.top_docs`'s answer, from the columns once ``searcher`` has answered a
    query before (the first query of a searcher takes ``_topk``'s path), and ``q`` and
    the weighting are ones the columns score (:func:`column_scores`).  When ``deadline``
    passes, the terms not yet scored are left out, as ``_topk`` leaves them out."""
    found = column_scores(searcher, q, filter, deadline) if answered_before(searcher) else None
    if found is None:
        return _topk.top_docs(searcher, q, limit, filter, deadline, stored)
    return _best(searcher, *found.matches(), limit, stored)


def answered_before(searcher: Searcher) -> bool:
    """Whether a searcher over this reader has asked for a query's answer before (this
    call counts as asking): from then on the columns are worth building."""
    key = searcher.reader()
    if _STATES.get(key) is None:
        _STATES[key] = _SearcherState()
        return False
    return True


class Scored(NamedTuple):
    """Every document's score for a query and whether it matches the query and the
    filter (two arrays over the reader's documents), and the matches themselves when
    the query's root found them (:meth:`matches`)."""

    scores: Floats
    matched: Flags
    found: tuple[Ints, Floats] | None = None

    def matches(self) -> tuple[Ints, Floats]:
        """The matching documents, ascending, and their scores.  A query whose root is an
        OR with coverage (every query of several plain words) found them already, to
        apply the coverage: they are not looked for in the flags again (two passes over
        every document, 4% of a query)."""
        if self.found is not None:
            return self.found
        import numpy as np

        docs = np.flatnonzero(self.matched)
        return docs, self.scores[docs]


def column_scores(
    searcher: Searcher,
    q: wq.Query,
    filter: wq.Query | None = None,
    deadline: Deadline | None = None,
) -> Scored | None:
    """Every document's score for ``q`` and whether it matches ``q`` and ``filter``
    (:class:`Scored`); ``None`` when ``q`` or the weighting is not one handled here
    (then ``_topk`` answers).  When ``deadline`` passes, the terms not yet scored are
    left out, as ``_topk`` leaves them out."""
    weighting = searcher.weighting
    if not _handled(weighting):
        return None
    try:
        plan = _topk._compile(q, searcher, 1.0)
    except _topk._UnsupportedError:
        return None
    state = _STATES.get(searcher.reader())
    if state is None:
        state = _STATES[searcher.reader()] = _SearcherState()
    # A damaged cache found mid-query is rebuilt and the query run again; each run
    # rebuilds one more (segment, field), and rebuilt columns are never damaged.
    for _attempt in range(_MAX_REBUILDS):
        run = _Run(searcher, state, weighting, deadline)
        try:
            scores, matched = run.node(plan)
            break
        except DamagedError:
            continue
        except UnavailableError:
            return None
    else:
        return None
    found = None
    if run.matches is not None and run.matches[0] is scores and run.matches[1] is matched:
        found = run.matches[2:]
    if filter is not None:
        allowed = filter_mask(searcher, state.numbers, filter)
        matched &= allowed
        if found is not None:
            docs, values = found
            kept = allowed[docs]
            found = docs[kept], values[kept]
    return Scored(scores, matched, found)


def _best(
    searcher: Searcher,
    docs: Ints,
    values: Floats,
    limit: int,
    stored: Callable[[int], dict[str, Any]] | None = None,
) -> tuple[list[tuple[float, int]], int]:
    """``_topk``'s order over the matches ``docs`` and their scores ``values``: score
    descending, ties by ``_topk.tie_key``.

    A partial sort keeps the documents scoring at least the ``limit``-th best score
    (ties at the cut included); ``_topk.best`` orders those few as it orders all.
    """
    total = int(docs.size)
    docs, values = at_least_kth(docs, values, limit)
    read = searcher.stored_fields if stored is None else stored
    candidates = dict(zip(docs.tolist(), values.tolist(), strict=True))
    return _topk.best(candidates, limit, lambda d: _topk.tie_key(read(d))), total


def _handled(weighting: Any) -> bool:
    """searchkit's BM25, or a part's BM25 with every part's statistics (``stats``, see
    ``_fanout.GlobalBM25``): the two weightings the columns score exactly."""
    if not isinstance(weighting, BM25) or getattr(weighting, "use_final", False):
        return False
    return type(weighting) is BM25 or getattr(weighting, "stats", None) is not None


class _SearcherState:
    """What the queries of one reader (the searchers over it) share: which documents are
    live, its own average lengths, and its documents' length norms."""

    def __init__(self) -> None:
        self.live: Flags | None = None
        # ``live``, or None when nothing is deleted: no mask to apply.
        self.mask: Flags | None = None
        self.avgfl: dict[str, float] = {}
        # Every document's value in a date field's column (unsigned 64-bit).
        self.numbers: dict[str, Any] = {}
        # (field, k1, b, average length) -> every document's ``bm25_norm``, all segments'
        # in one array: a term found in several segments gathers its norms at once.
        self.norms: dict[tuple[str, float, float, float], Floats] = {}


class _Postings(NamedTuple):
    """One term's postings in a reader: its field, the segments holding it (their first
    document numbers, and their postings' document numbers and weights, in order), how
    many documents hold it, its idf (``None`` where its field is not scored), its boost."""

    field: str
    offsets: list[int]
    ids: list[Any]
    weights: list[Any]
    size: int
    idf: float | None
    boost: float


# Keyed by reader: a part of several indexes gets a new searcher (with that query's
# statistics) over the same reader for every query.
_STATES: weakref.WeakKeyDictionary[Any, _SearcherState] = weakref.WeakKeyDictionary()

# -- scoring a plan over the columns ---------------------------------------------------------


class _Run:
    """One query: every node gives dense ``(scores, matched)`` arrays over all documents."""

    def __init__(
        self,
        searcher: Searcher,
        state: _SearcherState,
        weighting: BM25,
        deadline: Deadline | None = None,
    ) -> None:
        import numpy as np

        self.np = np
        self.searcher = searcher
        self.deadline = deadline
        self.state = state
        self.k1 = weighting.k1
        self.b = weighting.b
        self.coverage = weighting.coverage
        # A part of several indexes scores with the statistics of them all.
        self.stats: Any = getattr(weighting, "stats", None)
        self.leaves = searcher.leaf_searchers()
        self._segments: dict[str, list[tuple[Any, Columns, int]]] = {}
        self.n = searcher.doc_count_all()
        if state.live is None:
            live = np.ones(self.n, dtype=bool)
            for sub, offset in self.leaves:
                reader = sub.reader()
                if reader.has_deletions():
                    gone = np.fromiter(reader.deleted_docs_set, dtype=np.int64)
                    live[offset + gone[gone < reader.doc_count_all()]] = False
            # The mask first: another thread's query reads it once it sees ``live`` set.
            state.mask = None if live.all() else live
            state.live = live
        self.live = state.mask
        # The last OR with coverage's scores and matched flags (the arrays it returned),
        # the indexes of its matches and their scores: when the root returns those very
        # arrays (an AND or ANDMAYBE above it makes new ones), what Scored.matches gives.
        self.matches: tuple[Floats, Flags, Ints, Floats] | None = None

    def empty(self) -> tuple[Floats, Flags]:
        return self.np.zeros(self.n), self.np.zeros(self.n, dtype=bool)

    def node(self, node: Any) -> tuple[Floats, Flags]:
        np = self.np
        kind = node[0]
        if kind == "or":
            children = node[1]
            # The leading terms summed at once; how many clauses each document matches
            # is counted when the OR's coverage counts.
            lead = next((i for i, c in enumerate(children) if c[0] != "term"), len(children))
            counting = bool(self.coverage and len(children) > 1)
            acc, matched, count = self.sum_terms(children[:lead], len(children) if counting else 0)
            for child in children[lead:]:
                if child[0] == "term":
                    self.add_term(acc, matched, child, count)
                else:
                    s, m = self.node(child)
                    # acc[m] += s[m], bit for bit, without a temporary as long as acc
                    # (a masked gather and scatter cost 8x as much where a tenth match).
                    np.add(acc, s, out=acc, where=m)
                    matched |= m
                    if count is not None:
                        count += m
            if count is not None:
                # The factor only where a clause matched: elsewhere the score is never read.
                hit = np.flatnonzero(matched)
                clauses = count[hit].astype(np.float64)
                values = coverage(acc[hit], clauses, len(children), self.coverage)
                acc[hit] = values
                self.matches = (acc, matched, hit, values)
            return acc, matched
        if kind == "and":
            parts = [self.node(child) for child in node[1]]
            if not parts:
                return self.empty()
            counts = [int(m.sum()) for _, m in parts]
            order = sorted(range(len(parts)), key=counts.__getitem__)
            first_s, matched = parts[order[0]]
            matched = matched.copy()
            for i in order[1:]:
                matched &= parts[i][1]
            if len(order) == 1:
                return first_s, matched
            # The sums only where every part matched (the fewest), in the same order.
            hit = np.flatnonzero(matched)
            rest = parts[order[1]][0][hit]
            for i in order[2:]:
                rest += parts[i][0][hit]
            scores = np.zeros(self.n)
            scores[hit] = first_s[hit] + rest
            return scores, matched
        if kind == "andnot":
            s, m = self.node(node[1][0])
            if m.any():
                m = m & ~self.node(node[1][1])[1]
            return s, m
        if kind == "andmaybe":
            s, m = self.node(node[1][0])
            if m.any():
                s2, m2 = self.node(node[1][1])
                s = s.copy()
                np.add(s, s2, out=s, where=m & m2)  # s[both] += s2[both] (see "or")
            return s, m
        if kind == "term":
            acc, matched = self.empty()
            self.add_term(acc, matched, node)
            return acc, matched
        if kind == "phrase":
            acc, matched = self.empty()
            self.add_phrase(acc, matched, node)
            return acc, matched
        if kind == "range":  # every document in it scores the range's boost
            matched = in_range(self.searcher, self.state.numbers, node)
            if self.live is not None:
                matched = matched & self.live
            return self.np.where(matched, float(node[-1]), 0.0), matched
        raise UnavailableError  # a node kind this module does not know

    def sum_terms(self, terms: Sequence[Any], clauses: int = 0) -> tuple[Floats, Flags, Any]:
        """The sum of ``terms``' scores (each document's added in the terms' order, as
        ``_topk`` adds them), whether each document matches one, and, when ``clauses``
        (of an OR whose coverage counts, ``terms`` leading them) is not 0, how many it
        matches (a byte a document under 256 clauses), else ``None``.  Counted, a
        document matches where its count is not 0: one pass, not a scatter a term.

        In a reader of at most :data:`_BINCOUNT_DOCS` documents every term's postings
        are scored as one array and summed by one ``bincount``, which adds each
        document's scores in the array's order, from 0.0: what adding the terms one
        after another gives, bit for bit, in a dozen numpy calls however many terms (a
        numpy call costs about what a short term's whole work does)."""
        np = self.np
        counts = np.uint8 if clauses < 256 else np.uint32
        if self.n <= _BINCOUNT_DOCS:
            return self._bincount_terms(terms, clauses, counts)
        acc = np.zeros(self.n)
        count = np.zeros(self.n, dtype=counts) if clauses else None
        matched: Flags | None = None if clauses else np.zeros(self.n, dtype=bool)
        for term in terms:
            self.add_term(acc, matched, term, count)
        if matched is None:
            matched = np.not_equal(count, 0)
            if self.live is not None:
                matched &= self.live
        return acc, matched, count

    def _bincount_terms(
        self, terms: Sequence[Any], clauses: int, counts: Any
    ) -> tuple[Floats, Flags, Any]:
        """:meth:`sum_terms` by one ``bincount`` (a small reader's way)."""
        np = self.np
        found = [p for p in map(self.term_postings, terms) if p is not None]
        if not found:
            acc, matched = self.empty()
            return acc, matched, np.zeros(self.n, dtype=counts) if clauses else None
        where, s = self.scores(found)
        acc = np.bincount(where, weights=s, minlength=self.n)
        count = None
        if clauses:
            count = np.bincount(where, minlength=self.n).astype(counts)
            matched = np.not_equal(count, 0)
        else:
            matched = np.zeros(self.n, dtype=bool)
            matched[where] = True
        if self.live is not None:
            matched &= self.live
        return acc, matched, count

    def add_term(
        self, acc: Floats, matched: Flags | None, term: Any, count: Any | None = None
    ) -> None:
        """Add one term's scores into ``acc``, as ``_topk`` does (each document's score is
        the same float; the segments are scored together), 1 into ``count`` for every
        document it is in, and mark them in ``matched`` (unless ``None``: read off the
        counts after)."""
        found = self.term_scores(term)
        if found is None:
            return
        where, s = found
        # A term's postings name each document once, so these add as ``acc[where] += s``
        # does, bit for bit; ufunc.at does it without a gathered copy (about twice as fast).
        self.np.add.at(acc, where, s)
        if count is not None:
            count[where] += 1  # each document once
        if matched is not None:
            matched[where] = True
            if self.live is not None:
                matched &= self.live

    def term_scores(self, term: Any) -> tuple[Any, Floats] | None:
        """The documents holding ``term`` (reader document numbers, each once) and its
        score in each, as ``_topk`` scores it (the segments are scored together); ``None``
        when none holds it, its field is not indexed or the deadline has passed."""
        found = self.term_postings(term)
        return None if found is None else self.scores([found])

    def term_postings(self, term: Any) -> _Postings | None:
        """``term``'s postings in every segment, over the reader's document numbers, and
        its idf; ``None`` when none holds it, its field is not indexed or the deadline
        has passed."""
        if self.deadline is not None and self.deadline.passed():
            return None
        _kind, field, text, boost = term
        if not self.searcher.schema[field].indexed:
            return None
        offsets, ids, weights = [], [], []
        for reader, cols, offset in self.segments(field):
            postings = cols.postings(reader, text)
            if postings is not None:
                offsets.append(offset)
                ids.append(postings[0])
                weights.append(postings[1])
        if not ids:
            return None
        df = sum(map(len, ids))
        idf = self.idf(field, text, df) if self.searcher.schema[field].scorable else None
        return _Postings(field, offsets, ids, weights, df, idf, boost)

    def scores(self, terms: Sequence[_Postings]) -> tuple[Any, Floats]:
        """The postings of ``terms`` one after another (each term's segments in order),
        as reader document numbers, and each one's score (BM25 with its term's idf, times
        its boost).  One computation for them all, whatever the terms and segments: the
        same operations on each posting as for a term alone, so the same bits."""
        np = self.np
        if len(terms) > 1 and any(t.idf is None for t in terms):  # a field not scored
            scored = [self.scores([t]) for t in terms]
            return np.concatenate([w for w, _s in scored]), np.concatenate([s for _w, s in scored])
        ids = [i for t in terms for i in t.ids]
        where = _joined_ids(np, ids, [o for t in terms for o in t.offsets])
        held = [w for t in terms for w in t.weights]
        # As float64: every segment's and term's joined and widened in one pass.
        s = np.concatenate(held, dtype=np.float64) if len(held) > 1 else held[0].astype(np.float64)
        sizes = [t.size for t in terms]
        if terms[0].idf is not None:
            if len({t.field for t in terms}) == 1:
                field = terms[0].field
                norms = self.norms(field, self.avgfl(field))[where]
            else:
                ends = itertools.accumulate(sizes)
                norms = np.concatenate(
                    [
                        self.norms(t.field, self.avgfl(t.field))[where[end - t.size : end]]
                        for t, end in zip(terms, ends, strict=True)
                    ]
                )
            idf: Any = terms[0].idf if len(terms) == 1 else np.repeat([t.idf for t in terms], sizes)
            s = bm25_tf(idf, s, norms, self.k1, in_place=True)
        boosts = [t.boost for t in terms]
        if any(b != 1.0 for b in boosts):  # x * 1.0 is x: skipping it changes no bit
            s *= boosts[0] if len(terms) == 1 else np.repeat(boosts, sizes)
        return where, s

    def add_phrase(self, acc: Floats, matched: Flags, phrase: Any) -> None:
        """Score a phrase as ``_topk`` does: the sum of its words' scores where they sit at
        consecutive positions.  The columns give the documents holding every word, and
        their positions (see :func:`._positions.consecutive`), every segment's at once."""
        if self.deadline is not None and self.deadline.passed():
            return
        _kind, field, words, boost, slop = phrase
        np = self.np
        if not self.searcher.schema[field].scorable:
            raise UnavailableError  # _topk leaves these to Whoosh's collector
        distinct = list(dict.fromkeys(words))
        # Each word's postings in the segments holding it, in order: (columns, offset,
        # document numbers, weights).
        parts: dict[bytes, list[tuple[Any, int, Any, Any]]] = {w: [] for w in distinct}
        for reader, cols, offset in self.segments(field):
            for w in distinct:
                found = cols.postings(reader, w)
                if found is not None:
                    parts[w].append((cols, offset, *found))
        if not all(parts.values()):
            return
        # Each word's postings as one array over the reader's document numbers.
        ids = {w: _reader_ids(np, parts[w]) for w in distinct}
        docs, rows = shared(np, [ids[w] for w in distinct])
        if self.live is not None:  # deleted documents never match: read none of them
            alive = self.live[docs]
            docs, rows = docs[alive], [r[alive] for r in rows]
        if not docs.size:
            return
        if not all(c.has_positions() for p in parts.values() for c, *_ in p):
            raise UnavailableError  # no positions to check the phrase with
        row_of = dict(zip(distinct, rows, strict=True))
        placed = [(parts[w], w, row_of[w]) for w in words]
        keep = consecutive(placed, docs.size) if slop == 1 else within(placed, docs.size, slop)
        if not len(keep):
            return
        where = docs[keep]
        avgfl = self.avgfl(field)
        norms = self.norms(field, avgfl)[where]
        total = np.zeros(where.size)
        # Each word's weights in the phrase's documents and its idf, once however often
        # the phrase repeats it; added in the phrase's order, as _topk adds them.
        scored = {
            w: (
                self.idf(field, w, ids[w].size),
                joined(np, [weights for *_, weights in parts[w]])[row_of[w][keep]],
            )
            for w in distinct
        }
        for w in words:
            idf, wt = scored[w]
            total += bm25_tf(idf, wt.astype(np.float64), norms, self.k1)
        acc[where] = total * boost
        matched[where] = True

    def segments(self, field: str) -> list[tuple[Any, Columns, int]]:
        """Each segment's reader, its columns of ``field`` and its first document number,
        looked up once a query for all its terms."""
        found = self._segments.get(field)
        if found is None:
            found = self._segments[field] = [
                (sub.reader(), columns(self.searcher, sub.reader(), field), offset)
                for sub, offset in self.leaves
            ]
        return found

    def norms(self, field: str, avgfl: float) -> Floats:
        """Every document's ``bm25_norm`` in ``field``, each segment's after the one before."""
        key = (field, self.k1, self.b, avgfl)
        found = self.state.norms.get(key)
        if found is None:
            if len(self.state.norms) >= KEPT_NORMS:  # new statistics of several indexes
                self.state.norms.clear()
            parts = [cols.norms(self.k1, self.b, avgfl) for _r, cols, _o in self.segments(field)]
            found = parts[0] if len(parts) == 1 else self.np.concatenate(parts)
            self.state.norms[key] = found
        return found

    def idf(self, field: str, text: bytes, df: int) -> float:
        """BM25's idf of a term in ``df`` of this reader's documents, or in all parts'."""
        n = self.n
        if self.stats is not None:
            n = self.stats.doc_count
            df = self.stats.doc_frequencies.get((field, text), df)
        return bm25_idf(n, df)

    def avgfl(self, field: str) -> float:
        if self.stats is not None:
            return float(self.stats.avg_field_length(field) or 1.0)
        found = self.state.avgfl.get(field)
        if found is None:
            found = self.state.avgfl[field] = self.searcher.avg_field_length(field) or 1.0
        return found


def _reader_ids(np: Any, parts: list[tuple[Any, ...]]) -> Any:
    """A term's postings in several segments (``(columns, offset, ids, weights)`` each,
    in order) as one array of the reader's document numbers, ascending."""
    return _joined_ids(np, [ids for *_r, ids, _w in parts], [o for _c, o, *_r in parts])


def _joined_ids(np: Any, ids: list[Any], offsets: list[int]) -> Any:
    """Segments' postings' document numbers (``ids``, each segment's from 0), one after
    another, as the reader's: each segment's ``offset`` added."""
    if len(ids) == 1:
        return ids[0] if not offsets[0] else ids[0].astype(np.int64) + offsets[0]
    where = np.concatenate(ids, dtype=np.int64)
    if any(offsets):  # each segment's numbers after the segments before it
        where += np.repeat(offsets, [len(i) for i in ids])
    return where
