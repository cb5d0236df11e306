"""Looking around a collection: facets, date histograms, more like this, completion.

Everything here works on Whoosh document numbers (one per chunk) and returns searchkit
values.  Facets and histograms count over **every** match of a query after its filters,
never over one page: the matches are the document numbers the query and the filter
select (:func:`matching_docnums`), read straight from the index, and each is mapped to
its document through per-segment tables (:class:`_SegmentTable`) built once per segment
from the index's columns and posting lists, then kept while the segment lives.

Counting articles rather than paragraphs means counting distinct ``doc_id`` s: a
document with three matching paragraphs counts once, and a document with two authors
counts once under each.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import re
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

import attrs
from whoosh import query as wq
from whoosh.searching import Searcher

from ._topk import all_matches
from .analysis import WORD_PARTS, fold, index_term, normalize_name, unbracketed
from .errors import FilterError, NotFoundError
from .explain import explain as explain_terms
from .explain import find_docnum
from .models import Bucket, Chunk, Completion, Hit, Results
from .schema import chunk_from_stored
from .search import check_whole

__all__ = [
    "DEFAULT_FACET_LIMIT",
    "FACETS",
    "INTERVALS",
    "MAX_BUCKETS",
    "Interval",
    "annotate",
    "check_facets",
    "complete",
    "complete_over",
    "count_facets",
    "date_histogram",
    "merge_facets",
    "merge_histograms",
    "matching_docnums",
    "similar_query",
    "similar_query_over",
]

# The facets a search can count, and the date intervals of a histogram.
FACETS: tuple[str, ...] = ("author", "source", "year", "month")
Interval = Literal["day", "week", "month", "year"]
INTERVALS: tuple[str, ...] = ("day", "week", "month", "year")
DEFAULT_FACET_LIMIT = 10
# A histogram longer than this is refused: dates come from untrusted files, and a day
# histogram from year 1 to 9999 would be millions of buckets.
MAX_BUCKETS = 10_000


def check_facets(facets: Iterable[str]) -> tuple[str, ...]:
    """``facets`` as a tuple without repeats; :class:`FilterError` for an unknown name."""
    if isinstance(facets, str):
        facets = (facets,)
    names = tuple(dict.fromkeys(facets))
    for name in names:
        if name not in FACETS:
            raise FilterError(f"unknown facet {name!r}; choose from {', '.join(FACETS)}")
    return names


def matching_docnums(searcher: Searcher, q: wq.Query, filter: wq.Query | None) -> list[int]:
    """Every chunk (document number, ascending) that ``q`` matches and ``filter`` keeps.

    The matches of :func:`searchkit._topk.all_matches`, the one definition of a query's
    matches that every search path starts from, so facets and histograms count exactly
    the chunks the search's ``total`` counts.
    """
    return sorted(all_matches(searcher, q, filter))


# -- per-segment tables ------------------------------------------------------------------


class _SegmentTable:
    """What one segment says about each of its chunks, read once and kept.

    ``doc_ids`` and ``dates`` come from the segment's columns (one value a chunk);
    ``authors`` and ``sources`` from the posting lists of ``author_key`` and ``domain``,
    whose terms are few, so inverting them costs one pass over their postings.
    """

    def __init__(self, reader: Any) -> None:
        # Weakly: the tables are kept in a WeakKeyDictionary keyed by the reader, and a
        # strong reference from a value to its key would keep both for ever.
        self._reader = weakref.ref(reader)
        self._doc_ids: list[str] | None = None
        self._dates: list[dt.datetime | None] | None = None
        self._by_term: dict[str, dict[int, list[str]]] = {}

    @property
    def reader(self) -> Any:
        reader = self._reader()
        if reader is None:  # pragma: no cover - a table is only used with its reader
            raise RuntimeError("the segment reader of this table is gone")
        return reader

    def doc_ids(self) -> list[str]:
        if self._doc_ids is None:
            self._doc_ids = list(self.reader.column_reader("doc_id"))
        return self._doc_ids

    def dates(self) -> list[dt.datetime | None]:
        if self._dates is None:
            field = self.reader.schema["published"]
            raw = self.reader.column_reader("published", translate=False)
            missing = field.default
            convert = field.from_column_value
            self._dates = [None if v == missing else convert(v) for v in raw]
        return self._dates

    def values(self, facet: str, d: int) -> list[str]:
        """The values of ``facet`` chunk ``d`` has (author keys, a domain, a year or a
        month; none when it has no author, source or date)."""
        if facet in ("author", "source"):
            return self.terms("author_key" if facet == "author" else "domain").get(d, [])
        when = self.dates()[d]
        if when is None:
            return []
        return [f"{when.year:04d}" if facet == "year" else f"{when.year:04d}-{when.month:02d}"]

    def terms(self, field: str) -> dict[int, list[str]]:
        """Chunk number -> the terms of ``field`` it holds (only chunks holding any)."""
        found = self._by_term.get(field)
        if found is None:
            found = {}
            for term in self.reader.lexicon(field):
                text = term.decode("utf-8")
                for d in self.reader.postings(field, term).all_ids():
                    found.setdefault(d, []).append(text)
            self._by_term[field] = found
        return found


_TABLES: weakref.WeakKeyDictionary[Any, _SegmentTable] = weakref.WeakKeyDictionary()


def _tables(
    searcher: Searcher, docnums: Sequence[int]
) -> Iterable[tuple[_SegmentTable, list[int]]]:
    """Each segment's table with the segment-local numbers of ``docnums`` (ascending)."""
    leaves = searcher.leaf_searchers()
    offsets = [offset for _, offset in leaves]
    for i, (sub, offset) in enumerate(leaves):
        end = offsets[i + 1] if i + 1 < len(offsets) else math.inf
        lo = bisect.bisect_left(docnums, offset)
        hi = bisect.bisect_left(docnums, end) if end != math.inf else len(docnums)
        if lo == hi:
            continue
        reader = sub.reader()
        table = _TABLES.get(reader)
        if table is None:
            table = _TABLES[reader] = _SegmentTable(reader)
        yield table, [d - offset for d in docnums[lo:hi]]


