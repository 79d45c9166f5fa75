"""Query-time synonyms, read from ``synonyms.txt``.

Why: guides and citizens name the same thing differently (社保补缴 vs 追缴社保,
租房 vs 租赁). Expanding at query time keeps the index neutral and lets the
table change without a reindex. Each term is normalised with the query
analysis so Traditional input and English stems line up.
"""

from __future__ import annotations

import functools

from .analysis import _package_lines, fold, query_words


def _normalise(term: str) -> str:
    words = query_words(term)
    # A Latin term is a single (stemmed) word; a Chinese term keeps its whole
    # folded form even if jieba would cut it, so it can be matched as a unit.
    return words[0] if len(words) == 1 else fold(term).lower()


@functools.cache
def _table() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for line in _package_lines("synonyms.txt"):
        group = {_normalise(term) for term in line.split()}
        for term in group:
            table.setdefault(term, set()).update(group)
    return {term: frozenset(group) for term, group in table.items()}


def expand(word: str) -> frozenset[str]:
    """``word`` plus every term sharing a synonym group with it."""
    return _table().get(word, frozenset()) | {word}
