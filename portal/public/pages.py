"""Public reading pages: home, search, service guides, knowledge entries, corrections."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import abort, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import func, select

from ..cookies import set_preference
from ..extensions import db
from ..i18n import choose, lang, pick, to_traditional
from ..knowledge.indexing import known_personal_values, maybe_catch_up, search_index
from ..models import Department, GuideCorrection, Jurisdiction, KnowledgeEntry, ServiceGuide
from ..privacy import redact
from ..registry import enabled_jurisdictions
from ..safe_redirect import local_path
from ..search import IndexBusy
from . import bp

PAGE_SIZE = 10
CORRECTIONS_PER_PAGE = 20
MAX_PAGE = 1000
KINDS = ("correction", "practice", "guide")


@bp.app_context_processor
def _page_helpers():
    """Helpers base.html needs on every page (staff pages too): language switch, large text."""
    from ..i18n import here, lang_url
    from .views import as_deadline_view, default_rating_rule, default_rating_source, rule_source, rule_text

    return {"lang_url": lang_url, "here": here, "as_deadline_view": as_deadline_view, "rule_text": rule_text,
            "rule_source": rule_source,
            "default_rating_rule": default_rating_rule,
            "default_rating_source": default_rating_source,
            "large_text_on": lambda: request.cookies.get("large") == "1"}


@bp.before_app_request
def _fresh_locale():
    """Choose the language for each request, even where an app context outlives requests
    (Flask-Babel caches the choice on ``g``, which a shared app context keeps)."""
    import flask_babel

    flask_babel.refresh()


def _safe_next(target: str | None) -> str:
    """A page of this site to go back to (see portal/safe_redirect.py), else the home page."""
    return local_path(target) or url_for("public.index")


def _page_arg() -> int:
    try:
        return max(1, min(int(request.args.get("page", 1)), MAX_PAGE))
    except (TypeError, ValueError):
        return 1


@bp.route("/")
def index():
    js = enabled_jurisdictions()
    latest = db.session.scalars(select(KnowledgeEntry).where(KnowledgeEntry.jurisdiction_id.in_([j.id for j in js]))
                                .order_by(KnowledgeEntry.published_at.desc()).limit(5)).all()
    return render_template("public/index.html", jurisdictions=js, latest=latest,
                           texts={e.id: entry_text(e) for e in latest})


#: The large-text switch's link names the size it switches to (``?size=``).
TEXT_SIZES = {"large": "1", "standard": "0"}


@bp.route("/large-text")
def toggle_large():
    """The large-text switch, and with it the language switch (``?lang=`` on any page, remembered
    in web.py): GET links, not POST forms with CSRF, and harmless by design.

    Each stores only a display preference, in the visitor's own browser (a cookie of fixed
    values: ``0``/``1``, one of three language codes; anything else is ignored); nothing on
    the server, no account, no case changes. A forged cross-site link can at worst show a page
    in another language or text size, which the visitor switches back with one click, and its
    ``next=`` leads only to a page of this site (portal/safe_redirect.py). The link names the
    size it switches to, so a repeated or prefetched GET gives the same result as the first
    (a link without it, as older pages had, still toggles). Being plain links they work
    without JavaScript and at any width, and every page can carry them without a form.
    """
    resp = redirect(_safe_next(request.args.get("next")), 303)
    value = TEXT_SIZES.get(request.args.get("size", ""))
    if value is None:
        value = "0" if request.cookies.get("large") == "1" else "1"
    set_preference(resp, "large", value)
    return resp


# -- search -----------------------------------------------------------------------
@dataclass
class ResultView:
    """One search hit as the page shows it: highlights are HTML-safe (escaped, <mark> only)."""

    url: str
    kind: str
    title: Markup
    meta_matter: Markup
    show_matter: bool
    jurisdiction: str
    department: str
    snippet: Markup | None
    published: object


def _zh(html: str) -> str:
    """Highlights in the reader's script (Traditional for zh_Hant); tags are ASCII and untouched."""
    return to_traditional(html) if lang() == "zh" and _is_hant() else html


def _is_hant() -> bool:
    from flask_babel import get_locale

    return str(get_locale()) == "zh_Hant"


