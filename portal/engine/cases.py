"""Intake and every action on a case, each one transaction that writes a CaseEvent.

The jurisdiction's workflow (an explicit map from the plugin) decides which action is
allowed from which state and for which role; anything else is refused before anything
is written. Concurrent actions are caught by the case's version column.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from .. import stats
from ..calendar import SHANGHAI
from ..extensions import db
from ..models import (
    Attachment,
    Case,
    CaseEvent,
    CaseMeeting,
    Department,
    Jurisdiction,
    Rating,
    ReturnVisit,
    StaffUser,
)
from ..models.base import db_int
from . import deadlines, filing_db
from .errors import Conflict, Invalid, NotAllowed
from .numbering import (
    access_code_for_submission,
    hash_access_code,
    new_access_code,
    submission_key,
)

RATING_LEVELS = (5, 4, 3, 2, 1)


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff user with a role, the complainant ('public') or the sweeper ('system')."""

    role: str
    user: StaffUser | None = None

    @classmethod
    def staff(cls, user: StaffUser) -> "Actor":
        return cls(user.role, user)

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user else None


PUBLIC = Actor("public")
SYSTEM = Actor("system")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def plugins():
    return current_app.extensions["portal_plugins"]


def workflow_for(jurisdiction_code: str):
    wf = plugins().for_jurisdiction(jurisdiction_code).portal_workflow()
    wf.validate()
    return wf


def allowed_actions(case: Case, actor: Actor):
    """The transitions the workflow and the actor's role allow on this case now."""
    wf = workflow_for(case.jurisdiction.code)
    if actor.role in ("clerk", "handler", "supervisor", "admin"):
        if not can_see(actor.user, case):
            return []
    out = []
    for t in wf.allowed(case.state, actor.role):
        if t.action == "resume" and not deadlines.can_resume(case):
            continue
        if t.action == "pause" and not deadlines.can_pause(case):
            continue
        if t.action in ("extend", "flag_overdue") and not case.running_deadlines:
            continue
        if t.action == "escalate" and _next_tier(case) is None:
            continue
        out.append(t)
    return out


def can_see(user: StaffUser | None, case: Case) -> bool:
    return user is not None and case.jurisdiction_id in user.visible_jurisdiction_ids()


# -- intake ---------------------------------------------------------------------
@dataclass
class Filed:
    case: Case
    access_code: str  # shown once on the receipt, stored only hashed


def file_case(
    *,
    jurisdiction: Jurisdiction,
    matter: str,
    description: str,
    channel: str,
    complainant: dict,
    centre_id: int | None = None,
    window_id: int | None = None,
    category: str = "",
    complexity: str = "general",
    extra: dict | None = None,
    receiver: StaffUser | None = None,
    first_contact: StaffUser | None = None,
    guide_id: int | None = None,
    attachments: list[dict] | None = None,
    now: datetime | None = None,
    submission: str | None = None,
) -> Filed:
    """Create a case with its number, hashed access code, first event and first deadline.

    ``submission``: the public form's one-time submission id. Its keyed hash is stored under
    a unique index, so a second filing of the same form fails with an IntegrityError (the
    caller finds the first case with ``numbering.submission_key``), and the access code is
    derived from it, so both answers of a double-click show the same code.

    ``receiver``: the staff member who takes the case in (a walk-in), recorded on the first event;
    ``first_contact``: the staff member who first met the person, if somebody else (a service
    window that could not help): the case's first receiver under first-contact responsibility."""
    now = now or utcnow()
    matter = (matter or "").strip()
    description = (description or "").strip()
    if not matter or not description:
        raise Invalid(_l("A matter and a description are required."))
    wf = workflow_for(jurisdiction.code)
    hooks = plugins().for_jurisdiction(jurisdiction.code)
    tiers = hooks.portal_escalation_tiers()
    code = access_code_for_submission(submission) if submission else new_access_code()
    jurisdiction_code = jurisdiction.code
    local_year = now.astimezone(SHANGHAI).year
    try:
        case = Case(
            # numbered at the end of the transaction (see filing_db._take_number)
            number=filing_db.PROVISIONAL_PREFIX + secrets.token_hex(8),
            access_code_hash=hash_access_code(code),
            submission_id=submission_key(submission) if submission else None,
            jurisdiction=jurisdiction,
            jurisdiction_id=jurisdiction.id,
            centre_id=centre_id,
            window_id=window_id,
            channel=channel,
            complainant_name=(complainant.get("name") or "").strip(),
            complainant_phone=(complainant.get("phone") or "").strip(),
            complainant_id_number=(complainant.get("id_number") or "").strip().upper(),
            complainant_address=(complainant.get("address") or "").strip(),
            matter=matter,
            description=description,
            category=category or "",
            complexity=complexity or "general",
            extra=extra or {},
            state=wf.initial,
            workflow=wf.name,
            escalation_tier=tiers[0].code if tiers else "",
            # first-contact responsibility (seed 001): who first met the person; by default whoever
            # takes the case in at the window
            first_receiver=first_contact or receiver,
            guide_id=guide_id,
            received_at=now,
            updated_at=now,
        )
        # built outside the session and written by filing_db (Core INSERTs, no unit of work)
        for a in attachments or ():
            case.attachments.append(Attachment(**a))
        deadlines.start_at_filing(case, now, wf.initial)
        case.events.append(CaseEvent(
            at=now, actor_id=receiver.id if receiver else None,
            actor_role=receiver.role if receiver else "public", action="file",
            from_state="", to_state=wf.initial, note="", public=True,
            data={"channel": channel,
                  "first_receiver": (first_contact or receiver).display_name if (first_contact or receiver) else None},
        ))
        ev = case.events[-1]
        written = [case, ev, *case.deadlines, *case.attachments]
        filing_db.write_new_case(case, ev, [*case.deadlines, ev, *case.attachments], jurisdiction.case_prefix,
                                 local_year)
        filing_db.commit_keeping(written)
    except Exception:
        db.session.rollback()
        for obj in written if "written" in locals() else ():
            if obj in db.session:
                db.session.expunge(obj)  # never in the database: nothing to keep in the session
        raise
    _notify_plugins(case, ev, jurisdiction_code=jurisdiction_code)
    return Filed(case, code)


