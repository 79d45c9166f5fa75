"""Beijing (seed 003): scope screening (涉法、涉诉、涉访, policy conflicts), the guide-conditions
declaration, Dongcheng's six steps with verification, named windows and the fault-finding day."""
from __future__ import annotations

import random
from datetime import date

import pytest
from sqlalchemy import func, select

from bancheng_plugins.beijing import pick_fault_finding_day, record_fault_finding_day, screen
from bancheng_plugins.beijing.models import SupervisionRecord
from portal.engine import cases as engine
from portal.engine.jurisdiction_calendars import calendar_for
from portal.engine.errors import NotAllowed
from portal.extensions import db
from portal.models import Case, ScreeningRecord
from portal.public.filing import intake_form_for
from tests.conftest import shanghai
from tests.factories import department, file, jurisdiction, staff

A = engine.Actor.staff
BASE = {"channel": "online", "matter": "工作居住证办理", "name": "赵晓岚", "phone": "13512345678",
        "description": "按首都之窗公布的材料准备齐全，窗口又要求补纳税记录，跑了两次。",
        "met_conditions": "y", "involves": "none"}


def hooks(app, code="beijing-dongcheng"):
    return app.extensions["portal_plugins"].for_jurisdiction(code)


def screened(app, matter, description, data=None, code="beijing-dongcheng"):
    results = hooks(app, code).portal_screen_case(matter=matter, description=description, data=data or {})
    return next((r for r in results if r is not None), None)


# -- scope screening ---------------------------------------------------------------------------------
def test_litigation_matter_is_screened_out_with_its_reason_and_channel_seed003(app):
    """Seed 003: 不含涉法、涉诉、涉访 — a matter already before a court is refused with a reason."""
    r = screened(app, "股权变更登记", "我已经向法院起诉对方股东，想让窗口先给我办变更。")
    assert r is not None and r.code == "litigation"
    assert "涉诉" in r.reason_zh and "litigation" in r.reason_en
    assert "12368" in r.channel_zh


def test_litigation_screening_over_http_records_the_refusal_and_files_no_case_seed003(client):
    r = client.post("/file/beijing-dongcheng", data=dict(BASE, involves="litigation"))
    assert r.status_code == 200
    record = db.session.scalar(select(ScreeningRecord))
    assert record.code == "litigation" and "涉诉" in record.reason
    assert db.session.scalar(select(func.count(Case.id))) == 0


@pytest.mark.parametrize("answer, code, words", [
    ("litigation", "litigation", "涉诉"),
    ("law", "law", "涉法"),
    ("petition", "petition", "涉访"),
    ("policy", "policy", "政策"),
])
def test_the_persons_own_answer_screens_each_exclusion_seed003(answer, code, words):
    r = screen("低保申请", "经济状况核对出现一笔认缴出资记录。", {"involves": answer})
    assert r.code == code and words in r.reason_zh and r.channel_zh


@pytest.mark.parametrize("description, code", [
    ("劳动争议已申请仲裁，裁决前社保关系转不出去。", "litigation"),
    ("对行政处罚决定不服，申请了行政复议。", "law"),
    ("我之前为这件事去信访办上访过。", "petition"),
    ("窗口说政策不允许，但我还是想办。", "policy"),
])
def test_words_in_the_description_screen_the_matter_seed003(description, code):
    assert screen("某事项", description, {}).code == code


@pytest.mark.parametrize("matter, description", [
    ("窗口服务", "投诉窗口工作人员态度不好，让我来回跑。"),            # 投诉 is not 诉讼
    ("法定代表人变更", "变更法定代表人被要求重复提交材料。"),           # 法 in 法定代表人
    ("不动产转移登记", "凭法院判决书办理过户，窗口要求再开判决生效证明。"),  # a court judgment as a material
    ("退休审批", "我的诉求是尽快办理退休。"),                        # 诉求
    ("居住证", "本人未起诉，也不涉及信访，只是材料被退回三次。"),      # negated
    ("低保申请", "经济状况核对出现一笔莫名的公司认缴出资记录。"),
])
def test_ordinary_matters_are_not_screened_out_false_positives_seed003(matter, description):
    assert screen(matter, description, {"involves": "none"}) is None