# -- facets ------------------------------------------------------------------------------


def count_facets(
    searcher: Searcher,
    docnums: Sequence[int],
    facets: Sequence[str],
    limit: int = DEFAULT_FACET_LIMIT,
) -> dict[str, dict[str, int]]:
    """``{facet: {value: articles}}`` over the chunks ``docnums`` (ascending).

    Each value counts the distinct documents among the chunks that have it; the
    ``limit`` values with most documents are kept, ties by name.  Chunks without a
    value (no author, no date) count under no value.  A document's metadata is the same
    on all its chunks, so one chunk of each document is read.
    """
    documents = _one_chunk_each(searcher, docnums)
    out: dict[str, dict[str, int]] = {}
    for name in facets:
        counts: Counter[str] = Counter()
        for table, d in documents:
            counts.update(table.values(name, d))
        ranked = sorted(counts.items(), key=lambda c: (-c[1], c[0]))[:limit]
        if name == "author":
            named = [(_author_name(searcher, key), n) for key, n in ranked]
            ranked = sorted(named, key=lambda c: (-c[1], c[0]))
        out[name] = dict(ranked)
    return out


def merge_facets(
    parts: Sequence[Mapping[str, Mapping[str, int]]], names: Sequence[str], limit: int
) -> dict[str, dict[str, int]]:
    """Facet counts of several parts holding different documents, as one index's would be.

    Each part's counts must be whole (not cut to a limit): a document lives in one part,
    so the counts add up.  Ranked as :func:`count_facets` ranks, then cut to ``limit``.
    """
    out: dict[str, dict[str, int]] = {}
    for name in names:
        counts: Counter[str] = Counter()
        for part in parts:
            counts.update(part.get(name, {}))
        out[name] = dict(sorted(counts.items(), key=lambda c: (-c[1], c[0]))[:limit])
    return out


def merge_histograms(parts: Sequence[Sequence[Bucket]], interval: str) -> tuple[Bucket, ...]:
    """Histograms of several parts holding different documents, as one index's would be:
    buckets of the same period add up, and the empty periods between parts are filled."""
    sums: dict[dt.date, list[int]] = {}
    for buckets in parts:
        for b in buckets:
            entry = sums.setdefault(b.since, [0, 0])
            entry[0] += b.articles
            entry[1] += b.paragraphs
    return _buckets({start: (a, p) for start, (a, p) in sums.items()}, interval)