# -- actions --------------------------------------------------------------------
def perform(case: Case, action: str, actor: Actor, *, expected_version: int | None = None,
            note: str = "", params: dict | None = None, now: datetime | None = None) -> CaseEvent:
    """Carry out ``action`` on ``case`` for ``actor``, or raise and change nothing."""
    params = dict(params or {})
    now = now or utcnow()
    note = (note or "").strip()
    if expected_version is not None and case.version != expected_version:
        raise Conflict()
    wf = workflow_for(case.jurisdiction.code)
    t = wf.transition(action)
    if t is None:
        raise NotAllowed(_l("This jurisdiction's workflow has no such action."))
    if actor.role not in t.roles and not _default_rating_by_system(action, actor, params):
        raise NotAllowed(_l("Your role may not take this action."))
    if actor.role in ("clerk", "handler", "supervisor", "admin") and not can_see(actor.user, case):
        raise NotAllowed(_l("This case belongs to another jurisdiction."))
    if case.state not in t.sources:
        raise NotAllowed(_l("This action is not possible while the case is in its current state."))
    if t.needs_note and not note:
        raise Invalid(_l("Please give a note or reason for this action."))
    from_state = case.state
    to_state = t.target or case.state
    data: dict = {}
    try:
        effect = _EFFECTS.get(action)
        if effect is not None:
            data = effect(case, actor, note, params, now) or {}
        if to_state != from_state:
            case.state = to_state
        deadlines.on_action(case, action, from_state, to_state, now)  # clocks stop and start
        if to_state != from_state:
            if wf.state(to_state).done and case.closed_at is None:
                case.closed_at = now  # workflows close in different steps; "done" is what counts
            if wf.state(to_state).terminal:
                case.archived_at = now
        case.updated_at = now
        ev = CaseEvent(at=now, actor_id=actor.user_id, actor_role=actor.role,
                       action=action, from_state=from_state, to_state=to_state, note=note,
                       public=action not in PRIVATE_ACTIONS, data=data)
        case.events.append(ev)
        stats.record_event(case, ev)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise Conflict() from None
    except Exception:
        db.session.rollback()
        raise
    _notify_plugins(case, ev)
    return ev


#: Actions whose event (and note) the public timeline does not show.
PRIVATE_ACTIONS = frozenset({"note", "assign", "escalate", "flag_overdue", "classify", "extend", "joint_meeting"})


def _notify_plugins(case: Case, ev: CaseEvent, jurisdiction_code: str | None = None) -> None:
    """After the commit, announce the action to its subscribers (``portal_case_transitioned``: the
    owner plugin's and the core's staff notices, portal/notify.py). A failing subscriber must not
    turn a saved action into an error."""
    try:
        code = jurisdiction_code or case.jurisdiction.code
        plugins().for_jurisdiction(code).portal_case_transitioned(case=case, event=ev)
    except Exception:  # noqa: BLE001 - logged; the case and its event are already saved
        db.session.rollback()
        current_app.logger.exception("after-action hooks failed for case %s", case.number)