def test_screening_applies_to_every_beijing_district_and_no_other_jurisdiction_seed003(app):
    text = ("股权变更", "已向法院起诉。")
    for code in ("beijing", "beijing-xicheng", "beijing-chaoyang", "beijing-daxing", "beijing-pinggu"):
        assert screened(app, *text, code=code).code == "litigation"
    for code in ("kunming", "xuanwu", "dazhou", "qingcheng"):
        assert screened(app, *text, code=code) is None


# -- intake form --------------------------------------------------------------------------------------
def test_intake_form_accepts_the_declaration_that_the_guide_conditions_were_met_seed003(app):
    with app.test_request_context("/?lang=en", method="POST", data=dict(BASE, visits="2")):
        form = intake_form_for(jurisdiction("beijing-xicheng"))
        assert form.validate(), form.errors


@pytest.mark.parametrize("change, field, message", [
    ({"met_conditions": ""}, "met_conditions",
     "This window takes matters where the service guide's conditions were met; please confirm this."),
    ({"visits": "0"}, "visits", "Enter a number from 1 to 99."),
    ({"involves": "lawsuit"}, "involves", None),
])
def test_intake_form_rejects_bad_input_with_a_message_seed003(app, change, field, message):
    data = dict(BASE)
    data.update(change)
    with app.test_request_context("/?lang=en", method="POST", data=data):
        form = intake_form_for(jurisdiction("beijing"))
        assert not form.validate()
        assert form.errors[field]
        if message:
            assert message in [str(m) for m in form.errors[field]]


def test_beijing_intake_template_is_used_for_beijing_only_seed003(client):
    for code in ("beijing", "beijing-dongcheng", "beijing-xicheng"):
        assert 'data-scope="beijing"' in client.get(f"/file/{code}").text
    for code in ("kunming", "xuanwu", "dazhou", "qingcheng"):
        assert 'data-scope="beijing"' not in client.get(f"/file/{code}").text


# -- Dongcheng's six steps ----------------------------------------------------------------------------
def test_dongcheng_workflow_validates_with_the_six_published_steps_seed003(app):
    wf = hooks(app).portal_workflow()
    wf.validate()
    assert wf.steps_zh == ("发现问题", "汇总转办", "限期解决", "结果核查", "监督检查", "报送备案")


def test_dongcheng_case_walks_the_six_steps_and_cannot_skip_verification_seed003(app):
    """Seed 003: discover → collect & transfer → resolve by the deadline → verify → supervise → file.
    A failed verification sends the case back; no reply before the result is verified."""
    j = jurisdiction("beijing-dongcheng")
    clerk = staff("dc-clerk", "clerk", "beijing-dongcheng")
    sup = staff("dc-sup", "supervisor", "beijing-dongcheng")
    hrss = department(j, "bjdc-hrss")
    handler = staff("dc-hand", "handler", "beijing-dongcheng", hrss)
    case = file("beijing-dongcheng", now=shanghai(2026, 3, 2, 9, 0), receiver=clerk, channel="window",
                matter="社保卡代替身份证明", description="办事指南写“身份证明”，带了社保卡，窗口要求身份证。").case
    assert case.state == "received"
    engine.perform(case, "assign", A(clerk), params={"lead_department_id": hrss.id}, now=shanghai(2026, 3, 2, 10, 0))
    assert case.state == "transferred"
    with pytest.raises(NotAllowed):
        engine.perform(case, "reply", A(clerk), note="已解决", now=shanghai(2026, 3, 2, 11, 0))
    engine.perform(case, "resolve", A(handler), note="已联系首都之窗修改指南。", now=shanghai(2026, 3, 3, 10, 0))
    engine.perform(case, "verify_failed", A(sup), note="指南尚未更新。", now=shanghai(2026, 3, 3, 15, 0))
    assert case.state == "transferred"
    engine.perform(case, "resolve", A(handler), note="指南已将“身份证明”改为“身份证”。", now=shanghai(2026, 3, 4, 10, 0))
    engine.perform(case, "verify", A(clerk), note="已在首都之窗核对更正后的指南。", now=shanghai(2026, 3, 4, 11, 0))
    engine.perform(case, "reply", A(clerk), note="办事指南已更正，请携带身份证办理。", now=shanghai(2026, 3, 4, 14, 0))
    engine.rate(case, 4, now=shanghai(2026, 3, 4, 18, 0))
    engine.perform(case, "return_visit", A(clerk), params={"method": "phone", "satisfaction": 4},
                   now=shanghai(2026, 3, 5, 10, 0))
    engine.perform(case, "close", A(clerk), now=shanghai(2026, 3, 5, 10, 30))
    with pytest.raises(NotAllowed):
        engine.perform(case, "inspect", A(clerk), note="x", now=shanghai(2026, 3, 5, 11, 0))
    engine.perform(case, "inspect", A(sup), note="月度监督检查：已核实整改到位。", now=shanghai(2026, 3, 31, 10, 0))
    engine.perform(case, "archive", A(sup), now=shanghai(2026, 3, 31, 11, 0))
    assert case.state == "archived"
    assert [e.action for e in case.events][:3] == ["file", "assign", "resolve"]


