"""Completion: ways to finish the last word of a query from the index's own words.

For a search box (``"prisoner exch"`` -> ``"prisoner exchange"``): the index's terms that
start with the typed word, in every language the index holds, each shown as it is most
often written; for Chinese, Japanese and Korean, which have no spaces, the characters
that most often follow the typed ones.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from whoosh import query as wq
from whoosh.searching import Searcher

from ._topk import all_matches
from .analysis import WORD_PARTS, fold, index_term, unbracketed, word_part_pattern
from .models import Completion

__all__ = ["complete", "complete_over"]

# Paragraphs read per candidate term to learn how its words are written.
_SAMPLES = 8


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
    sampled = (
        searcher.stored_fields(d)
        for searcher in searchers
        for d in searcher.docs_for_query(wq.Term(field, term))
    )
    for n, stored in enumerate(sampled):
        if n >= _SAMPLES:
            break
        for source in (stored.get("title", ""), stored.get("text", "")):
            for word in map(unbracketed, word_part_pattern(source).findall(source)):
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
