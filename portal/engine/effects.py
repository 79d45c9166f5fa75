"""What the core's actions do to a case: one function per action, called inside its transaction.

Each effect is ``effect(case, actor, note, params, now)`` and returns the event's data; it
refuses with ``Invalid``/``NotAllowed`` (a translated message) before anything is written.
They are wired to their actions, with their form fields, in ``portal.actions`` (the core
plugin's ``portal_actions``); a jurisdiction's plugin declares its own the same way.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..workdays import CALENDAR_DAYS, WORKING_DAYS, WORKING_HOURS
from ..extensions import db
from ..models import Case, Department, Rating, ReturnVisit
from ..models.base import db_int
from . import deadlines
from .errors import Invalid, NotAllowed

RATING_LEVELS = (5, 4, 3, 2, 1)
RETURN_VISIT_METHODS = ("phone", "in_person")


def _hooks(case: Case):
    return current_app.extensions["portal_plugins"].for_jurisdiction(case.jurisdiction.code)


def classify(case, actor, note, params, now):
    cats = {c.code for c in _hooks(case).portal_categories()}
    category = params.get("category") or case.category
    if category and category not in cats:
        raise Invalid(_l("Unknown category for this jurisdiction."))
    case.category = category
    vocabulary = current_app.extensions["portal_plugins"].vocabulary
    if params.get("complexity") and params["complexity"] not in vocabulary.complexities_for(case.jurisdiction.code):
        raise Invalid(_l("Unknown complexity level for this jurisdiction."))
    case.complexity = params.get("complexity") or case.complexity
    deadlines.recompute_for_classification(case)
    return {"category": case.category, "complexity": case.complexity}


def row_id(raw) -> int | None:
    """A row id from a form value, or None for anything that is not one: the form's select
    offers only ids, so this is tampering."""
    value = db_int(raw)
    return value if value is not None and value > 0 else None


def assign(case, actor, note, params, now):
    lead_id = row_id(params.get("lead_department_id"))
    lead = db.session.get(Department, lead_id) if lead_id else None
    if lead is None or lead.jurisdiction_id != case.jurisdiction_id:
        raise Invalid(_l("Choose a lead department of this jurisdiction."))
    raw_co = [row_id(i) for i in params.get("co_department_ids") or []]
    if None in raw_co:
        raise Invalid(_l("Co-handling departments must belong to this jurisdiction."))
    co_ids = {i for i in raw_co if i != lead.id}
    co = db.session.scalars(select(Department).where(Department.id.in_(co_ids))).all() if co_ids else []
    if any(d.jurisdiction_id != case.jurisdiction_id for d in co):
        raise Invalid(_l("Co-handling departments must belong to this jurisdiction."))
    case.lead_department = lead
    case.co_departments = list(co)
    return {"lead": lead.name_zh, "co": [d.name_zh for d in co]}


def reply(case, actor, note, params, now):
    case.reply = note
    case.replied_at = now
    case.outcome = params.get("outcome") or case.outcome or "resolved"
    return {"outcome": case.outcome}


def refer(case, actor, note, params, now):
    case.reply = note
    case.replied_at = now
    case.outcome = "referred"
    return {}


def next_tier(case):
    """The escalation tier above the case's, or None at the top."""
    tiers = _hooks(case).portal_escalation_tiers() or ()
    codes = [t.code for t in tiers]
    if case.escalation_tier not in codes:
        return tiers[0] if tiers else None
    i = codes.index(case.escalation_tier)
    return tiers[i + 1] if i + 1 < len(tiers) else None


def escalate(case, actor, note, params, now):
    tier = next_tier(case)
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


def pause(case, actor, note, params, now):
    clock = _clock_param(case, params)
    if not deadlines.can_pause(case) or (clock and not deadlines.chosen(case, clock, paused=False)):
        raise NotAllowed(_l("The clock is already paused."))
    return {"clocks": deadlines.pause(case, now, clock)}


def resume(case, actor, note, params, now):
    clock = _clock_param(case, params)
    if not deadlines.can_resume(case) or (clock and not deadlines.chosen(case, clock, paused=True)):
        raise NotAllowed(_l("The clock is not paused."))
    clocks = [d.clock for d in deadlines.chosen(case, clock, paused=True)]
    return {"paused_working_days": deadlines.resume(case, now, clock), "clocks": clocks}


