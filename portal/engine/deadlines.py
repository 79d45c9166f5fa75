"""Named clocks (deadlines): computed once when a clock starts, stored with the rule that made them.

A workflow declares its clocks (``Workflow.clocks``, ``ClockSpec``); without a declaration each
deadline stage of its states is one clock, the core's single running deadline. Several clocks
may run at once (a first response beside a reply), each in working days, calendar days or
working hours (``TimeLimit.unit``).

A later change of rules or calendar never rewrites a stored deadline. Pauses and extensions do
not edit a deadline either: they supersede it with a new row that keeps the original start and
rule and records what was added and why. Each clock is paused, resumed and extended on its own.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy.orm import object_session

from ..workdays import WORKING_HOURS, WorkingCalendar
from ..contracts import ClockSpec, TimeLimit
from ..extensions import db
from ..models import Case, CaseDeadline
from .jurisdiction_calendars import calendar_for


def _hooks(case: Case):
    return current_app.extensions["portal_plugins"].for_jurisdiction(case.jurisdiction.code)


def clock_specs(case: Case) -> tuple[ClockSpec, ...]:
    """The clocks of the case's jurisdiction's workflow (declared, or one per deadline stage)."""
    return _hooks(case).portal_workflow().clock_specs()


def clock_spec(case: Case, code: str) -> ClockSpec | None:
    return next((c for c in clock_specs(case) if c.code == code), None)


def time_limit_for(case: Case, stage: str) -> TimeLimit:
    """A clock's limit: its own ``limit`` if it declares one, else ``portal_time_limit``."""
    spec = clock_spec(case, stage)
    if spec is not None and spec.limit is not None:
        return spec.limit
    return current_app.extensions["portal_plugins"].time_limit(
        case.jurisdiction.code, category=case.category or None, complexity=case.complexity or "general", stage=stage)


def working_hours_for(case: Case):
    return _hooks(case).portal_working_hours()


def _due(cal: WorkingCalendar, case: Case, started_at: datetime, unit: str, total: int, paused_minutes: int):
    hours = working_hours_for(case) if unit == WORKING_HOURS else None
    if hours is None:
        return cal.add_limit(started_at, total, unit), None
    return cal.add_limit(started_at, total, unit, hours, extra_minutes=paused_minutes), hours


def _new_row(case: Case, stage: str, started_at: datetime, days: int, rule: str, cal: WorkingCalendar,
             base: CaseDeadline | None = None, paused_days: int = 0, extended_days: int = 0,
             reason: str = "", rule_zh: str | None = None, source=None, unit: str | None = None,
             paused_minutes: int = 0, paused_at: datetime | None = None) -> CaseDeadline:
    unit = unit or (base.unit if base is not None and base.unit else "working_days")
    clock = base.clock if base is not None and base.clock else stage
    total = days + paused_days + extended_days
    result, hours = _due(cal, case, started_at, unit, total, paused_minutes)
    explanation = result.as_dict()
    if hours is not None:
        explanation["working_hours"] = str(hours)
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
        stage=stage, clock=clock, unit=unit, started_at=started_at, days=days, rule=rule,
        due_date=result.due_date, due_at=result.due_at,
        unknown_years=",".join(str(y) for y in result.unknown_years),
        explanation=explanation, paused_days=paused_days, extended_days=extended_days,
        extension_reason=reason, active=True, paused_minutes=paused_minutes, paused_at=paused_at,
        overdue_flagged=False,  # a new deadline is a new chance to be (flagged) late
    )
    if base is not None:
        base.active = False
        base.superseded = True
    case.deadlines.append(row)  # explicit: SQLAlchemy 2 does not cascade along backrefs
    if object_session(case) is not None:  # a case being filed is not in the session yet (see cases.py)
        db.session.add(row)
    sync_case(case)
    return row


#: ``explanation["source"]`` of a row whose limit is the portal's default setting (no jurisdiction's rule).
PORTAL_DEFAULT = "portal_default"


def stored_source(limit) -> dict | str:
    """What a row stores of a TimeLimit's source: the document and article, or PORTAL_DEFAULT."""
    return limit.source.as_dict() if limit.source is not None else PORTAL_DEFAULT


def sync_case(case: Case) -> None:
    """Copy what the queue and the sweep read onto the case: the soonest due running clock that
    is not paused (else the soonest paused one), whether every running clock stands still, and
    whether a running clock was flagged overdue."""
    running = case.running_deadlines
    if not running:
        case.due_at = None
        case.overdue_flagged = False
        return
    ticking = [d for d in running if d.paused_at is None]
    case.due_at = min(d.due_at for d in (ticking or running))
    if ticking:
        case.paused_at = None
    else:
        case.paused_at = min(d.paused_at for d in running)
    case.overdue_flagged = any(d.overdue_flagged for d in running)


def start_stage(case: Case, stage: str, now: datetime) -> CaseDeadline:
    """Start clock ``stage`` (a clock code; a stage under the core's workflow) with its time limit."""
    limit = time_limit_for(case, stage)
    return _new_row(case, stage, now, limit.days, limit.rule, calendar_for(case.jurisdiction),
                    rule_zh=limit.rule_zh, source=stored_source(limit), unit=limit.unit)


def _running(case: Case, code: str) -> CaseDeadline | None:
    return next((d for d in case.running_deadlines if d.clock == code), None)


def _stop(row: CaseDeadline, now: datetime) -> None:
    row.active = False
    row.met_at = now


