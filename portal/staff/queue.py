"""The queue: the cases a user may act on, soonest deadline first, in pages; a department-bound
reader's only their department's (case_scope.py).

Built for tens of thousands of cases: filters are plain column comparisons on indexed
columns (jurisdiction, state, lead department, due date), relations shown in the table
are loaded with the page in the same statement, and badges are computed from columns
copied onto the case (due_at, paused_at), so a page costs a fixed number of queries.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from flask import current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..i18n import pick
from ..models import Case, Department, ServiceCentre, Window, case_co_department
from ..models.base import db_int
from ..models.cases import complainant_is
from ..sweep import DUE_SOON
from ..vocabulary import works_for_department
from . import bp
from .access import READ, capability_required, visible_cases, visible_ids, visible_jurisdictions
from .case_scope import department_condition, lacks_department, sees_all_cases

PAGE = 50

DUE_FILTERS = {"soon": _l("Due soon"), "overdue": _l("Overdue"), "paused": _l("Clock paused")}


@dataclass
class Badge:
    kind: str  # css class: overdue | soon | paused | escalated | new
    label: str


@dataclass
class Row:
    case: Case
    state_label: str
    badges: list[Badge] = field(default_factory=list)


MAX_PAGE = 100_000


def _conditions(args, now: datetime) -> list:
    """The WHERE clauses for the chosen filters; unknown values match nothing, never everything."""
    ids = visible_ids()
    j = args.get("j")
    if j:
        chosen = {x.id for x in visible_jurisdictions() if x.code == j}
        ids = chosen or {-1}
    conds = [Case.jurisdiction_id.in_(ids), visible_cases()]
    if args.get("state"):
        conds.append(Case.state == args["state"])
    elif not args.get("archived"):
        conds.append(Case.archived_at.is_(None))
    if args.get("category"):
        conds.append(Case.category == args["category"])
    if args.get("department"):
        dep = db_int(args["department"], -1)
        conds.append(or_(Case.lead_department_id == dep,
                         Case.id.in_(select(case_co_department.c.case_id)
                                     .where(case_co_department.c.department_id == dep))))
    if args.get("window"):
        conds.append(Case.window_id == db_int(args["window"], -1))
    due = args.get("due")
    if due == "overdue":
        conds += [Case.due_at < now, Case.paused_at.is_(None)]
    elif due == "soon":
        conds += [Case.due_at >= now, Case.due_at < now + DUE_SOON, Case.paused_at.is_(None)]
    elif due == "paused":
        conds.append(Case.paused_at.is_not(None))
    if args.get("mine"):
        conds.append(Case.first_receiver_id == current_user.id)
    q = (args.get("q") or "").strip()[:100]
    if q:
        # a phone or ID number matches exactly, through its blind index (the columns are encrypted)
        conds.append(or_(Case.number == q.upper(), Case.matter.contains(q, autoescape=True), complainant_is(q)))
    if my_department_only(args):
        conds.append(department_condition(current_user))
    return conds


def my_department_only(args) -> bool:
    """A department's own staff (any department role, see portal/vocabulary.py) see their
    department's cases first; "show all" lifts it for those who may read all (read_all)."""
    return works_for_department(current_user) and (not args.get("all") or not sees_all_cases(current_user))


def _hooks(code):
    return current_app.extensions["portal_plugins"].for_jurisdiction(code)


def badges_for(case: Case, now: datetime, first_tier: str) -> list[Badge]:
    out = []
    if case.paused_at is not None:
        out.append(Badge("paused", str(_l("Clock paused"))))
    elif case.due_at is not None and case.due_at < now:
        out.append(Badge("overdue", str(_l("Overdue"))))
    elif case.due_at is not None and case.due_at < now + DUE_SOON:
        out.append(Badge("soon", str(_l("Due soon"))))
    if case.escalation_tier and first_tier and case.escalation_tier != first_tier:
        out.append(Badge("escalated", str(_l("Escalated"))))
    if case.lead_department_id is None and case.archived_at is None and case.closed_at is None:
        out.append(Badge("new", str(_l("No department yet"))))
    return out


@bp.route("/")
@capability_required(READ)
def queue():
    now = datetime.now(timezone.utc)
    args = request.args
    conds = _conditions(args, now)
    page = min(max(1, db_int(args.get("page"), 1)), MAX_PAGE)
    total = db.session.scalar(select(func.count(Case.id)).where(*conds))
    cases = db.session.scalars(
        select(Case).where(*conds)
        .options(joinedload(Case.lead_department), joinedload(Case.jurisdiction), joinedload(Case.window))
        .order_by(Case.due_at.is_(None), Case.due_at, Case.id)
        .offset((page - 1) * PAGE).limit(PAGE)
    ).all()
    js = visible_jurisdictions()
    # One workflow, tier list and category list per jurisdiction, not per row.
    workflows = {j.code: _hooks(j.code).portal_workflow() for j in js}
    first_tier = {}
    for j in js:
        tiers = _hooks(j.code).portal_escalation_tiers() or ()
        first_tier[j.code] = tiers[0].code if tiers else ""
    rows = []
    for c in cases:
        wf = workflows.get(c.jurisdiction.code)
        try:
            label = pick(wf.state(c.state), "label") if wf else c.state
        except KeyError:
            label = c.state
        rows.append(Row(c, label, badges_for(c, now, first_tier.get(c.jurisdiction.code, ""))))
    ids = [j.id for j in js]
    departments = db.session.scalars(select(Department).where(Department.jurisdiction_id.in_(ids))
                                     .order_by(Department.jurisdiction_id, Department.id)).all()
    windows = db.session.scalars(select(Window).join(Window.centre)
                                 .where(ServiceCentre.jurisdiction_id.in_(ids)).order_by(Window.id)).all()
    states, seen = [], set()
    categories, seen_cat = [], set()
    for j in js:
        for s in workflows[j.code].states:
            if s.code not in seen:
                seen.add(s.code)
                states.append(s)
        for cat in _hooks(j.code).portal_categories():
            if cat.code not in seen_cat:
                seen_cat.add(cat.code)
                categories.append(cat)
    return render_template("staff/queue.html", rows=rows, total=total, page=page, per_page=PAGE,
                           departments=departments, windows=windows, states=states, categories=categories,
                           jurisdictions=js, due_filters=DUE_FILTERS, args=args,
                           my_department=my_department_only(args), may_show_all=sees_all_cases(current_user),
                           no_department=lacks_department(current_user))
