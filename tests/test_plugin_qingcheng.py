"""Qingcheng (seed 004): seven steps, four classes and three disposals, the linked response
window → back-office unit → centre → district, and a case that waits on the person's materials."""
from __future__ import annotations

from datetime import date

import pytest

from portal.engine import cases as engine
from portal.engine.errors import NotAllowed
from portal.public.filing import intake_form_for
from portal.sweep import sweep
from tests.conftest import shanghai
from tests.factories import department, file, jurisdiction, staff

A = engine.Actor.staff


def hooks(app, code="qingcheng"):
    return app.extensions["portal_plugins"].for_jurisdiction(code)


def test_workflow_validates_with_the_seven_steps_seed004(app):
    wf = hooks(app).portal_workflow()
    wf.validate()
    assert wf.steps_zh == ("受理", "研判", "交办", "办结", "评价", "总结", "归档")


def test_case_walks_accept_assess_assign_complete_evaluate_summarise_archive_seed004(app):
    j = jurisdiction("qingcheng")
    clerk = staff("qc-clerk", "clerk", "qingcheng")
    sup = staff("qc-sup", "supervisor", "qingcheng")
    case = file("qingcheng", now=shanghai(2026, 3, 2, 9, 0), receiver=clerk).case
    with pytest.raises(NotAllowed):  # assessment comes before assignment
        engine.perform(case, "assign", A(clerk), params={"lead_department_id": department(j, "qc-tax").id},
                       now=shanghai(2026, 3, 2, 9, 5))
    engine.perform(case, "classify", A(clerk), params={"category": "complex", "complexity": "complex"},
                   now=shanghai(2026, 3, 2, 9, 30))
    assert case.state == "assessed"
    engine.perform(case, "assign", A(clerk), params={"lead_department_id": department(j, "qc-tax").id},
                   now=shanghai(2026, 3, 2, 10, 0))
    engine.perform(case, "reply", A(clerk), note="税务局已受理追缴投诉并完成审批。", now=shanghai(2026, 3, 10, 10, 0))
    assert case.state == "completed"
    engine.rate(case, 5, now=shanghai(2026, 3, 10, 12, 0))
    assert case.state == "evaluated"
    engine.perform(case, "summarise", A(clerk), note="溯源：工资流水须显示对方户名，已转告税务局窗口。",
                   now=shanghai(2026, 3, 11, 10, 0))
    engine.perform(case, "archive", A(sup), now=shanghai(2026, 3, 11, 11, 0))
    assert [e.to_state for e in case.events] == [
        "received", "assessed", "assigned", "completed", "evaluated", "summarised", "archived"]


def test_ordinary_problem_is_handled_on_the_spot_seed004(app):
    """Seed 004: 一般问题当场办 — due the same day once assessed as ordinary."""
    clerk = staff("qc-c1", "clerk", "qingcheng")
    case = file("qingcheng", now=shanghai(2026, 3, 2, 9, 0)).case
    engine.perform(case, "classify", A(clerk), params={"category": "ordinary"}, now=shanghai(2026, 3, 2, 9, 10))
    assert (case.active_deadline.days, case.active_deadline.due_date) == (0, date(2026, 3, 2))
    engine.perform(case, "reply", A(clerk), note="当场解决。", now=shanghai(2026, 3, 2, 9, 40))
    assert case.state == "completed"


def test_four_classes_and_the_accountability_disposal_seed004(app):
    cats = {c.code: c for c in hooks(app).portal_categories()}
    assert set(cats) == {"ordinary", "complex", "service", "business"}
    assert "帮代办" in cats["business"].handling_zh and "纪检监察" in cats["service"].handling_zh
    clerk = staff("qc-c2", "clerk", "qingcheng")
    sup = staff("qc-s2", "supervisor", "qingcheng")
    case = file("qingcheng", now=shanghai(2026, 3, 2, 9, 0), category="service").case
    with pytest.raises(NotAllowed):
        engine.perform(case, "hold_accountable", A(clerk), note="x", now=shanghai(2026, 3, 2, 10, 0))
    engine.perform(case, "hold_accountable", A(sup), note="窗口落实不力，予以通报批评。", now=shanghai(2026, 3, 2, 10, 0))


