"""Turn free user text into a Whoosh query, never parsing Whoosh syntax.

Why not QueryParser: citizens type things like ``AND (`` or ``title:x`` and
must get results, not errors. We analyze the text ourselves into words and
build the query tree directly. Each word becomes an OR of ways to match it:

* the word itself in any text field (matter > title > body),
* its synonyms (社保 -> 社会保险),
* for a Chinese compound, all of its parts (社保补缴 -> 社保 AND 补缴, each
  with synonyms, so 追缴社保 matches),
* for words jieba does not know (and single characters), a bigram phrase
  in the ``grams`` field (a literal substring of a matter or title, low weight).

Words are combined with AND (:func:`build`) or, when that finds nothing,
with OR (``require_all=False``). An exact matter-name match is added with a
huge boost so it ranks first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from whoosh import query as Q

from . import synonyms
from .analysis import is_cjk, is_dictionary_word, normalize_exact, split_compound
from .schema import EN_FIELDS, EXACT_BOOST, FIELD_BOOSTS, GRAMS_BOOST, GRAMS_FIELD, ZH_FIELDS


def fields_for(lang: str, words: Sequence[str]) -> tuple[str, ...]:
    """Chinese fields always; English fields too for English queries."""
    english = lang == "en" or all(w.isascii() for w in words)
    return ZH_FIELDS + EN_FIELDS if english else ZH_FIELDS


def build(text: str, words: Sequence[str], fields: Sequence[str], require_all: bool) -> Q.Query:
    groups = [_word(w, fields, split=True) for w in words]
    main = Q.And(groups) if require_all else Q.Or(groups)
    exact = normalize_exact(text)
    if exact:
        main = Q.Or([main, Q.Term("matter_exact", exact, boost=EXACT_BOOST)])
    return main.normalize()  # flattens nesting, drops duplicate clauses


def filters(**values: object) -> Q.Query | None:
    """AND of the given ID-field filters; a value may be one code or several."""
    clauses = []
    for field, value in values.items():
        if value is None:
            continue
        codes = value if isinstance(value, Iterable) and not isinstance(value, str) else [value]
        clauses.append(Q.Or([Q.Term(field, str(c)) for c in codes]))
    return Q.And(clauses) if clauses else None


def _word(word: str, fields: Sequence[str], split: bool) -> Q.Query:
    clauses: list[Q.Query] = []
    for alt in sorted(synonyms.expand(word)):
        clauses.append(_in_fields(alt, fields))
        if not is_cjk(alt):
            continue
        parts = split_compound(alt) if split else []
        if parts and all(len(p) > 1 for p in parts):
            clauses.append(Q.And([_word(p, fields, split=False) for p in parts]))
        if len(alt) == 1 or not is_dictionary_word(alt):
            # jieba may cut an unknown word differently in the documents;
            # dictionary words are reliably emitted by search mode, and the
            # (costly) phrase would only slow the query down.
            clauses.append(_grams(alt))
    return Q.Or(clauses)


def _in_fields(word: str, fields: Sequence[str]) -> Q.Query:
    use = [f for f in fields if f not in EN_FIELDS or word.isascii()]
    return Q.Or([Q.Term(f, word, boost=FIELD_BOOSTS[f]) for f in use])


def _grams(word: str) -> Q.Query:
    if len(word) == 1:  # the character alone (end of a run) or as a bigram's first half
        return Q.Prefix(GRAMS_FIELD, word, boost=GRAMS_BOOST)
    grams = [word[i:i + 2] for i in range(len(word) - 1)]
    if len(grams) == 1:
        return Q.Term(GRAMS_FIELD, grams[0], boost=GRAMS_BOOST)
    return Q.Phrase(GRAMS_FIELD, grams, boost=GRAMS_BOOST)


def highlight_terms(q: Q.Query) -> frozenset[tuple[str, str]]:
    """Every ``(field, text)`` a query looks for, for highlighting: a document's
    tokens in a field that are among these are exactly the terms it matched there.
    A prefix query gives its prefix (a single character of the ``grams`` field)."""
    out: set[tuple[str, str]] = set()
    todo = [q]
    while todo:
        node = todo.pop()
        if isinstance(node, Q.Phrase):
            out.update((node.fieldname, w) for w in node.words)
        elif isinstance(node, (Q.Term, Q.Prefix)):
            out.add((node.fieldname, node.text))
        elif node.is_leaf():
            continue
        else:
            todo.extend(node.children())
    return frozenset(out)
