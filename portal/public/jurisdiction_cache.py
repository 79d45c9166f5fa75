"""A public form's jurisdiction and its centres, kept per process for a short time.

Why: every filing needs its jurisdiction (id, code, case prefix) and the jurisdiction's
centres (the form's choices), and loading them with the ORM on every POST cost about a
tenth of a filing's CPU in the web worker, and a round trip. They change rarely: a
deployment (``flask portal sync-jurisdictions``) or an administrator adding a centre
(centres are never deleted).

What is kept is the rows' column values, not ORM objects: each request gets objects of its
own, built from them and attached to its session as persistent, loaded objects (no SELECT),
so nothing is shared between requests or threads and the objects behave as if queried (a
relationship not kept, such as ``parent``, loads when used). A copy is used for at most
TTL_SECONDS, the time the blank form's rendering is kept too (portal/public/filing.py); a
centre chosen on the form that the copy does not know (added a moment ago, through another
process) makes the caller reload with ``fresh=True``; an administrator's change forgets this
process's copy at once.
"""
from __future__ import annotations

import time

from flask import current_app
from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..models import Jurisdiction, ServiceCentre

TTL_SECONDS = 30

#: populate_existing: a reload replaces what this request's object already holds (a stale copy).
_QUERY = (select(Jurisdiction).where(Jurisdiction.code == bindparam("code"))
          .options(joinedload(Jurisdiction.centres)).execution_options(populate_existing=True))


def _cache() -> dict:
    return current_app.extensions.setdefault("portal_jurisdiction_cache", {})


def _values(obj) -> dict:
    return {attr.key: getattr(obj, attr.key) for attr in inspect(obj).mapper.column_attrs}


def _attached(j_values: dict, centre_values: list[dict]) -> Jurisdiction:
    """Objects for this request's session, as a query would have given them (no SQL)."""
    session = db.session()
    existing = session.identity_map.get(session.identity_key(Jurisdiction, (j_values["id"],)))
    if existing is not None:
        return existing  # this request already has it: never two objects for one row
    j = Jurisdiction(**j_values)
    centres = [ServiceCentre(**v) for v in centre_values]
    for c in centres:
        make_transient_to_detached(c)
        set_committed_value(c, "jurisdiction", j)
    make_transient_to_detached(j)
    set_committed_value(j, "centres", centres)
    session.add(j)  # cascades to its centres, which already carry their identity
    return j


def jurisdiction_with_centres(code: str, *, fresh: bool = False) -> Jurisdiction | None:
    """The jurisdiction ``code`` with its centres loaded, or None if there is no such row."""
    cache = _cache()
    hit = None if fresh else cache.get(code)
    if hit is not None and time.monotonic() - hit[0] < TTL_SECONDS:
        return _attached(hit[1], hit[2])
    j = db.session.execute(_QUERY, {"code": code}).unique().scalar_one_or_none()
    if j is None:
        cache.pop(code, None)
        return None
    cache[code] = (time.monotonic(), _values(j), [_values(c) for c in j.centres])
    return j


def forget() -> None:
    """Drop this process's copies: the next request reloads each jurisdiction."""
    _cache().clear()