def _result_view(h, jnames: dict, dnames: dict) -> ResultView:
    hl = h.highlights or {}
    english = lang() == "en"
    if english and h.title_en:
        title = hl.get("title_en") or Markup.escape(h.title_en)
    else:
        title = Markup(_zh(hl["title"])) if hl.get("title") else Markup.escape(choose(h.title or "", h.title_en or ""))
    snippet = None
    if english and hl.get("body_en"):
        snippet = Markup(hl["body_en"])
    elif hl.get("body"):
        snippet = Markup(_zh(hl["body"]))
    matter = Markup(_zh(hl["matter"])) if hl.get("matter") else Markup.escape(choose(h.matter or "", ""))
    return ResultView(
        url=h.url or "#", kind=h.kind or "", title=Markup(title), meta_matter=matter,
        show_matter=bool(h.matter) and h.matter != h.title,  # a guide's title is its matter
        jurisdiction=jnames.get(h.jurisdiction, ""),
        department=dnames.get((h.jurisdiction, h.department), choose(h.department_name or "", "")),
        snippet=snippet, published=h.published,
    )


def _subtree_codes(code: str, js) -> list[str]:
    by_parent: dict = {}
    for j in js:
        by_parent.setdefault(j.parent_id, []).append(j)
    root = next(j for j in js if j.code == code)
    out, todo = [], [root]
    while todo:
        j = todo.pop()
        out.append(j.code)
        todo.extend(by_parent.get(j.id, []))
    return out


@bp.route("/search")
def search():
    q = " ".join((request.args.get("q") or "").split())[:200]
    js = enabled_jurisdictions()
    codes = {j.code for j in js}
    jurisdiction = request.args.get("j") or None
    if jurisdiction not in codes:
        jurisdiction = None
    kind = request.args.get("kind") or None
    if kind not in KINDS:
        kind = None
    departments: list[Department] = []
    if jurisdiction:
        scope = _subtree_codes(jurisdiction, js)
        rows = db.session.scalars(select(Department).join(Department.jurisdiction)
                                  .where(Jurisdiction.code.in_(scope)).order_by(Department.id)).all()
        seen = set()
        for d in rows:
            if d.code not in seen:
                seen.add(d.code)
                departments.append(d)
    department = request.args.get("d") or None
    if department not in {d.code for d in departments}:
        department = None
    page = _page_arg()
    results = None
    hits: list[ResultView] = []
    unavailable = False
    if q or jurisdiction or kind:
        try:
            maybe_catch_up()
        except IndexBusy:
            pass
        try:
            results = search_index().search(
                q, jurisdiction=_subtree_codes(jurisdiction, js) if jurisdiction else None,
                department=department, kind=kind, page=page, pagelen=PAGE_SIZE, lang=lang())
        except (IndexBusy, OSError):
            unavailable = True
        else:
            jnames = {j.code: pick(j, "name") for j in js}
            dnames = {(d.jurisdiction.code, d.code): pick(d, "name")
                      for d in db.session.scalars(select(Department)).all()}
            hits = [_result_view(h, jnames, dnames) for h in results.hits]
    return render_template("public/search.html", q=q, results=results, hits=hits, jurisdictions=js,
                           jurisdiction=jurisdiction, department=department, departments=departments,
                           kind=kind, kinds=KINDS, unavailable=unavailable)


# -- service guides ---------------------------------------------------------------
@bp.route("/guides")
def guides():
    js = enabled_jurisdictions()
    jurisdiction = request.args.get("j") or None
    if jurisdiction not in {j.code for j in js}:
        jurisdiction = None
    scope = set(_subtree_codes(jurisdiction, js)) if jurisdiction else {j.code for j in js}
    ids = [j.id for j in js if j.code in scope]
    rows = db.session.scalars(select(ServiceGuide).where(ServiceGuide.jurisdiction_id.in_(ids))
                              .order_by(ServiceGuide.jurisdiction_id, ServiceGuide.matter)).all()
    groups: dict = {}
    for g in rows:
        groups.setdefault(g.jurisdiction, []).append(g)
    return render_template("public/guides.html", groups=list(groups.items()), jurisdictions=js,
                           jurisdiction=jurisdiction)


