"""`flask portal sweep-overdue` on real calendar dates (weekends, National Day, the 10 October
2026 make-up working day), escalation to the jurisdiction's tier, notices, idempotence."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.contracts import EscalationTier, JurisdictionSpec, TimeLimit
from portal.engine import cases as engine
from portal.extensions import db
from portal.hookspecs import hookimpl
from portal.models import Case, CaseEvent, Notification
from portal.sweep import sweep
from portal.toolkit import DepartmentSpec, JurisdictionPlugin

from .conftest import shanghai
from .factories import file, jurisdiction
from .staff_support import quick_staff


class ThreeDays(JurisdictionPlugin):
    """Invented: answers in 3 working days; overdue cases go straight up to the centre."""

    code = "threedays"

    @hookimpl
    def portal_jurisdictions(self):
        return [JurisdictionSpec(code="threedays", name_zh="三日县", name_en="Three-day County", level="county",
                                 case_prefix="TD", departments=(DepartmentSpec("td-hr", "人社局", "HR bureau"),))]

    @hookimpl
    def portal_time_limit(self, jurisdiction, category, complexity, stage):
        return TimeLimit(3, "Invented: 3 working days")

    @hookimpl
    def portal_escalation_tiers(self, jurisdiction):
        return (EscalationTier("window", "窗口", "Window"), EscalationTier("dept", "部门", "Department"),
                EscalationTier("centre", "中心", "Centre", auto_when_overdue=True))


@pytest.fixture
def county(make_app):
    app = make_app(PORTAL_JURISDICTIONS=[], PORTAL_EXTRA_PLUGINS={"threedays": ThreeDays()})
    with app.app_context():
        j = jurisdiction("threedays")
        people = {"super": quick_staff("td-super", "supervisor", "threedays"),
                  "handler": quick_staff("td-handler", "handler", "threedays", j.departments[0]),
                  "clerk": quick_staff("td-clerk", "clerk", "threedays")}
        for u in people.values():
            u.email = f"{u.username}@example.invalid"
        db.session.commit()
        yield app, j, people


def outbox(app) -> str:
    p = Path(app.config["PORTAL_MAIL_FILE"])
    return p.read_text(encoding="utf-8") if p.exists() else ""


def counts():
    return (db.session.scalar(select(func.count(CaseEvent.id))), db.session.scalar(select(func.count(Notification.id))))


def test_deadlines_fall_on_the_real_working_days(county):
    app, j, people = county
    friday = file("threedays", now=shanghai(2026, 9, 25, 10, 0)).case
    before_holiday = file("threedays", now=shanghai(2026, 9, 30, 10, 0)).case
    # Sat 26 and Sun 27 off; Mon 28, Tue 29, Wed 30 count
    assert friday.active_deadline.due_date == date(2026, 9, 30)
    # 1-7 October National Day off; Thu 8, Fri 9 and the make-up Saturday 10 count
    assert before_holiday.active_deadline.due_date == date(2026, 10, 10)
    assert before_holiday.due_at == shanghai(2026, 10, 10, 23, 59, 59, 999999)


def test_sweep_flags_escalates_and_notifies_once(county):
    app, j, people = county
    friday = file("threedays", now=shanghai(2026, 9, 25, 10, 0), receiver=people["clerk"], channel="window").case
    engine.perform(friday, "assign", engine.Actor.staff(people["super"]),
                   params={"lead_department_id": j.departments[0].id}, now=shanghai(2026, 9, 25, 11, 0))
    later = file("threedays", now=shanghai(2026, 9, 30, 10, 0)).case
    paused = file("threedays", now=shanghai(2026, 9, 25, 10, 0)).case
    engine.perform(paused, "pause", engine.Actor.staff(people["super"]), note="等待补充材料",
                   now=shanghai(2026, 9, 28, 9, 0))

    # the last evening before the deadline: not overdue, but due within a day
    r = sweep(shanghai(2026, 9, 30, 8, 0))
    assert r["flagged"] == 0 and r["notified"] >= 1
    assert "[%s]" % friday.number in outbox(app)
    assert "td-handler@example.invalid" in outbox(app)

    # one minute into 1 October the Friday case is overdue; the pre-holiday one is not
    r = sweep(shanghai(2026, 10, 1, 0, 1))
    assert r["flagged"] == 1 and r["escalated"] == 2  # window -> department -> centre
    db.session.expire_all()
    friday = db.session.get(Case, friday.id)
    assert friday.overdue_flagged and friday.escalation_tier == "centre"
    assert [e.action for e in friday.events][-3:] == ["flag_overdue", "escalate", "escalate"]
    assert not db.session.get(Case, later.id).overdue_flagged
    assert not db.session.get(Case, paused.id).overdue_flagged  # a paused clock is never overdue
    mail = outbox(app)
    for who in ("td-super", "td-handler", "td-clerk"):
        assert f"{who}@example.invalid" in mail
    assert db.session.scalar(select(func.count(Notification.id)).where(Notification.kind == "overdue")) == 3
    # the first receiver (first-contact responsibility) hears of the overdue case once, in the
    # sweep's own notice, not again for each flag and escalation the sweep makes (found by review)
    clerk_notices = db.session.scalars(select(Notification.kind).where(
        Notification.recipient_id == people["clerk"].id, Notification.case_id == friday.id)).all()
    assert sorted(clerk_notices) == ["due_soon", "first_contact", "overdue"]  # the assign is the one step

    # idempotent: running again (cron every few minutes) changes and sends nothing
    before, text = counts(), outbox(app)
    for minutes in (5, 10, 15):
        assert sweep(shanghai(2026, 10, 1, 0, minutes)) == {"flagged": 0, "escalated": 0, "notified": 0, "defaulted": 0}
    assert counts() == before and outbox(app) == text

    # the make-up Saturday 10 October is still inside the limit; the 11th is not
    assert sweep(shanghai(2026, 10, 10, 23, 0))["flagged"] == 0
    r = sweep(shanghai(2026, 10, 11, 0, 1))
    assert r["flagged"] == 1
    assert db.session.get(Case, later.id).overdue_flagged


def test_the_cli_command_runs_the_sweep(county):
    app, j, people = county
    case = file("threedays", now=shanghai(2026, 9, 25, 10, 0)).case
    runner = app.test_cli_runner()
    result = runner.invoke(args=["portal", "sweep-overdue", "--now", "2026-10-01T09:00"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["flagged"] == 1
    result = runner.invoke(args=["portal", "sweep-overdue", "--now", "2026-10-01T09:05"])
    assert json.loads(result.output) == {"flagged": 0, "escalated": 0, "notified": 0, "defaulted": 0}
    db.session.expire_all()
    assert db.session.get(Case, case.id).overdue_flagged


def test_the_sweeps_query_for_running_overdue_clocks_uses_an_index(county):
    """case_deadline keeps every row ever written (superseded, met); the sweep's search for running
    clocks past their due moment must not scan it (found by review after clocks were merged)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    from datetime import datetime, timezone

    from sqlalchemy import event

    from portal.models import CaseDeadline

    for _ in range(3):
        file("threedays")
    seen = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        sweep(datetime(2026, 1, 5, 2, 0, tzinfo=timezone.utc))
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    sql, params = next((s, p) for s, p in seen if "FROM case_deadline" in s and "due_at <" in s)
    with db.engine.connect() as conn:
        plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))
    assert "ix_case_deadline_active_due_at" in plan, plan
    assert CaseDeadline.__table__.indexes
