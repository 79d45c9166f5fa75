"""Writing a segment without Whoosh's posting pool: postings kept in memory, per term, and
written straight through the ``whoosh3`` codec's files a block at a time.

Why (measured, see bench/README.md): Whoosh's ``SegmentWriter`` turns every token into a
Token object, every posting into a tuple in its sorting pool (pickled to temporary runs
and merged when the pool fills), then hands the sorted stream to the codec one posting at
a time (``add_posting`` checks types and keeps block statistics per posting). That was
15-25 µs per posting, ~150 postings a document: the whole cost of a rebuild after jieba.

Here :class:`DirectSegmentWriter` analyzes a document with plain functions
(:func:`.analysis.index_words`, :func:`.analysis.gram_positions`: the same terms as the
fields' analyzers), appends each term's document number and frequency to two arrays, and
at commit writes every term's posting blocks with whole-array operations (delta-coded ids,
weights, big-endian frequencies), exactly the bytes Whoosh's writer produces: the same
128-posting blocks, block info, zlib level and term info. Stored fields, field lengths and
the ``published`` column still go through the codec's per-document writer.
``tests/test_search_writer.py`` checks the files give the same terms, postings, lengths
and stored fields as Whoosh's own writer.

It is used for full rebuilds only (a new, empty generation); updates and deletes keep
Whoosh's writer. Memory: about 9 bytes a posting (100,000 entries: ~120 MB in all,
split between the writer processes).
"""
from __future__ import annotations

import gc
import zlib
from array import array
from operator import sub
from pickle import dumps

from whoosh.analysis import IDTokenizer
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.formats import Existence, Frequency, Positions
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import length_to_byte

from .analysis import CjkGramTokenizer, gram_positions
from .parallel import FastSegmentWriter

_UINT = array("I")
assert _UINT.itemsize == 4, "array('I') must be 4 bytes (the codec's big-endian uint)"

_WORDS, _GRAMS, _ID, _GENERIC = 0, 1, 2, 3


def _kind(field):
    """``(path, words function)``: how ``field`` is indexed here. ``_WORDS``: a Frequency
    field whose analyzer has a plain ``index_words`` twin (the Chinese and English text
    fields); ``_GRAMS``: the CJK bigram field (positions); ``_ID``: an ID field (one term,
    no frequency); ``_GENERIC``: anything else, through Whoosh's own ``field.index``."""
    fmt = field.format
    if fmt is None or getattr(fmt, "field_boost", 1.0) != 1.0:
        return _GENERIC, None
    words = getattr(field.analyzer, "index_words", None)
    if words is not None and type(fmt) is Frequency:
        return _WORDS, words
    if type(field.analyzer) is CjkGramTokenizer and type(fmt) is Positions:
        return _GRAMS, None
    if type(field.analyzer) is IDTokenizer and type(fmt) is Existence:
        return _ID, None
    return _GENERIC, None


class _Postings:
    """One term's postings: document numbers, weights (frequencies) and, for fields with
    values Whoosh stores per posting (positions), the encoded values."""

    __slots__ = ("ids", "freqs", "values")

    def __init__(self, with_values: bool):
        self.ids = array("I")
        self.freqs = array("I")
        self.values: list[bytes] | None = [] if with_values else None