#: The most one extension may add, per unit: the portal's default setting (no source report sets one).
EXTENSION_MAX = {WORKING_DAYS: 60, CALENDAR_DAYS: 60, WORKING_HOURS: 60}
_EXTENSION_BOUNDS = {
    WORKING_DAYS: _l("An extension must be between 1 and 60 working days."),
    CALENDAR_DAYS: _l("An extension must be between 1 and 60 calendar days."),
    WORKING_HOURS: _l("An extension must be between 1 and 60 working hours."),
}
#: The event-data key of the amount added, per unit ("days" for working days, as always).
EXTENSION_KEYS = {WORKING_DAYS: "days", CALENDAR_DAYS: "calendar_days", WORKING_HOURS: "hours"}


def extension_bounds_message(unit: str):
    return _EXTENSION_BOUNDS.get(unit or WORKING_DAYS, _EXTENSION_BOUNDS[WORKING_DAYS])


def extend(case, actor, note, params, now):
    """Add time to one running clock, counted in that clock's unit. With several running the
    clock must be named: which deadline moves is never guessed."""
    try:
        amount = int(params.get("days", 0))
    except (TypeError, ValueError):
        amount = 0
    if not case.running_deadlines:
        raise NotAllowed(_l("No deadline is running."))
    clock = _clock_param(case, params)
    if clock is None and len(case.running_deadlines) > 1:
        raise Invalid(_l("Choose the clock to extend."))
    target = deadlines.chosen(case, clock)[-1] if clock else case.running_deadlines[0]
    unit = target.unit or WORKING_DAYS
    if amount < 1 or amount > EXTENSION_MAX.get(unit, EXTENSION_MAX[WORKING_DAYS]):
        raise Invalid(extension_bounds_message(unit))
    row = deadlines.extend(case, amount, note, target.clock)
    return {EXTENSION_KEYS.get(unit, "days"): amount, "due_date": row.due_date.isoformat(), "clock": row.clock}


def flag_overdue(case, actor, note, params, now):
    """The sweep names the clock that ran out; without one, every overdue running clock."""
    clock = _clock_param(case, params)
    rows = deadlines.chosen(case, clock) if clock else (deadlines.overdue_clocks(case, now) or case.running_deadlines)
    for row in rows:
        row.overdue_flagged = True
    deadlines.sync_case(case)
    return {"clocks": [r.clock for r in rows]}


def rating_open(case: Case) -> bool:
    """One rating per reply: a new reply (after rectification) may be rated again."""
    last = case.ratings[-1] if case.ratings else None
    return last is None or (case.replied_at is not None and last.at < case.replied_at)


def rate(case, actor, note, params, now):
    try:
        level = int(params.get("level"))
    except (TypeError, ValueError):
        level = 0
    if level not in RATING_LEVELS:
        raise Invalid(_l("Choose one of the five rating levels."))
    if not rating_open(case):
        raise NotAllowed(_l("This reply has already been rated."))
    source = "public" if actor.role == "public" else params.get("source", "public")
    db.session.add(Rating(case=case, level=level, comment=note, at=now, source=source))
    if source == "default":  # not given by the person: the jurisdiction's default (portal_default_rating)
        return {"level": level, "defaulted": True, "rule": params.get("rule", ""), "rule_zh": params.get("rule_zh", ""),
                "rule_source": params.get("rule_source")}
    return {"level": level}


def return_visit(case, actor, note, params, now):
    method = params.get("method")
    try:
        level = int(params.get("satisfaction"))
    except (TypeError, ValueError):
        level = 0
    if method not in RETURN_VISIT_METHODS or level not in RATING_LEVELS:
        raise Invalid(_l("Record how the visit was made and the person's satisfaction."))
    db.session.add(ReturnVisit(case=case, method=method, satisfaction=level, note=note,
                               by_id=actor.user_id, at=now))
    return {"method": method, "satisfaction": level}


def close(case, actor, note, params, now):
    case.closed_at = now
    return {}
