"""The case page and every case action, limited to the user's jurisdiction(s).

The page offers exactly the actions the jurisdiction's workflow gives the user's role
in the case's state. Each form carries the case version it was drawn from: if someone
acted first, the engine refuses (409), the page says so and keeps what was typed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from flask import abort, current_app, flash, redirect, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..actions import METHOD_LABELS
from ..clock_labels import clock_label
from ..contracts import ActionSpec, Transition
from ..engine import cases as engine
from ..engine.deadlines import is_overdue
from ..engine.errors import Conflict, EngineError
from ..extensions import db
from ..forms import IntakeForm
from ..i18n import pick
from ..complexity import complexity_labels
from ..models import AccountabilityRecord, Attachment, Case, CaseEvent, GuideCorrection, KnowledgeEntry
from ..public.views import public_texts
from ..web import render_for
from . import action_forms, bp
from .access import ADMINISTER, READ, SUPERVISE, can, capability_required, may_see_case, visible_case_or_404
from ..accountability import kind_labels
from .. import security_log
from .case_panels import case_panels
from .corrections import STATE_LABELS as CORRECTION_STATES
from .replies import replies_for

FILE_LABEL = _l("Filed")

#: Labels of the core events' data keys (an action's declared fields and data_labels add theirs).
DATA_LABELS = {
    "channel": _l("Channel"), "first_receiver": _l("First receiver"), "category": _l("Category"),
    "complexity": _l("Complexity"), "lead": _l("Lead department"), "co": _l("Co-handling departments"),
    "to_tier": _l("Escalated to"), "days": _l("Extra working days"), "hours": _l("Extra working hours"),
    "calendar_days": _l("Extra calendar days"), "due_date": _l("New due date"),
    "clock": _l("Clock"), "clocks": _l("Clocks"),
    "paused_working_days": _l("Working days paused"), "level": _l("Rating"), "method": _l("How"),
    "satisfaction": _l("The person's satisfaction"), "outcome": _l("Outcome"),
}
HIDDEN_DATA = frozenset({"from_tier", "defaulted", "rule", "rule_zh", "rule_source", "note_public"})  # shown otherwise (badges, rule)
OUTCOME_LABELS = {"resolved": _l("Resolved"), "referred": _l("Explained and referred")}
NOTE_LABEL = _l("Note or reason")


@dataclass
class ActionView:
    """One allowed action as the page draws it: its transition, its declared spec and its form."""

    transition: Transition
    spec: ActionSpec
    form: action_forms.ActionForm

    @property
    def action(self) -> str:
        return self.transition.action

    @property
    def fields(self) -> list:
        return action_forms.declared_fields(self.form, self.spec)

    @property
    def note_label(self):
        return self.spec.note_label or NOTE_LABEL

    def describe(self, case: Case) -> str:
        return str(self.spec.describe(case) or "") if self.spec.describe else ""


def hooks_for(case: Case):
    return current_app.extensions["portal_plugins"].for_jurisdiction(case.jurisdiction.code)


def _load(number: str) -> Case:
    case = visible_case_or_404(number)
    # the timeline and its actors in one more query, not one per event
    db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                       .options(selectinload(CaseEvent.actor))).all()
    return case


def _labels(workflow) -> tuple[dict, dict]:
    actions = {t.action: pick(t, "label") for t in workflow.transitions}
    actions.setdefault("file", str(FILE_LABEL))
    states = {s.code: pick(s, "label") for s in workflow.states}
    return actions, states


def event_details(ev: CaseEvent, names: dict[str, dict], specs: dict[str, ActionSpec] | None = None,
                  case: Case | None = None) -> list[tuple[str, str]]:
    """An event's data as labelled, readable pairs: labels from the action's declared fields and
    data labels, then the core's; codes turned into names (a declared choice field's value into
    its choice's label). Keys nobody labels are shown as they are; ``HIDDEN_DATA`` and the
    ids of records kept beside the case (``*_record``) are not shown."""
    spec = (specs or {}).get(ev.action)
    labels = {**DATA_LABELS, **(spec.labels() if spec is not None else {})}
    out = []
    for key, value in (ev.data or {}).items():
        if key in HIDDEN_DATA or key.endswith("_record") or value in (None, "", [], {}):
            continue
        if isinstance(value, (list, tuple)):
            value = "、".join(str(names.get(key, {}).get(v, v)) for v in value)
        value = _choice_names(spec, key, case).get(value, names.get(key, {}).get(value, value))
        out.append((str(labels.get(key, key)), str(value)))
    return out


def _choice_names(spec: ActionSpec | None, key: str, case: Case | None) -> dict:
    """A declared choice field's values -> labels on this case ({} for any other key)."""
    field = next((f for f in spec.fields if f.name == key), None) if spec is not None else None
    if field is None or field.choices is None or case is None:
        return {}
    return {value: str(label) for value, label in field.choices(case)}


