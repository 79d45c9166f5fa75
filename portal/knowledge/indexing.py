"""Feeding the derived Whoosh index from the database, which stays the truth.

Publishing marks a row as changed (updated_at); ``catch_up`` indexes every row whose
indexed_at is missing or older. A failed index write (lock timeout, unwritable disk)
therefore loses nothing: the next catch-up (after the next publish, on a search, or
from `flask portal reindex`) writes it. Within a web request a catch-up waits at most a
moment for the index's write lock (a search a quarter of a second, a publish two seconds)
and otherwise leaves the rows for later, so nobody waits on derived data.
"""
from __future__ import annotations

import re
import time
from datetime import datetime, timezone

from flask import current_app, has_request_context
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Department, GuideCorrection, Jurisdiction, KnowledgeEntry, ServiceGuide
from ..privacy import complainant_values, redact
from ..search import IndexBusy, SearchIndex
from ..search.analysis import normalize_exact

CATCH_UP_EVERY_SECONDS = 20.0
#: How long a catch-up may wait for the index write lock: on the read path (a search), and in
#: any other request (a publish); commands (reindex, the sweep) wait the index's own 30 s.
READ_PATH_WRITE_TIMEOUT = 0.25
REQUEST_WRITE_TIMEOUT = 2.0


def search_index() -> SearchIndex:
    app = current_app
    ix = app.extensions.get("portal_search")
    if ix is None:
        ix = SearchIndex(app.config["PORTAL_INDEX_DIR"])
        ix.create_or_open()
        app.extensions["portal_search"] = ix
    return ix


def _impatient_index(timeout: float) -> SearchIndex:
    """A second handle on the same index folder, used only to write, that gives up on a busy
    write lock after ``timeout`` (a rebuild holds it for its whole run, another worker may be
    publishing): a person never waits on the index; the entry is indexed by a later catch-up."""
    app = current_app
    key = f"portal_search_writer_{timeout:g}"
    ix = app.extensions.get(key)
    if ix is None:
        ix = SearchIndex(app.config["PORTAL_INDEX_DIR"], write_timeout=timeout)
        app.extensions[key] = ix
    return ix


def known_personal_values(correction: GuideCorrection | None) -> list[str]:
    """The contact details of the people whose cases led to a correction: masked wherever they appear."""
    if correction is None:
        return []
    return [v for case in correction.cases for v in complainant_values(case) if v]


#: Every pattern ``redact`` recognises by shape (ID, phone and card numbers, e-mail addresses)
#: needs a digit or an at sign, full-width ones included; a text with neither and no known
#: personal values comes back from ``redact`` unchanged, so it is not scanned six times.
_MAYBE_PERSONAL = re.compile(r"[\d@\uff20]")


def _redact(text: str | None, known: list[str]) -> str:
    """``redact(text, known)``, skipping the scan when no pattern can match."""
    if not known and (not text or not _MAYBE_PERSONAL.search(str(text))):
        return str(text) if text else ""
    return redact(text, known)


def entry_doc(e: KnowledgeEntry, places: dict | None = None) -> dict:
    """Only published, redacted, non-personal fields go into the index.

    ``places`` (for a rebuild) maps ``("j", id)`` to a jurisdiction's code and ``("d", id)``
    to a department's (code, name), instead of loading them through the entry."""
    known = known_personal_values(db.session.get(GuideCorrection, e.correction_id) if e.correction_id else None)
    body = "\n".join(x for x in (
        f"{e.wrong_text} → {e.right_text}" if e.wrong_text or e.right_text else "", e.summary) if x)
    matter = _redact(e.matter, known)
    if places is not None:
        jurisdiction = places[("j", e.jurisdiction_id)]
        department, department_name = places[("d", e.department_id)] if e.department_id else ("", "")
    else:
        jurisdiction = e.jurisdiction.code
        department, department_name = (e.department.code, e.department.name_zh) if e.department else ("", "")
    return {
        "doc_id": f"entry:{e.id}",
        "kind": e.kind,
        "jurisdiction": jurisdiction,
        "department": department,
        "department_name": department_name,
        "matter": matter,
        "matter_exact": normalize_exact(matter),
        "title": _redact(e.title, known),
        "body": _redact(body, known),
        "title_en": _redact(e.title_en, known),
        "body_en": _redact(e.summary_en, known),
        "published": e.published_at.replace(tzinfo=None),
        "url": f"/knowledge/{e.id}",
    }


