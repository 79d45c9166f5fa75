"""The queue, the case page and every case action, limited to the user's jurisdiction(s)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, or_, select
from wtforms import HiddenField

from ..engine import cases as engine
from ..engine.deadlines import is_overdue
from ..engine.errors import EngineError
from ..extensions import db
from ..models import Case, Department, Window
from . import bp

PAGE = 50
COMPLEXITIES = ("simple", "general", "complex", "especially_complex")


class ActionForm(FlaskForm):
    """CSRF and the version the user saw; action parameters come from the same POST."""

    action = HiddenField()
    version = HiddenField()


def visible_case_or_404(number: str) -> Case:
    case = db.session.scalar(select(Case).where(Case.number == number))
    # 404 (not 403) for another jurisdiction's case: not even its existence leaks.
    if case is None or case.jurisdiction_id not in current_user.visible_jurisdiction_ids():
        abort(404)
    return case


def hooks_for(case: Case):
    return current_app.extensions["portal_plugins"].for_jurisdiction(case.jurisdiction.code)


@bp.route("/")
@login_required
def queue():
    ids = current_user.visible_jurisdiction_ids()
    now = datetime.now(timezone.utc)
    q = select(Case).where(Case.jurisdiction_id.in_(ids))
    args = request.args
    if args.get("state"):
        q = q.where(Case.state == args["state"])
    else:
        q = q.where(Case.archived_at.is_(None))
    if args.get("category"):
        q = q.where(Case.category == args["category"])
    if args.get("department"):
        try:
            dep = int(args["department"])
        except ValueError:
            dep = -1
        q = q.where(Case.lead_department_id == dep)
    if args.get("window"):
        try:
            win = int(args["window"])
        except ValueError:
            win = -1
        q = q.where(Case.window_id == win)
    if args.get("due") == "overdue":
        q = q.where(Case.due_at < now, Case.paused_at.is_(None))
    elif args.get("due") == "soon":
        q = q.where(Case.due_at >= now, Case.due_at < now + timedelta(days=2))
    if current_user.role == "handler" and current_user.department_id and not args.get("all"):
        q = q.where(or_(Case.lead_department_id == current_user.department_id,
                        Case.co_departments.any(Department.id == current_user.department_id)))
    try:
        page = max(1, int(args.get("page", 1)))
    except ValueError:
        page = 1
    total = db.session.scalar(select(func.count()).select_from(q.order_by(None).subquery()))
    rows = db.session.scalars(q.order_by(Case.due_at.is_(None), Case.due_at, Case.id)
                              .offset((page - 1) * PAGE).limit(PAGE)).all()
    departments = db.session.scalars(select(Department).where(Department.jurisdiction_id.in_(ids))).all()
    windows = db.session.scalars(select(Window).join(Window.centre).where(
        Window.centre.has(jurisdiction_id=current_user.jurisdiction_id))).all()
    return render_template("staff/queue.html", cases=rows, total=total, page=page, per_page=PAGE, now=now,
                           departments=departments, windows=windows, is_overdue=is_overdue,
                           states=_state_choices(), args=args)


def _state_choices():
    host = current_app.extensions["portal_plugins"]
    seen, out = set(), []
    wf = host.for_jurisdiction(current_user.jurisdiction.code).portal_workflow()
    for s in wf.states:
        if s.code not in seen:
            seen.add(s.code)
            out.append(s)
    return out


@bp.route("/cases/<number>")
@login_required
def case_page(number):
    case = visible_case_or_404(number)
    hooks = hooks_for(case)
    actor = engine.Actor.staff(current_user)
    actions = engine.allowed_actions(case, actor)
    return render_template(
        "staff/case.html", case=case, actions=actions, form=ActionForm(),
        workflow=hooks.portal_workflow(), categories=hooks.portal_categories(),
        complexities=COMPLEXITIES, tiers=hooks.portal_escalation_tiers(),
        departments=case.jurisdiction.departments, now=datetime.now(timezone.utc),
        overdue=is_overdue(case, datetime.now(timezone.utc)), canned=canned_replies(case),
    )


def canned_replies(case: Case) -> list[str]:
    """Per-category starting points for a reply, editable before sending."""
    for c in hooks_for(case).portal_categories():
        if c.code == case.category and c.outcome_zh:
            return [c.outcome_zh]
    return []


PARAM_FIELDS = ("lead_department_id", "category", "complexity", "days", "level", "method",
                "satisfaction", "attendees", "decision", "minutes", "outcome")


@bp.route("/cases/<number>/act", methods=["POST"])
@login_required
def act(number):
    case = visible_case_or_404(number)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        version = int(form.version.data)
    except (TypeError, ValueError):
        abort(400)
    params = {k: request.form.get(k) for k in PARAM_FIELDS if request.form.get(k) not in (None, "")}
    params["co_department_ids"] = [v for v in request.form.getlist("co_department_ids") if v.isdigit()]
    try:
        engine.perform(case, form.action.data, engine.Actor.staff(current_user), expected_version=version,
                       note=request.form.get("note", ""), params=params)
    except EngineError as e:
        db.session.rollback()
        flash(str(e.message), "error")
        return redirect(url_for("staff.case_page", number=number)), 303
    flash(_("Done."), "info")
    return redirect(url_for("staff.case_page", number=number)), 303
