"""Kunming (seed 000): the closed loop, the handling kinds, Wuhua's 3/10 working days and its
three-level response (window → responsible unit → district business-environment office)."""
from __future__ import annotations

from datetime import date

import pytest

from portal.engine import cases as engine
from portal.engine.errors import NotAllowed
from portal.sweep import sweep
from tests.conftest import shanghai
from tests.factories import department, file, jurisdiction, staff

A = engine.Actor.staff


def hooks(app, code="kunming-wuhua"):
    return app.extensions["portal_plugins"].for_jurisdiction(code)


def test_workflow_validates_with_the_closed_loop_steps_seed000(app):
    wf = hooks(app, "kunming").portal_workflow()
    wf.validate()
    assert wf.steps_zh == ("收集受理", "协调对接", "交办督办", "答复反馈", "改进提升")
    assert hooks(app, "kunming-wuhua-huguo").portal_workflow() is wf  # the four levels share the loop


def test_wuhua_ordinary_problem_is_answered_within_3_working_days_seed000(app):
    """Wuhua (seed 000): ordinary problems within 3 working days. Received Thu 30 Apr 2026:
    1-5 May Labour Day off, Wed 6 (1), Thu 7 (2), Fri 8 May (3)."""
    deadline = file("kunming-wuhua", now=shanghai(2026, 4, 30, 15, 0)).case.active_deadline
    assert (deadline.days, deadline.due_date) == (3, date(2026, 5, 8))
    assert deadline.explanation["source"]["article_zh"] == "一般问题3个工作日内办理反馈"
    assert "三级响应" in deadline.explanation["source"]["document_zh"]


def test_wuhua_complex_problem_is_answered_within_10_working_days_across_labour_day_seed000(app):
    """Complex within 10 working days: 6, 7, 8, 9 (make-up Saturday), 11-15, 18 May 2026."""
    deadline = file("kunming-wuhua", now=shanghai(2026, 4, 30, 15, 0), complexity="complex").case.active_deadline
    assert (deadline.days, deadline.due_date) == (10, date(2026, 5, 18))
    assert "2026-05-09" in deadline.explanation["makeup_days"]


def test_wuhua_attitude_problem_is_rectified_on_the_spot_seed000(app):
    """Wuhua (seed 000): 服务做不好 → 即来即办、现场解决、立即整改 (due the same day)."""
    clerk = staff("wh-c0", "clerk", "kunming-wuhua")
    case = file("kunming-wuhua", now=shanghai(2026, 3, 2, 9, 0)).case
    engine.perform(case, "classify", A(clerk), params={"category": "attitude"}, now=shanghai(2026, 3, 2, 9, 30))
    assert (case.active_deadline.days, case.active_deadline.due_date) == (0, date(2026, 3, 2))


def test_kunming_city_keeps_the_core_time_limits_and_tiers_wuhua_rules_stay_in_wuhua_seed000(app):
    city = file("kunming", now=shanghai(2026, 3, 2, 9, 0)).case
    # the reports give Kunming city no limit: the portal's default setting, attributed to nobody
    assert city.active_deadline.explanation["source"] == "portal_default"
    assert [t.code for t in hooks(app, "kunming").portal_escalation_tiers()] == ["window", "department", "centre"]
    assert [t.code for t in hooks(app, "kunming-wuhua-huguo").portal_escalation_tiers()] == \
        ["window", "unit", "district_office"]


def test_wuhua_complex_case_escalates_to_the_district_business_environment_office_when_overdue_seed000(app):
    """Three-level response (seed 000): the window accepts, the responsible unit handles, and the
    district business-environment office supervises once the 10 working days have run out."""
    j = jurisdiction("kunming-wuhua")
    clerk = staff("wh-clerk", "clerk", "kunming-wuhua")
    case = file("kunming-wuhua", now=shanghai(2026, 3, 2, 10, 0), complexity="complex", receiver=clerk,
                matter="企业开办", description="企业开办涉及市场监管、税务、社保三个部门，互相等对方先办。").case
    assert case.escalation_tier == "window"
    assert case.active_deadline.due_date == date(2026, 3, 16)
    engine.perform(case, "classify", A(clerk), params={"category": "multi_dept", "complexity": "complex"},
                   now=shanghai(2026, 3, 2, 10, 30))
    engine.perform(case, "assign", A(clerk), params={"lead_department_id": department(j, "wh-samr").id},
                   now=shanghai(2026, 3, 2, 11, 0))
    engine.perform(case, "escalate", A(clerk), note="现场无法解决，启动三级响应，责任单位统筹。",
                   now=shanghai(2026, 3, 2, 11, 5))
    assert case.escalation_tier == "unit"
    assert sweep(shanghai(2026, 3, 16, 23, 0))["escalated"] == 0  # not overdue before 24:00 of the due day
    result = sweep(shanghai(2026, 3, 17, 8, 0))
    assert result["flagged"] == 1 and result["escalated"] == 1
    assert case.escalation_tier == "district_office"
    last = case.events[-1]
    assert (last.action, last.actor_role, last.data["to_tier"]) == ("escalate", "system", "district_office")
    assert sweep(shanghai(2026, 3, 18, 8, 0))["escalated"] == 0  # once per deadline


