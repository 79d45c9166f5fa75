"""HTML-safe highlighted snippets for search hits.

Why custom: stored text is user-contributed and may contain markup, so every
character outside ``<mark>`` is HTML-escaped. jieba's search mode also yields
overlapping tokens (身份, 身份证, 身份证明 at the same offset), which Whoosh's
stock fragmenters mishandle, so matched spans are merged first and handed to
Whoosh's fragmenter as clean, ordered, non-overlapping tokens.
"""

from __future__ import annotations

import html

from whoosh import highlight
from whoosh.analysis import Token

from .analysis import fold
from .schema import GRAMS_FIELD

SHORT_FIELDS = ("matter", "title", "title_en", "department_name")
_CONTEXT = highlight.ContextFragmenter(maxchars=160, surround=40)
_WHOLE = highlight.WholeFragmenter()
_SCORER = highlight.BasicFragmentScorer()


class MarkFormatter(highlight.Formatter):
    """Escapes all text and wraps matched spans in ``<mark>``."""

    between = " … "

    def _text(self, text):
        return html.escape(text)

    def format_token(self, text, token, replace=False):
        return "<mark>%s</mark>" % html.escape(text[token.startchar:token.endchar])


_FORMATTER = MarkFormatter()


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


def _tokens(text, spans):
    """Matched spans as tokens, every other character as an unmatched token
    (so the context fragmenter measures context in characters)."""
    pos = 0
    for s, e in _merge(spans):
        for i in range(pos, s):
            yield Token(text=text[i], startchar=i, endchar=i + 1, matched=False)
        yield Token(text=text[s:e], startchar=s, endchar=e, matched=True)
        pos = e
    for i in range(pos, len(text)):
        yield Token(text=text[i], startchar=i, endchar=i + 1, matched=False)


def _render(text, spans, whole):
    fragmenter = _WHOLE if whole else _CONTEXT
    fragments = fragmenter.fragment_tokens(text, _tokens(text, spans))
    fragments = highlight.top_fragments(fragments, 2, _SCORER, highlight.FIRST, minscore=1)
    return _FORMATTER.format(fragments)
