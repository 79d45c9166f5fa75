"""Several named clocks per case (issue 11): a test-local plugin (tests/clock_plugin.py, invented
rules) runs a 2-working-hour first-response clock beside a 2-working-day reply clock.

Dates come from the State Council's 2026 holiday notice (4-6 April Qingming off)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from portal.workdays import WorkingHours
from portal.engine import cases as engine
from portal.engine.errors import Invalid
from portal.extensions import db
from portal.models import CaseEvent
from portal.sweep import sweep

from .clock_plugin import TwoClocks
from .conftest import shanghai
from .factories import department, file, jurisdiction
from .staff_support import quick_staff


@pytest.fixture
def county(make_app):
    app = make_app(PORTAL_JURISDICTIONS=[], PORTAL_EXTRA_PLUGINS={"twoclocks": TwoClocks()})
    with app.app_context():
        j = jurisdiction("twoclocks")
        people = {"super": quick_staff("tc-super", "supervisor", "twoclocks"),
                  "handler": quick_staff("tc-handler", "handler", "twoclocks", department(j)),
                  "clerk": quick_staff("tc-clerk", "clerk", "twoclocks")}
        db.session.commit()
        yield app, j, people


def act(case, action, user, **kw):
    return engine.perform(case, action, engine.Actor.staff(user), **kw)


def running(case):
    return {d.clock: d for d in case.running_deadlines}


def friday_case():
    """Filed 16:30 on Friday 3 April 2026, the last working day before Qingming (4-6 April)."""
    return file("twoclocks", now=shanghai(2026, 4, 3, 16, 30)).case


def test_two_clocks_start_at_filing_each_with_its_unit_and_rule(county):
    case = friday_case()
    clocks = running(case)
    assert set(clocks) == {"first_response", "reply"}
    first, reply = clocks["first_response"], clocks["reply"]
    assert first.unit == "working_hours" and first.days == 2
    assert first.due_at == shanghai(2026, 4, 7, 10, 0)  # 16:30-17:30 Fri + 09:00-10:00 Tue
    assert "2 working hours" in first.rule and first.explanation["rule_zh"].startswith("虚构")
    assert reply.unit == "working_days" and reply.due_date == date(2026, 4, 8)  # Tue 7, Wed 8
    assert case.due_at == first.due_at  # the queue sorts by the soonest running clock


def test_an_action_stops_one_clock_and_leaves_the_other_running(county):
    app, j, people = county
    case = friday_case()
    act(case, "assign", people["clerk"], params={"lead_department_id": j.departments[0].id},
        now=shanghai(2026, 4, 7, 9, 30))
    met = [d for d in case.deadlines if d.clock == "first_response"][-1]
    assert not met.active and met.met_at <= met.due_at
    assert set(running(case)) == {"reply"}
    assert case.due_at == running(case)["reply"].due_at
    act(case, "reply", people["handler"], note="done", now=shanghai(2026, 4, 8, 15, 0))
    assert case.running_deadlines == [] and case.due_at is None


def test_sweep_flags_each_running_clock_once(county):
    app, j, people = county
    case = friday_case()
    assert sweep(shanghai(2026, 4, 7, 10, 1))["flagged"] == 1  # only the first response is late
    flags = lambda: db.session.scalars(select(CaseEvent).where(  # noqa: E731
        CaseEvent.case_id == case.id, CaseEvent.action == "flag_overdue")).all()
    assert [e.data["clocks"] for e in flags()] == [["first_response"]]
    assert case.overdue_flagged and case.escalation_tier == "centre"
    assert sweep(shanghai(2026, 4, 7, 10, 2))["flagged"] == 0  # idempotent
    assert sweep(shanghai(2026, 4, 9, 0, 0))["flagged"] == 1  # now the reply clock ran out too
    assert [e.data["clocks"] for e in flags()] == [["first_response"], ["reply"]]
    assert sweep(shanghai(2026, 4, 9, 0, 5)) == {"flagged": 0, "escalated": 0, "notified": 0, "defaulted": 0}


def test_pause_and_resume_act_on_one_clock_when_asked(county):
    app, j, people = county
    case = friday_case()
    act(case, "pause", people["handler"], note="waiting for papers", params={"clock": "reply"},
        now=shanghai(2026, 4, 7, 9, 0))
    assert running(case)["reply"].paused_at is not None and running(case)["first_response"].paused_at is None
    assert not case.is_paused  # the first response still runs
    assert case.due_at == running(case)["first_response"].due_at
    assert sweep(shanghai(2026, 4, 20, 9, 0))["flagged"] == 1  # the paused reply clock is never overdue
    ev = act(case, "resume", people["handler"], params={"clock": "reply"}, now=shanghai(2026, 4, 9, 9, 0))
    assert ev.data["clocks"] == ["reply"] and ev.data["paused_working_days"] == 2  # Wed 8, Thu 9
    reply = running(case)["reply"]
    assert reply.paused_days == 2 and reply.due_date == date(2026, 4, 10)
    with pytest.raises(Invalid):
        act(case, "pause", people["handler"], note="x", params={"clock": "no_such_clock"})


def test_pause_without_a_clock_stops_every_running_one_and_a_working_hour_clock_gets_its_minutes(county):
    app, j, people = county
    case = file("twoclocks", now=shanghai(2026, 3, 2, 9, 0)).case  # Monday; first response due 11:00
    ev = act(case, "pause", people["handler"], note="papers", now=shanghai(2026, 3, 2, 10, 0))
    assert sorted(ev.data["clocks"]) == ["first_response", "reply"] and case.is_paused
    act(case, "resume", people["handler"], now=shanghai(2026, 3, 2, 14, 0))  # 10-12 and 13:30-14 stood still
    first = running(case)["first_response"]
    assert first.paused_minutes == 150 and first.due_at == shanghai(2026, 3, 2, 15, 0)  # 9-12, 13:30-15:00
    assert not case.is_paused


def test_extend_acts_on_the_clock_asked_for(county):
    app, j, people = county
    case = friday_case()
    ev = act(case, "extend", people["super"], note="complex", params={"days": 1, "clock": "first_response"},
             now=shanghai(2026, 4, 3, 17, 0))
    assert ev.data["clock"] == "first_response"
    assert running(case)["first_response"].due_at == shanghai(2026, 4, 7, 11, 0)
    assert running(case)["reply"].extended_days == 0


def test_hook_portal_working_hours_a_jurisdictions_hours_count(make_app):
    hours = WorkingHours.parse("08:00-12:00", "Invented: mornings only", "虚构：仅上午")
    app = make_app(PORTAL_JURISDICTIONS=[], PORTAL_EXTRA_PLUGINS={"twoclocks": TwoClocks(hours)})
    with app.app_context():
        case = file("twoclocks", now=shanghai(2026, 3, 2, 11, 0)).case
        first = running(case)["first_response"]
        assert first.due_at == shanghai(2026, 3, 3, 9, 0)  # 11-12 Mon, 08-09 Tue
        assert first.explanation["working_hours"] == "08:00-12:00"


def test_hook_portal_working_hours_core_default_is_the_portal_setting(make_app):
    app = make_app(PORTAL_JURISDICTIONS=[], PORTAL_WORKING_HOURS="10:00-16:00")
    with app.app_context():
        hooks = app.extensions["portal_plugins"].for_jurisdiction("demo")
        assert str(hooks.portal_working_hours()) == "10:00-16:00"
        assert "default setting" in hooks.portal_working_hours().rule


def test_rule_core_default_is_one_clock_per_stage(core_app):
    """The core keeps its single stage-based deadline: one clock per stage, named after it."""
    from portal.defaults import DEFAULT_WORKFLOW

    assert [c.code for c in DEFAULT_WORKFLOW.clock_specs()] == ["reply", "rectify"]
    case = file("demo", now=shanghai(2026, 3, 2, 10, 0)).case
    assert [(d.clock, d.stage, d.unit) for d in case.running_deadlines] == [("reply", "reply", "working_days")]


def test_staff_and_public_pages_show_every_running_clock_in_plain_words(county):
    from .factories import login

    app, j, people = county
    filed = file("twoclocks", now=shanghai(2026, 4, 3, 16, 30))
    case = filed.case
    client = app.test_client()
    login(client, "tc-super")
    staff_page = client.get(f"/staff/cases/{case.number}?lang=en").get_data(as_text=True)
    assert "First response" in staff_page and "Invented: a first response within 2 working hours" in staff_page
    assert "2 working hours" in staff_page and "Reply" in staff_page
    from portal.public.views import public_case_view

    with app.test_request_context("/?lang=en"):
        view = public_case_view(case)
        labels = [(d.stage_label, d.unit, d.days) for d in view["running"]]
    assert labels == [("First response", "working_hours", 2), ("Answer", "working_days", 2)]
    assert "first_response" not in repr([d.rule for d in view["running"]])
    assert all("Invented" in d.rule for d in view["running"])


def test_rule_on_time_means_every_clock_that_closed_was_met_and_rollups_match_a_rebuild(county):
    """Portal definition (docs/plugins.md, Clocks): a case is on time when every clock run that
    has closed was met in time; a late first response makes the case late even if the reply
    was in time. Roll-ups kept by the engine equal a rebuild from the cases."""
    from portal import stats
    from portal.stats import rollup

    app, j, people = county
    late_first = friday_case()
    act(late_first, "reply", people["handler"], note="done", now=shanghai(2026, 4, 7, 11, 0))  # 1 h late
    in_time = friday_case()
    act(in_time, "reply", people["handler"], note="done", now=shanghai(2026, 4, 7, 9, 30))
    rows = {r.case_id: r for r in db.session.execute(select(rollup.stats_case)).all()}
    assert (rows[late_first.id].deadline_closed, rows[late_first.id].on_time) == (True, False)
    assert (rows[in_time.id].deadline_closed, rows[in_time.id].on_time) == (True, True)
    before = (rollup.current_rows(), rollup.current_cases())
    stats.rebuild()
    assert (rollup.current_rows(), rollup.current_cases()) == before