def clock_names(case: Case, workflow) -> dict[str, str]:
    """Clock code -> the name readers know it by: the workflow's clocks and any the case ran."""
    codes = [c.code for c in workflow.clock_specs()] + [d.clock for d in case.deadlines if d.clock]
    return {code: clock_label(case, code) for code in dict.fromkeys(codes)}


def _intake_form(hooks):
    return hooks.portal_intake_form(base=IntakeForm)(formdata=None, meta={"csrf": False})


def extra_labels(hooks, extra: dict) -> dict[str, str]:
    """The jurisdiction's own labels for the intake fields its plugin added (stored in case.extra)."""
    if not extra:
        return {}
    form = _intake_form(hooks)
    return {name: str(form[name].label.text) for name in extra if name in form}


def _choice_pair(choice) -> tuple[str, str]:
    """``(value, label)`` of a WTForms choice: a SelectChoice, a pair or a bare value."""
    if hasattr(choice, "value"):
        return str(choice.value), str(choice.label if choice.label is not None else choice.value)
    if isinstance(choice, (tuple, list)) and len(choice) >= 2:
        return str(choice[0]), str(choice[1])
    return str(choice), str(choice)


def extra_values(hooks, extra: dict) -> dict[str, str]:
    """What the person chose in those fields, as the form offered it in the reader's language: a
    choice's label rather than its stored value ("process" -> 咨询办事流程), yes/no for a box."""
    if not extra:
        return {}
    from flask_babel import gettext

    form = _intake_form(hooks)
    out = {}
    for name, value in extra.items():
        field = form[name] if name in form else None
        choices = getattr(field, "choices", None)
        if choices and not callable(choices):
            labels = dict(_choice_pair(c) for c in choices)
            values = value if isinstance(value, list) else [value]
            out[name] = "; ".join(labels.get(str(v), str(v)) for v in values)
        elif isinstance(value, bool):
            out[name] = gettext("Yes") if value else gettext("No")
        else:
            out[name] = value
    return out


def action_views(case: Case, posted: tuple[str, action_forms.ActionForm] | None = None) -> list[ActionView]:
    """Every action the workflow allows the user now, each with the form its spec declares;
    ``posted`` (action, form) is the form just refused, kept with what was typed and its errors."""
    specs = engine.action_specs(case.jurisdiction.code)
    out = []
    for t in engine.allowed_actions(case, engine.Actor.staff(current_user)):
        spec = specs.get(t.action) or ActionSpec(t.action)
        form = posted[1] if posted is not None and posted[0] == t.action else action_forms.action_form(spec, case)
        form.version.data = str(case.version)
        out.append(ActionView(t, spec, form))
    return out