# -- effects of particular actions --------------------------------------------------
def _classify(case, actor, note, params, now):
    cats = {c.code for c in plugins().for_jurisdiction(case.jurisdiction.code).portal_categories()}
    category = params.get("category") or case.category
    if category and category not in cats:
        raise Invalid(_l("Unknown category for this jurisdiction."))
    case.category = category
    case.complexity = params.get("complexity") or case.complexity
    deadlines.recompute_for_classification(case)
    return {"category": case.category, "complexity": case.complexity}


def _row_id(raw) -> int | None:
    """A row id from a form value, or None for anything that is not one: the form's select
    offers only ids, so this is tampering."""
    value = db_int(raw)
    return value if value is not None and value > 0 else None


def _assign(case, actor, note, params, now):
    lead_id = _row_id(params.get("lead_department_id"))
    lead = db.session.get(Department, lead_id) if lead_id else None
    if lead is None or lead.jurisdiction_id != case.jurisdiction_id:
        raise Invalid(_l("Choose a lead department of this jurisdiction."))
    raw_co = [_row_id(i) for i in params.get("co_department_ids") or []]
    if None in raw_co:
        raise Invalid(_l("Co-handling departments must belong to this jurisdiction."))
    co_ids = {i for i in raw_co if i != lead.id}
    co = db.session.scalars(select(Department).where(Department.id.in_(co_ids))).all() if co_ids else []
    if any(d.jurisdiction_id != case.jurisdiction_id for d in co):
        raise Invalid(_l("Co-handling departments must belong to this jurisdiction."))
    case.lead_department = lead
    case.co_departments = list(co)
    return {"lead": lead.name_zh, "co": [d.name_zh for d in co]}


def _reply(case, actor, note, params, now):
    case.reply = note
    case.replied_at = now
    case.outcome = params.get("outcome") or case.outcome or "resolved"
    return {"outcome": case.outcome}


def _refer(case, actor, note, params, now):
    case.reply = note
    case.replied_at = now
    case.outcome = "referred"
    return {}


def _next_tier(case):
    tiers = plugins().for_jurisdiction(case.jurisdiction.code).portal_escalation_tiers() or ()
    codes = [t.code for t in tiers]
    if case.escalation_tier not in codes:
        return tiers[0] if tiers else None
    i = codes.index(case.escalation_tier)
    return tiers[i + 1] if i + 1 < len(tiers) else None


def _escalate(case, actor, note, params, now):
    tier = _next_tier(case)
    if tier is None:
        raise NotAllowed(_l("The case is already at the highest tier."))
    old = case.escalation_tier
    case.escalation_tier = tier.code
    return {"from_tier": old, "to_tier": tier.code}


def _clock_param(case, params) -> str | None:
    """The clock an action names (``params["clock"]``), which must be running; None = not named."""
    clock = (params.get("clock") or "").strip() if isinstance(params.get("clock"), str) else params.get("clock")
    if not clock:
        return None
    if clock not in {d.clock for d in case.running_deadlines}:
        raise Invalid(_l("No such deadline is running on this case."))
    return clock


def _pause(case, actor, note, params, now):
    clock = _clock_param(case, params)
    if not deadlines.can_pause(case) or (clock and not deadlines.chosen(case, clock, paused=False)):
        raise NotAllowed(_l("The clock is already paused."))
    return {"clocks": deadlines.pause(case, now, clock)}


def _resume(case, actor, note, params, now):
    clock = _clock_param(case, params)
    if not deadlines.can_resume(case) or (clock and not deadlines.chosen(case, clock, paused=True)):
        raise NotAllowed(_l("The clock is not paused."))
    clocks = [d.clock for d in deadlines.chosen(case, clock, paused=True)]
    return {"paused_working_days": deadlines.resume(case, now, clock), "clocks": clocks}


def _extend(case, actor, note, params, now):
    try:
        days = int(params.get("days", 0))
    except (TypeError, ValueError):
        days = 0
    if days < 1 or days > 60:
        raise Invalid(_l("An extension must be between 1 and 60 working days."))
    if not case.running_deadlines:
        raise NotAllowed(_l("No deadline is running."))
    row = deadlines.extend(case, days, note, _clock_param(case, params))
    return {"days": days, "due_date": row.due_date.isoformat(), "clock": row.clock}


