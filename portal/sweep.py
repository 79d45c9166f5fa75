"""The overdue sweep, for cron every few minutes: idempotent by construction.

A case is flagged overdue once (its flag_overdue event), escalated once per deadline to
the tier the jurisdiction marks ``auto_when_overdue`` and notified once per deadline
(Notification dedupe keys); running it twice changes nothing the second time.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from .engine.cases import SYSTEM, allowed_actions, perform
from .engine.errors import EngineError
from .extensions import db
from .models import Case
from .notify import notify, staff_of

DUE_SOON = timedelta(hours=24)


def sweep(now: datetime) -> dict:
    flagged = escalated = notified = 0
    overdue = db.session.scalars(
        select(Case).where(Case.due_at.is_not(None), Case.due_at < now, Case.paused_at.is_(None),
                           Case.overdue_flagged.is_(False))
    ).all()
    host = current_app.extensions["portal_plugins"]
    for case in overdue:
        actions = {t.action for t in allowed_actions(case, SYSTEM)}
        if "flag_overdue" not in actions:
            continue
        try:
            perform(case, "flag_overdue", SYSTEM, expected_version=case.version, now=now,
                    note="", params={})
            flagged += 1
            tiers = host.for_jurisdiction(case.jurisdiction.code).portal_escalation_tiers() or ()
            auto = [t.code for t in tiers if t.auto_when_overdue]
            codes = [t.code for t in tiers]
            if auto and case.escalation_tier in codes and codes.index(case.escalation_tier) < codes.index(auto[0]) \
                    and "escalate" in {t.action for t in allowed_actions(case, SYSTEM)}:
                perform(case, "escalate", SYSTEM, expected_version=case.version, now=now,
                        note="Overdue: escalated automatically by the sweep")
                escalated += 1
            deadline = case.active_deadline
            notified += notify(f"overdue:{case.id}:{deadline.id if deadline else 0}",
                               staff_of(case, ("supervisor",)) + _handlers(case), "overdue",
                               f"[{case.number}] overdue", case.matter, case)
        except EngineError:
            db.session.rollback()  # someone acted on the case meanwhile; next run sees it
    soon = db.session.scalars(
        select(Case).where(Case.due_at.is_not(None), Case.due_at >= now, Case.due_at < now + DUE_SOON,
                           Case.paused_at.is_(None))
    ).all()
    for case in soon:
        deadline = case.active_deadline
        notified += notify(f"duesoon:{case.id}:{deadline.id if deadline else 0}", _handlers(case) or staff_of(case),
                           "due_soon", f"[{case.number}] due within a day", case.matter, case)
    return {"flagged": flagged, "escalated": escalated, "notified": notified}


def _handlers(case):
    if case.lead_department_id is None:
        return []
    return staff_of(case, ("handler",), case.lead_department_id)
