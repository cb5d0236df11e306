"""The Whoosh query parser as searchkit configures it: its plugins, and the parser of a
query's syntax (:func:`parser`).  ``query.py`` checks the text before and the tree after.

Each plugin mends a behaviour of Whoosh's own that searchkit's users met: words cut into
parts that must stay together, synonyms, ``+``/``-`` inside parentheses, ``<`` at the
start of a query, typo-forgiving fuzzy terms, and wildcards side by side in a word.
"""

from __future__ import annotations

from typing import Any

from whoosh import fields, qparser, query
from whoosh.qparser import syntax

from ._plainquery import Parsing, word_query
from .analysis.synonyms import Synonyms
from .typos import DamerauFuzzyTerm

__all__ = ["FIELD_ALIASES", "parser"]

# Friendlier names users may type before a colon.
FIELD_ALIASES: dict[str, list[str]] = {
    "domain": ["source", "site"],
    "published": ["date"],
    "paragraph": ["para"],
    "body": ["text", "content"],
    "folder": ["path"],
}
# ``+word`` and ``-word``: the sign only at the start of a word.
_PREFIX = r"(?:(?<=[\s(])|^){}(?=[\w\"(])"


class _WordPartParser(qparser.QueryParser):  # type: ignore[misc]
    """Whoosh's parser, except for a word the analyzer cuts into several terms.

    Parts written together (``Tet1``, ``token1x1``, ``covid19``) must appear together: they
    become a phrase, so a code or a name with digits finds itself rather than every text
    with a ``1`` in it, yet ``Tet1`` still meets ``TET-1``.  Parts split by punctuation
    (``well-known``, ``IL-6``) stay separate words, joined by the query's grouping.
    """

    def term_query(
        self,
        fieldname: str,
        text: str,
        termclass: Any,
        boost: float = 1.0,
        tokenize: bool = True,
        removestops: bool = True,
    ) -> query.Query | None:
        field = self.schema[fieldname] if self.schema and fieldname in self.schema else None
        if not tokenize or not isinstance(field, fields.TEXT) or field.self_parsing():
            return super().term_query(fieldname, text, termclass, boost, tokenize, removestops)
        return word_query(field, fieldname, text, self.group.qclass, boost, removestops, termclass)


class _SynonymsPlugin(qparser.Plugin):  # type: ignore[misc]
    """Replaces bare query words that a synonyms rule names with an OR of what the rule
    says they search: ``Kyiv`` -> ``(Kiev OR Kyiv)``, ``special operation`` -> ``SVO``.

    Runs on the parser's syntax tree after field names are read (so ``title:Kyiv`` is left
    alone) and before the words are spread over the text fields, so each alternative is
    analysed per language like any word.  Quoted phrases are left as written.
    """

    def __init__(self, synonyms: Synonyms) -> None:
        self.synonyms = synonyms

    def filters(self, parser: Any) -> list[tuple[Any, int]]:
        return [(self.expand, 105)]

    def expand(self, parser: Any, group: Any) -> Any:
        nodes = list(group)
        out: list[Any] = []
        i = 0
        while i < len(nodes):
            node = nodes[i]
            if isinstance(node, syntax.GroupNode):
                out.append(self.expand(parser, node))
                i += 1
                continue
            run = _bare_words(nodes, i)
            found = self.synonyms.match([nodes[j].text for j in run]) if run else None
            if found is None:
                out.append(node)
                i += 1
                continue
            n, alternatives = found
            span = (node.startchar, nodes[run[n - 1]].endchar)
            out.append(syntax.OrGroup([_alternative(words, span) for words in alternatives]))
            i = run[n - 1] + 1
        group.nodes = out
        return group


def _bare_words(nodes: list[Any], i: int) -> list[int]:
    """Indexes of the unfielded words from ``nodes[i]`` on, with only spaces between."""
    run: list[int] = []
    for j in range(i, len(nodes)):
        node = nodes[j]
        if type(node) is syntax.WordNode and node.fieldname is None:
            run.append(j)
        elif not isinstance(node, syntax.Whitespace) or not run:
            break
    return run


def _alternative(words: tuple[str, ...], span: tuple[int, int]) -> Any:
    """A word, or a phrase of several, standing where the matched words stood."""
    text = " ".join(words)
    phrase = qparser.PhrasePlugin.PhraseNode
    node = syntax.WordNode(text) if len(words) == 1 else phrase(text, 0)
    node.startchar, node.endchar = span
    return node