def test_wuhua_case_still_at_the_window_goes_up_to_the_district_office_when_overdue_seed000(app):
    """Seed 000: whatever level a case is at, the district office supervises once it is overdue."""
    case = file("kunming-wuhua", now=shanghai(2026, 4, 30, 15, 0)).case  # 3 working days: due Fri 8 May
    assert sweep(shanghai(2026, 5, 9, 8, 0))["flagged"] == 1
    assert case.escalation_tier == "district_office"


def test_wuhua_case_walks_the_closed_loop_to_the_improvement_step_seed000(app):
    """Seed 000: collect & accept → coordinate → assign & supervise → reply → return visit → improve."""
    j = jurisdiction("kunming-wuhua")
    clerk = staff("wh-c1", "clerk", "kunming-wuhua")
    sup = staff("wh-s1", "supervisor", "kunming-wuhua")
    case = file("kunming-wuhua", now=shanghai(2026, 3, 2, 9, 0), receiver=clerk, channel="window").case
    engine.perform(case, "classify", A(clerk), params={"category": "guide_process"}, now=shanghai(2026, 3, 2, 9, 10))
    engine.perform(case, "coordinate", A(clerk), note="与不动产登记窗口对接。", now=shanghai(2026, 3, 2, 9, 30))
    assert case.state == "coordinating"
    engine.perform(case, "assign", A(clerk), params={"lead_department_id": department(j, "wh-housing").id},
                   now=shanghai(2026, 3, 2, 10, 0))
    engine.perform(case, "reply", A(clerk), note="已督促部门更正办事指南。", now=shanghai(2026, 3, 3, 10, 0))
    engine.rate(case, 5, now=shanghai(2026, 3, 3, 12, 0))
    engine.perform(case, "return_visit", A(clerk), params={"method": "phone", "satisfaction": 5},
                   now=shanghai(2026, 3, 4, 10, 0))
    engine.perform(case, "close", A(clerk), now=shanghai(2026, 3, 4, 10, 5))
    with pytest.raises(NotAllowed):  # the loop ends with improvement, not straight in the archive
        engine.perform(case, "archive", A(sup), now=shanghai(2026, 3, 4, 11, 0))
    engine.perform(case, "improve", A(sup), note="月度梳理：该类事项精简材料两项。", now=shanghai(2026, 3, 31, 10, 0))
    engine.perform(case, "archive", A(sup), now=shanghai(2026, 3, 31, 11, 0))
    assert case.state == "archived"


def test_bad_rating_sends_the_case_back_to_rectification_seed000(app):
    """Seed 000's return visit and evaluation: a bad rating is verified and rectified (core 5 days)."""
    clerk = staff("wh-c2", "clerk", "kunming-wuhua")
    case = file("kunming-wuhua", now=shanghai(2026, 3, 2, 9, 0)).case
    engine.perform(case, "reply", A(clerk), note="已答复。", now=shanghai(2026, 3, 2, 15, 0))
    engine.rate(case, 2, "还是没办成", now=shanghai(2026, 3, 2, 18, 0))
    assert case.state == "rectifying"
    assert (case.active_deadline.stage, case.active_deadline.due_date) == ("rectify", date(2026, 3, 9))


def test_outside_scope_matter_is_referred_and_archived_seed000(app):
    """Seed 000: outside government services → tell the person where to go."""
    clerk = staff("km-c", "clerk", "kunming")
    sup = staff("km-s", "supervisor", "kunming")
    case = file("kunming", now=shanghai(2026, 3, 2, 9, 0)).case
    engine.perform(case, "classify", A(clerk), params={"category": "out_of_scope"}, now=shanghai(2026, 3, 2, 9, 5))
    engine.perform(case, "refer", A(clerk), note="请向区法院诉讼服务中心反映。", now=shanghai(2026, 3, 2, 9, 10))
    engine.perform(case, "archive", A(sup), now=shanghai(2026, 3, 2, 9, 20))
    assert case.state == "archived"


def test_handling_kinds_carry_guidance_and_outcomes_seed000(app):
    cats = {c.code: c for c in hooks(app, "kunming").portal_categories()}
    assert {"multi_dept", "guide_process", "attitude", "legal", "out_of_scope"} <= set(cats)
    assert "牵头部门" in cats["multi_dept"].handling_zh
    assert "限时办理" in cats["guide_process"].handling_zh
    assert all(c.outcome_zh for code, c in cats.items() if code != "other")


def test_four_levels_are_declared_with_their_prefixes_seed000(app):
    host = app.extensions["portal_plugins"]
    specs = {s.code: s for s in host.jurisdiction_specs() if s.code.startswith("kunming")}
    assert [(s.level, s.parent, s.case_prefix) for s in specs.values()] == [
        ("city", None, "KM"), ("district", "kunming", "KMWH"), ("street", "kunming-wuhua", "KMWHHG")]
    windows = [w.name_zh for c in specs["kunming-wuhua"].centres for w in c.windows]
    assert "“办不成事”咨询窗口" in windows
