"""Dazhou (seed 002): the problem request form, simple at once / general 3 / complex 5 working
days, the record → investigate → transfer → progress → feedback flow, chief representatives' rota."""
from __future__ import annotations

from datetime import date

import pytest

from bancheng_plugins.dazhou import plan_rota, representative_on
from portal.engine import cases as engine
from portal.public.filing import intake_form_for
from tests.conftest import shanghai
from tests.factories import department, file, jurisdiction, staff

A = engine.Actor.staff
BASE = {"channel": "online", "matter": "职工退休审批", "name": "孙海波", "phone": "13688880000",
        "description": "有一份材料上的年龄与身份证不一致，且材料无法补办，退休手续办不了。",
        "request_kind": "blocked", "wish": "请予以帮助，协调认定出生日期。"}


def hooks(app, code="dazhou"):
    return app.extensions["portal_plugins"].for_jurisdiction(code)


@pytest.mark.parametrize("complexity, days, due", [
    ("simple", 0, date(2026, 4, 30)),     # 即收即转即办: the same day
    ("general", 3, date(2026, 5, 8)),     # 6, 7, 8 May (1-5 May Labour Day off)
    ("complex", 5, date(2026, 5, 11)),    # 6, 7, 8, 9 (make-up Saturday), 11 May
])
def test_simple_at_once_general_3_complex_5_working_days_across_labour_day_seed002(app, complexity, days, due):
    """Seed 002: 简单事项即收即转即办，一般事项3个工作日内整改反馈，复杂事项5个工作日内反馈."""
    deadline = file("dazhou", now=shanghai(2026, 4, 30, 10, 0), complexity=complexity).case.active_deadline
    assert (deadline.days, deadline.due_date) == (days, due)
    assert "达州市" in deadline.explanation["source"]["document_zh"]
    assert "seed" not in deadline.rule and "seed" not in deadline.explanation["rule_zh"]


def test_bad_rating_is_rectified_within_15_working_days_sichuan_rule(app):
    """DOMAIN national rules: Sichuan verifies and rectifies a bad rating within 15 working days.
    Rated Fri 13 Feb 2026: 14 Feb (make-up), 24-28 Feb (28 a make-up Saturday), 2-6, 9-12 Mar."""
    clerk = staff("dz-c0", "clerk", "dazhou")
    case = file("dazhou", now=shanghai(2026, 2, 12, 9, 0)).case
    engine.perform(case, "reply", A(clerk), note="已反馈。", now=shanghai(2026, 2, 13, 9, 0))
    engine.rate(case, 1, now=shanghai(2026, 2, 13, 10, 0))
    assert (case.active_deadline.days, case.active_deadline.due_date) == (15, date(2026, 3, 12))


def test_workflow_validates_seed002(app):
    hooks(app).portal_workflow().validate()


def test_request_form_case_walks_record_investigate_transfer_progress_feedback_seed002(app):
    """Seed 002: staff record and investigate, transfer at once, tell the person reasons and
    progress, and keep tracking until it is done."""
    j = jurisdiction("dazhou")
    clerk = staff("dz-clerk", "clerk", "dazhou")
    sup = staff("dz-sup", "supervisor", "dazhou")
    hrss = department(j, "dz-hrss")
    case = file("dazhou", now=shanghai(2026, 3, 2, 9, 0), receiver=clerk, channel="window").case
    engine.perform(case, "investigate", A(clerk), note="核实：材料已收但系统无记录。", now=shanghai(2026, 3, 2, 9, 30))
    assert case.state == "investigated"
    engine.perform(case, "classify", A(clerk), params={"category": "multi_dept", "complexity": "general"},
                   now=shanghai(2026, 3, 2, 9, 40))
    engine.perform(case, "assign", A(clerk), params={"lead_department_id": hrss.id}, now=shanghai(2026, 3, 2, 10, 0))
    engine.perform(case, "progress", A(clerk), note="已转人社局核查，预计明天答复。", now=shanghai(2026, 3, 2, 16, 0))
    assert case.state == "assigned" and case.events[-1].public
    engine.perform(case, "reply", A(clerk), note="退休文件已办好，请领取。", now=shanghai(2026, 3, 3, 15, 0))
    engine.rate(case, 5, now=shanghai(2026, 3, 3, 16, 0))
    engine.perform(case, "return_visit", A(clerk), params={"method": "phone", "satisfaction": 5},
                   now=shanghai(2026, 3, 4, 9, 0))
    engine.perform(case, "close", A(clerk), now=shanghai(2026, 3, 4, 9, 5))
    engine.perform(case, "archive", A(sup), now=shanghai(2026, 3, 4, 10, 0))
    assert case.state == "archived"