def render_case(case: Case, *, error: str | None = None, draft: dict | None = None, status: int = 200,
                posted: tuple[str, action_forms.ActionForm] | None = None):
    hooks = hooks_for(case)
    workflow = hooks.portal_workflow()
    tiers = tuple(hooks.portal_escalation_tiers() or ())
    now = datetime.now(timezone.utc)
    replies = replies_for(case, hooks)
    chosen = request.args.get("canned")
    canned_text = next((r.body for r in replies if r.key == chosen), replies[0].body if replies else "")
    action_labels, state_labels = _labels(workflow)
    # what the person's tracking page calls this state, when it differs from the staff's word
    public_label = public_texts(workflow.state(case.state))[0]
    categories = hooks.portal_categories()
    names = {"category": {c.code: pick(c, "name") for c in categories},
             "to_tier": {t.code: pick(t, "name") for t in tiers},
             "channel": {c.code: pick(c, "name") for c in hooks.portal_intake_channels() or ()},
             "complexity": complexity_labels(case.jurisdiction.code),
             "method": {k: str(v) for k, v in METHOD_LABELS.items()},
             "outcome": {k: str(v) for k, v in OUTCOME_LABELS.items()}}
    names["clock"] = names["clocks"] = clock_names(case, workflow)
    specs = engine.action_specs(case.jurisdiction.code)
    corrections = db.session.scalars(
        select(GuideCorrection).where(GuideCorrection.cases.any(Case.id == case.id)).order_by(GuideCorrection.id)
    ).all()
    entries = {e.correction_id: e for e in db.session.scalars(select(KnowledgeEntry).where(
        KnowledgeEntry.correction_id.in_([c.id for c in corrections]))).all()} if corrections else {}
    # who was held to account for this case: shown to those who keep and read the records
    accountability = db.session.scalars(
        select(AccountabilityRecord).where(AccountabilityRecord.case_id == case.id)
        .order_by(AccountabilityRecord.id)).all() if can(SUPERVISE) or can(ADMINISTER) else []
    security_log.case_viewed(case)
    # a jurisdiction's plugin may ship its own staff/case.html (looked up first)
    return render_for(
        case.jurisdiction.code, "staff/case.html", case=case, actions=action_views(case, posted),
        workflow=workflow, categories=categories,
        details={ev.id: event_details(ev, names, specs, case) for ev in case.events},
        extra_labels=extra_labels(hooks, case.extra), extra_values=extra_values(hooks, case.extra),
        complexity_labels=names["complexity"], tiers=tiers, now=now,
        overdue=is_overdue(case, now), replies=replies, canned_text=canned_text,
        action_labels=action_labels, state_labels=state_labels, corrections=corrections, entries=entries,
        panels=case_panels(case), accountability=accountability, accountability_kinds=kind_labels(),
        error=error, draft=draft or {},
        public_state_label=public_label if public_label != state_labels.get(case.state) else "",
        channel_label=names["channel"].get(case.channel, case.channel),
        correction_states=CORRECTION_STATES,
    ), status


@bp.route("/cases/<number>")
@capability_required(READ)
def case_page(number):
    return render_case(_load(number))


@bp.route("/cases/<number>/act", methods=["POST"])
@capability_required(READ)
def act(number):
    case = visible_case_or_404(number)
    action = request.form.get("action", "")
    actor = engine.Actor.staff(current_user)
    note = request.form.get("note", "")
    spec = engine.action_specs(case.jurisdiction.code).get(action)
    form = action_forms.action_form(spec, case, posted=True)
    valid = action_forms.validate(form, spec)
    if form.errors.get("csrf_token") or form.errors.get("version"):
        abort(400)
    try:
        version = int(form.version.data)
    except (TypeError, ValueError):
        abort(400)
    try:
        # a stale page, then who may act, come before what was typed into the form
        if case.version != version:
            raise Conflict()
        engine.check_allowed(case, action, actor)
    except EngineError as e:
        return _refused(number, e.message, e.status, action, note)
    if not valid:
        db.session.rollback()
        refused = dict.fromkeys(str(e) for f in action_forms.declared_fields(form, spec) for e in f.errors)
        return render_case(_load(number), error=" ".join(refused) or _("Check the fields marked below."),
                           draft={"action": action, "note": note}, status=422, posted=(action, form))
    try:
        engine.perform(case, action, actor, expected_version=version, note=note,
                       params=action_forms.params(form, spec))
    except EngineError as e:
        return _refused(number, e.message, e.status, action, note, posted=(action, form))
    flash(_("Done."), "info")
    if not may_see_case(case):  # e.g. handed on to another department: the page would be a 404
        return redirect(url_for("staff.queue"), 303)
    return redirect(url_for("staff.case_page", number=number), 303)


def _refused(number: str, message, status: int, action: str, note: str, posted=None):
    """The case as it is now, with why nothing was changed and what the user typed."""
    db.session.rollback()
    db.session.expire_all()
    case = _load(number)
    return render_case(case, error=str(message), draft={"action": action, "note": note}, status=status,
                       posted=posted)


@bp.route("/cases/<number>/attachments/<int:attachment_id>")
@capability_required(READ)
def attachment(number, attachment_id):
    case = visible_case_or_404(number)
    a = db.session.get(Attachment, attachment_id)
    if a is None or a.case_id != case.id:
        abort(404)
    security_log.attachment_downloaded(case, a)
    return send_from_directory(current_app.config["PORTAL_UPLOAD_DIR"], a.stored_name, mimetype=a.content_type,
                               as_attachment=True, download_name=a.original_name)
