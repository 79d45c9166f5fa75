"""The case page and every case action, limited to the user's jurisdiction(s).

The page offers exactly the actions the jurisdiction's workflow gives the user's role
in the case's state. Each form carries the case version it was drawn from: if someone
acted first, the engine refuses (409), the page says so and keeps what was typed.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from flask import abort, current_app, flash, redirect, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import HiddenField

from ..engine import cases as engine
from ..engine.deadlines import is_overdue
from ..engine.errors import EngineError
from ..extensions import db
from ..forms import IntakeForm
from ..i18n import pick
from ..models import Attachment, Case, CaseEvent, CaseMeeting, GuideCorrection, KnowledgeEntry
from ..web import render_for
from . import bp
from .access import CASE_ROLES, roles_required, visible_case_or_404
from .corrections import STATE_LABELS as CORRECTION_STATES
from .replies import replies_for

COMPLEXITIES = ("simple", "general", "complex", "especially_complex")
COMPLEXITY_LABELS = {"simple": _l("Simple"), "general": _l("General"), "complex": _l("Complex"),
                     "especially_complex": _l("Especially complex")}
FILE_LABEL = _l("Filed")
STAGE_LABELS = {"reply": _l("Reply"), "rectify": _l("Verify and rectify")}

DATA_LABELS = {
    "channel": _l("Channel"), "first_receiver": _l("First receiver"), "category": _l("Category"),
    "complexity": _l("Complexity"), "lead": _l("Lead department"), "co": _l("Co-handling departments"),
    "to_tier": _l("Escalated to"), "days": _l("Extra working days"), "due_date": _l("New due date"),
    "clock": _l("Clock"), "clocks": _l("Clocks"),
    "paused_working_days": _l("Working days paused"), "level": _l("Rating"), "method": _l("How"),
    "satisfaction": _l("The person's satisfaction"), "outcome": _l("Outcome"), "attendees": _l("Attendees"),
    "decision": _l("Decision"),
}
HIDDEN_DATA = frozenset({"from_tier", "defaulted", "rule", "rule_zh"})  # a default rating shows them itself
METHOD_LABELS = {"phone": _l("By phone"), "in_person": _l("In person")}
OUTCOME_LABELS = {"resolved": _l("Resolved"), "referred": _l("Explained and referred")}

PARAM_FIELDS = ("lead_department_id", "category", "complexity", "days", "level", "method",
                "satisfaction", "attendees", "decision", "minutes", "outcome", "held_on")


class ActionForm(FlaskForm):
    """CSRF and the version the user saw; action parameters come from the same POST."""

    action = HiddenField()
    version = HiddenField()


def hooks_for(case: Case):
    return current_app.extensions["portal_plugins"].for_jurisdiction(case.jurisdiction.code)


def _load(number: str) -> Case:
    case = visible_case_or_404(number)
    # the timeline and its actors in one more query, not one per event
    db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                       .options(selectinload(CaseEvent.actor))).all()
    return case


def _next_tier(case: Case, tiers):
    codes = [t.code for t in tiers]
    if case.escalation_tier not in codes:
        return tiers[0] if tiers else None
    i = codes.index(case.escalation_tier)
    return tiers[i + 1] if i + 1 < len(tiers) else None


def _labels(workflow) -> tuple[dict, dict]:
    actions = {t.action: pick(t, "label") for t in workflow.transitions}
    actions.setdefault("file", str(FILE_LABEL))
    states = {s.code: pick(s, "label") for s in workflow.states}
    return actions, states


def event_details(ev: CaseEvent, names: dict[str, dict]) -> list[tuple[str, str]]:
    """An event's data as labelled, readable pairs (codes turned into names); plugin keys kept as they are."""
    out = []
    for key, value in (ev.data or {}).items():
        if key in HIDDEN_DATA or value in (None, "", [], {}):
            continue
        if isinstance(value, (list, tuple)):
            value = "、".join(str(v) for v in value)
        value = names.get(key, {}).get(value, value)
        out.append((str(DATA_LABELS.get(key, key)), str(value)))
    return out


def extra_labels(hooks, extra: dict) -> dict[str, str]:
    """The jurisdiction's own labels for the intake fields its plugin added (stored in case.extra)."""
    if not extra:
        return {}
    form = hooks.portal_intake_form(base=IntakeForm)(formdata=None, meta={"csrf": False})
    return {name: str(form[name].label.text) for name in extra if name in form}