def _one_chunk_each(searcher: Searcher, docnums: Sequence[int]) -> list[tuple[_SegmentTable, int]]:
    """One ``(segment table, local chunk number)`` per document among ``docnums``."""
    first: dict[str, tuple[_SegmentTable, int]] = {}
    for table, local in _tables(searcher, docnums):
        doc_ids = table.doc_ids()
        for d in local:
            if doc_ids[d] not in first:
                first[doc_ids[d]] = (table, d)
    return list(first.values())


def _author_name(searcher: Searcher, key: str) -> str:
    """The name as written for an author's exact-match key (from one of their chunks)."""
    for d in searcher.docs_for_query(wq.Term("author_key", key)):
        for name in searcher.stored_fields(d).get("authors", ()):
            if normalize_name(name) == key:
                return str(name)
    return key


# -- date histograms ---------------------------------------------------------------------


def date_histogram(
    searcher: Searcher, docnums: Sequence[int], interval: Interval
) -> tuple[Bucket, ...]:
    """Matches per period from the first dated match to the last, empty periods included.

    Undated chunks are left out.  Raises :class:`FilterError` for an unknown interval,
    or when the range would take more than :data:`MAX_BUCKETS` buckets.
    """
    if interval not in INTERVALS:
        raise FilterError(
            f"histogram interval must be one of {', '.join(INTERVALS)}, not {interval!r}"
        )
    paragraphs: Counter[dt.date] = Counter()
    docs: dict[dt.date, set[str]] = {}
    for table, local in _tables(searcher, docnums):
        dates, doc_ids = table.dates(), table.doc_ids()
        for d in local:
            when = dates[d]
            if when is None:
                continue
            start = _period_start(when.date(), interval)
            paragraphs[start] += 1
            docs.setdefault(start, set()).add(doc_ids[d])
    return _buckets({start: (len(docs[start]), n) for start, n in paragraphs.items()}, interval)


def _buckets(counts: Mapping[dt.date, tuple[int, int]], interval: str) -> tuple[Bucket, ...]:
    """``(articles, paragraphs)`` by period start as buckets from the first period to the
    last, the empty ones between included; :class:`FilterError` past :data:`MAX_BUCKETS`."""
    if not counts:
        return ()
    first, last = min(counts), max(counts)
    count = _periods_between(first, last, interval) + 1
    if count > MAX_BUCKETS:
        raise FilterError(
            f"a {interval} histogram from {first} to {last} needs {count} buckets, more than "
            f"{MAX_BUCKETS}; choose a longer interval or narrow the dates with since/until"
        )
    out = []
    start = first
    for i in range(count):
        end = _period_end(start, interval)
        articles, paragraphs = counts.get(start, (0, 0))
        out.append(Bucket(_label(start, interval), articles, paragraphs, start, end))
        if i + 1 < count:
            start = end + dt.timedelta(days=1)
    return tuple(out)


def _period_start(day: dt.date, interval: str) -> dt.date:
    if interval == "year":
        return day.replace(month=1, day=1)
    if interval == "month":
        return day.replace(day=1)
    if interval == "week":
        return day - dt.timedelta(days=day.weekday())
    return day


