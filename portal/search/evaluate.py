"""Evaluating a query over whole posting lists: exact counts and BM25F scores without
Whoosh's per-document matcher machinery.

Why (measured, see bench/README.md): with Whoosh's collector every matching
document walks a Python tree of union/intersection matchers (a word is an OR over
four fields, its synonyms and its compound parts), ~25 µs per matching document
and again as much to count the matches; a broad word matches half of a 100,000
entry index, so one query took 1-2 s. Here each term's posting list is read a
block at a time (arrays decoded by Whoosh's codec), scored in one list
comprehension with the same BM25F formula, field boosts and idf as Whoosh's
``BM25F`` (K1=1.2, B=0.75), and combined with dict arithmetic: OR adds the scores
of the documents matching any child, AND keeps the documents matching every
child and adds their scores, exactly as Whoosh's union and intersection matchers
score. The count of matches is then simply the size of the result, exact.

Query nodes this module does not know (e.g. a phrase of bigrams) are evaluated by
Whoosh's own matcher, so any query still gives the right answer.

It reads a few private attributes of Whoosh's ``whoosh3`` codec (the version is
pinned in pyproject.toml); if they change, :func:`_read_postings` falls back to
the public matcher interface (slower, same result).
"""
from __future__ import annotations

import heapq
from collections.abc import Iterable

from whoosh import query as Q
from whoosh.matching.wrappers import FilterMatcher
from whoosh.searching import SearchContext
from whoosh.util.numeric import byte_to_length

K1 = 1.2
B = 0.75
_LENGTHS = [byte_to_length(code) for code in range(256)]


