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
from array import array
from collections import OrderedDict
from collections.abc import Iterable
from operator import itemgetter

from whoosh import query as Q
from whoosh.matching.wrappers import FilterMatcher
from whoosh.searching import SearchContext
from whoosh.util.numeric import byte_to_length

K1 = 1.2
B = 0.75
_LENGTHS = [byte_to_length(code) for code in range(256)]
#: Decoded and scored posting lists kept per searcher, in postings (12 bytes each,
#: ~5 MB at this size): the words people search for repeat, and decoding a long
#: posting list costs more than everything else a query does.
CACHE_POSTINGS = 400_000
_SCORE = itemgetter(1)


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
        # (field, text) -> (global ids, scores at boost 1) of a term, and a compound
        # query -> (ids, scores) of its result; least recently used first
        self._postings: OrderedDict[object, tuple[array, array]] = OrderedDict()
        self._cached = 0
        self.cache_max = CACHE_POSTINGS
        self.stats = {"hits": 0, "misses": 0}

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
        (Whoosh's order, ties included)."""
        if limit <= 0 or not scores:
            return []
        best = heapq.nlargest(limit, scores.items(), key=_SCORE)
        floor = best[-1][1]
        tied = [kv for kv in scores.items() if kv[1] >= floor] if len(scores) > limit else best
        tied.sort(key=lambda kv: (-kv[1], kv[0]))
        return tied[:limit]

    # -- nodes ----------------------------------------------------------------------

    def _eval(self, q: Q.Query) -> dict[int, float]:
        if type(q) in (Q.Or, Q.And):
            # A word's group (its fields, synonyms and parts) recurs across queries:
            # keep its result as two arrays and rebuild the dict in C.
            hit = self._postings.get(q)
            if hit is not None:
                self._postings.move_to_end(q)
                self.stats["hits"] += 1
                return dict(zip(*hit))
            out = self._eval_node(q)
            if len(out) >= 1000:
                self._remember(q, (array("i", out.keys()), array("d", out.values())))
            return out
        return self._eval_node(q)

    def _remember(self, key, result: tuple[array, array]) -> None:
        n = len(result[0])
        if n > self.cache_max:
            return
        self._postings[key] = result
        self._cached += n
        while self._cached > self.cache_max:
            _key, (old, _s) = self._postings.popitem(last=False)
            self._cached -= len(old)

    def _eval_node(self, q: Q.Query) -> dict[int, float]:
        if isinstance(q, Q.Term):
            return self._term(q.fieldname, q.text, q.boost)
        if isinstance(q, Q.Or) and not q.minmatch and q.scale is None:
            return self._or(q.subqueries, q.boost)
        if isinstance(q, Q.And):
            return self._and(q.subqueries, q.boost)
        if isinstance(q, Q.Prefix):
            terms = [Q.Term(q.fieldname, t) for t in self._expand(q.fieldname, q.text)]
            return self._or(terms, q.boost)
        if q is Q.NullQuery:
            return {}
        return self._whoosh(q)

    def _or(self, children: Iterable[Q.Query], boost: float) -> dict[int, float]:
        """Documents matching any child, with the sum of the children's scores."""
        parts = []  # (size, ids, scores) of terms; (size, dict, None) of other children
        for c in children:
            if type(c) is Q.Term:
                ids, scores = self._term_arrays(c.fieldname, c.text)
                if ids:
                    if c.boost != 1.0:
                        b = c.boost
                        scores = [x * b for x in scores]
                    parts.append((len(ids), ids, scores))
            else:
                d = self._eval(c)
                if d:
                    parts.append((len(d), d, None))
        if not parts:
            return {}
        parts.sort(key=itemgetter(0), reverse=True)
        _n, first, first_scores = parts[0]
        out = dict(zip(first, first_scores)) if first_scores is not None else dict(first)
        get = out.get
        for _n, ids, scores in parts[1:]:
            pairs = zip(ids, scores) if scores is not None else ids.items()
            for d, x in pairs:
                out[d] = get(d, 0.0) + x
        if boost != 1.0:
            out = {d: x * boost for d, x in out.items()}
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
        ids, scores = self._term_arrays(field, text)
        if boost != 1.0:
            return dict(zip(ids, [x * boost for x in scores]))
        return dict(zip(ids, scores))

    def _term_arrays(self, field: str, text) -> tuple[array, array]:
        """(global ids, BM25F scores at boost 1) of one term, cached."""
        key = (field, text)
        hit = self._postings.get(key)
        if hit is not None:
            self._postings.move_to_end(key)
            self.stats["hits"] += 1
            return hit
        self.stats["misses"] += 1
        ids, scores = self._read_term(field, text)
        result = (array("i", ids), array("d", scores))
        self._remember(key, result)
        return result

    def _read_term(self, field: str, text) -> tuple[list[int], list[float]]:
        s = self.searcher
        schema = s.schema
        if field not in schema:
            return [], []
        fieldobj = schema[field]
        try:
            btext = fieldobj.to_bytes(text)
        except ValueError:
            return [], []
        leaves = [(ri, reader, offset) for ri, (reader, offset) in enumerate(self.leaves)
                  if (field, btext) in reader]
        if not leaves:
            return [], []
        scorable = fieldobj.scorable
        if scorable:
            k = s.idf(field, text) * (K1 + 1)
            norms = self._norm_table(field)
        all_ids: list[int] = []
        all_scores: list[float] = []
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
                scores = list(weights)
            if offset:
                ids = [d + offset for d in ids]
            all_ids.extend(ids)
            all_scores.extend(scores)
        return all_ids, all_scores

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


def _libc_trim():
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to trim
        return None


_malloc_trim = _libc_trim()


def release_memory() -> None:
    """Hand the memory a large query used back to the system (glibc keeps freed
    blocks otherwise, and a worker's resident size would stay at its largest query)."""
    if _malloc_trim is not None:
        _malloc_trim(0)


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