def _period_end(start: dt.date, interval: str) -> dt.date:
    if interval == "year":
        return start.replace(month=12, day=31)
    if interval == "month":
        nxt = 12 * start.year + start.month  # months since year 0, of the next month
        if nxt // 12 > dt.MAXYEAR:
            return dt.date(dt.MAXYEAR, 12, 31)
        return dt.date(nxt // 12, nxt % 12 + 1, 1) - dt.timedelta(days=1)
    if interval == "week":
        try:
            return start + dt.timedelta(days=6)
        except OverflowError:
            return dt.date.max
    return start


def _periods_between(first: dt.date, last: dt.date, interval: str) -> int:
    if interval == "year":
        return last.year - first.year
    if interval == "month":
        return 12 * (last.year - first.year) + last.month - first.month
    days = (last - first).days
    return days // 7 if interval == "week" else days


def _label(start: dt.date, interval: str) -> str:
    if interval == "year":
        return f"{start.year:04d}"
    if interval == "month":
        return f"{start.year:04d}-{start.month:02d}"
    return start.isoformat()


# -- completion --------------------------------------------------------------------------

# Paragraphs read per candidate term to learn how its words are written.
_SAMPLES = 8
# Candidate terms ranked by frequency before sampling: more than asked for, since a
# term's sampled words may not start with what was typed.
_CANDIDATES = 4


def complete(searcher: Searcher, text: str, limit: int = 10) -> list[Completion]:
    """Ways to finish the last word of ``text``, from the index's words, most common first.

    Each language the index holds is asked in its own analysis (``Verspä`` finds German's
    ``Verspätung``).  Index terms are stems (``exchang``), so a candidate term is one that
    starts with the typed word (accents folded), or with its stem, or that the typed word
    starts with; the words offered are how that term is written in a few of the
    paragraphs that hold it, keeping those that start with the typed word (ignoring case
    and accents).  A word's ``count`` is the number of paragraphs holding its term.

    Chinese, Japanese and Korean have no spaces between words: the last one or two
    characters typed are looked up (``人工``), and the characters that follow them in the
    paragraphs holding them make the completions: one after one character (``人`` gives
    ``人工``), two after two (``人工智能``), counted by the paragraphs holding the whole
    completed run.  Nothing to complete (empty or ending
    in a space or punctuation) gives no completions.
    """
    return complete_over([searcher], text, limit)


def complete_over(searchers: Sequence[Searcher], text: str, limit: int = 10) -> list[Completion]:
    """:func:`complete` over several indexes searched as one: a term's count is its
    paragraphs in all of them, and its written forms are sampled from each in turn."""
    match = re.search(f"(?:{WORD_PARTS})$", text)
    if match is None or not text.strip():
        return []
    typed = match.group()
    head = text[: match.start()]
    if _CJK_END.search(typed):
        return _complete_cjk(searchers, head, typed, limit)
    low = fold(unbracketed(typed).lower())
    readers = [searcher.reader() for searcher in searchers]
    fields = _word_fields(readers)
    seen: set[tuple[str, bytes]] = set()
    for field, terms_of in fields.items():
        stems = [t for t in terms_of(typed) if t]
        for reader in readers:
            for prefix in dict.fromkeys(p for p in (low, *stems) if p):
                seen.update((field, t) for t in reader.expand_prefix(field, prefix))
            for k in range(1, len(low)):
                if (field, low[:k]) in reader:
                    seen.add((field, low[:k].encode("utf-8")))

    def frequency(key: tuple[str, bytes]) -> int:
        return sum(int(r.doc_frequency(key[0], key[1])) for r in readers)

    ranked = sorted(seen, key=lambda k: (-frequency(k), k[1], k[0]))
    words: dict[str, int] = {}
    for field, term in ranked:
        if len(words) >= limit:
            break
        count = frequency((field, term))
        for word in _written_forms(searchers, field, fields[field], term, low):
            if word.lower() not in {w.lower() for w in words}:
                words[word] = count
    return [Completion(text=head + w, word=w, count=n) for w, n in words.items()][:limit]


# A word ending in a Han, kana or Hangul character.
_CJK_END = re.compile(
    "[\u1100-\u11ff\u2e80-\u2fdf\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\U00020000-\U0003134f]$"
)
_CJK_RUN = re.compile(_CJK_END.pattern[:-1] + "+")
# Paragraphs read to find what follows the typed characters.
_CJK_SAMPLES = 50
# A word -> its index terms, in one field's analysis.
_TermsOf = Callable[[str], list[str | None]]


def _english_terms(word: str) -> list[str | None]:
    return [index_term(word)]


def _terms_in(language: str) -> _TermsOf:
    from .analysis.languages import analysis_for

    analysis = analysis_for(language)
    return lambda word: [t for t, _s, _e in analysis.terms(word)]


def _word_fields(readers: Sequence[Any]) -> dict[str, _TermsOf]:
    """The word fields the indexes hold (``body`` and the languages other than CJK), each
    with the function giving a word's terms in that field's analysis."""
    from .analysis.languages import CJK, body_field

    fields: dict[str, _TermsOf] = {"body": _english_terms}
    for reader in readers:
        if "language" not in reader.schema:
            continue
        for code in reader.lexicon("language"):
            language = code.decode("utf-8")
            field = body_field(language)
            if field in fields or language in CJK or field not in reader.schema:
                continue
            fields[field] = _terms_in(language)
    return fields


def _written_forms(
    searchers: Sequence[Searcher], field: str, terms_of: _TermsOf, term: bytes, typed: str
) -> list[str]:
    """How ``term`` of ``field`` is written, among words starting with ``typed`` (lower
    case, accents folded), in a few of the paragraphs holding it.

    Forms differing only in case are one word: shown in lower case if it is ever written
    so (a capital at a sentence's or title's start means nothing), else as written
    (``Minsk``).  The typed word itself comes first, then the commonest.
    """
    wanted = term.decode("utf-8")
    counts: Counter[str] = Counter()
    written: dict[str, Counter[str]] = {}
    parts = re.compile(WORD_PARTS)
    sampled = (
        searcher.stored_fields(d)
        for searcher in searchers
        for d in searcher.docs_for_query(wq.Term(field, term))
    )
    for n, stored in enumerate(sampled):
        if n >= _SAMPLES:
            break
        for source in (stored.get("title", ""), stored.get("text", "")):
            for word in map(unbracketed, parts.findall(source)):
                low = word.lower()
                if fold(low).startswith(typed) and wanted in terms_of(word):
                    counts[low] += 1
                    written.setdefault(low, Counter())[word] += 1
    ranked = sorted(counts, key=lambda w: (fold(w) != typed, -counts[w], w))
    return [
        low if low in written[low] else min(written[low], key=lambda w: (-written[low][w], w))
        for low in ranked
    ]


def _complete_cjk(
    searchers: Sequence[Searcher], head: str, typed: str, limit: int
) -> list[Completion]:
    """Completions of a run of CJK characters: what follows its last one or two
    characters in the paragraphs holding them (see :func:`complete`)."""
    run = _CJK_RUN.search(typed)
    tail = (run.group() if run else typed)[-2:]
    readers = [searcher.reader() for searcher in searchers]
    field = "body_cjk"
    if len(tail) == 2:
        looked: list[bytes] = [tail.encode("utf-8")]
    else:
        looked = [t for r in readers if field in r.schema for t in r.expand_prefix(field, tail)]
    if not looked:
        return []
    size = 2 if len(tail) == 2 else 1  # a word of two characters, or of four
    found: Counter[str] = Counter()
    read = 0
    for searcher in searchers:
        if field not in searcher.schema or read >= _CJK_SAMPLES:
            continue
        q = wq.Or([wq.Term(field, t) for t in dict.fromkeys(looked)])
        for d in searcher.docs_for_query(q):
            if read >= _CJK_SAMPLES:
                break
            read += 1
            stored = searcher.stored_fields(d)
            for source in (stored.get("title", ""), stored.get("text", "")):
                for m in _CJK_RUN.finditer(source):
                    chars = m.group()
                    at = chars.find(tail)
                    while at >= 0:
                        after = chars[at + len(tail) : at + len(tail) + size]
                        if after:
                            found[after] += 1
                        at = chars.find(tail, at + 1)
    out: list[Completion] = []
    for after, _n in sorted(found.items(), key=lambda kv: (-kv[1], kv[0])):
        word = typed + after
        count = _cjk_paragraphs(searchers, field, tail + after)
        if count:
            out.append(Completion(text=head + word, word=word, count=count))
    out.sort(key=lambda c: -c.count)
    return out[:limit]


def _cjk_paragraphs(searchers: Sequence[Searcher], field: str, chars: str) -> int:
    """How many paragraphs hold the run ``chars``: its bigrams at consecutive places."""
    bigrams = [chars[i : i + 2] for i in range(len(chars) - 1)]
    q: wq.Query = wq.Term(field, bigrams[0]) if len(bigrams) == 1 else wq.Phrase(field, bigrams)
    return sum(len(all_matches(searcher, q)) for searcher in searchers if field in searcher.schema)


# -- more like this ----------------------------------------------------------------------

# The most telling terms of the source that the "more like this" query keeps.
SIMILAR_TERMS = 25


def similar_query(searcher: Searcher, source: str, document: bool = False) -> wq.Query:
    """A query for the paragraphs most like ``source`` (a chunk id or a document id),
    which never matches the source itself.

    As Lucene's MoreLikeThis: the source's terms are weighed by ``tf * idf`` (idf as
    BM25's), counting only the paragraphs outside the source, and the
    :data:`SIMILAR_TERMS` heaviest become an OR query, each boosted by its weight over
    the heaviest one's.  Terms no other paragraph holds are left out: they can find
    nothing.  The source is a whole document (its title and every paragraph) for a
    document id, or for any id with ``document``; else one paragraph (its text, all its
    parts if it was split; not the title, which its neighbours share).
    :class:`NotFoundError` when no chunk or document has that id.
    """
    return similar_query_over([searcher], source, document)


def similar_query_over(
    searchers: Sequence[Searcher], source: str, document: bool = False
) -> wq.Query:
    """:func:`similar_query` over several indexes searched as one: the source is found in
    whichever holds it, and its words are weighed by the statistics of them all, so the
    query equals the one a single index holding every document would build."""
    for searcher in searchers:
        try:
            chunks, whole = _source_chunks(searcher, source, document)
        except NotFoundError:
            continue
        break
    else:
        raise NotFoundError(f"no chunk or document {source!r} in the index")
    readers = [searcher.reader() for searcher in searchers]
    tf: Counter[str] = Counter()
    inside: Counter[str] = Counter()
    parts = re.compile(WORD_PARTS)
    texts = [c.text for c in chunks]
    if whole:
        texts.append(chunks[0].title)
    for text in texts:
        terms = [t for t in map(index_term, parts.findall(text)) if t]
        tf.update(terms)
    for c in chunks:
        inside.update({t for t in map(index_term, parts.findall(c.title + " " + c.text)) if t})
    n = sum(r.doc_count() for r in readers)
    weights: dict[str, float] = {}
    for term, count in tf.items():
        df = sum(r.doc_frequency("body", term) for r in readers) - inside[term]
        if df > 0:
            weights[term] = count * math.log(1.0 + (n - df + 0.5) / (df + 0.5))
    best = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:SIMILAR_TERMS]
    top = best[0][1] if best else 1.0
    like = wq.Or([wq.Term("body", t, boost=w / top) for t, w in best])
    c = chunks[0]
    doc: wq.Query = wq.Term("doc_id", c.doc_id)
    itself = doc if whole else wq.And([doc, wq.Term("paragraph", c.paragraph)])
    return wq.AndNot(like, itself)