@dataclass
class VersionView:
    number: int
    created_at: object
    change_note: str
    wrong: str
    right: str
    correction: GuideCorrection | None
    entry: KnowledgeEntry | None
    case_numbers: list[str]
    is_current: bool


def _version_views(g: ServiceGuide) -> list[VersionView]:
    out = []
    current = g.current
    for v in reversed(g.versions):
        c = db.session.get(GuideCorrection, v.correction_id) if v.correction_id else None
        entry = db.session.scalar(select(KnowledgeEntry).where(KnowledgeEntry.correction_id == c.id)) if c else None
        known = known_personal_values(c)
        out.append(VersionView(
            number=v.number, created_at=v.created_at, change_note=redact(v.change_note, known),
            wrong=redact(c.wrong_text, known) if c else "", right=redact(c.corrected_text, known) if c else "",
            correction=c, entry=entry, case_numbers=[k.number for k in (c.cases if c else [])],
            is_current=v is current))
    return out


@bp.route("/guides/<int:guide_id>")
def guide(guide_id):
    g = db.session.get(ServiceGuide, guide_id)
    if g is None or g.jurisdiction not in enabled_jurisdictions():
        abort(404)
    shown = g.current
    wanted = request.args.get("v")
    if wanted:
        shown = next((v for v in g.versions if str(v.number) == wanted), None)
        if shown is None:
            abort(404)
    entries = db.session.scalars(select(KnowledgeEntry).where(KnowledgeEntry.guide_id == g.id)
                                 .order_by(KnowledgeEntry.published_at.desc())).all()
    return render_template("public/guide.html", guide=g, v=shown, versions=_version_views(g), entries=entries,
                           texts={e.id: entry_text(e) for e in entries},
                           old=shown is not None and shown is not g.current)


# -- knowledge base -------------------------------------------------------------------
def entry_text(e: KnowledgeEntry) -> dict:
    """An entry's public text in the reader's language, redacted, also of the reporting people's details."""
    c = db.session.get(GuideCorrection, e.correction_id) if e.correction_id else None
    known = known_personal_values(c)
    return {
        "title": redact(choose(e.title, e.title_en), known),
        "summary": redact(choose(e.summary, e.summary_en), known),
        "wrong": redact(e.wrong_text, known),
        "right": redact(e.right_text, known),
        "matter": redact(e.matter, known),
    }


@bp.route("/knowledge/<int:entry_id>")
def knowledge_entry(entry_id):
    e = db.session.get(KnowledgeEntry, entry_id)
    if e is None or e.jurisdiction not in enabled_jurisdictions():
        abort(404)
    guide = db.session.get(ServiceGuide, e.guide_id) if e.guide_id else None
    c = db.session.get(GuideCorrection, e.correction_id) if e.correction_id else None
    version = None
    if guide is not None and c is not None:
        version = next((v for v in guide.versions if v.correction_id == c.id), None)
    return render_template("public/entry.html", entry=e, guide=guide, text=entry_text(e), version=version,
                           case_numbers=[k.number for k in (c.cases if c else [])])


@bp.route("/corrections")
def corrections():
    js = enabled_jurisdictions()
    page = _page_arg()
    jurisdiction = request.args.get("j") or None
    if jurisdiction not in {j.code for j in js}:
        jurisdiction = None
    ids = [j.id for j in js] if not jurisdiction else \
        [j.id for j in js if j.code in _subtree_codes(jurisdiction, js)]
    q = select(KnowledgeEntry).where(KnowledgeEntry.jurisdiction_id.in_(ids))
    total = db.session.scalar(select(func.count()).select_from(q.subquery()))
    rows = db.session.scalars(q.order_by(KnowledgeEntry.published_at.desc(), KnowledgeEntry.id.desc())
                              .offset((page - 1) * CORRECTIONS_PER_PAGE).limit(CORRECTIONS_PER_PAGE)).all()
    pages = max(1, -(-total // CORRECTIONS_PER_PAGE))
    return render_template("public/corrections.html", entries=rows, page=page, pages=pages, total=total,
                           texts={e.id: entry_text(e) for e in rows},
                           jurisdictions=js, jurisdiction=jurisdiction, today=date.today())