def test_categories_are_the_causes_the_window_names_seed002(app):
    cats = {c.code: c for c in hooks(app).portal_categories()}
    assert {"policy", "key_material", "multi_dept", "pushing"} <= set(cats)
    assert "容缺受理" in cats["key_material"].handling_zh
    assert "问责" in cats["pushing"].handling_zh


def test_problem_request_form_accepts_good_input_seed002(app):
    with app.test_request_context("/?lang=en", method="POST", data=dict(BASE, first_visit="2026-02-10",
                                                           window_or_department="社保窗口")):
        form = intake_form_for(jurisdiction("dazhou"))
        assert form.validate(), form.errors


@pytest.mark.parametrize("change, field, message", [
    ({"request_kind": ""}, "request_kind", "Choose the kind of request."),
    ({"wish": ""}, "wish", "Tell us what you ask us to do."),
    ({"first_visit": "2999-01-01"}, "first_visit", "This date is in the future."),
    ({"first_visit": "not a date"}, "first_visit", None),
    ({"request_kind": "bribe"}, "request_kind", None),
])
def test_problem_request_form_rejects_bad_input_with_a_message_seed002(app, change, field, message):
    data = dict(BASE)
    data.update(change)
    with app.test_request_context("/?lang=en", method="POST", data=data):
        form = intake_form_for(jurisdiction("dazhou-tongchuan"))
        assert not form.validate()
        assert form.errors[field]
        if message:
            assert message in [str(m) for m in form.errors[field]]


def test_the_window_is_called_the_accepting_window_seed002(app):
    assert hooks(app).portal_branding().window_name_zh == "“办不成事”受理窗口"
    assert [w.name_zh for c in jurisdiction("dazhou").centres for w in c.windows] == ["“办不成事”受理窗口"]


def test_chief_representatives_take_turns_on_working_days_seed002(app):
    """Seed 002: 窗口首席代表轮值. Over 9-27 Feb 2026 the rota skips Spring Festival (15-23 Feb)
    and weekends but includes the make-up Saturday 14 Feb."""
    j = jurisdiction("dazhou")
    reps = [("刘思远", department(j, "dz-hrss")), ("何静怡", department(j, "dz-tax")), ("马志诚", None)]
    entries = plan_rota(j, date(2026, 2, 9), date(2026, 2, 27), reps)
    days = [e.day for e in entries]
    assert date(2026, 2, 14) in days
    assert not {date(2026, 2, d) for d in range(15, 24)} & set(days)
    assert len(days) == 5 + 1 + 4  # 9-13 Feb, 14 Feb, 24-27 Feb
    assert [e.representative for e in entries[:4]] == ["刘思远", "何静怡", "马志诚", "刘思远"]
    assert representative_on(j, date(2026, 2, 14)).representative == "马志诚"  # the sixth turn
    assert representative_on(j, date(2026, 2, 16)) is None
    plan_rota(j, date(2026, 2, 9), date(2026, 2, 13), [("邓子恒", None)])  # re-planning replaces
    assert representative_on(j, date(2026, 2, 9)).representative == "邓子恒"
    with pytest.raises(ValueError):
        plan_rota(jurisdiction("xuanwu"), date(2026, 2, 9), date(2026, 2, 13), reps)


def test_the_staff_case_page_reads_the_request_forms_choice_in_words_seed002(app):
    """Seed 002's 问题诉求单 asks what kind of request it is; the staff case page shows what the
    person chose as the form offered it, in the reader's language, never the stored code."""
    from tests.factories import login
    from tests.staff_support import quick_staff

    quick_staff("dz-reader", "clerk", "dazhou")
    case = file("dazhou", extra={"request_kind": "process"}).case
    client = app.test_client()
    login(client, "dz-reader")
    en = client.get(f"/staff/cases/{case.number}?lang=en").get_data(as_text=True)
    zh = client.get(f"/staff/cases/{case.number}?lang=zh_Hans").get_data(as_text=True)
    assert "<dd>A question about the procedure</dd>" in en and "<dd>process</dd>" not in en, en[en.find("<dl"):en.find("</dl>")]
    assert "<dd>咨询办事流程</dd>" in zh
