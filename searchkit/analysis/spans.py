"""Highlight spans of a page of English texts, found without a regular expression per word.

:func:`~searchkit.analysis.highlight_spans` cuts a text into word parts with a regular
expression and looks up each part's index term: about 40 ns a character in CPython's
regular expression engine, most of what a page of 100 hits used to cost.
:func:`page_spans` gives exactly its answer, with string operations that run in C:

1. A text is cut into *coarse tokens*: runs of ASCII letters, digits and square brackets
   and of any non-ASCII character (UTF-8 encoding, one ``bytes.translate`` that turns
   every other ASCII character into a space, and ``split``).  Word parts never cross an
   ASCII character that is none of those, so every word part lies inside one
   coarse token, and a token's parts are the text's parts at that place.
2. Each distinct coarse token is analysed once per process (its word parts, their index
   terms, the stop words among them) and filed under every term it holds.  A text whose
   tokens were all met before (a subset test, in C) costs no analysis.
3. The tokens holding a query term are the union of that term's files; a text holding
   none of them (a set intersection) has no span.  The others are found with
   ``str.find``, kept only where they stand as whole tokens, and their matching parts
   become the spans.

Texts that cannot be encoded as UTF-8 (lone surrogates) are cut the old way.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import highlight_spans, index_term, unbracketed, word_part_pattern

__all__ = ["page_spans"]

Spans = tuple[tuple[int, int], ...]
# Every ASCII byte that is neither a letter, a digit nor a square bracket (word parts
# hold mnemonic brackets: ``E[x]tract``) becomes a space.
_COARSE = bytes(b if (b >= 0x80 or chr(b).isalnum() or b in b"[]") else 0x20 for b in range(256))
# A state holds at most this many distinct tokens; then a new one is started.  A token
# costs about 500 bytes (measured on SciFact's abstracts: its text, its parts, its place
# under each of its terms): 30 MiB at most in a long-running process.  The pages of
# SciFact's 300 test claims hold 27,921 tokens at 10 hits and 45,510 at 100; all of
# Reuters' 191 title queries' pages 9,473.  A smaller bound that the pages of a
# benchmark's queries outgrow starts every pass from nothing (25,000 did on SciFact).
_MAX_TOKENS = 60_000


class _Tokens:
    """What is known of every coarse token met so far.

    ``parts`` maps a token (UTF-8) to its text and its word parts as ``(start, end,
    index term or None, lower-cased part)``; ``by_term`` and ``by_stop`` file the tokens
    under each index term and each stop word (lower-cased) they hold.  A token joins
    ``known`` only after it is filed, so a page reading this state from another thread
    never takes a token for analysed before its files say so.
    """

    __slots__ = ("by_stop", "by_term", "known", "parts")

    def __init__(self) -> None:
        self.known: set[bytes] = set()
        self.parts: dict[bytes, tuple[str, tuple[tuple[int, int, str | None, str], ...]]] = {}
        # Lists, not sets: most terms are in one token or two, and an empty set costs
        # 216 bytes where a list of one costs 64.
        self.by_term: dict[str, list[bytes]] = {}
        self.by_stop: dict[str, list[bytes]] = {}

    def learn(self, token: bytes) -> None:
        text = token.decode("utf-8")
        parts = []
        for m in word_part_pattern(text).finditer(text):
            part = m.group()
            term = index_term(part)
            low = unbracketed(part).lower()
            if low == term:  # one string, not two (most words)
                low = term
            parts.append((m.start(), m.end(), term, low))
            if term is None:
                self.by_stop.setdefault(low, []).append(token)
            else:
                self.by_term.setdefault(term, []).append(token)
        self.parts[token] = (text, tuple(parts))
        self.known.add(token)


_state = _Tokens()


def page_spans(
    texts: Sequence[str], terms: frozenset[str], stops: frozenset[str] = frozenset()
) -> list[Spans]:
    """``tuple(highlight_spans(text, terms, stops))`` for each of ``texts``, in one pass."""
    global _state
    if not (terms or stops):
        return [() for _ in texts]
    state = _state  # this page's state, whatever other threads start meanwhile
    coarse: list[list[bytes] | None] = []
    known = state.known
    for text in texts:
        try:
            split = text.encode("utf-8").translate(_COARSE).split()
        except UnicodeEncodeError:
            coarse.append(None)
            continue
        coarse.append(split)
        if not known.issuperset(split):
            for token in set(split) - known:
                state.learn(token)
    wanted: set[bytes] = set()
    for term in terms:
        wanted.update(state.by_term.get(term, ()))
    for stop in stops:
        wanted.update(state.by_stop.get(stop, ()))
    out: list[Spans] = []
    matching: dict[bytes, list[tuple[int, int]]] = {}  # a token's matching parts
    for text, tokens in zip(texts, coarse, strict=True):
        if tokens is None:
            out.append(tuple(highlight_spans(text, terms, stops)))
        elif not text or wanted.isdisjoint(tokens):
            out.append(())
        else:
            out.append(_find(text, wanted.intersection(tokens), state, terms, stops, matching))
    if len(state.known) > _MAX_TOKENS:
        _state = _Tokens()
    return out


def _find(
    text: str,
    tokens: set[bytes],
    state: _Tokens,
    terms: frozenset[str],
    stops: frozenset[str],
    matching: dict[bytes, list[tuple[int, int]]],
) -> Spans:
    """The spans of the matching parts of ``tokens``, wherever each stands whole in
    ``text``: neither neighbour a letter, a digit or a non-ASCII character."""
    spans: list[tuple[int, int]] = []
    end = len(text)
    find = text.find
    for token in tokens:
        word, parts = state.parts[token]
        hits = matching.get(token)
        if hits is None:
            hits = matching[token] = [
                (start, end)
                for start, end, term, low in parts
                if ((term in terms) if term is not None else (bool(stops) and low in stops))
            ]
        if not hits:
            continue
        size = len(word)
        at = find(word)
        while at >= 0:
            after = at + size
            if at:
                ch = text[at - 1]
                if not ch.isascii() or ch.isalnum() or ch in "[]":  # inside a longer token
                    at = find(word, at + 1)
                    continue
            if after < end:
                ch = text[after]
                if not ch.isascii() or ch.isalnum() or ch in "[]":
                    at = find(word, at + 1)
                    continue
            if len(hits) == 1:
                s, e = hits[0]
                spans.append((at + s, at + e))
            else:
                spans.extend((at + s, at + e) for s, e in hits)
            at = find(word, after)
    spans.sort()
    return tuple(spans)