def _flag_overdue(case, actor, note, params, now):
    """The sweep names the clock that ran out; without one, every overdue running clock."""
    clock = _clock_param(case, params)
    rows = deadlines.chosen(case, clock) if clock else (deadlines.overdue_clocks(case, now) or case.running_deadlines)
    for row in rows:
        row.overdue_flagged = True
    deadlines.sync_case(case)
    return {"clocks": [r.clock for r in rows]}


def _rate(case, actor, note, params, now):
    try:
        level = int(params.get("level"))
    except (TypeError, ValueError):
        level = 0
    if level not in RATING_LEVELS:
        raise Invalid(_l("Choose one of the five rating levels."))
    if not _rating_open(case):
        raise NotAllowed(_l("This reply has already been rated."))
    source = "public" if actor.role == "public" else params.get("source", "public")
    db.session.add(Rating(case=case, level=level, comment=note, at=now, source=source))
    if source == "default":  # not given by the person: the jurisdiction's default (portal_default_rating)
        return {"level": level, "defaulted": True, "rule": params.get("rule", ""), "rule_zh": params.get("rule_zh", "")}
    return {"level": level}


def _return_visit(case, actor, note, params, now):
    method = params.get("method")
    try:
        level = int(params.get("satisfaction"))
    except (TypeError, ValueError):
        level = 0
    if method not in ("phone", "in_person") or level not in RATING_LEVELS:
        raise Invalid(_l("Record how the visit was made and the person's satisfaction."))
    db.session.add(ReturnVisit(case=case, method=method, satisfaction=level, note=note,
                               by_id=actor.user_id, at=now))
    return {"method": method, "satisfaction": level}


def _close(case, actor, note, params, now):
    case.closed_at = now
    return {}


def _joint_meeting(case, actor, note, params, now):
    attendees = (params.get("attendees") or "").strip()
    decision = (params.get("decision") or "").strip()
    held_on = params.get("held_on") or now.date()
    if not attendees or not decision:
        raise Invalid(_l("A joint meeting needs its attendees and its decision."))
    db.session.add(CaseMeeting(case_id=case.id, held_on=held_on, attendees=attendees,
                               decision=decision, minutes=(params.get("minutes") or "").strip()))
    return {"attendees": attendees, "decision": decision}


_EFFECTS = {
    "classify": _classify,
    "assign": _assign,
    "reply": _reply,
    "refer": _refer,
    "escalate": _escalate,
    "pause": _pause,
    "resume": _resume,
    "extend": _extend,
    "flag_overdue": _flag_overdue,
    "rate": _rate,
    "rate_bad": _rate,
    "return_visit": _return_visit,
    "close": _close,
    "joint_meeting": _joint_meeting,
}


def _rating_open(case: Case) -> bool:
    """One rating per reply: a new reply (after rectification) may be rated again."""
    last = case.ratings[-1] if case.ratings else None
    return last is None or (case.replied_at is not None and last.at < case.replied_at)


def can_rate(case: Case) -> bool:
    actions = {t.action for t in allowed_actions(case, PUBLIC)}
    return bool(actions & {"rate", "rate_bad"}) and _rating_open(case)


def rate(case: Case, level: int, comment: str = "", now: datetime | None = None) -> CaseEvent:
    """The complainant rates: 不满意 and 非常不满意 send the case back to be verified and rectified."""
    action = "rate_bad" if int(level) <= 2 else "rate"
    return perform(case, action, PUBLIC, note=comment, params={"level": level}, now=now)


def default_rate(case: Case, policy, now: datetime | None = None) -> CaseEvent:
    """The overdue sweep records a jurisdiction's default rating (a ``DefaultRating`` from
    ``portal_default_rating``) for a reply the person left unrated: the system acts, in the
    workflow's own ``rate``/``rate_bad`` step, and the rating is marked ``source="default"``
    (its event's data says ``defaulted`` and carries the rule)."""
    action = "rate_bad" if int(policy.level) <= 2 else "rate"
    return perform(case, action, SYSTEM, expected_version=case.version, now=now,
                   params={"level": policy.level, "source": "default", "rule": policy.rule,
                           "rule_zh": policy.rule_zh})


def _default_rating_by_system(action: str, actor: Actor, params: dict) -> bool:
    """Ratings are the person's (role "public"); the one exception is the default rating."""
    return action in ("rate", "rate_bad") and actor.role == "system" and params.get("source") == "default"