def test_linked_response_tiers_and_the_sweep_stops_at_the_centre_seed004(app):
    """Seed 004: the window first; what it cannot handle the centre coordinates with the back-office
    units; complex situations go to the district. The sweep escalates overdue cases to the centre,
    never on its own to the district."""
    assert [t.code for t in hooks(app).portal_escalation_tiers()] == ["window", "back_office", "centre", "district"]
    clerk = staff("qc-c3", "clerk", "qingcheng")
    case = file("qingcheng", now=shanghai(2026, 3, 2, 9, 0)).case  # core 5 days: due Mon 9 Mar
    engine.perform(case, "escalate", A(clerk), note="窗口限时内处理不了，转后方单位。", now=shanghai(2026, 3, 2, 15, 0))
    assert case.escalation_tier == "back_office"
    assert sweep(shanghai(2026, 3, 10, 8, 0))["escalated"] == 1
    assert case.escalation_tier == "centre"
    other = file("qingcheng", now=shanghai(2026, 3, 2, 9, 0)).case
    for note in ("转后方单位。", "区政务服务中心牵头协调。"):
        engine.perform(other, "escalate", A(clerk), note=note, now=shanghai(2026, 3, 3, 9, 0))
    result = sweep(shanghai(2026, 3, 11, 8, 0))  # overdue at the centre: flagged, not sent to the district
    assert (result["flagged"], result["escalated"]) == (1, 0)
    assert other.escalation_tier == "centre"
    engine.perform(other, "escalate", A(clerk), note="情况复杂，提交区级层面协调。", now=shanghai(2026, 3, 11, 9, 0))
    assert other.escalation_tier == "district"


def test_waiting_for_the_persons_materials_stops_the_clock_across_spring_festival_seed004(app):
    """Seed 004: cases wait on the person's materials. Filed Wed 11 Feb 2026 (5 working days: due
    25 Feb); paused Fri 13 Feb, resumed Wed 25 Feb = 3 working days (14 Feb make-up, 24, 25 Feb),
    so the deadline moves to Sat 28 Feb, itself a make-up working day."""
    clerk = staff("qc-c4", "clerk", "qingcheng")
    case = file("qingcheng", now=shanghai(2026, 2, 11, 10, 0)).case
    assert case.active_deadline.due_date == date(2026, 2, 25)
    engine.perform(case, "pause", A(clerk), note="等待群众提供劳动合同原件。", now=shanghai(2026, 2, 13, 11, 0))
    assert sweep(shanghai(2026, 2, 27, 9, 0))["flagged"] == 0  # a paused clock is never overdue
    ev = engine.perform(case, "resume", A(clerk), now=shanghai(2026, 2, 25, 9, 0))
    assert ev.data["paused_working_days"] == 3
    assert (case.active_deadline.paused_days, case.active_deadline.due_date) == (3, date(2026, 2, 28))


def test_a_case_that_waits_years_keeps_its_attachments_and_an_honest_clock_seed004(app):
    """Seed 004: a back-payment case ran from one December to a June years later, waiting on the
    person and on other agencies. Each wait is a pause with its reason; nothing is dropped."""
    j = jurisdiction("qingcheng")
    clerk = staff("qc-c5", "clerk", "qingcheng")
    filed = engine.file_case(
        jurisdiction=j, matter="社会保险费追缴", channel="window", complainant={"name": "林秀芬", "phone": "13711112222"},
        description="原单位多年前未依法缴纳社保，缴费月数不够，无法办理退休。", receiver=clerk,
        now=shanghai(2024, 12, 9, 10, 0),
        attachments=[{"stored_name": "qc-0001.pdf", "original_name": "劳动合同.pdf",
                      "content_type": "application/pdf", "size": 20480}])
    case = filed.case
    waits = [((2024, 12, 10), (2025, 3, 31), "等待群众收集工作证明材料。"),
             ((2025, 4, 1), (2026, 1, 23), "等待银行出具显示对方户名的工资流水。")]
    total = 0
    for (start, end, why) in waits:
        engine.perform(case, "pause", A(clerk), note=why, now=shanghai(*start, 10, 0))
        total += engine.perform(case, "resume", A(clerk), now=shanghai(*end, 10, 0)).data["paused_working_days"]
    assert case.active_deadline.paused_days == total > 250
    assert case.active_deadline.due_date > date(2026, 1, 23)
    assert [a.original_name for a in case.attachments] == ["劳动合同.pdf"]
    assert [e.note for e in case.events if e.action == "pause"] == [w[2] for w in waits]


def test_intake_form_asks_how_the_person_applied_seed004(app):
    base = {"channel": "online", "matter": "社保追缴", "name": "黄立新", "phone": "13600001111",
            "description": "线上提交两次都被退回，来了三次也没解决。", "applied_via": "online", "visits": "3",
            "application_number": "GD-2026-0001"}
    with app.test_request_context("/?lang=en", method="POST", data=base):
        form = intake_form_for(jurisdiction("qingcheng"))
        assert form.validate(), form.errors
    for change, field in (({"applied_via": ""}, "applied_via"), ({"visits": "100"}, "visits"),
                          ({"application_number": "号码 1"}, "application_number")):
        with app.test_request_context("/?lang=en", method="POST", data=dict(base, **change)):
            form = intake_form_for(jurisdiction("qingcheng-fengcheng"))
            assert not form.validate() and form.errors[field]


def test_work_orders_arrive_through_the_provincial_hotline_account_seed004(app):
    hotline = {c.code: c for c in hooks(app).portal_intake_channels()}["hotline"]
    assert "粤省心" in hotline.name_zh
