"""Synonyms and aliases for queries, read from a file in Solr's ``synonyms.txt`` format.

::

    # a comment; blank lines are ignored
    Kiev, Kyiv                       <- equivalent: any of them finds all of them
    Lukashenka => Lukashenko         <- one way: the left side is searched as the right
    special operation => SVO         <- several words match as a phrase, in order

Matching ignores case and accents (``kyiv``, ``KYIV``).  Rules with a shared word or
phrase add up (``a, b`` and ``a, c`` make ``a`` find ``b`` and ``c``).  Synonyms apply to
queries only, so a file can change without re-indexing; each alternative is analysed
per language like any query word.

The file travels with an index, so it is read in time linear in its size and bounded:
at most :data:`MAX_SYNONYMS_BYTES` in all, :data:`MAX_LINE_CHARS` a line, and
:data:`MAX_GROUP` alternatives a word or phrase searches (on one line, and after the
lines naming it add up).  Past one, :class:`SettingsError` names the file, the line and
the limit.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

import attrs

from .._args import check_path
from ..errors import SettingsError
from .folding import fold

__all__ = [
    "MAX_GROUP",
    "MAX_LINE_CHARS",
    "MAX_SYNONYMS_BYTES",
    "Synonyms",
    "load_synonyms",
    "parse_synonyms",
]

MAX_SYNONYMS_BYTES = 4 * 1024 * 1024
# The longest rule line, in characters.
MAX_LINE_CHARS = 4_096
# The most words or phrases one rule line names, and the most alternatives one word or
# phrase may search once every line naming it is added up: each is a clause of the query.
MAX_GROUP = 100
# Longest phrase (in words) a rule may match: keeps matching a query linear.
_MAX_WORDS = 8

Phrase = tuple[str, ...]


def _phrase(text: str) -> Phrase:
    return tuple(fold(w.lower()) for w in text.split())


@attrs.frozen
class Synonyms:
    """Rules mapping a word or phrase (lower case, accents folded) to what a query for it
    searches.  ``text`` is the file the rules came from, as written."""

    rules: dict[Phrase, tuple[Phrase, ...]] = attrs.field(factory=dict, hash=False)
    text: str = ""

    def __len__(self) -> int:
        return len(self.rules)

    def match(self, words: Sequence[str]) -> tuple[int, tuple[Phrase, ...]] | None:
        """The longest rule matching the start of ``words``: ``(words matched, what they
        search)``, or ``None``."""
        keys = [fold(w.lower()) for w in words[:_MAX_WORDS]]
        for n in range(len(keys), 0, -1):
            found = self.rules.get(tuple(keys[:n]))
            if found is not None:
                return n, found
        return None


def parse_synonyms(text: str, source: str = "synonyms") -> Synonyms:
    """Read Solr-format rules from ``text``; :class:`SettingsError` names ``source`` and
    the line of a rule that cannot be used, or the limit ``text`` goes past.

    Linear in the length of ``text``: each word or phrase's alternatives are kept in
    insertion order in a dict (a list's membership test made a line of 1,000 words cost
    a billion comparisons), and the limits bound what a line may add.
    """
    if len(text) > MAX_SYNONYMS_BYTES:
        raise SettingsError(
            f"{source}: synonyms file too large ({len(text):,} characters; the limit is "
            f"MAX_SYNONYMS_BYTES, {MAX_SYNONYMS_BYTES:,})"
        )
    rules: dict[Phrase, dict[Phrase, None]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if len(line) > MAX_LINE_CHARS:
            raise SettingsError(
                f"{source}, line {number}: a line of {len(line):,} characters, more than "
                f"MAX_LINE_CHARS ({MAX_LINE_CHARS:,}); split the rule"
            )
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        left, arrow, right = line.partition("=>")
        if "=>" in right:
            raise SettingsError(f"{source}, line {number}: more than one '=>'")
        sources = _phrases(left, source, number)
        targets = _phrases(right, source, number) if arrow else sources
        for key in sources:
            found = rules.setdefault(key, {})
            found.update(dict.fromkeys(targets))
            if len(found) > MAX_GROUP:
                raise SettingsError(
                    f"{source}, line {number}: {' '.join(key)!r} searches {len(found):,} "
                    f"alternatives with this line, more than MAX_GROUP ({MAX_GROUP}); "
                    "use fewer"
                )
    return Synonyms({k: tuple(v) for k, v in rules.items()}, text)


def _phrases(side: str, source: str, number: int) -> list[Phrase]:
    parts = side.split(",")
    if len(parts) > MAX_GROUP:
        raise SettingsError(
            f"{source}, line {number}: {len(parts):,} words or phrases, more than "
            f"MAX_GROUP ({MAX_GROUP}); split the rule"
        )
    found = list(dict.fromkeys(_phrase(p) for p in parts))
    if not all(found):
        raise SettingsError(f"{source}, line {number}: an empty word between commas or arrows")
    if any(len(p) > _MAX_WORDS for p in found):
        raise SettingsError(f"{source}, line {number}: a phrase longer than {_MAX_WORDS} words")
    return found


def load_synonyms(path: str | os.PathLike[str]) -> Synonyms:
    """Read and parse a synonyms file (UTF-8); :class:`SettingsError` when it cannot be."""
    check_path("synonyms", path)
    p = Path(path)
    try:
        # A device or a pipe has no size to check and may never end (or, a FIFO with no
        # writer, never start): only a file is read, and no further than the limit.
        if not stat.S_ISREG(p.stat().st_mode):
            raise SettingsError(f"{p}: a synonyms file must be a regular file")
        with p.open("rb") as f:
            data = f.read(MAX_SYNONYMS_BYTES + 1)
        if len(data) > MAX_SYNONYMS_BYTES:
            raise SettingsError(
                f"{p}: synonyms file too large (limit {MAX_SYNONYMS_BYTES:,} bytes)"
            )
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise SettingsError(f"{p}: no such synonyms file") from None
    except UnicodeDecodeError:
        raise SettingsError(f"{p}: a synonyms file must be UTF-8 text") from None
    except OSError as exc:
        raise SettingsError(f"{p}: cannot read synonyms file ({exc.strerror or exc})") from None
    return parse_synonyms(text, str(p))