class Evaluator:
    """Scores queries against one Whoosh searcher (all its segments).

    Keep one per searcher: it caches each segment's field lengths (one byte per
    document and field) and the document sets of filters.
    """

    def __init__(self, searcher):
        self.searcher = searcher
        self.leaves = [(sub.reader(), offset) for sub, offset in searcher.leaf_searchers()]
        self.doc_count = searcher.doc_count_all()
        self._codes: dict[tuple[int, str], bytes | None] = {}
        self._norms: dict[str, list[float]] = {}
        self._filters: dict[str, frozenset[int]] = {}

    # -- public ---------------------------------------------------------------------

    def scores(self, q: Q.Query) -> dict[int, float]:
        """{global docnum: score} of every (undeleted) document matching ``q``."""
        return self._eval(q)

    def allowed(self, q: Q.Query) -> frozenset[int]:
        """The documents matching a filter query (cached: filters repeat)."""
        key = repr(q)
        docs = self._filters.get(key)
        if docs is None:
            docs = frozenset(self._eval(q))
            if len(self._filters) > 256:
                self._filters.clear()
            self._filters[key] = docs
        return docs

    @staticmethod
    def top(scores: dict[int, float], limit: int) -> list[tuple[int, float]]:
        """The ``limit`` best (docnum, score): higher score first, then lower docnum
        (Whoosh's order)."""
        return heapq.nsmallest(limit, scores.items(), key=lambda kv: (-kv[1], kv[0]))

    # -- nodes ----------------------------------------------------------------------

    def _eval(self, q: Q.Query) -> dict[int, float]:
        if isinstance(q, Q.Term):
            return self._term(q.fieldname, q.text, q.boost)
        if isinstance(q, Q.Or) and not q.minmatch and q.scale is None:
            return self._or([self._eval(c) for c in q.subqueries], q.boost)
        if isinstance(q, Q.And):
            return self._and(q.subqueries, q.boost)
        if isinstance(q, Q.Prefix):
            terms = [Q.Term(q.fieldname, t) for t in self._expand(q.fieldname, q.text)]
            return self._or([self._eval(t) for t in terms], q.boost)
        if q is Q.NullQuery:
            return {}
        return self._whoosh(q)

    def _or(self, parts: list[dict[int, float]], boost: float) -> dict[int, float]:
        parts = [p for p in parts if p]
        if not parts:
            return {}
        parts.sort(key=len, reverse=True)
        out = dict(parts[0])
        get = out.get
        for part in parts[1:]:
            for d, s in part.items():
                out[d] = get(d, 0.0) + s
        if boost != 1.0:
            out = {d: s * boost for d, s in out.items()}
        return out

    def _and(self, children: Iterable[Q.Query], boost: float) -> dict[int, float]:
        parts = []
        for c in children:
            part = self._eval(c)
            if not part:
                return {}  # one child matches nothing: neither does the AND
            parts.append(part)
        parts.sort(key=len)
        keys = set(parts[0])
        for part in parts[1:]:
            keys.intersection_update(part.keys())
            if not keys:
                return {}
        return {d: boost * sum(p[d] for p in parts) for d in keys}

    def _term(self, field: str, text, boost: float) -> dict[int, float]:
        s = self.searcher
        schema = s.schema
        if field not in schema:
            return {}
        fieldobj = schema[field]
        try:
            btext = fieldobj.to_bytes(text)
        except ValueError:
            return {}
        leaves = [(ri, reader, offset) for ri, (reader, offset) in enumerate(self.leaves)
                  if (field, btext) in reader]
        if not leaves:
            return {}
        scorable = fieldobj.scorable
        if scorable:
            idf = s.idf(field, text) * boost
            k = idf * (K1 + 1)
            norms = self._norm_table(field)
        out: dict[int, float] = {}
        for ri, reader, offset in leaves:
            ids, weights = _read_postings(reader, field, btext)
            if reader.has_deletions():
                deleted = reader.deleted_docs_set
                keep = [i for i, d in enumerate(ids) if d not in deleted]
                ids = [ids[i] for i in keep]
                weights = [weights[i] for i in keep]
            if scorable:
                codes = self._length_codes(ri, reader, field)
                if codes is None:  # no lengths stored: Whoosh's default length is 1
                    n1 = K1 * ((1 - B) + B * 1 / (s.avg_field_length(field) or 1))
                    scores = [k * w / (w + n1) for w in weights]
                else:
                    scores = [k * w / (w + norms[codes[d]]) for d, w in zip(ids, weights)]
            else:
                scores = [w * boost for w in weights]
            if offset:
                ids = [d + offset for d in ids]
            out.update(zip(ids, scores))
        return out

    def _whoosh(self, q: Q.Query) -> dict[int, float]:
        """Any other node: Whoosh's matcher, one document at a time."""
        s = self.searcher
        m = q.matcher(s, SearchContext(weighting=s.weighting, top_query=q))
        out = {}
        while m.is_active():
            out[m.id()] = m.score()
            m.next()
        return out

    # -- statistics -----------------------------------------------------------------

    def _expand(self, field: str, prefix: str) -> list:
        try:
            return list(self.searcher.reader().expand_prefix(field, prefix))
        except Exception:  # an unknown field: nothing to expand
            return []

    def _norm_table(self, field: str) -> list[float]:
        """K1 * (1 - B + B * length / average length) for each one-byte length code."""
        table = self._norms.get(field)
        if table is None:
            avg = self.searcher.avg_field_length(field) or 1
            table = [K1 * ((1 - B) + B * length / avg) for length in _LENGTHS]
            self._norms[field] = table
        return table

    def _length_codes(self, ri: int, reader, field: str) -> bytes | None:
        """The one-byte length codes of ``field`` for every document of a segment."""
        key = (ri, field)
        if key not in self._codes:
            self._codes[key] = _read_length_codes(reader, field)
        return self._codes[key]


def _read_length_codes(reader, field: str) -> bytes | None:
    n = reader.doc_count_all()
    try:
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

        column = reader._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
        if column is None:
            return None
        raw = column._dbfile.get(column._basepos, column._count)
        return bytes(raw) + bytes(max(0, n - len(raw)))
    except (AttributeError, ImportError):  # another codec: ask document by document
        from whoosh.util.numeric import length_to_byte

        return bytes(length_to_byte(reader.doc_field_length(d, field, 0)) for d in range(n))


def _read_postings(reader, field: str, btext: bytes) -> tuple[list[int], list[float]]:
    """Segment-local (ids, weights) of one term, deleted documents included."""
    m = reader.postings(field, btext)
    if isinstance(m, FilterMatcher):
        m = m.child
    ids: list[int] = []
    weights: list[float] = []
    if hasattr(m, "_next_block") and hasattr(m, "_read_ids") and hasattr(m, "_blocklength"):
        while m.is_active():  # one block per turn, at its first posting
            m._read_ids()
            m._read_weights()
            ids.extend(m._ids)
            weights.extend(m._weights)
            m._next_block()
        return ids, weights
    while m.is_active():  # inlined (short) posting lists and other matchers
        ids.append(m.id())
        weights.append(m.weight())
        m.next()
    return ids, weights