class DirectSegmentWriter(FastSegmentWriter):
    """A SegmentWriter for a rebuild: same files, postings written without the pool.

    Documents must not be updated or deleted through it (it only adds). A document that
    fails half-way may have left postings behind, so after an error the writer refuses
    more documents and its commit: the caller cancels it (a rebuild does).
    """

    def __init__(self, ix, **kwargs):
        super().__init__(ix, **kwargs)
        codec = self.codec
        self._blocklimit = getattr(codec, "_blocklimit", 128)
        self._compression = getattr(codec, "_compression", 3)
        self._inlinelimit = getattr(codec, "_inlinelimit", 1)
        self._kinds = {name: _kind(field) for name, field in self.schema.items()}
        # field -> term text (str; bytes for the generic path) -> _Postings
        self._terms: dict[str, dict] = {}
        self._lengths: dict[str, array] = {}  # field -> length of the field in each document
        self._failed = False

    # -- adding ------------------------------------------------------------------------

    def update_document(self, **fields):
        raise NotImplementedError("DirectSegmentWriter only adds documents (rebuilds)")

    def delete_document(self, docnum, delete=True):
        raise NotImplementedError("DirectSegmentWriter only adds documents (rebuilds)")

    def add_document(self, **fields):
        self._check_state()
        if self._failed:
            raise RuntimeError("a document failed: cancel this writer")
        names = sorted(name for name in fields if not name.startswith("_"))
        if len(names) != len(fields):
            raise ValueError("DirectSegmentWriter takes no boosts or _stored_ values")
        schema = self.schema
        self._check_fields(schema, names)
        pdw = self.perdocwriter
        docnum = self.docnum
        pdw.start_doc(docnum)
        try:
            for name in names:
                value = fields[name]
                if value is None:
                    continue
                field = schema[name]
                length = 0
                if field.indexed:
                    length = self._index(name, field, value, docnum)
                    if not field.scorable:
                        length = 0
                pdw.add_field(name, field, value if field.stored else None, length)
                if length:
                    lengths = self._lengths.get(name)
                    if lengths is None:
                        lengths = self._lengths[name] = array("I")
                    if len(lengths) < docnum:  # documents without this field: length 0
                        lengths.extend(array("I", [0]) * (docnum - len(lengths)))
                    lengths.append(length)
                column = field.column_type
                if column:
                    pdw.add_column_value(name, column, field.to_column_value(value))
        except BaseException:
            pdw.cancel_doc()
            self._failed = True
            raise
        pdw.finish_doc()
        self._added = True
        self.docnum += 1

    def _index(self, name: str, field, value, docnum: int) -> int:
        """Add the postings of one field of one document; returns the field's length
        (the number of tokens, as Whoosh counts it for scorable fields)."""
        kind, words_of = self._kinds[name]
        terms = self._terms.get(name)
        if terms is None:
            terms = self._terms[name] = {}
        if isinstance(value, str):
            if kind == _WORDS:
                words = words_of(value)
                counts: dict[str, int] = {}
                get = counts.get
                for w in words:
                    counts[w] = get(w, 0) + 1
                tget = terms.get
                for w, n in counts.items():
                    p = tget(w)
                    if p is None:
                        p = terms[w] = _Postings(False)
                    p.ids.append(docnum)
                    p.freqs.append(n)
                return len(words)
            if kind == _ID:
                p = terms.get(value)
                if p is None:
                    p = terms[value] = _Postings(False)
                p.ids.append(docnum)
                p.freqs.append(1)
                return 1
            if kind == _GRAMS:
                length = 0
                for g, poses in gram_positions(value).items():
                    p = terms.get(g)
                    if p is None:
                        p = terms[g] = _Postings(True)
                    p.ids.append(docnum)
                    p.freqs.append(len(poses))
                    p.values.append(_encode_positions(poses))
                    length += len(poses)
                return length
        if kind != _GENERIC:
            raise TypeError(f"field {name!r} takes a string, got {type(value).__name__}")
        length = 0
        for btext, freq, weight, vbytes in field.index(value):
            p = terms.get(btext)
            if p is None:
                p = terms[btext] = _Postings(True)
                p.freqs = []  # Whoosh's weights as they are (floats)
            p.ids.append(docnum)
            p.freqs.append(weight)
            p.values.append(vbytes)
            length += freq
        return length

    # -- writing -----------------------------------------------------------------------

    def _flush_segment(self):
        if self._failed:
            raise RuntimeError("a document failed: cancel this writer")
        self.perdocwriter.close()
        fw = self.fieldwriter
        raw = fw._postfile.file  # the codec's StructFile, written to directly
        tindex = fw._tindex
        doccount = self.docnum
        for name in sorted(self._terms):
            terms = self._terms.pop(name)
            if not terms:
                continue
            field = self.schema[name]
            codes = None
            if field.scorable and name in self._lengths:
                lengths = self._lengths[name]
                if len(lengths) < doccount:
                    lengths.extend(array("I", [0]) * (doccount - len(lengths)))
                codes = bytes(map(length_to_byte, lengths))
            fixed = field.format.fixed_value_size()
            fw.start_field(name, field)
            prefix = pack_ushort(fw._fieldid)
            generic = self._kinds[name][0] == _GENERIC
            for key in sorted(terms):  # str order is UTF-8 byte order
                btext = key if generic else key.encode("utf-8")
                info = self._write_term(raw, terms.pop(key), codes, fixed)
                tindex.add(prefix + btext, info)
            fw.finish_field()
        fw.close()

    def _write_term(self, raw, p: _Postings, codes: bytes | None, fixed: int | None) -> bytes:
        """Write one term's posting blocks as W3PostingsWriter writes them; returns the
        term info bytes (W3TermInfo.to_bytes)."""
        ids = p.ids
        n = len(ids)
        if n < self._inlinelimit:  # never with the codec's limit of 1
            raise AssertionError("inlined postings are not supported")
        weights = array("f", p.freqs)  # as Whoosh keeps them (float32)
        values = p.values
        limit = self._blocklimit
        comp = self._compression
        startoffset = raw.tell()
        out = [WHOOSH3_HEADER_MAGIC]
        total_weight = 0.0
        minlen = 255
        maxlen = 0
        maxweight = 0
        for start in range(0, n, limit):
            end = min(start + limit, n)
            bids = ids[start:end]
            bw = weights[start:end]
            count = end - start
            dids = tuple(map(sub, bids, _prev(bids)))  # delta-coded from 0 in each block
            first = bw[0]  # weights: None if all 1.0, one float if all equal, else a tuple
            if bw.count(first) == count:
                mw = None if first == 1.0 else first
            else:
                mw = tuple(bw)
            if fixed == 0:
                mv = None
            elif values is None:  # Frequency: each posting's frequency, a big-endian uint
                be = array("I", p.freqs[start:end])
                be.byteswap()
                mv = be.tobytes()
            elif fixed is None or fixed < 0:
                mv = tuple(v for v in values[start:end] if v)
            else:
                mv = b"".join(v for v in values[start:end] if v)
            databytes = dumps((dids, mw, mv), 2)
            if comp:
                databytes = zlib.compress(databytes, comp)
            bmax = max(bw)
            if bmax < 0:
                bmax = 0
            if codes is not None:
                bc = bytes(map(codes.__getitem__, bids))
                lo, hi = min(bc), max(bc)
                if lo < minlen:
                    minlen = lo
                if hi > maxlen:
                    maxlen = hi
            else:
                lo = hi = 0
            infobytes = dumps((count, bids[-1], bmax, comp, lo, hi), 2)
            blocklength = len(infobytes) + len(databytes)
            out.append(pack_int(-blocklength if end == n else blocklength))
            out.append(infobytes)
            out.append(databytes)
            total_weight += sum(bw)
            if bmax > maxweight:
                maxweight = bmax
        data = b"".join(out)
        raw.write(data)
        if codes is None:
            minlen = 0
        return _TERMINFO.pack(False, total_weight, n, minlen, maxlen, maxweight, ids[0], ids[-1]) \
            + pack_long(startoffset) + pack_int(len(data))


def _prev(block: array) -> array:
    """``[0, block[0], block[1], ...]`` (the base of each delta)."""
    out = array(block.typecode, [0])
    out.extend(block[:-1])
    return out


_TERMINFO = W3TermInfo._struct  # flags, weight, df, min/max length byte, max weight, first/last id
_POSITIONS: dict[int, bytes] = {}
_POSITIONS_FORMAT = Positions()


def _encode_positions(poses: list[int]) -> bytes:
    """Whoosh's ``Positions.encode``: the count and the pickled position deltas."""
    if len(poses) == 1:
        pos = poses[0]
        b = _POSITIONS.get(pos)
        if b is None:
            b = _POSITIONS[pos] = _POSITIONS_FORMAT.encode(poses)
        return b
    return _POSITIONS_FORMAT.encode(poses)


class gc_paused:
    """Context manager: no cyclic garbage collection while a rebuild runs. The postings
    of a rebuild are millions of small objects that live until the commit, and the
    collector walked them again and again (10 % of a rebuild at 20,000 entries); the
    rebuild itself makes almost no reference cycles."""

    def __enter__(self):
        self._was = gc.isenabled()
        gc.disable()
        return self

    def __exit__(self, *exc):
        if self._was:
            gc.enable()
