"""The Whoosh schema and the document shape callers hand to the index.

Why a fixed, closed document shape: the index is public-facing, so it must
hold only what a guide correction or solution practice says. The schema has
no field for personal data (names, ID numbers, phone numbers of the people
who reported a problem) and :func:`prepare_document` rejects unknown keys, so
such data cannot slip in by accident; the caller must still keep it out of
``title``/``body`` text.
"""

from __future__ import annotations

import datetime as dt

from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema

from .analysis import clean_text, english_analyzer, gram_analyzer, mixed_analyzer, normalize_exact

KINDS = ("correction", "practice", "guide")

#: Version of what an index holds (schema, analysis, dictionary): written into every new
#: generation (file ``VERSION``). Bump it whenever documents would be indexed differently;
#: an index of another version is reported (logged, :meth:`SearchIndex.stale`) until
#: ``flask portal reindex`` rebuilds it. 1: generations written before the file existed;
#: 2: rebuilt through the direct writer, ``published`` no longer indexed.
SCHEMA_VERSION = 2

# Keys a caller may pass in a document dict (all but doc_id optional).
DOC_KEYS = frozenset({
    "doc_id", "kind", "jurisdiction", "department", "department_name", "matter",
    "matter_exact", "title", "body", "title_en", "body_en", "published", "url",
})
_TEXT_KEYS = ("department_name", "matter", "title", "body", "title_en", "body_en")
_ID_KEYS = ("doc_id", "kind", "jurisdiction", "department")

# Relative weight of a match in each field. Applied at query time (not as a
# schema field_boost) so ranking can be tuned without a reindex.
FIELD_BOOSTS = {
    "matter": 4.0,
    "title": 2.0,
    "body": 1.0,
    "department_name": 1.0,
    "title_en": 2.0,
    "body_en": 1.0,
}
ZH_FIELDS = ("matter", "title", "body", "department_name")
EN_FIELDS = ("title_en", "body_en")
GRAMS_FIELD = "grams"
GRAMS_BOOST = 0.5
GRAMS_SOURCES = ("matter", "title")  # the fields whose literal substrings the grams field finds
EXACT_BOOST = 1000.0  # an exact matter-name match outranks everything else


def build_schema() -> Schema:
    zh = mixed_analyzer()
    en = english_analyzer()
    # Stored and sortable (the empty query lists newest first from its column) but not
    # indexed: no query searches by date, and its terms (a date is five numeric terms,
    # nearly all of them unique) were two thirds of the index's terms.
    published = DATETIME(stored=True, sortable=True)
    published.indexed = False
    return Schema(
        doc_id=ID(stored=True, unique=True),
        kind=ID(stored=True),
        jurisdiction=ID(stored=True),
        department=ID(stored=True),
        department_name=TEXT(analyzer=zh, stored=True, phrase=False),
        matter=TEXT(analyzer=zh, stored=True, phrase=False),
        matter_exact=ID(),
        title=TEXT(analyzer=zh, stored=True, phrase=False),
        body=TEXT(analyzer=zh, stored=True, phrase=False),
        title_en=TEXT(analyzer=en, stored=True, phrase=False),
        body_en=TEXT(analyzer=en, stored=True, phrase=False),
        # Not stored: CJK bigrams of matter and title for literal substring
        # recall (phrase of bigrams). Not of the body: that tripled the postings
        # of a document and the cost of a rebuild (see bench/README.md).
        grams=TEXT(analyzer=gram_analyzer(), stored=False, phrase=True),
        published=published,
        url=STORED,
    )


def prepare_document(doc: dict) -> dict:
    """Validate a caller's document and turn it into Whoosh field values.

    Text is stripped of control characters, ``matter_exact`` is derived from
    ``matter`` unless given, ``published`` becomes a naive UTC datetime.
    """
    unknown = set(doc) - DOC_KEYS
    if unknown:
        raise ValueError(f"unknown search document keys: {sorted(unknown)}")
    if not doc.get("doc_id"):
        raise ValueError("search document needs a doc_id")
    if doc.get("kind") is not None and doc["kind"] not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {doc['kind']!r}")
    out: dict = {}
    for key in _ID_KEYS:
        if doc.get(key) is not None:
            out[key] = str(doc[key])
    for key in _TEXT_KEYS:
        if doc.get(key):
            out[key] = clean_text(str(doc[key]))
    exact = doc.get("matter_exact") or out.get("matter")
    if exact:
        out["matter_exact"] = normalize_exact(exact)
    grams = "\n".join(out[k] for k in GRAMS_SOURCES if k in out)
    if grams:
        out[GRAMS_FIELD] = grams
    if doc.get("published") is not None:
        out["published"] = _naive_utc(doc["published"])
    if doc.get("url") is not None:
        out["url"] = str(doc["url"])
    return out


def _naive_utc(value: dt.date | dt.datetime) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value