def start_at_filing(case: Case, now: datetime, initial_state: str) -> list[CaseDeadline]:
    """Start every clock that runs from filing (or from the workflow's first state)."""
    return [start_stage(case, spec.code, now) for spec in clock_specs(case)
            if spec.starts_at_filing or initial_state in spec.start_states]


def on_action(case: Case, action: str, from_state: str, to_state: str, now: datetime) -> bool:
    """Stop the clocks ``action`` (or entering ``to_state``) stops, then start the clocks
    entering ``to_state`` starts; True if any clock stopped or started."""
    changed = False
    moved = to_state != from_state
    specs = clock_specs(case)
    for spec in specs:
        row = _running(case, spec.code)
        if row is not None and (action in spec.stop_actions or (moved and to_state in spec.stop_states)):
            _stop(row, now)
            changed = True
    if moved:
        for spec in specs:
            if to_state in spec.start_states and _running(case, spec.code) is None:
                start_stage(case, spec.code, now)
                changed = True
    sync_case(case)
    return changed


def close_active(case: Case, now: datetime) -> None:
    """Stop every running clock (met now)."""
    for row in case.running_deadlines:
        _stop(row, now)
    sync_case(case)


def recompute_for_classification(case: Case) -> CaseDeadline | None:
    """Classification at the assess step sets the limit of every running clock that takes its
    limit from portal_time_limit (category and complexity decide it)."""
    last = None
    for active in list(case.running_deadlines):
        limit = time_limit_for(case, active.clock or active.stage)
        if limit.days == active.days and limit.rule == active.rule and limit.unit == active.unit:
            last = active
            continue
        last = _new_row(case, active.stage, active.started_at, limit.days, limit.rule,
                        calendar_for(case.jurisdiction), base=active,
                        paused_days=active.paused_days if limit.unit == active.unit else 0,
                        extended_days=active.extended_days if limit.unit == active.unit else 0,
                        reason=active.extension_reason, rule_zh=limit.rule_zh, source=stored_source(limit),
                        unit=limit.unit,
                        paused_minutes=active.paused_minutes, paused_at=active.paused_at)
    return last


def chosen(case: Case, clock: str | None, *, paused: bool | None = None) -> list[CaseDeadline]:
    """The running clocks an action acts on: the one named ``clock`` or, when none is named, all
    running ones (``paused`` True/False: only those paused / not paused)."""
    rows = case.running_deadlines
    if clock:
        rows = [d for d in rows if d.clock == clock]
    if paused is not None:
        rows = [d for d in rows if (d.paused_at is not None) == paused]
    return rows


def pause(case: Case, now: datetime, clock: str | None = None) -> list[str]:
    """Stop the named clock (default: every running one); returns the codes paused."""
    rows = chosen(case, clock, paused=False)
    for row in rows:
        row.paused_at = now
    if case.running_deadlines:
        sync_case(case)  # the case stands still once every running clock does
    else:
        case.paused_at = now  # nothing runs yet: the case's pause alone is recorded
    return [r.clock for r in rows]


def resume(case: Case, now: datetime, clock: str | None = None) -> int:
    """End a pause: the time each clock stood still is added to its deadline (working days,
    calendar days, or working minutes for a working-hour clock). Returns the most added to a
    day clock (the figure the core's single clock has always recorded)."""
    cal = calendar_for(case.jurisdiction)
    added = 0
    for active in chosen(case, clock, paused=True):
        since = active.paused_at
        active.paused_at = None
        if active.unit == WORKING_HOURS:
            minutes = cal.elapsed(since, now, WORKING_HOURS, working_hours_for(case))
            if minutes:
                _new_row(case, active.stage, active.started_at, active.days, active.rule, cal, base=active,
                         paused_days=active.paused_days, extended_days=active.extended_days,
                         reason=active.extension_reason, paused_minutes=active.paused_minutes + minutes)
            continue
        paused = cal.elapsed(since, now, active.unit)
        added = max(added, paused)
        if paused:
            _new_row(case, active.stage, active.started_at, active.days, active.rule, cal, base=active,
                     paused_days=active.paused_days + paused, extended_days=active.extended_days,
                     reason=active.extension_reason, paused_minutes=active.paused_minutes)
    if case.running_deadlines:
        sync_case(case)
    else:
        case.paused_at = None
    return added


def extend(case: Case, days: int, reason: str, clock: str | None = None) -> CaseDeadline:
    """Add ``days`` (in the clock's unit) to one running clock: the one named, else the only one
    running, else the most recently started one."""
    rows = chosen(case, clock)
    active = rows[-1] if rows else case.active_deadline
    reasons = "; ".join(r for r in (active.extension_reason, reason) if r)
    return _new_row(case, active.stage, active.started_at, active.days, active.rule,
                    calendar_for(case.jurisdiction), base=active, paused_days=active.paused_days,
                    extended_days=active.extended_days + days, reason=reasons,
                    paused_minutes=active.paused_minutes, paused_at=active.paused_at)


def overdue_clocks(case: Case, now: datetime) -> list[CaseDeadline]:
    """The running clocks past their due moment and not paused."""
    return [d for d in case.running_deadlines if d.paused_at is None and now > d.due_at]


def is_overdue(case: Case, now: datetime) -> bool:
    """Derived from the stored deadlines; a paused clock is never overdue."""
    return bool(overdue_clocks(case, now))


def can_pause(case: Case) -> bool:
    return any(d.paused_at is None for d in case.running_deadlines) or (
        not case.running_deadlines and case.paused_at is None)


def can_resume(case: Case) -> bool:
    return any(d.paused_at is not None for d in case.running_deadlines) or (
        not case.running_deadlines and case.paused_at is not None)
