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
from sqlalchemy.orm.exc import StaleDataError

from .. import stats
from ..workdays import SHANGHAI
from ..extensions import db
from ..models import Attachment, Case, CaseEvent, Jurisdiction, StaffUser
from . import deadlines, filing_db
from .effects import rating_open
from .errors import Conflict, Invalid, NotAllowed
from .numbering import (
    access_code_for_submission,
    hash_access_code,
    new_access_code,
    submission_key,
)


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
    wf.validate(plugins().vocabulary.actors_for(jurisdiction_code))
    return wf


def allowed_actions(case: Case, actor: Actor):
    """The transitions the workflow and the actor's role allow on this case now."""
    wf = workflow_for(case.jurisdiction.code)
    if actor.user is not None:  # any staff role, a plugin's too, sees only its jurisdictions
        if not can_see(actor.user, case):
            return []
    specs = action_specs(case.jurisdiction.code)
    return [t for t in wf.allowed(case.state, actor.role)
            if t.action not in specs or specs[t.action].is_available(case)]


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
    t = check_allowed(case, action, actor, params, workflow=wf)
    if t.needs_note and not note:
        raise Invalid(_l("Please give a note or reason for this action."))
    from_state = case.state
    to_state = t.target or case.state
    data: dict = {}
    try:
        spec = action_specs(case.jurisdiction.code).get(action)
        if spec is not None and spec.effect is not None:
            data = spec.effect(case, actor, note, params, now) or {}
        if to_state != from_state:
            case.state = to_state
        deadlines.on_action(case, action, from_state, to_state, now)  # clocks stop and start
        if to_state != from_state:
            if wf.state(to_state).done and case.closed_at is None:
                case.closed_at = now  # workflows close in different steps; "done" is what counts
            if wf.state(to_state).terminal:
                case.archived_at = now
        case.updated_at = now
        if note:
            # what the workflow declares now travels with the event: a later change of the
            # workflow never publishes a note written as internal (portal.public.views)
            data = {**data, "note_public": t.note_is_public}
        ev = CaseEvent(at=now, actor_id=actor.user_id, actor_role=actor.role,
                       action=action, from_state=from_state, to_state=to_state, note=note,
                       public=t.shows_publicly, data=data)
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


def check_allowed(case: Case, action: str, actor: Actor, params: dict | None = None, *, workflow=None):
    """The workflow's transition for ``action`` if ``actor`` may take it on ``case`` now, else
    NotAllowed (asked before a form's input is looked at, and again by ``perform``)."""
    wf = workflow or workflow_for(case.jurisdiction.code)
    t = wf.transition(action)
    if t is None:
        raise NotAllowed(_l("This jurisdiction's workflow has no such action."))
    if actor.role not in t.roles and not _default_rating_by_system(action, actor, params or {}):
        raise NotAllowed(_l("Your role may not take this action."))
    if actor.user is not None and not can_see(actor.user, case):
        raise NotAllowed(_l("This case belongs to another jurisdiction."))
    if case.state not in t.sources:
        raise NotAllowed(_l("This action is not possible while the case is in its current state."))
    return t


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


def action_specs(jurisdiction_code: str) -> dict:
    """Action name -> ActionSpec (form fields and effect) for a jurisdiction: its owner plugin's
    and the core's, never another plugin's (``PluginHost.actions``)."""
    return plugins().actions(jurisdiction_code)


def can_rate(case: Case) -> bool:
    actions = {t.action for t in allowed_actions(case, PUBLIC)}
    return bool(actions & {"rate", "rate_bad"}) and rating_open(case)


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
                           "rule_zh": policy.rule_zh,
                           "rule_source": policy.source.as_dict() if policy.source is not None else None})


def _default_rating_by_system(action: str, actor: Actor, params: dict) -> bool:
    """Ratings are the person's (role "public"); the one exception is the default rating."""
    return action in ("rate", "rate_bad") and actor.role == "system" and params.get("source") == "default"
