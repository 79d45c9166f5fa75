"""Plain result objects, so callers (views, API, templates) never touch Whoosh."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Hit:
    doc_id: str
    kind: str | None
    jurisdiction: str | None
    department: str | None
    department_name: str | None
    matter: str | None
    title: str | None
    title_en: str | None
    url: str | None
    published: dt.datetime | None
    score: float
    # field -> HTML-safe snippet (text escaped, matches in <mark>); only
    # fields where the query matched are present.
    highlights: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchResults:
    total: int
    page: int
    pages: int
    hits: list[Hit]
