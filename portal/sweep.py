"""The overdue sweep, for cron every few minutes: idempotent by construction.

A case is flagged overdue once (its flag_overdue event), escalated once per deadline up
to the tier the jurisdiction marks ``auto_when_overdue`` and notified once per deadline
(Notification dedupe keys); running it twice changes nothing the second time.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from .engine.cases import SYSTEM, allowed_actions, perform
from .engine.errors import EngineError
from .extensions import db
from .models import Case
from .notify import department_handlers, notify, staff_of, unique
#: Notify when a deadline falls within this window (the staff queue's "due soon" uses it too).
DUE_SOON = timedelta(hours=24)
AUTO_NOTE = "Overdue: escalated automatically by the sweep"


def sweep(now: datetime) -> dict:
    flagged = escalated = notified = 0
    overdue = db.session.scalars(
        select(Case).where(Case.due_at.is_not(None), Case.due_at < now, Case.paused_at.is_(None),
                           Case.overdue_flagged.is_(False)).order_by(Case.id)
    ).all()
    for case in overdue:
        if "flag_overdue" not in {t.action for t in allowed_actions(case, SYSTEM)}:
            continue
        try:
            perform(case, "flag_overdue", SYSTEM, expected_version=case.version, now=now)
            flagged += 1
            escalated += _escalate_to_auto_tier(case, now)
        except EngineError:
            db.session.rollback()  # someone acted on the case meanwhile; the next run sees it
            continue
        deadline = case.active_deadline
        people = unique(staff_of(case, ("supervisor",)), department_handlers(case, False), [case.first_receiver])
        notified += notify(f"overdue:{case.id}:{deadline.id if deadline else 0}", people, "overdue",
                           _("[%(number)s] overdue", number=case.number), f"{case.number}\n{case.matter}", case)
    soon = db.session.scalars(
        select(Case).where(Case.due_at.is_not(None), Case.due_at >= now, Case.due_at < now + DUE_SOON,
                           Case.paused_at.is_(None)).order_by(Case.id)
    ).all()
    for case in soon:
        deadline = case.active_deadline
        people = unique(department_handlers(case, False), [case.first_receiver]) or staff_of(case)
        notified += notify(f"duesoon:{case.id}:{deadline.id if deadline else 0}", people, "due_soon",
                           _("[%(number)s] due within a day", number=case.number), f"{case.number}\n{case.matter}",
                           case)
    return {"flagged": flagged, "escalated": escalated, "notified": notified}


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