def guide_doc(g: ServiceGuide) -> dict:
    v = g.current
    materials = "、".join(m.name for m in v.materials) if v else ""
    body = "\n".join(x for x in ((v.conditions if v else ""), materials, (v.fees if v else "")) if x)
    return {
        "doc_id": f"guide:{g.id}",
        "kind": "guide",
        "jurisdiction": g.jurisdiction.code,
        "department": g.department.code if g.department else "",
        "department_name": g.department.name_zh if g.department else "",
        "matter": g.matter,
        "matter_exact": normalize_exact(g.matter),
        "title": g.matter,
        "body": redact(body),
        "title_en": g.matter_en,
        "body_en": "",
        "published": (v.created_at if v else g.updated_at).replace(tzinfo=None),
        "url": f"/guides/{g.id}",
    }


def _pending(model):
    return select(model).where(or_(model.indexed_at.is_(None), model.indexed_at < model.updated_at))


def catch_up(limit: int = 500, index: SearchIndex | None = None) -> int:
    """Index rows changed since they were last indexed; returns how many were written."""
    entries = db.session.scalars(_pending(KnowledgeEntry).limit(limit)).all()
    guides = db.session.scalars(_pending(ServiceGuide).limit(limit)).all()
    if not entries and not guides:
        return 0
    stamp = datetime.now(timezone.utc)
    docs = [entry_doc(e) for e in entries] + [guide_doc(g) for g in guides]
    if index is None:
        index = _impatient_index(REQUEST_WRITE_TIMEOUT) if has_request_context() else search_index()
    try:
        index.add_or_update(docs)
    except (IndexBusy, OSError) as exc:
        current_app.logger.warning("search index not updated now (%s); will catch up later", exc)
        return 0
    except Exception:  # derived data: whatever went wrong, the entry is safe and the next catch-up retries
        current_app.logger.exception("search index not updated now; will catch up later")
        return 0
    for model, rows in ((KnowledgeEntry, entries), (ServiceGuide, guides)):
        if rows:
            db.session.execute(update(model).where(model.id.in_([r.id for r in rows]))
                               .values(indexed_at=stamp).execution_options(synchronize_session=False))
    db.session.commit()
    return len(docs)


def maybe_catch_up() -> None:
    """Cheap check on the read path, at most every few seconds per process."""
    app = current_app
    last = app.extensions.get("portal_search_last_catch_up")
    every = float(app.config.get("PORTAL_CATCH_UP_SECONDS", CATCH_UP_EVERY_SECONDS))
    if last is not None and time.monotonic() - last < every:
        return
    app.extensions["portal_search_last_catch_up"] = time.monotonic()
    if db.session.scalar(_pending(KnowledgeEntry).with_only_columns(KnowledgeEntry.id).limit(1)) or \
            db.session.scalar(_pending(ServiceGuide).with_only_columns(ServiceGuide.id).limit(1)):
        catch_up(index=_impatient_index(READ_PATH_WRITE_TIMEOUT))


#: Rows read from the database at a time by a rebuild (and the corrections they cite).
REBUILD_BATCH = 1000


def _entry_docs():
    """Every knowledge entry as a search document, streamed: rows are read a batch at a
    time (the index writer processes analyse while the next rows are read), with the
    corrections a batch cites and their cases loaded in one query, and jurisdiction and
    department codes from one look-up table instead of through each entry."""
    places: dict = {("j", j.id): j.code for j in db.session.scalars(select(Jurisdiction))}
    places.update({("d", d.id): (d.code, d.name_zh) for d in db.session.scalars(select(Department))})
    rows = db.session.scalars(select(KnowledgeEntry).order_by(KnowledgeEntry.id)
                              .execution_options(yield_per=REBUILD_BATCH))
    for batch in rows.partitions():
        cited = [e.correction_id for e in batch if e.correction_id]
        # held while the batch is turned into documents: entry_doc finds them in the session
        corrections = db.session.scalars(  # noqa: F841
            select(GuideCorrection).where(GuideCorrection.id.in_(cited))
            .options(selectinload(GuideCorrection.cases))).all() if cited else []
        for e in batch:
            yield entry_doc(e, places)


def rebuild_index(progress=None) -> int:
    """Full rebuild into a new generation; the old one keeps serving until the switch."""
    stamp = datetime.now(timezone.utc)
    count = db.session.scalar(select(func.count()).select_from(KnowledgeEntry)) or 0
    guides = db.session.scalars(select(ServiceGuide).order_by(ServiceGuide.id)).all()
    count += len(guides)

    def docs():
        yield from _entry_docs()
        for g in guides:
            yield guide_doc(g)

    items = progress(docs(), length=count, label="Indexing") if progress else docs()
    count = search_index().rebuild(items)
    db.session.execute(update(KnowledgeEntry).values(indexed_at=stamp))
    db.session.execute(update(ServiceGuide).values(indexed_at=stamp))
    db.session.commit()
    return count
