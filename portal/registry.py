"""Write what the enabled plugins declare (jurisdictions, centres, windows, departments) into the DB."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from .extensions import db
from .models import Department, Jurisdiction, ServiceCentre, Window


def sync_jurisdictions() -> list[Jurisdiction]:
    """Upsert every declared jurisdiction; parents first so the tree links up."""
    host = current_app.extensions["portal_plugins"]
    specs = host.jurisdiction_specs()
    by_code = {j.code: j for j in db.session.scalars(select(Jurisdiction)).all()}
    pending = list(specs)
    out = []
    while pending:
        progressed = False
        for spec in list(pending):
            if spec.parent and spec.parent not in by_code:
                continue
            j = by_code.get(spec.code) or Jurisdiction(code=spec.code)
            j.level, j.name_zh, j.name_en = spec.level, spec.name_zh, spec.name_en
            j.case_prefix = spec.case_prefix or spec.code.upper()[:8]
            j.plugin = host.owner_of(spec.code)
            j.parent = by_code.get(spec.parent) if spec.parent else None
            db.session.add(j)
            by_code[spec.code] = j
            db.session.flush()
            _sync_children(j, spec)
            out.append(j)
            pending.remove(spec)
            progressed = True
        if not progressed:
            missing = ", ".join(f"{s.code} (parent {s.parent})" for s in pending)
            raise RuntimeError(f"Jurisdictions with unknown parents: {missing}")
    db.session.commit()
    return out


def _sync_children(j: Jurisdiction, spec) -> None:
    for c in spec.centres:
        centre = db.session.scalar(select(ServiceCentre).where(ServiceCentre.code == c.code))
        if centre is None:
            centre = ServiceCentre(code=c.code, jurisdiction=j)
            db.session.add(centre)
        centre.name_zh, centre.name_en, centre.level, centre.jurisdiction = c.name_zh, c.name_en, c.level, j
        db.session.flush()
        for w in c.windows:
            window = db.session.scalar(select(Window).where(Window.code == w.code))
            if window is None:
                window = Window(code=w.code, centre=centre)
                db.session.add(window)
            window.name_zh, window.name_en, window.kind, window.centre = w.name_zh, w.name_en, w.kind, centre
    for d in spec.departments:
        dept = db.session.scalar(select(Department).where(Department.jurisdiction_id == j.id,
                                                         Department.code == d.code))
        if dept is None:
            dept = Department(code=d.code, jurisdiction=j)
            db.session.add(dept)
        dept.name_zh, dept.name_en = d.name_zh, d.name_en


def enabled_jurisdictions() -> list[Jurisdiction]:
    """Jurisdictions in the DB that an enabled plugin owns (a disabled plugin's stay hidden)."""
    host = current_app.extensions["portal_plugins"]
    codes = {s.code for s in host.jurisdiction_specs()}
    rows = db.session.scalars(select(Jurisdiction).order_by(Jurisdiction.id)).all()
    return [j for j in rows if j.code in codes]
