"""Xuanwu's own actions (seed 001): the joint meeting 一事一议 and the investigation of a
matter refused by staff (不给办), each with its form fields and its effect on the case."""
from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from sqlalchemy import select

from portal.toolkit import (
    ActionField,
    ActionSpec,
    Invalid,
    NotAllowed,
    accountability_kind_label,
    current_staff,
    model,
    pick,
    record_accountability,
    session,
)

from .models import CaseMeeting

Department = model("Department")
StaffUser = model("StaffUser")

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: seed 001: "由区行政审批局牵头" — the district's administrative approval bureau leads every joint meeting.
DISTRICT = "xuanwu"
APPROVAL_BUREAU = "xw-approval"
#: seed 001: 不给办 is investigated; what is found is a staff member's failure (unfamiliar with the
#: work, a poor process: refusal; attitude) or a department that did not cooperate.
INVESTIGATION_KINDS = ("refusal", "attitude", "non_cooperation")
STAFF_KINDS = ("refusal", "attitude")


# -- the joint meeting (暂时办不了) ---------------------------------------------------------
def approval_bureau() -> Department | None:
    """The district administrative approval bureau, also for a street centre's case."""
    return session().scalar(select(Department).where(
        Department.code == APPROVAL_BUREAU, Department.jurisdiction.has(code=DISTRICT)))


def _held_on(raw, now) -> date:
    today = now.astimezone(SHANGHAI).date()
    if raw in (None, ""):
        return today
    try:
        held_on = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
    except ValueError:
        raise Invalid(_l("Enter the date the joint meeting was held.")) from None
    if held_on > today:
        raise Invalid(_l("A joint meeting is recorded once it has been held: its date cannot be in the future."))
    return held_on


def hold_joint_meeting(case, actor, note, params, now):
    """Record the meeting, led by the approval bureau (seed 001), with attendees, decision, minutes."""
    attendees = (params.get("attendees") or "").strip()
    decision = (params.get("decision") or "").strip()
    if not attendees or not decision:
        raise Invalid(_l("A joint meeting needs its attendees and its decision."))
    held_on = _held_on(params.get("held_on"), now)
    bureau = approval_bureau()
    if bureau is None:
        raise Invalid(_l("The district administrative approval bureau, which leads joint meetings, "
                         "is missing from the departments."))
    session().add(CaseMeeting(case_id=case.id, held_on=held_on, lead_department_id=bureau.id, attendees=attendees,
                               decision=decision, minutes=(params.get("minutes") or "").strip()))
    return {"led_by": bureau.name_zh, "held_on": held_on.isoformat(), "attendees": attendees, "decision": decision}


JOINT_MEETING = ActionSpec(
    "joint_meeting", effect=hold_joint_meeting,
    fields=(
        ActionField("held_on", _l("Held on"), "date",
                    hint=_l("Leave empty for today."),
                    message=_l("Enter the date the joint meeting was held (not a future date).")),
        ActionField("attendees", _l("Attendees"), "text", required=True, max_length=500,
                    message=_l("A joint meeting needs its attendees and its decision.")),
        ActionField("decision", _l("Decision"), "textarea", required=True, max_length=4000,
                    message=_l("A joint meeting needs its attendees and its decision.")),
        ActionField("minutes", _l("Minutes"), "textarea", max_length=20000),
    ),
    data_labels=(("led_by", _l("Led by")),),
)


# -- investigating a matter refused by staff (不给办) ------------------------------------------
def _nearby_jurisdictions(case, user=None) -> list[int]:
    """The case's jurisdiction and the one above it (a street case may be the district's staff's),
    of those the acting staff member sees: a street supervisor never names, nor lists, the
    district's staff (the core's accountability page keeps the same scope)."""
    ids = [case.jurisdiction_id] + ([case.jurisdiction.parent_id] if case.jurisdiction.parent_id else [])
    user = user if user is not None else current_staff()
    if user is None:
        return []
    visible = user.visible_jurisdiction_ids()
    return [i for i in ids if i in visible]


def staff_choices(case):
    users = session().scalars(select(StaffUser).where(
        StaffUser.jurisdiction_id.in_(_nearby_jurisdictions(case)), StaffUser.active.is_(True))
        .order_by(StaffUser.display_name)).all()
    return [(0, "—")] + [(u.id, u.display_name) for u in users]


def department_choices(case):
    depts = session().scalars(select(Department).where(
        Department.jurisdiction_id.in_(_nearby_jurisdictions(case))).order_by(Department.id)).all()
    return [(0, "—")] + [(d.id, pick(d, "name")) for d in depts]


def _is_refused(case) -> bool:
    return case.category == "refused"


def _nearby(model, raw, case, user):
    try:
        row_id = int(raw or 0)
    except (TypeError, ValueError):
        return None
    row = session().get(model, row_id) if 0 < row_id < 2**31 else None
    return row if row is not None and row.jurisdiction_id in _nearby_jurisdictions(case, user) else None


def investigate(case, actor, note, params, now):
    """不给办 (seed 001): establish who is responsible and record it, with the jurisdiction's outcome."""
    if not _is_refused(case):
        raise NotAllowed(_l("Responsibility is investigated for matters of the type 'refused by staff'."))
    kind = params.get("kind")
    if kind not in INVESTIGATION_KINDS:
        raise Invalid(_l("Say what the investigation found."))
    staff = _nearby(StaffUser, params.get("staff_id"), case, actor.user) if kind in STAFF_KINDS else None
    department = _nearby(Department, params.get("department_id"), case, actor.user) if kind not in STAFF_KINDS else None
    if kind in STAFF_KINDS and staff is None:
        raise Invalid(_l("Choose the staff member responsible."))
    if kind not in STAFF_KINDS and department is None:
        raise Invalid(_l("Choose the department responsible."))
    row = record_accountability(kind, staff=staff, department=department, case=case, note=note,
                                by=actor.user, now=now)
    # who was held to account, and what follows, stay on the record (shown to supervisors)
    return {"kind": kind, "accountability_record": row.id}


INVESTIGATE = ActionSpec(
    "investigate", effect=investigate, available=_is_refused,
    fields=(
        ActionField("kind", _l("What the investigation found"), "choice", required=True,
                    choices=lambda case: [(k, accountability_kind_label(k)) for k in INVESTIGATION_KINDS],
                    message=_l("Say what the investigation found.")),
        ActionField("staff_id", _l("Staff member"), "choice", coerce=int, choices=staff_choices,
                    default=lambda case: case.first_receiver_id,
                    hint=_l("The first receiver stays the first responsible person."),
                    message=_l("Choose the staff member responsible.")),
        ActionField("department_id", _l("Department"), "choice", coerce=int, choices=department_choices,
                    message=_l("Choose the department responsible.")),
    ),
    note_label=_l("What was found"),
)

ACTIONS = (JOINT_MEETING, INVESTIGATE)
