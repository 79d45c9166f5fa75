"""Text analysis for mixed Chinese/English service-guide text.

Why this exists: Whoosh only splits on whitespace, which is useless for
Chinese. Every field that holds Chinese runs through :func:`mixed_analyzer`:
Traditional characters are folded to Simplified (so 身份證 finds 身份证),
Chinese runs are segmented with jieba in *search* mode (which also emits the
sub-words of a compound, so 身份证 is found inside 身份证明) and Latin words are
lowercased and Porter-stemmed. :func:`gram_analyzer` adds CJK unigrams and
bigrams for a recall safety net (any literal substring can be found), and
:func:`query_words` / :func:`split_compound` give the query builder the words
of a user's question.

jieba is used through one private ``jieba.Tokenizer`` per process, created
lazily; ``jieba.analyse`` is never imported (it costs ~135 MB per process).
"""

from __future__ import annotations

import functools
import logging
import os
import re
import tempfile
import threading
import unicodedata
import warnings
from importlib import resources

import opencc

with warnings.catch_warnings():
    # jieba 0.42.1 has invalid escape sequences in its regex literals. Compiling
    # it (an import without cached .pyc) warns, and under -W error the warning
    # becomes a SyntaxError, so the import itself is shielded.
    warnings.filterwarnings("ignore", "invalid escape sequence", DeprecationWarning)
    warnings.filterwarnings("ignore", "invalid escape sequence", SyntaxWarning)
    import jieba
from whoosh.analysis import (
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
    Token,
    Tokenizer,
)
from whoosh.lang.porter import stem as _porter_stem

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_RUN_RE = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>[^\W_{_CJK}]+)")
_CJK_RE = re.compile(rf"[{_CJK}]")
# Control characters, lone surrogates and other non-characters: never indexed,
# and OpenCC cannot encode surrogates.
_JUNK_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

# A small stop list: English function words plus Chinese particles and
# question words that only add noise to an AND query.
STOP_WORDS = frozenset(
    "a an and are as at be by can for from have how i if in is it me my of on or "
    "the this that to was what when where which who why will with you your "
    "的 了 吗 呢 吧 啊 呀 和 与 及 或 在 是 我 我们 你 您 请问 怎么 怎样 如何 什么 哪里 为什么".split()
)

# Fullwidth ASCII (ＩＤ，１２３) and the ideographic space, one char for one.
_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

_lock = threading.Lock()
_converter: opencc.OpenCC | None = None
_tokenizer: jieba.Tokenizer | None = None
_cache_dir: str | None = None


def configure(cache_dir: str | os.PathLike | None = None) -> None:
    """Choose where jieba keeps its dictionary cache (default: the temp dir).

    Call before the first analysis in the process; later calls have no effect
    on an already loaded dictionary.
    """
    global _cache_dir
    _cache_dir = os.fspath(cache_dir) if cache_dir is not None else None


def _opencc() -> opencc.OpenCC:
    global _converter
    if _converter is None:
        with _lock:
            if _converter is None:
                _converter = opencc.OpenCC("t2s")
    return _converter


#: Words of jieba's dictionary seen fewer times than this in its corpus are left
#: out: the full dictionary (349,000 words, 498,000 keys with their prefixes) costs
#: 60 MB in every web worker, the 137,000 words seen 5 times or more 23 MB (the
#: worker's budget is 150 MB in all). A left-out word is cut into known words (or
#: found by jieba's HMM), the same way in documents and queries; the service-guide
#: terms of terms.txt are always added. Changing it needs a reindex.
MIN_WORD_FREQ = 5


def _dictionary(cache_dir: str) -> str:
    """Path of jieba's dictionary without its rarest words, written once into the cache dir."""
    source = os.path.join(os.path.dirname(jieba.__file__), "dict.txt")
    stat = os.stat(source)
    path = os.path.join(cache_dir, f"bancheng-jieba-{MIN_WORD_FREQ}-{stat.st_size}-{int(stat.st_mtime)}.txt")
    if not os.path.exists(path):
        with open(source, encoding="utf-8") as f:
            kept = [ln for ln in f if len(p := ln.split()) >= 2 and p[1].isdigit() and int(p[1]) >= MIN_WORD_FREQ]
        fd, tmp = tempfile.mkstemp(prefix=".bancheng-jieba-", dir=cache_dir)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.writelines(kept)
        os.replace(tmp, path)  # atomic: several workers may start at once
    return path