def _source_chunks(searcher: Searcher, source: str, document: bool) -> tuple[list[Chunk], bool]:
    """The chunks of the source, and whether it is a whole document."""
    doc_id, colon, place = source.rpartition(":")
    number = place.partition(".")[0]
    if colon and number.isdigit() and number.isascii() and int(number) < 2**32:
        near = wq.And([wq.Term("doc_id", doc_id), wq.Term("paragraph", int(number))])
        found = [searcher.stored_fields(d) for d in searcher.docs_for_query(near)]
        if any(s["chunk_id"] == source for s in found):
            if not document:
                return sorted(map(chunk_from_stored, found), key=lambda c: c.seq), False
            source = doc_id
    found = [searcher.stored_fields(d) for d in searcher.docs_for_query(wq.Term("doc_id", source))]
    if found:
        return sorted(map(chunk_from_stored, found), key=lambda c: c.seq), True
    raise NotFoundError(f"no chunk or document {source!r} in the index")


# -- a search, looked at more closely -----------------------------------------------------


def annotate(
    searcher: Searcher,
    results: Results,
    q: wq.Query,
    filter: wq.Query | None,
    *,
    facets: Sequence[str] = (),
    facet_limit: int = DEFAULT_FACET_LIMIT,
    histogram: Interval | None = None,
    explain: bool = False,
) -> Results:
    """``results`` (of ``q`` under ``filter``) with facets, a histogram and explanations
    added as asked for.  A search that ran out of time (``results.timed_out``) gets no
    facets or histogram: counting every match is what the time budget stopped."""
    names = check_facets(facets)
    check_whole("facet_limit", facet_limit, 1, None)
    if histogram is not None and histogram not in INTERVALS:
        raise FilterError(
            f"histogram interval must be one of {', '.join(INTERVALS)}, not {histogram!r}"
        )
    changes: dict[str, Any] = {}
    if (names or histogram) and not results.timed_out:
        docnums = matching_docnums(searcher, q, filter)
        if names:
            changes["facets"] = count_facets(searcher, docnums, names, facet_limit)
        if histogram:
            changes["histogram"] = date_histogram(searcher, docnums, histogram)
    if explain:
        changes["hits"] = tuple(_explained(searcher, q, h) for h in results.hits)
    return attrs.evolve(results, **changes) if changes else results


def _explained(searcher: Searcher, q: wq.Query, hit: Hit) -> Hit:
    docnum = find_docnum(searcher, hit.doc_id, hit.paragraph, hit.id)
    terms = explain_terms(searcher, q, docnum) if docnum is not None else ()
    more = tuple(_explained(searcher, q, m) for m in hit.more)
    return attrs.evolve(hit, explanation=terms, more=more)