def render_case(case: Case, *, error: str | None = None, draft: dict | None = None, status: int = 200):
    hooks = hooks_for(case)
    workflow = hooks.portal_workflow()
    tiers = tuple(hooks.portal_escalation_tiers() or ())
    now = datetime.now(timezone.utc)
    replies = replies_for(case, hooks)
    chosen = request.args.get("canned")
    canned_text = next((r.body for r in replies if r.key == chosen), replies[0].body if replies else "")
    action_labels, state_labels = _labels(workflow)
    categories = hooks.portal_categories()
    names = {"category": {c.code: pick(c, "name") for c in categories},
             "to_tier": {t.code: pick(t, "name") for t in tiers},
             "channel": {c.code: pick(c, "name") for c in hooks.portal_intake_channels() or ()},
             "complexity": {k: str(v) for k, v in COMPLEXITY_LABELS.items()},
             "method": {k: str(v) for k, v in METHOD_LABELS.items()},
             "outcome": {k: str(v) for k, v in OUTCOME_LABELS.items()}}
    corrections = db.session.scalars(
        select(GuideCorrection).where(GuideCorrection.cases.any(Case.id == case.id)).order_by(GuideCorrection.id)
    ).all()
    entries = {e.correction_id: e for e in db.session.scalars(select(KnowledgeEntry).where(
        KnowledgeEntry.correction_id.in_([c.id for c in corrections]))).all()} if corrections else {}
    meetings = db.session.scalars(select(CaseMeeting).where(CaseMeeting.case_id == case.id)
                                  .order_by(CaseMeeting.id)).all()
    # a jurisdiction's plugin may ship its own staff/case.html (looked up first)
    return render_for(
        case.jurisdiction.code, "staff/case.html", case=case, actions=engine.allowed_actions(case, engine.Actor.staff(current_user)),
        form=ActionForm(), workflow=workflow, categories=categories,
        details={ev.id: event_details(ev, names) for ev in case.events},
        extra_labels=extra_labels(hooks, case.extra),
        complexities=COMPLEXITIES, complexity_labels=COMPLEXITY_LABELS, tiers=tiers,
        next_tier=_next_tier(case, tiers), departments=case.jurisdiction.departments, now=now,
        overdue=is_overdue(case, now), replies=replies, canned_text=canned_text,
        action_labels=action_labels, state_labels=state_labels, corrections=corrections, entries=entries,
        meetings=meetings, error=error, draft=draft or {}, stage_labels=STAGE_LABELS,
        channel_label=names["channel"].get(case.channel, case.channel),
        correction_states=CORRECTION_STATES,
    ), status


@bp.route("/cases/<number>")
@roles_required(*CASE_ROLES)
def case_page(number):
    return render_case(_load(number))


def _params() -> dict:
    params = {k: request.form.get(k) for k in PARAM_FIELDS if request.form.get(k) not in (None, "")}
    params["co_department_ids"] = [v for v in request.form.getlist("co_department_ids") if v.isdigit()]
    if "held_on" in params:
        try:
            params["held_on"] = date.fromisoformat(params["held_on"])
        except ValueError:
            params.pop("held_on")
    return params


@bp.route("/cases/<number>/act", methods=["POST"])
@roles_required(*CASE_ROLES)
def act(number):
    case = visible_case_or_404(number)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        version = int(form.version.data)
    except (TypeError, ValueError):
        abort(400)
    note = request.form.get("note", "")
    try:
        engine.perform(case, form.action.data, engine.Actor.staff(current_user), expected_version=version,
                       note=note, params=_params())
    except EngineError as e:
        db.session.rollback()
        db.session.expire_all()
        case = _load(number)
        # what the user typed stays on the page; the case itself is shown as it is now
        return render_case(case, error=str(e.message), draft={"action": form.action.data, "note": note},
                           status=e.status)
    flash(_("Done."), "info")
    return redirect(url_for("staff.case_page", number=number), 303)


@bp.route("/cases/<number>/attachments/<int:attachment_id>")
@roles_required(*CASE_ROLES)
def attachment(number, attachment_id):
    case = visible_case_or_404(number)
    a = db.session.get(Attachment, attachment_id)
    if a is None or a.case_id != case.id:
        abort(404)
    return send_from_directory(current_app.config["PORTAL_UPLOAD_DIR"], a.stored_name, mimetype=a.content_type,
                               as_attachment=True, download_name=a.original_name)