def _jieba() -> jieba.Tokenizer:
    """The process's jieba tokenizer, loaded once with our service-guide terms."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                jieba.setLogLevel(logging.WARNING)
                cache_dir = _cache_dir or tempfile.gettempdir()
                tok = jieba.Tokenizer(dictionary=_dictionary(cache_dir))
                tok.tmp_dir = cache_dir
                tok.initialize()
                for term in _package_lines("terms.txt"):
                    tok.add_word(term)
                _tokenizer = tok
    return _tokenizer


def _package_lines(name: str) -> list[str]:
    """Non-empty, non-comment lines of a data file shipped in this package."""
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def clean_text(text: str) -> str:
    """Drop control characters and lone surrogates (never meaningful, and they
    break OpenCC); keeps newlines and tabs."""
    return _JUNK_RE.sub("", text)


def fold(text: str) -> str:
    """Fullwidth -> ASCII and Traditional -> Simplified, keeping the length so
    token offsets still point into the original text (for highlighting)."""
    text = _JUNK_RE.sub(" ", text).translate(_FULLWIDTH)
    if not _CJK_RE.search(text):
        return text
    conv = _opencc()
    folded = conv.convert(text)
    if len(folded) != len(text):  # a phrase rule changed length: go char by char
        folded = "".join(c if len(f := conv.convert(c)) != 1 else f for c in text)
    return folded


def normalize_exact(text: str) -> str:
    """The key for exact matter-name matching: folded, lowercased, with
    spaces and punctuation removed (so 「户口登记 」 equals 户口登记)."""
    folded = fold(unicodedata.normalize("NFKC", text)).lower()
    return "".join(m.group(0) for m in _RUN_RE.finditer(folded))


def is_cjk(word: str) -> bool:
    return bool(_CJK_RE.search(word))


@functools.lru_cache(maxsize=50_000)
def _stem_word(word: str) -> str:
    return _porter_stem(word) if word.isascii() else word


# jieba costs ~5 µs per character; service-guide text repeats itself (matter and
# department names, boilerplate sentences), so the final words of each Chinese run
# are cached. Small by default (a web worker analyzes little: catch-up and
# highlights); a rebuild widens it for its own run with :func:`bulk_cache`.
_RUN_CACHE: dict[str, tuple] = {}
_RUN_CACHE_MAX = 4096
_run_cache_stats = [0, 0]  # hits, misses


def _cjk_words(run: str) -> tuple:
    """``(word, start, end, stopped)`` of one folded Chinese run: jieba search mode,
    with the stop list applied (lowercasing and stemming never change Chinese)."""
    words = _RUN_CACHE.get(run)
    if words is not None:
        _run_cache_stats[0] += 1
        return words
    _run_cache_stats[1] += 1
    words = tuple((w, s, e, w in STOP_WORDS) for w, s, e in _jieba().tokenize(run, mode="search"))
    if len(_RUN_CACHE) >= _RUN_CACHE_MAX:
        _RUN_CACHE.clear()  # crude but O(1) amortised
    _RUN_CACHE[run] = words
    return words


class bulk_cache:
    """Context manager: a wide run cache for a bulk job (a rebuild), narrowed after."""

    def __init__(self, size: int = 300_000):
        self.size = size

    def __enter__(self):
        global _RUN_CACHE_MAX
        self._saved = _RUN_CACHE_MAX
        _RUN_CACHE_MAX = self.size
        return self

    def __exit__(self, *exc):
        global _RUN_CACHE_MAX
        _RUN_CACHE_MAX = self._saved
        _RUN_CACHE.clear()
        _RUN_TEXTS.clear()


def run_cache_stats() -> tuple[int, int]:
    """(hits, misses) of the run cache in this process since it started."""
    return _run_cache_stats[0], _run_cache_stats[1]


def _latin(word: str) -> tuple[str, bool]:
    """A Latin/digit word as LowercaseFilter, StopFilter and AsciiStemFilter leave it."""
    low = word.lower()
    if low in STOP_WORDS:
        return low, True
    return _stem_word(low), False


class MixedTokenizer(Tokenizer):
    """The whole Chinese-field analyzer in one pass: jieba search-mode words for
    Chinese runs, plain words for everything else, lowercased, stop words dropped
    (or flagged with ``removestops=False``), Latin words Porter-stemmed; offsets
    point into the original (unfolded) text.

    It does in one generator what ``tokenizer | LowercaseFilter | StopFilter |
    AsciiStemFilter`` did in four (positions renumbered over the kept words as
    StopFilter does), which halves the cost of indexing a document.
    """

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        t.boost = 1.0
        folded = fold(value)
        if not tokenize:
            text, stopped = _latin(folded) if folded.isascii() else (folded.lower(), folded.lower() in STOP_WORDS)
            stopped = stopped or not text  # StopFilter's minsize=1
            if stopped and removestops:
                return
            t.text, t.stopped, t.pos = text, stopped, start_pos
            t.startchar, t.endchar = start_char, start_char + len(value)
            if keeporiginal:
                t.original = folded
            yield t
            return
        raw = start_pos  # the position before stop words are removed
        pos = None  # renumbered position of the kept words
        for m in _RUN_RE.finditer(folded):
            base = m.start()
            if m.group("cjk"):
                items = _cjk_words(m.group(0))
            else:
                text, stopped = _latin(m.group(0))
                items = ((text, 0, m.end() - base, stopped),)
            for text, s, e, stopped in items:
                if stopped:
                    if removestops:
                        raw += 1
                        continue
                    t.pos = raw
                elif positions:
                    pos = raw if pos is None else pos + 1
                    t.pos = pos
                raw += 1
                t.text = text
                t.stopped = stopped
                if chars:
                    t.startchar = start_char + base + s
                    t.endchar = start_char + base + e
                if keeporiginal:
                    t.original = folded[base + s:base + e]
                yield t


class CjkGramTokenizer(Tokenizer):
    """Yields a bigram at every position of each Chinese run, plus the run's last
    character alone (so every character starts some term: a one-character
    query is a prefix query). A phrase of bigrams finds any literal substring of
    two or more characters. Positions are character offsets.

    Unigrams at every position (the first version) doubled the postings of this
    field for no recall gain: a character inside a run is the prefix of a bigram.
    """

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        folded = fold(value)
        if not tokenize:
            yield _fill(t, folded, start_pos, start_char, 0, len(value), keeporiginal)
            return
        for m in _RUN_RE.finditer(folded):
            run = m.group("cjk")
            if not run:
                continue
            at = m.start()
            for i in range(len(run) - 1):
                yield _fill(t, run[i:i + 2], start_pos + at + i, start_char, at + i, at + i + 2, keeporiginal)
            last = at + len(run) - 1
            yield _fill(t, run[-1], start_pos + last, start_char, last, last + 1, keeporiginal)


_RUN_TEXTS: dict[str, tuple] = {}  # run -> texts of its kept words (the index-time view of _RUN_CACHE)
_findall = _RUN_RE.findall


def index_words(value: str) -> list[str]:
    """The texts :class:`MixedTokenizer` yields for ``value`` at index time (stop words
    removed), in order, without Token objects: what a rebuild needs (frequencies and
    the field length). ``tests/test_search_writer.py`` checks they are the same."""
    out: list[str] = []
    extend, append = out.extend, out.append
    texts_of = _RUN_TEXTS.get
    for cjk, word in _findall(fold(value)):
        if cjk:
            texts = texts_of(cjk)
            if texts is None:
                texts = tuple(w for w, _s, _e, stopped in _cjk_words(cjk) if not stopped)
                if len(_RUN_TEXTS) >= _RUN_CACHE_MAX:
                    _RUN_TEXTS.clear()
                _RUN_TEXTS[cjk] = texts
            extend(texts)
        else:
            text, stopped = _latin(word)
            if not stopped:
                append(text)
    return out


MixedTokenizer.index_words = staticmethod(index_words)


def gram_positions(value: str) -> dict[str, list[int]]:
    """``{gram: [positions]}`` as :class:`CjkGramTokenizer` yields them for ``value``."""
    poses: dict[str, list[int]] = {}
    get = poses.get
    for m in _RUN_RE.finditer(fold(value)):
        run = m.group("cjk")
        if not run:
            continue
        at = m.start()
        for i in range(len(run) - 1):
            g = run[i:i + 2]
            lst = get(g)
            if lst is None:
                poses[g] = [at + i]
            else:
                lst.append(at + i)
        last = run[-1]
        lst = get(last)
        if lst is None:
            poses[last] = [at + len(run) - 1]
        else:
            lst.append(at + len(run) - 1)
    return poses


def _fill(t, text, pos, start_char, s, e, keeporiginal):
    t.text = text
    t.boost = 1.0
    t.stopped = False
    if keeporiginal:
        t.original = text
    t.pos = pos
    t.startchar = start_char + s
    t.endchar = start_char + e
    return t


class AsciiStemFilter(Filter):
    """Porter-stems Latin words only; Chinese tokens pass through untouched."""

    def __call__(self, tokens):
        for t in tokens:
            if not t.stopped:
                t.text = _stem_word(t.text)
            yield t


def mixed_analyzer():
    """Analyzer for Chinese fields (which may also contain English words): one
    fused tokenizer (see :class:`MixedTokenizer`)."""
    return MixedTokenizer()


def english_analyzer():
    """Analyzer for the English fields: the same word split, stop list and
    Porter stems as Latin words in :func:`mixed_analyzer`, so one analyzed
    query serves both. ``index_words`` is its plain twin for rebuilds."""
    analyzer = (RegexTokenizer(_EN_WORD) | LowercaseFilter()
                | StopFilter(stoplist=STOP_WORDS, minsize=1) | StemFilter())
    analyzer.index_words = english_words
    return analyzer


_EN_WORD = r"[^\W_]+"
_en_findall = re.compile(_EN_WORD).findall


@functools.lru_cache(maxsize=50_000)
def _porter(word: str) -> str:
    return _porter_stem(word)


def english_words(value: str) -> list[str]:
    """The texts :func:`english_analyzer` yields for ``value`` at index time, in order."""
    out = []
    for w in _en_findall(value):
        w = w.lower()
        if w not in STOP_WORDS:
            out.append(_porter(w))
    return out


def gram_analyzer():
    """Analyzer for the CJK n-gram recall field."""
    return CjkGramTokenizer()


_MIXED = mixed_analyzer()


def analyze(text: str) -> list[str]:
    """Index-time tokens of ``text`` (useful to check what a field will hold)."""
    return [t.text for t in _MIXED(text)]


def query_words(text: str, limit: int = 16) -> list[str]:
    """The distinct words of a user's query, in order: Chinese segmented in
    precise mode (one word per concept, no overlapping sub-words), Latin words
    lowercased and stemmed, stop words dropped; at most ``limit`` words."""
    words: list[str] = []
    for m in _RUN_RE.finditer(fold(clean_text(text)).lower()):
        if m.group("cjk"):
            pieces = _jieba().lcut(m.group(0), HMM=True)
        else:
            pieces = [m.group(0)]
        for w in pieces:
            w = _stem_word(w)
            if w and w not in STOP_WORDS and w not in words:
                words.append(w)
                if len(words) >= limit:
                    return words
    return words


def is_dictionary_word(word: str) -> bool:
    """True if jieba knows ``word`` (so search mode emits it as a token)."""
    return _jieba().FREQ.get(word, 0) > 0


def split_compound(word: str) -> list[str]:
    """Best split of a Chinese compound into smaller dictionary words, e.g.
    社保补缴 -> [社保, 补缴]; [] when the word has no such split. Used so a
    compound query also matches documents that use its parts apart
    (追缴社保 for 社保补缴)."""
    n = len(word)
    if n < 3 or not all(_CJK_RE.match(c) for c in word):
        return []
    tok = _jieba()
    dag = tok.get_DAG(word)
    dag[0] = [j for j in dag[0] if j != n - 1] or [0]
    route: dict = {}
    tok.calc(word, dag, route)
    parts, i = [], 0
    while i < n:
        j = route[i][1] + 1
        parts.append(word[i:j])
        i = j
    return parts if len(parts) > 1 else []
