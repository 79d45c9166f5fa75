"""Stage deadlines: computed once when a stage starts, stored with the rule that made them.

A later change of rules or calendar never rewrites a stored deadline. Pauses and
extensions do not edit a deadline either: they supersede it with a new row that keeps
the original start and rule and records what was added and why.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy.orm import object_session

from ..calendar import WorkingCalendar
from ..extensions import db
from ..models import Case, CaseDeadline
from .calendars import calendar_for


def time_limit_for(case: Case, stage: str):
    return current_app.extensions["portal_plugins"].time_limit(
        case.jurisdiction.code, category=case.category or None, complexity=case.complexity or "general", stage=stage)


def _new_row(case: Case, stage: str, started_at: datetime, days: int, rule: str, cal: WorkingCalendar,
             base: CaseDeadline | None = None, paused_days: int = 0, extended_days: int = 0,
             reason: str = "", rule_zh: str | None = None, source=None) -> CaseDeadline:
    total = days + paused_days + extended_days
    result = cal.add_working_days(started_at, total)
    explanation = result.as_dict()
    if base is not None and base.rule == rule:  # a superseding row keeps its rule's texts and source
        if rule_zh is None:
            rule_zh = (base.explanation or {}).get("rule_zh")
        if source is None:
            source = (base.explanation or {}).get("source")
    if rule_zh:
        explanation["rule_zh"] = rule_zh  # the Chinese rule text rides in the JSON column (no migration)
    if source is not None:
        explanation["source"] = source  # where the rule comes from, or PORTAL_DEFAULT
    row = CaseDeadline(
        stage=stage, started_at=started_at, days=days, rule=rule,
        due_date=result.due_date, due_at=result.due_at,
        unknown_years=",".join(str(y) for y in result.unknown_years),
        explanation=explanation, paused_days=paused_days, extended_days=extended_days,
        extension_reason=reason, active=True,
    )
    if base is not None:
        base.active = False
        base.superseded = True
    case.overdue_flagged = False  # a new deadline is a new chance to be (flagged) late
    case.deadlines.append(row)  # explicit: SQLAlchemy 2 does not cascade along backrefs
    if object_session(case) is not None:  # a case being filed is not in the session yet (see cases.py)
        db.session.add(row)
    case.due_at = row.due_at
    return row


#: ``explanation["source"]`` of a row whose limit is the portal's default setting (no jurisdiction's rule).
PORTAL_DEFAULT = "portal_default"


def stored_source(limit) -> dict | str:
    """What a row stores of a TimeLimit's source: the document and article, or PORTAL_DEFAULT."""
    return limit.source.as_dict() if limit.source is not None else PORTAL_DEFAULT


def start_stage(case: Case, stage: str, now: datetime) -> CaseDeadline:
    """Close whatever stage was running and start ``stage`` with its time limit."""
    close_active(case, now)
    limit = time_limit_for(case, stage)
    return _new_row(case, stage, now, limit.days, limit.rule, calendar_for(case.jurisdiction),
                    rule_zh=limit.rule_zh, source=stored_source(limit))


def close_active(case: Case, now: datetime) -> None:
    active = case.active_deadline
    if active is not None:
        active.active = False
        active.met_at = now
    case.due_at = None


def recompute_for_classification(case: Case) -> CaseDeadline | None:
    """Classification at the assess step sets the limit for the stage already running."""
    active = case.active_deadline
    if active is None:
        return None
    limit = time_limit_for(case, active.stage)
    if limit.days == active.days and limit.rule == active.rule:
        return active
    return _new_row(case, active.stage, active.started_at, limit.days, limit.rule,
                    calendar_for(case.jurisdiction), base=active,
                    paused_days=active.paused_days, extended_days=active.extended_days,
                    reason=active.extension_reason, rule_zh=limit.rule_zh, source=stored_source(limit))


def resume(case: Case, now: datetime) -> int:
    """End a pause: the working days the clock stood still are added to the deadline."""
    cal = calendar_for(case.jurisdiction)
    paused = cal.working_days_between(case.paused_at, now) if case.paused_at else 0
    case.paused_at = None
    active = case.active_deadline
    if active is not None and paused:
        _new_row(case, active.stage, active.started_at, active.days, active.rule, cal, base=active,
                 paused_days=active.paused_days + paused, extended_days=active.extended_days,
                 reason=active.extension_reason)
    return paused


def extend(case: Case, days: int, reason: str) -> CaseDeadline:
    active = case.active_deadline
    reasons = "; ".join(r for r in (active.extension_reason, reason) if r)
    return _new_row(case, active.stage, active.started_at, active.days, active.rule,
                    calendar_for(case.jurisdiction), base=active, paused_days=active.paused_days,
                    extended_days=active.extended_days + days, reason=reasons)


def is_overdue(case: Case, now: datetime) -> bool:
    """Derived from the stored deadline; a paused clock is never overdue."""
    active = case.active_deadline
    if active is None or case.paused_at is not None:
        return False
    return now > active.due_at
