"""The overdue sweep, for cron every few minutes: idempotent by construction.

Every running clock of a case counts (a first response beside a reply...): each clock run is
flagged overdue once (a flag_overdue event naming the clock; the row keeps the flag), the case
is escalated up to the tier the jurisdiction marks ``auto_when_overdue`` and notified once per
deadline row (Notification dedupe keys); running it twice changes nothing the second time.

It also applies a jurisdiction's default rating (``portal_default_rating``, e.g. Guangdong:
a reply not rated within 7 calendar days is rated 基本满意): once the period after the reply
has passed and the person has not rated it, the engine records the rating in the person's
place, marked as given by default. A rated reply is never rated again, so this is idempotent too.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, select

from .workdays import SHANGHAI, _end_of_day
from .engine.jurisdiction_calendars import calendar_for
from .engine.cases import SYSTEM, allowed_actions, can_rate, default_rate, perform
from .engine.errors import EngineError
from .extensions import db
from .models import Case, CaseDeadline, Jurisdiction, Rating
from .notify import department_handlers, notify, staff_of, unique
#: Notify when a deadline falls within this window (the staff queue's "due soon" uses it too).
DUE_SOON = timedelta(hours=24)
AUTO_NOTE = "Overdue: escalated automatically by the sweep"


def sweep(now: datetime) -> dict:
    flagged = escalated = notified = 0
    # every running clock past its due moment, not paused, not yet flagged: several per case possible
    overdue = db.session.execute(
        select(CaseDeadline.case_id, CaseDeadline.id, CaseDeadline.clock)
        .where(CaseDeadline.active.is_(True), CaseDeadline.due_at < now, CaseDeadline.paused_at.is_(None),
               CaseDeadline.overdue_flagged.is_(False))
        .order_by(CaseDeadline.case_id, CaseDeadline.id)
    ).all()
    for case_id, deadline_id, clock in overdue:
        case = db.session.get(Case, case_id)
        if case is None or "flag_overdue" not in {t.action for t in allowed_actions(case, SYSTEM)}:
            continue
        try:
            perform(case, "flag_overdue", SYSTEM, expected_version=case.version, now=now,
                    params={"clock": clock})
            flagged += 1
            escalated += _escalate_to_auto_tier(case, now)
        except EngineError:
            db.session.rollback()  # someone acted on the case meanwhile; the next run sees it
            continue
        people = unique(staff_of(case, "supervise"), department_handlers(case, False), [case.first_receiver])
        notified += notify(f"overdue:{case.id}:{deadline_id}", people, "overdue",
                           _("[%(number)s] overdue", number=case.number), f"{case.number}\n{case.matter}", case)
    soon = db.session.execute(
        select(CaseDeadline.case_id, CaseDeadline.id)
        .where(CaseDeadline.active.is_(True), CaseDeadline.due_at >= now, CaseDeadline.due_at < now + DUE_SOON,
               CaseDeadline.paused_at.is_(None))
        .order_by(CaseDeadline.case_id, CaseDeadline.id)
    ).all()
    for case_id, deadline_id in soon:
        case = db.session.get(Case, case_id)
        people = unique(department_handlers(case, False), [case.first_receiver]) or staff_of(case)
        notified += notify(f"duesoon:{case.id}:{deadline_id}", people, "due_soon",
                           _("[%(number)s] due within a day", number=case.number), f"{case.number}\n{case.matter}",
                           case)
    defaulted = default_ratings(now)
    return {"flagged": flagged, "escalated": escalated, "notified": notified, "defaulted": defaulted}


def default_rating_due(case: Case, policy) -> datetime:
    """When the period for rating ``case``'s reply ends (24:00 of its last day, Asia/Shanghai);
    the default rating applies after that moment. The reply day does not count."""
    if policy.counting == "working":
        return calendar_for(case.jurisdiction).add_working_days(case.replied_at, policy.days).due_at
    replied = case.replied_at
    if replied.tzinfo is None:
        replied = replied.replace(tzinfo=timezone.utc)
    return _end_of_day(replied.astimezone(SHANGHAI).date() + timedelta(days=policy.days))


def default_ratings(now: datetime) -> int:
    """Rate by default every reply left unrated past its jurisdiction's period; returns how many."""
    host = current_app.extensions["portal_plugins"]
    done = 0
    for spec in host.jurisdiction_specs():
        policy = host.for_jurisdiction(spec.code).portal_default_rating()
        if policy is None:
            continue
        # A coarse filter in SQL (no period is shorter than its number of calendar days; no
        # rating since the last reply), the exact period and the workflow per case.
        candidates = db.session.scalars(
            select(Case).join(Jurisdiction, Case.jurisdiction_id == Jurisdiction.id)
            .where(Jurisdiction.code == spec.code, Case.replied_at.is_not(None),
                   Case.replied_at < now - timedelta(days=policy.days), Case.archived_at.is_(None),
                   ~exists().where(Rating.case_id == Case.id, Rating.at >= Case.replied_at))
            .order_by(Case.id)
        ).all()
        for case in candidates:
            if now <= default_rating_due(case, policy) or not can_rate(case):
                continue
            try:
                default_rate(case, policy, now=now)
                done += 1
            except EngineError:
                db.session.rollback()  # the person rated (or staff acted) meanwhile; the next run sees it
    return done


def _escalate_to_auto_tier(case: Case, now: datetime) -> int:
    """Escalate tier by tier up to the first tier marked auto_when_overdue; returns the steps taken."""
    host = current_app.extensions["portal_plugins"]
    tiers = host.for_jurisdiction(case.jurisdiction.code).portal_escalation_tiers() or ()
    codes = [t.code for t in tiers]
    auto = next((t.code for t in tiers if t.auto_when_overdue), None)
    if auto is None or case.escalation_tier not in codes:
        return 0
    steps = 0
    while codes.index(case.escalation_tier) < codes.index(auto):
        if "escalate" not in {t.action for t in allowed_actions(case, SYSTEM)}:
            break
        perform(case, "escalate", SYSTEM, expected_version=case.version, now=now, note=AUTO_NOTE)
        steps += 1
    return steps
