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
    return flatten(main)  # flattens nesting, drops duplicate clauses


def flatten(q: Q.Query) -> Q.Query:
    """What Whoosh's ``normalize()`` does to our trees, without its deep copies
    (which took longer than evaluating the query): nested AND in AND and OR in
    OR are flattened, duplicate clauses dropped, one-clause groups unwrapped."""
    if not isinstance(q, (Q.And, Q.Or)) or type(q) not in (Q.And, Q.Or):
        return q
    kids: list[Q.Query] = []
    seen: set = set()
    for child in q.subqueries:
        child = flatten(child)
        if child is Q.NullQuery:
            continue
        parts = child.subqueries if type(child) is type(q) and child.boost == 1.0 else [child]
        for part in parts:
            if part not in seen:
                seen.add(part)
                kids.append(part)
    if not kids:
        return Q.NullQuery
    if len(kids) == 1:
        only = kids[0]
        if q.boost != 1.0:
            only = only.copy()
            only.boost *= q.boost
        return only
    return type(q)(kids, boost=q.boost)


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