def test_only_dongcheng_runs_the_six_steps_other_districts_keep_the_core_loop_seed003(app):
    for code in ("beijing", "beijing-xicheng", "beijing-chaoyang"):
        assert hooks(app, code).portal_workflow().name == "core"


# -- named windows and channels ----------------------------------------------------------------------
def test_xicheng_names_its_window_xixinting_seed003(app):
    assert hooks(app, "beijing-xicheng").portal_branding().window_name_zh == "“悉心听”窗口"
    xicheng = jurisdiction("beijing-xicheng")
    windows = [w.name_zh for c in xicheng.centres for w in c.windows]
    assert "12号“悉心听”窗口" in windows and "“悉心听”窗口" in windows
    assert "悉心听" not in hooks(app, "beijing-dongcheng").portal_branding().window_name_zh


def test_chaoyang_online_channel_is_chaowoshuo_and_dongcheng_records_fault_finding_finds_seed003(app):
    chaoyang = {c.code: c for c in hooks(app, "beijing-chaoyang").portal_intake_channels()}
    assert "朝我说" in chaoyang["online"].name_zh
    dongcheng = {c.code for c in hooks(app, "beijing-dongcheng").portal_intake_channels()}
    assert {"comprehensive_window", "fault_finding"} <= dongcheng
    assert "fault_finding" not in {c.code for c in hooks(app, "beijing-pinggu").portal_intake_channels()}


# -- fault-finding day --------------------------------------------------------------------------------
def test_fault_finding_day_is_a_random_working_day_of_the_month_seed003(app):
    """Seed 003: one day a month chosen at random; Feb 2026 has Spring Festival (15-23 off) and
    make-up Saturdays (14, 28 Feb)."""
    j = jurisdiction("beijing-dongcheng")
    cal = calendar_for(j)
    days = {pick_fault_finding_day(j, 2026, 2, random.Random(seed)) for seed in range(200)}
    assert all(d.month == 2 and cal.is_working_day(d) for d in days)
    assert not days & {date(2026, 2, d) for d in range(15, 24)}
    assert date(2026, 2, 14) in days or date(2026, 2, 28) in days


def test_fault_finding_day_is_recorded_once_a_month_seed003(app):
    j = jurisdiction("beijing-dongcheng")
    rec = record_fault_finding_day(j, date(2026, 3, 17), team="监督小组（三人）",
                                   findings="二层综合窗口一次性告知单缺少纳税记录要求。", windows_checked=58)
    assert rec.kind == "fault_finding_day" and rec.windows_checked == 58
    with pytest.raises(ValueError):
        record_fault_finding_day(j, date(2026, 3, 25), team="监督小组", findings="", windows_checked=58)
    record_fault_finding_day(j, date(2026, 4, 8), team="监督小组", findings="未发现问题。", windows_checked=58)
    assert db.session.scalar(select(func.count(SupervisionRecord.id))) == 2
    with pytest.raises(ValueError):
        record_fault_finding_day(jurisdiction("dazhou"), date(2026, 3, 17), team="x", findings="", windows_checked=1)
