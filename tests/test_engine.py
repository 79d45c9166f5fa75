"""The case engine on the core default workflow (the built-in demo jurisdiction)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.engine import cases as engine
from portal.engine.errors import Conflict, Invalid, NotAllowed
from portal.engine.numbering import check_access_code
from portal.extensions import db
from portal.models import Case, CaseDeadline, CaseEvent

from .conftest import shanghai
from .factories import department, file, jurisdiction, staff


@pytest.fixture
def people(core_app):
    j = jurisdiction("demo")
    d = department(j)
    return {
        "clerk": staff("clerk1", "clerk", "demo"),
        "handler": staff("handler1", "handler", "demo", d),
        "supervisor": staff("super1", "supervisor", "demo"),
        "dept": d,
    }


def act(case, action, user, **kw):
    return engine.perform(case, action, engine.Actor.staff(user), **kw)


def test_rule_case_number_is_prefix_year_sequence_and_code_is_stored_hashed(people):
    filed = file("demo", now=shanghai(2026, 3, 2, 10, 0))
    case = filed.case
    assert case.number == "DEMO-2026-000001"
    assert filed.access_code not in case.access_code_hash
    assert check_access_code(case.access_code_hash, filed.access_code)
    assert check_access_code(case.access_code_hash, filed.access_code.lower())
    assert not check_access_code(case.access_code_hash, "WRONGCODE1")
    assert file("demo", now=shanghai(2026, 3, 2, 11, 0)).case.number == "DEMO-2026-000002"
    # the year is the Shanghai year: 31 Dec 17:00 UTC is already 1 Jan in Shanghai
    assert file("demo", now=shanghai(2027, 1, 1, 1, 0)).case.number == "DEMO-2027-000001"


def test_rule_every_action_writes_an_append_only_event(people):
    case = file("demo", now=shanghai(2026, 3, 2, 10, 0)).case
    act(case, "assign", people["clerk"], params={"lead_department_id": people["dept"].id},
        now=shanghai(2026, 3, 2, 11, 0))
    evs = case.events
    assert [(e.action, e.from_state, e.to_state) for e in evs] == [("file", "", "received"),
                                                                    ("assign", "received", "assigned")]
    assert evs[1].actor_id == people["clerk"].id and evs[1].actor_role == "clerk"
    evs[1].note = "rewritten"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(CaseEvent, evs[0].id))
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()


def test_rule_action_outside_the_workflow_map_is_refused_and_changes_nothing(people):
    case = file("demo", now=shanghai(2026, 3, 2, 10, 0)).case
    before = (case.state, case.version, len(case.events))
    with pytest.raises(NotAllowed):
        act(case, "close", people["supervisor"])  # close needs a return visit first
    with pytest.raises(NotAllowed):
        act(case, "archive", people["clerk"])  # clerks may not archive (role)
    with pytest.raises(NotAllowed):
        act(case, "teleport", people["supervisor"])  # no such action
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert (case.state, case.version, len(case.events)) == before


def test_rule_staff_of_another_jurisdiction_cannot_act(make_app):
    app = make_app(PORTAL_JURISDICTIONS=[])
    with app.app_context():
        from portal.models import Jurisdiction

        other = Jurisdiction(code="elsewhere", level="district", name_zh="他区", name_en="Elsewhere",
                             case_prefix="EL", plugin="core")
        db.session.add(other)
        db.session.commit()
        outsider = staff("outsider", "supervisor", "elsewhere")
        case = file("demo").case
        with pytest.raises(NotAllowed):
            act(case, "escalate", outsider, note="not mine")
        assert engine.allowed_actions(case, engine.Actor.staff(outsider)) == []


def test_rule_optimistic_locking_second_actor_gets_a_conflict(people):
    case = file("demo", now=shanghai(2026, 3, 2, 10, 0)).case
    seen = case.version
    act(case, "note", people["clerk"], note="called the person", expected_version=seen)
    with pytest.raises(Conflict):
        act(case, "note", people["supervisor"], note="stale form", expected_version=seen)
    assert [e.note for e in case.events if e.action == "note"] == ["called the person"]


def test_rule_concurrent_update_in_another_session_is_a_conflict(people, app_engine_session):
    case = file("demo", now=shanghai(2026, 3, 2, 10, 0)).case
    other = app_engine_session()
    theirs = other.get(Case, case.id)
    theirs.public_summary = "edited elsewhere"
    other.commit()
    other.close()
    with pytest.raises(Conflict):
        act(case, "note", people["clerk"], note="mine")
    db.session.expire_all()
    assert db.session.get(Case, case.id).public_summary == "edited elsewhere"


@pytest.fixture
def app_engine_session(core_app):
    from sqlalchemy.orm import Session

    sessions = []

    def _new():
        s = Session(db.engine)
        sessions.append(s)
        return s

    yield _new
    for s in sessions:
        s.close()


def test_rule_deadline_computed_at_stage_start_and_stored_with_its_rule(people):
    # Friday 13 Feb 2026: the 14th (Sat) is a make-up working day; 15-23 Feb Spring Festival.
    case = file("demo", now=shanghai(2026, 2, 13, 10, 0)).case
    d = case.active_deadline
    assert d.days == 5 and "5 working days" in d.rule
    # counted: Feb 14 (make-up), 24, 25, 26, 27 -> due Fri 27 Feb
    assert d.due_date.isoformat() == "2026-02-27"
    assert "2026-02-14" in d.explanation["makeup_days"]
    assert case.due_at == d.due_at


def test_rule_later_rule_change_never_rewrites_a_stored_deadline(people, monkeypatch):
    case = file("demo", now=shanghai(2026, 3, 2, 10, 0)).case
    stored = (case.active_deadline.due_date, case.active_deadline.rule)
    from portal.contracts import TimeLimit
    from portal.defaults import CorePlugin

    monkeypatch.setattr(CorePlugin, "portal_time_limit",
                        lambda self, jurisdiction, category, complexity, stage: TimeLimit(1, "new rule"))
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert (case.active_deadline.due_date, case.active_deadline.rule) == stored


def test_rule_pause_for_materials_and_resume_adds_the_paused_working_days(people):
    case = file("demo", now=shanghai(2026, 3, 2, 10, 0)).case  # Mon; 5 wd -> Mon 9 Mar
    assert case.active_deadline.due_date.isoformat() == "2026-03-09"
    act(case, "pause", people["handler"], note="need the bank statement", now=shanghai(2026, 3, 3, 9, 0))
    assert case.is_paused
    from portal.engine.deadlines import is_overdue

    assert not is_overdue(case, shanghai(2026, 4, 1, 9, 0))  # a paused clock is never overdue
    act(case, "resume", people["handler"], now=shanghai(2026, 3, 6, 9, 0))  # Wed, Thu, Fri stood still
    d = case.active_deadline
    assert d.paused_days == 3 and d.due_date.isoformat() == "2026-03-12"
    rows = db.session.scalars(select(CaseDeadline).where(CaseDeadline.case_id == case.id)).all()
    assert [r.superseded for r in rows] == [True, False]  # history kept


def test_rule_extension_needs_a_reason(people):
    case = file("demo", now=shanghai(2026, 3, 2, 10, 0)).case
    with pytest.raises(Invalid):
        act(case, "extend", people["supervisor"], params={"days": 2})
    with pytest.raises(Invalid):
        act(case, "extend", people["supervisor"], note="why", params={"days": 0})
    act(case, "extend", people["supervisor"], note="waiting for the tax bureau", params={"days": 2})
    d = case.active_deadline
    assert d.extended_days == 2 and d.extension_reason == "waiting for the tax bureau"
    assert d.due_date.isoformat() == "2026-03-11"


def test_rule_overdue_is_derived_from_the_stored_deadline(people):
    from portal.engine.deadlines import is_overdue

    case = file("demo", now=shanghai(2026, 3, 2, 10, 0)).case  # due end of Mon 9 Mar
    assert not is_overdue(case, shanghai(2026, 3, 9, 23, 59))
    assert is_overdue(case, shanghai(2026, 3, 10, 0, 0))


def test_rule_reply_ends_the_stage_and_records_whether_it_was_on_time(people):
    case = file("demo", now=shanghai(2026, 3, 2, 10, 0)).case
    act(case, "reply", people["handler"], note="done", now=shanghai(2026, 3, 4, 10, 0))
    d = case.deadlines[-1]
    assert not d.active and d.met_at is not None and not d.is_overdue(shanghai(2026, 5, 1, 0, 0))
    assert case.due_at is None and case.state == "replied"


def test_rule_bad_rating_sends_the_case_back_for_rectification(people):
    case = file("demo", now=shanghai(2026, 3, 2, 10, 0)).case
    act(case, "reply", people["handler"], note="done", now=shanghai(2026, 3, 4, 10, 0))
    engine.rate(case, 2, "still not done", now=shanghai(2026, 3, 5, 10, 0))
    assert case.state == "rectifying"
    d = case.active_deadline
    assert d.stage == "rectify" and d.due_date.isoformat() == "2026-03-12"
    with pytest.raises(NotAllowed):
        engine.rate(case, 5, "", now=shanghai(2026, 3, 5, 11, 0))  # nothing new to rate


def test_rule_good_rating_then_return_visit_close_archive(people):
    case = file("demo", now=shanghai(2026, 3, 2, 10, 0)).case
    act(case, "reply", people["handler"], note="done", now=shanghai(2026, 3, 4, 10, 0))
    engine.rate(case, 4, "", now=shanghai(2026, 3, 5, 10, 0))
    with pytest.raises(NotAllowed):
        engine.rate(case, 4, "", now=shanghai(2026, 3, 5, 10, 5))  # one rating per reply
    with pytest.raises(Invalid):
        act(case, "return_visit", people["clerk"], params={"method": "fax", "satisfaction": 5})
    act(case, "return_visit", people["clerk"], params={"method": "phone", "satisfaction": 5})
    act(case, "close", people["clerk"], note="")
    act(case, "archive", people["supervisor"])
    assert case.state == "archived" and case.archived_at is not None
    assert engine.allowed_actions(case, engine.Actor.staff(people["supervisor"])) == []


def test_rule_escalation_goes_up_one_tier_at_a_time(people):
    case = file("demo").case
    assert case.escalation_tier == "window"
    act(case, "escalate", people["clerk"], note="department silent")
    act(case, "escalate", people["clerk"], note="still silent")
    assert case.escalation_tier == "centre"
    with pytest.raises(NotAllowed):
        act(case, "escalate", people["clerk"], note="no higher tier")


def test_rule_assign_needs_a_lead_department_of_the_same_jurisdiction(people):
    case = file("demo").case
    with pytest.raises(Invalid):
        act(case, "assign", people["clerk"], params={})
    act(case, "assign", people["clerk"], params={"lead_department_id": people["dept"].id,
                                                 "co_department_ids": [str(people["dept"].id)]})
    assert case.lead_department == people["dept"] and case.co_departments == []


def test_rule_intake_rejects_empty_matter_without_writing_anything(people):
    with pytest.raises(Invalid):
        file("demo", matter="  ")
    assert db.session.scalar(select(db.func.count()).select_from(Case)) == 0


def test_rule_unknown_year_deadline_is_flagged_not_guessed(people):
    case = file("demo", now=shanghai(2031, 3, 3, 10, 0)).case
    d = case.active_deadline
    assert d.flagged and d.unknown_years == "2031"
