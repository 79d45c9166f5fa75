"""Public reading pages: home, search, service guides, knowledge entries, corrections."""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from sqlalchemy import func, select

from ..extensions import db
from ..knowledge.indexing import maybe_catch_up, search_index
from ..models import Department, KnowledgeEntry, ServiceGuide
from ..registry import enabled_jurisdictions
from . import bp

PAGE_SIZE = 10


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//"):
        return url_for("public.index")
    return target


@bp.route("/")
def index():
    latest = db.session.scalars(select(KnowledgeEntry).order_by(KnowledgeEntry.published_at.desc()).limit(5)).all()
    return render_template("public/index.html", jurisdictions=enabled_jurisdictions(), latest=latest)


@bp.route("/large-text")
def toggle_large():
    resp = redirect(_safe_next(request.args.get("next")))
    on = request.cookies.get("large") != "1"
    resp.set_cookie("large", "1" if on else "0", max_age=3600 * 24 * 365, samesite="Lax", httponly=True,
                    secure=request.is_secure)
    return resp


@bp.route("/search")
def search():
    q = (request.args.get("q") or "").strip()[:200]
    jurisdiction = request.args.get("j") or None
    department = request.args.get("d") or None
    try:
        page = max(1, min(int(request.args.get("page", 1)), 1000))
    except ValueError:
        page = 1
    js = enabled_jurisdictions()
    if jurisdiction and jurisdiction not in {j.code for j in js}:
        jurisdiction = None
    results = None
    if q:
        maybe_catch_up()
        from ..i18n import lang

        results = search_index().search(q, jurisdiction=jurisdiction, department=department,
                                        page=page, pagelen=PAGE_SIZE, lang=lang())
    departments = []
    if jurisdiction:
        departments = db.session.scalars(select(Department).join(Department.jurisdiction)
                                         .where(Department.jurisdiction.has(code=jurisdiction))).all()
    return render_template("public/search.html", q=q, results=results, jurisdictions=js,
                           jurisdiction=jurisdiction, department=department, departments=departments)


@bp.route("/guides")
def guides():
    js = enabled_jurisdictions()
    rows = db.session.scalars(select(ServiceGuide).where(ServiceGuide.jurisdiction_id.in_([j.id for j in js]))
                              .order_by(ServiceGuide.jurisdiction_id, ServiceGuide.matter)).all()
    return render_template("public/guides.html", guides=rows)


@bp.route("/guides/<int:guide_id>")
def guide(guide_id):
    g = db.session.get(ServiceGuide, guide_id)
    if g is None or g.jurisdiction not in enabled_jurisdictions():
        abort(404)
    entries = db.session.scalars(select(KnowledgeEntry).where(KnowledgeEntry.guide_id == g.id)
                                 .order_by(KnowledgeEntry.published_at.desc())).all()
    return render_template("public/guide.html", guide=g, entries=entries)


@bp.route("/knowledge/<int:entry_id>")
def knowledge_entry(entry_id):
    e = db.session.get(KnowledgeEntry, entry_id)
    if e is None or e.jurisdiction not in enabled_jurisdictions():
        abort(404)
    guide = db.session.get(ServiceGuide, e.guide_id) if e.guide_id else None
    return render_template("public/entry.html", entry=e, guide=guide)


@bp.route("/corrections")
def corrections():
    js = enabled_jurisdictions()
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    q = select(KnowledgeEntry).where(KnowledgeEntry.jurisdiction_id.in_([j.id for j in js]))
    total = db.session.scalar(select(func.count()).select_from(q.subquery()))
    rows = db.session.scalars(q.order_by(KnowledgeEntry.published_at.desc())
                              .offset((page - 1) * 20).limit(20)).all()
    return render_template("public/corrections.html", entries=rows, page=page, total=total, per_page=20)