class _Parenthesized(syntax.GroupNode):  # type: ignore[misc]
    """A group written in parentheses, kept whole.

    Whoosh's infix operators append to a group of their own kind on their left, so
    ``(a NOT b) OR c`` became one group ``a, NOT b, c``, and its ``NOT`` then excluded
    ``b`` from ``c`` too.  An operator never merges into this wrapper.
    """

    merging = False
    qclass = query.Or

    def query(self, parser: qparser.QueryParser) -> query.Query | None:
        if len(self.nodes) != 1:
            return super().query(parser)
        q = self.nodes[0].query(parser)
        if q is not None and self.boost != 1.0:
            q = q.with_boost(q.boost * self.boost)
        return q


class _PlusMinusPlugin(qparser.PlusMinusPlugin):  # type: ignore[misc]
    """``+word`` and ``-word`` in every group, not only the outermost; and every group in
    parentheses kept whole (:class:`_Parenthesized`), before the operators are read.

    Whoosh's own sorts the outermost group's words and leaves the markers of a group in
    parentheses where they are, so ``x (a -b)`` failed to parse.
    """

    def do_plusminus(self, parser: qparser.QueryParser, group: Any) -> Any:
        for i, node in enumerate(group):
            if isinstance(node, syntax.GroupNode):
                inner = self.do_plusminus(parser, node)
                group[i] = _Parenthesized([inner], boost=node.boost * inner.boost)
        return super().do_plusminus(parser, group)


class _GtLtPlugin(qparser.GtLtPlugin):  # type: ignore[misc]
    """``field:>value`` ranges, as Whoosh's; a ``<`` or ``>`` at the start of a group is
    dropped, as one after anything but a field's name is.

    Whoosh's looked at the node before the sign there and found none, so a query that
    starts with one (``<AIG> 4TH QTR NET``, a Reuters title) failed to parse.
    """

    def do_gtlt(self, parser: qparser.QueryParser, group: Any) -> Any:
        while len(group) and isinstance(group[0], self.GtLtNode):
            group.nodes = group.nodes[1:]
        return super().do_gtlt(parser, group)


class _FuzzyTermPlugin(qparser.FuzzyTermPlugin):  # type: ignore[misc]
    """``word~``, ``word~2``: fuzzy terms that count a swap of two letters as one edit."""

    class FuzzyTermNode(qparser.FuzzyTermPlugin.FuzzyTermNode):  # type: ignore[misc]
        qclass = DamerauFuzzyTerm


class _WildcardPlugin(qparser.WildcardPlugin):  # type: ignore[misc]
    """Wildcards as Whoosh's, with every piece of a word joined: Whoosh's joined a ``*`` or
    ``?`` with one neighbour on each side, so ``pris?*er`` searched ``pris?*`` OR ``er``
    and ``a?*b`` searched ``a?*`` and dropped the ``b``."""

    def do_wildcards(self, parser: qparser.QueryParser, group: Any) -> Any:
        i = 0
        while i < len(group):
            node = group[i]
            if isinstance(node, self.WildcardNode):
                while i + 1 < len(group) and group[i + 1].is_text():
                    node.text += group.pop(i + 1).text
                while i > 0 and group[i - 1].is_text():
                    node.text = group.pop(i - 1).text + node.text
                    i -= 1
            elif isinstance(node, syntax.GroupNode):
                self.do_wildcards(parser, node)
            i += 1
        # Whoosh's own pass: a word with one * at its end becomes a prefix query.
        return super().do_wildcards(parser, group)


def parser(parsing: Parsing) -> qparser.QueryParser:
    """The parser of searchkit's syntax; bare words search the fields ``parsing.words``,
    and those ``parsing.synonyms`` has a rule for search what it says."""
    group = qparser.AndGroup if parsing.operator == "and" else qparser.OrGroup
    parser = _WordPartParser(None, parsing.schema, group=group)
    if parsing.synonyms:
        parser.add_plugin(_SynonymsPlugin(parsing.synonyms))
    words = parsing.words
    parser.add_plugin(qparser.MultifieldPlugin(list(words), fieldboosts=words))
    parser.remove_plugin_class(qparser.WildcardPlugin)
    parser.add_plugin(_WildcardPlugin())
    parser.add_plugin(_FuzzyTermPlugin())
    parser.add_plugin(_GtLtPlugin())
    parser.add_plugin(qparser.FieldAliasPlugin(FIELD_ALIASES))
    # +word requires a word and -word excludes it, but only at the start of a word, so
    # that hyphenated words (well-known, co-operation) stay words.
    parser.add_plugin(_PlusMinusPlugin(_PREFIX.format("\\+"), _PREFIX.format("-")))
    return parser
