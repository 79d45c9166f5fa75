"""HTML-safe highlighted snippets for search hits.

Why custom: stored text is user-contributed and may contain markup, so every
character outside ``<mark>`` is HTML-escaped. jieba's search mode also yields
overlapping tokens (身份, 身份证, 身份证明 at the same offset), which Whoosh's
stock fragmenters mishandle, so matched spans are merged first. Fragments are
then cut exactly as Whoosh's ContextFragmenter (160 characters, 40 of context)
and WholeFragmenter cut them, but on plain tuples: the stock fragmenter needs a
Token object per character, which cost more than the search itself.
"""

from __future__ import annotations

import heapq
import html
from collections import deque

from .analysis import fold
from .schema import GRAMS_FIELD

SHORT_FIELDS = ("matter", "title", "title_en", "department_name")
MAXCHARS, SURROUND = 160, 40  # a body snippet: at most 160 characters, 40 around a match
CHARLIMIT = 2 ** 15  # Whoosh's: matches after this many characters are not shown
BETWEEN = " … "


def snippets(stored, fields, schema, terms) -> dict[str, str]:
    """``{field: snippet}`` for each of ``fields`` where the hit matched.

    ``stored`` is the hit's stored fields, ``terms`` the query's ``(field, text)``
    pairs (see :func:`.query.highlight_terms`): a token of the stored text that is
    one of the field's query terms is one the document matched.
    """
    grams = {text for field, text in terms if field == GRAMS_FIELD}
    out = {}
    for field in fields:
        text = stored.get(field)
        if not text:
            continue
        words = {t for f, t in terms if f == field}
        spans = _token_spans(text, words, schema[field].analyzer) if words else []
        if not spans and grams and field not in ("title_en", "body_en"):
            spans = _literal_spans(text, grams)
        if spans:
            out[field] = _render(text, spans, field in SHORT_FIELDS)
    return out


def _token_spans(text, words, analyzer):
    return [(t.startchar, t.endchar)
            for t in analyzer(text, chars=True, removestops=False) if t.text in words]


def _literal_spans(text, needles):
    folded = fold(text)
    spans = []
    for needle in needles:
        start = folded.find(needle)
        while start >= 0:
            spans.append((start, start + len(needle)))
            start = folded.find(needle, start + 1)
    return spans


def _merge(spans):
    merged: list[list[int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return merged


def _tokens(text, merged):
    """``(start, end, matched)``: each matched span, and every other character
    alone (so context is measured in characters)."""
    pos = 0
    for s, e in merged:
        for i in range(pos, s):
            yield i, i + 1, False
        yield s, e, True
        pos = e
    for i in range(pos, len(text)):
        yield i, i + 1, False


def _context_fragments(text, merged, maxchars=MAXCHARS, surround=SURROUND, charlimit=CHARLIMIT):
    """Whoosh's ContextFragmenter, step for step, on plain tuples instead of one
    Token object per character (which made highlighting cost more than the search):
    a list of ``(start, end, [matched spans])``."""
    out = []
    first = None
    firsts: deque = deque()
    countdown = -1
    tks: list = []
    endchar = None
    currentlen = 0
    for startchar, endchar, matched in _tokens(text, merged):
        tlength = endchar - startchar
        if charlimit and endchar > charlimit:
            break
        if countdown < 0 and not matched:
            firsts.append(startchar)
            while firsts and endchar - firsts[0] > surround:
                firsts.popleft()
        elif currentlen + tlength > maxchars:
            countdown = 0
        elif matched:
            countdown = surround
            if first is None:
                if firsts:
                    first = firsts[0]
                else:
                    first = startchar
                    countdown += surround
            tks.append((startchar, endchar))
        if countdown >= 0:
            currentlen += tlength
            countdown -= tlength
            if countdown <= 0:
                out.append((first if first is not None else (tks[0][0] if tks else 0), endchar, tks))
                tks = []
                firsts = deque()
                first = None
                currentlen = 0
    if tks:
        out.append((first if first is not None else tks[0][0], endchar, tks))
    return out


def _format(text, start, end, matches):
    """Escaped text of ``text[start:end]`` with the (sorted, disjoint) matches in <mark>."""
    out = []
    index = start
    for s, e in matches:
        if s < index:
            continue
        if s > index:
            out.append(html.escape(text[index:s]))
        out.append("<mark>%s</mark>" % html.escape(text[s:e]))
        index = e
    out.append(html.escape(text[index:end]))
    return "".join(out)


def _render(text, spans, whole):
    merged = [(s, e) for s, e in _merge(spans)]
    if whole:  # WholeFragmenter: the whole text, matches up to the char limit
        frags = [(0, len(text), [m for m in merged if m[1] <= CHARLIMIT])]
    else:
        frags = _context_fragments(text, merged)
    # top_fragments(…, 2, BasicFragmentScorer, FIRST, minscore=1): the two with most
    # matches (a tie goes to the later one, as Whoosh compares fragments by start),
    # shown in text order
    best = heapq.nlargest(2, frags, key=lambda f: (len(f[2]), f[0]))
    best = sorted((f for f in best if len(f[2]) >= 1), key=lambda f: f[0])
    return BETWEEN.join(_format(text, s, e, m) for s, e, m in best)
