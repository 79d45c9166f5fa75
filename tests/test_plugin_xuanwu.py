"""Xuanwu District, Nanjing (seed 001): four types, joint meeting, 3/5 working days,
registration form, channels, first-contact responsibility and accountability."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from bancheng_plugins.xuanwu.models import CaseMeeting
from portal.engine import cases as engine
from portal.engine.errors import Invalid, NotAllowed
from portal.extensions import db
from portal.forms import extra_data
from portal.models import AccountabilityRecord, Case
from portal.public.filing import intake_form_for
from portal.accountability import record
from portal.sweep import sweep
from tests.conftest import shanghai
from tests.factories import department, file, jurisdiction, login, staff

A = engine.Actor.staff
#: An invented unified social credit code with a correct GB 32100-2015 check character.
INVENTED_CREDIT_CODE = "91320102MA00000018"


def hooks(app, code="xuanwu"):
    return app.extensions["portal_plugins"].for_jurisdiction(code)


def submit(code, data):
    """Validate the jurisdiction's public intake form on a POST with ``data``."""
    form = intake_form_for(jurisdiction(code))
    return form.validate(), form


BASE = {"channel": "online", "matter": "房屋租赁备案", "name": "陈一鸣", "phone": "13912340000",
        "description": "房主在外地无法到场，窗口说必须本人持证件办理，已经来了两次。"}


# -- time limits -----------------------------------------------------------------------
def test_not_yet_case_received_before_spring_festival_is_due_after_it_counting_the_makeup_saturday_seed001(app):
    """暂时办不了 (seed 001): reply within 3 working days. Received Fri 13 Feb 2026: Sat 14 Feb
    is a make-up working day (1), 15-23 Feb Spring Festival off, Tue 24 (2), Wed 25 (3)."""
    filed = file("xuanwu", now=shanghai(2026, 2, 13, 16, 30), category="not_yet", complexity="general")
    deadline = filed.case.active_deadline
    assert deadline.days == 3
    assert deadline.due_date == date(2026, 2, 25)
    assert "2026-02-14" in deadline.explanation["makeup_days"]
    assert deadline.explanation["source"]["article_zh"] == "原则上3个工作日内给予答复"
    assert "一事一议" in deadline.explanation["source"]["document_zh"]


def test_especially_complex_not_yet_case_gets_five_working_days_across_spring_festival_seed001(app):
    """Especially complex (seed 001): 5 working days: 14 Feb, 24, 25, 26, 27 Feb 2026."""
    filed = file("xuanwu", now=shanghai(2026, 2, 13, 9, 0), category="not_yet", complexity="especially_complex")
    assert filed.case.active_deadline.days == 5
    assert filed.case.active_deadline.due_date == date(2026, 2, 27)


def test_not_yet_case_received_before_national_day_is_due_on_the_makeup_saturday_seed001(app):
    """Received Wed 30 Sep 2026: 1-7 Oct off, Thu 8 (1), Fri 9 (2), Sat 10 Oct make-up (3)."""
    filed = file("xuanwu", now=shanghai(2026, 9, 30, 11, 0), category="not_yet")
    assert filed.case.active_deadline.due_date == date(2026, 10, 10)


def test_street_centres_follow_the_district_rules_seed001(app):
    """The window covers every street centre (seed 001): same limits at Xinjiekou."""
    filed = file("xuanwu-xinjiekou", now=shanghai(2026, 2, 13, 9, 0), category="not_yet")
    assert filed.case.number.startswith("XWXJK-2026-")
    assert filed.case.active_deadline.due_date == date(2026, 2, 25)


# -- joint meeting and the workflow ------------------------------------------------------------
def test_workflow_validates_and_has_the_joint_meeting_step_seed001(app):
    wf = hooks(app).portal_workflow()
    wf.validate()
    t = wf.transition("joint_meeting")
    assert t.target == "deliberated" and "一事一议" in t.label_zh


def test_not_yet_case_walks_through_the_joint_meeting_to_the_archive_seed001(app):
    """暂时办不了 (seed 001): the administrative approval bureau leads a joint meeting, the
    decision is recorded with attendees and minutes, the person gets an answer, the case is archived."""
    j = jurisdiction("xuanwu")
    clerk = staff("xw-clerk", "clerk", "xuanwu")
    sup = staff("xw-sup", "supervisor", "xuanwu")
    approval = department(j, "xw-approval")
    case = file("xuanwu", now=shanghai(2026, 3, 2, 9, 0), receiver=clerk,
                matter="物业公司注销", description="税务和市场监管两边都说要先办对方的手续，来回跑了三趟。").case
    engine.perform(case, "classify", A(clerk), params={"category": "not_yet", "complexity": "general"},
                   now=shanghai(2026, 3, 2, 9, 30))
    engine.perform(case, "assign", A(clerk), params={"lead_department_id": approval.id}, now=shanghai(2026, 3, 2, 10, 0))
    due_before = case.active_deadline.due_date
    with pytest.raises(Invalid):
        engine.perform(case, "joint_meeting", A(sup), params={"attendees": "", "decision": ""},
                       now=shanghai(2026, 3, 3, 14, 0))
    engine.perform(case, "joint_meeting", A(sup), now=shanghai(2026, 3, 3, 15, 0), params={
        "attendees": "区行政审批局、区税务局、区市场监督管理局", "decision": "先办理税务清税，再由市场监管办理注销登记",
        "minutes": "三方确认办理顺序，由审批局跟踪。"})
    assert case.state == "deliberated"
    meeting = db.session.scalar(select(CaseMeeting).where(CaseMeeting.case_id == case.id))
    assert "区税务局" in meeting.attendees and meeting.minutes
    assert case.active_deadline.due_date == due_before == date(2026, 3, 5)  # same reply stage, same clock
    engine.perform(case, "reply", A(clerk), note="已按联席会议意见办理。", now=shanghai(2026, 3, 4, 10, 0))
    engine.rate(case, 5, now=shanghai(2026, 3, 4, 12, 0))
    engine.perform(case, "return_visit", A(clerk), params={"method": "phone", "satisfaction": 5},
                   now=shanghai(2026, 3, 5, 10, 0))
    engine.perform(case, "close", A(clerk), now=shanghai(2026, 3, 5, 10, 5))
    engine.perform(case, "archive", A(sup), now=shanghai(2026, 3, 5, 11, 0))
    assert case.state == "archived" and case.archived_at is not None


def test_cannot_do_matter_is_explained_and_archived_seed001(app):
    """不能办 (seed 001): no legal basis → explain; the case ends as explained and is archived."""
    clerk = staff("xw-clerk2", "clerk", "xuanwu")
    sup = staff("xw-sup2", "supervisor", "xuanwu")
    case = file("xuanwu", now=shanghai(2026, 3, 2, 9, 0)).case
    engine.perform(case, "classify", A(clerk), params={"category": "cannot"}, now=shanghai(2026, 3, 2, 9, 10))
    engine.perform(case, "refer", A(clerk), note="该事项缺乏政策依据，已解释。", now=shanghai(2026, 3, 2, 9, 20))
    assert case.state == "referred"
    engine.perform(case, "archive", A(sup), now=shanghai(2026, 3, 2, 9, 30))
    assert case.state == "archived"


def test_refused_type_is_investigated_by_a_supervisor_only_seed001(app):
    """不给办 (seed 001): responsibility is established; a clerk may not record it."""
    clerk = staff("xw-clerk3", "clerk", "xuanwu")
    sup = staff("xw-sup3", "supervisor", "xuanwu")
    case = file("xuanwu", now=shanghai(2026, 3, 2, 9, 0), category="refused", receiver=clerk).case
    found = {"kind": "refusal", "staff_id": clerk.id}
    with pytest.raises(NotAllowed):
        engine.perform(case, "investigate", A(clerk), note="x", params=found, now=shanghai(2026, 3, 2, 10, 0))
    engine.perform(case, "investigate", A(sup), note="窗口人员业务不熟，未按容缺受理办理。", params=found,
                   now=shanghai(2026, 3, 2, 10, 0))
    assert case.events[-1].action == "investigate"


# -- actions declared by the plugin (portal_actions) ---------------------------------------------
def meeting_case(jcode="xuanwu", lead_code="xw-hrss"):
    """A 暂时办不了 case assigned to a department other than the approval bureau."""
    clerk = staff(f"{jcode}-mc", "clerk", jcode)
    case = file(jcode, now=shanghai(2026, 3, 2, 9, 0), receiver=clerk, category="not_yet").case
    engine.perform(case, "assign", A(clerk), params={"lead_department_id": department(jurisdiction("xuanwu"), lead_code).id}
                   if jcode == "xuanwu" else {"lead_department_id": department(jurisdiction(jcode)).id},
                   now=shanghai(2026, 3, 2, 9, 30))
    return case


MEETING = {"attendees": "区人社局、区税务局", "decision": "由人社局先行受理，税务局补充证明。"}


def test_joint_meeting_is_led_by_the_district_administrative_approval_bureau_seed001(app):
    """Seed 001 (暂时办不了): "由区行政审批局牵头，组织相关部门召开联席会议'一事一议'". Whatever
    department handles the case, and for a street centre's case too, the meeting's lead is the
    district administrative approval bureau."""
    sup = staff("xw-sup-m", "supervisor", "xuanwu", subtree=True)
    for jcode in ("xuanwu", "xuanwu-xinjiekou"):
        case = meeting_case(jcode)
        assert case.lead_department.code != "xw-approval"
        ev = engine.perform(case, "joint_meeting", A(sup), params=MEETING, now=shanghai(2026, 3, 3, 15, 0))
        assert ev.data["led_by"] == "玄武区行政审批局"
        meeting = db.session.scalar(select(CaseMeeting).where(CaseMeeting.case_id == case.id))
        assert meeting.held_on == date(2026, 3, 3) and meeting.decision == MEETING["decision"]
        # the lead is stored on the meeting itself, not only in the event's text
        assert meeting.lead_department.code == "xw-approval"
        assert meeting.lead_department.jurisdiction.code == "xuanwu"


def test_joint_meeting_without_the_approval_bureau_is_refused_and_nothing_is_written_seed001(app):
    """Seed 001: no meeting without its lead, the approval bureau (here renamed away)."""
    sup = staff("xw-sup-n", "supervisor", "xuanwu")
    case = meeting_case()
    department(jurisdiction("xuanwu"), "xw-approval").code = "xw-approval-old"
    db.session.commit()
    with pytest.raises(Invalid) as refused:
        engine.perform(case, "joint_meeting", A(sup), params=MEETING, now=shanghai(2026, 3, 3, 15, 0))
    assert "区行政审批局" in str(refused.value.message)  # the default locale is zh_Hans
    assert case.state == "assigned"
    assert db.session.scalar(select(func.count(CaseMeeting.id))) == 0


def test_joint_meeting_form_on_the_staff_page_refuses_a_future_date_and_records_a_good_one_seed001(client):
    """Seed 001 (一事一议): the meeting is recorded on the case page with its date, attendees,
    decision and minutes; a date still to come is refused with a message, nothing written."""
    staff("xw-sup-p", "supervisor", "xuanwu")
    case = meeting_case()
    login(client, "xw-sup-p")
    page = client.get(f"/staff/cases/{case.number}?lang=en").text
    assert 'id="joint_meeting-held_on"' in page and 'type="date"' in page
    assert 'name="attendees"' in page and 'name="minutes"' in page

    def post(**data):
        db.session.refresh(case)
        return client.post(f"/staff/cases/{case.number}/act?lang=en", data={
            "action": "joint_meeting", "version": str(case.version), "note": "", **data})

    r = post(held_on="2999-01-01", **MEETING)
    assert r.status_code == 422 and "cannot be in the future" in r.text
    assert MEETING["attendees"] in r.text  # what was typed stays in the form
    r = post(held_on="", attendees="", decision="")
    assert r.status_code == 422 and "needs its attendees and its decision" in r.text
    assert db.session.scalar(select(func.count(CaseMeeting.id))) == 0
    assert post(held_on="2026-03-03", minutes="三方确认。", **MEETING).status_code == 303
    db.session.expire_all()
    meeting = db.session.scalar(select(CaseMeeting).where(CaseMeeting.case_id == case.id))
    assert meeting.held_on == date(2026, 3, 3) and meeting.minutes == "三方确认。"
    page = client.get(f"/staff/cases/{case.number}?lang=en").text
    assert "Led by: 玄武区行政审批局" in page
    # the meeting itself, in Xuanwu's own panel (hook portal_case_panels), not in the core's page
    panel = re.search(r'<section class="plugin-panel" data-plugin="xuanwu">.*?</section>', page, re.S).group(0)
    assert "<h2>Joint meetings</h2>" in panel and "Mar 3, 2026" in panel
    assert 'Led by: <span class="prewrap">Xuanwu Administrative Approval Bureau</span>' in panel
    assert MEETING["attendees"] in panel and MEETING["decision"] in panel and "三方确认。" in panel
    zh = client.get(f"/staff/cases/{case.number}?lang=zh_Hans").text
    assert "<h2>联席会议</h2>" in zh


def test_investigating_a_refused_matter_records_accountability_linked_to_the_case_seed001(client):
    """Seed 001 (不给办): "查明责任，对相关人员加以取消评优资格、扣发奖金等处理". The investigation
    records the staff member's failure on the case, with the outcome Xuanwu's rules give; the
    record shows on the case page to supervisors (not to clerks)."""
    receiver = staff("xw-first-r", "clerk", "xuanwu")
    sup = staff("xw-sup-r", "supervisor", "xuanwu")
    case = file("xuanwu", now=shanghai(2026, 3, 2, 9, 0), receiver=receiver, category="refused").case
    login(client, "xw-sup-r")
    page = client.get(f"/staff/cases/{case.number}?lang=en").text
    # the first receiver is offered first: under first-contact responsibility they answer for it
    assert re.search(rf'<option selected value="{receiver.id}">|<option value="{receiver.id}" selected', page)

    def post(**data):
        db.session.refresh(case)
        return client.post(f"/staff/cases/{case.number}/act?lang=en", data={
            "action": "investigate", "version": str(case.version), **data})

    r = post(kind="refusal", staff_id="0", note="业务不熟")
    assert r.status_code == 422 and "Choose the staff member responsible." in r.text
    r = post(kind="dismissal", staff_id=str(receiver.id), note="业务不熟")
    assert r.status_code == 422 and "Say what the investigation found." in r.text
    assert db.session.scalar(select(func.count(AccountabilityRecord.id))) == 0
    r = post(kind="refusal", staff_id=str(receiver.id), note="窗口人员业务不熟，未按容缺受理办理。")
    assert r.status_code == 303
    rows = db.session.scalars(select(AccountabilityRecord)).all()
    assert [(r.case_id, r.staff_id, r.kind, r.occurrence, r.by_id) for r in rows] == [
        (case.id, receiver.id, "refusal", 1, sup.id)]
    assert rows[0].outcome == "取消评优资格，扣发奖金"
    page = client.get(f"/staff/cases/{case.number}?lang=en").text
    assert "Accountability for this case" in page and "取消评优资格，扣发奖金" in page
    client.post("/staff/logout")
    login(client, "xw-first-r")
    assert "取消评优资格" not in client.get(f"/staff/cases/{case.number}?lang=en").text


def test_only_a_refused_matter_is_investigated_seed001(client):
    """Seed 001: responsibility is investigated for 不给办; the other types are not offered it."""
    sup = staff("xw-sup-o", "supervisor", "xuanwu")
    case = file("xuanwu", now=shanghai(2026, 3, 2, 9, 0), category="hard").case
    login(client, "xw-sup-o")
    assert 'value="investigate"' not in client.get(f"/staff/cases/{case.number}").text
    with pytest.raises(NotAllowed):
        engine.perform(case, "investigate", A(sup), note="x", params={"kind": "refusal", "staff_id": sup.id})
    assert db.session.scalar(select(func.count(AccountabilityRecord.id))) == 0


def test_four_types_each_have_handling_and_outcome_seed001(app):
    cats = {c.code: c for c in hooks(app).portal_categories()}
    assert set(cats) == {"cannot", "hard", "refused", "not_yet"}
    assert all(c.handling_zh and c.outcome_zh and c.handling_en for c in cats.values())
    assert "容缺受理" in cats["hard"].handling_zh
    assert "联席会议" in cats["not_yet"].handling_zh


# -- first-contact responsibility ----------------------------------------------------------------
def test_first_receiver_stays_attached_after_assignment_and_is_shown_on_the_case_seed001(app, client):
    """首问/首接负责制 (seed 001): the first receiver is recorded and stays on the case."""
    j = jurisdiction("xuanwu")
    receiver = staff("xw-first", "clerk", "xuanwu")
    other = staff("xw-window", "supervisor", "xuanwu")
    case = file("xuanwu", now=shanghai(2026, 3, 2, 9, 0), receiver=receiver, channel="window").case
    engine.perform(case, "assign", A(other), params={"lead_department_id": department(j, "xw-hrss").id},
                   now=shanghai(2026, 3, 2, 10, 0))
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.first_receiver.username == "xw-first"
    assert case.events[0].data["first_receiver"] == "xw-first"
    login(client, "xw-window")
    page = client.get(f"/staff/cases/{case.number}")
    assert page.status_code == 200 and "xw-first" in page.text


# -- intake: registration form and channels --------------------------------------------------------
def test_registration_form_accepts_a_person_and_stores_its_fields_in_extra_seed001(app):
    data = dict(BASE, applicant_type="person", reason_given="窗口说必须房主本人到场。", wish="希望通过视频连线确认。")
    with app.test_request_context("/?lang=en", method="POST", data=data):
        ok, form = submit("xuanwu", data)
        assert ok, form.errors
        assert extra_data(form)["wish"] == "希望通过视频连线确认。"


def test_registration_form_accepts_a_company_with_a_valid_credit_code_seed001(app):
    data = dict(BASE, applicant_type="company", company_name="南京某某交通工程有限公司",
                credit_code=INVENTED_CREDIT_CODE, reason_given="股权变更材料不齐。", wish="请协调办理股权变更。")
    with app.test_request_context("/?lang=en", method="POST", data=data):
        ok, form = submit("xuanwu", data)
        assert ok, form.errors


@pytest.mark.parametrize("change, field, message", [
    ({"applicant_type": "company", "company_name": "", "credit_code": INVENTED_CREDIT_CODE}, "company_name",
     "Enter the company's name."),
    ({"applicant_type": "company", "company_name": "某公司", "credit_code": ""}, "credit_code",
     "Enter the company's unified social credit code."),
    ({"applicant_type": "company", "company_name": "某公司", "credit_code": "91320102MA00000019"}, "credit_code",
     "This is not a valid 18-character unified social credit code."),
    ({"reason_given": ""}, "reason_given", "Tell us what you were told at the window."),
    ({"wish": ""}, "wish", "Tell us what you would like us to do."),
    ({"applicant_type": ""}, "applicant_type", None),
])
def test_registration_form_rejects_bad_input_with_a_message_seed001(app, change, field, message):
    data = dict(BASE, applicant_type="person", reason_given="窗口说办不了。", wish="请帮忙。")
    data.update(change)
    with app.test_request_context("/?lang=en", method="POST", data=data):
        ok, form = submit("xuanwu", data)
        assert not ok
        assert form.errors[field]
        if message:
            assert message in [str(m) for m in form.errors[field]]


def test_filing_on_the_registration_form_over_http_stores_the_extra_fields_seed001(client):
    data = dict(BASE, applicant_type="person", reason_given="窗口说必须房主本人到场。", wish="希望视频连线确认。",
                first_window="3号窗口")
    r = client.post("/file/xuanwu", data=data)
    assert r.status_code in (302, 303), r.status_code  # to the receipt
    case = db.session.scalar(select(Case).order_by(Case.id.desc()))
    assert case.extra["first_window"] == "3号窗口" and case.extra["applicant_type"] == "person"


def test_intake_channels_are_window_rating_phone_and_comment_book_seed001(app):
    codes = [c.code for c in hooks(app).portal_intake_channels()]
    assert {"window", "rating", "phone", "comment_book"} <= set(codes)
    assert "hotline" not in codes


def test_registration_form_template_is_used_for_xuanwu_only_seed001(client):
    assert 'data-form="xuanwu-registration"' in client.get("/file/xuanwu").text
    assert 'data-form="xuanwu-registration"' in client.get("/file/xuanwu-xiaolingwei").text
    for other in ("kunming", "beijing-dongcheng", "dazhou", "qingcheng"):
        assert 'data-form="xuanwu-registration"' not in client.get(f"/file/{other}").text


# -- accountability -----------------------------------------------------------------------------------
def record_failure(kind, *, staff=None, department=None, by=None, note="", now=None):
    """The accountability record (portal.accountability, what the staff page writes too), committed."""
    row = record(kind, staff=staff, department=department, case=None, note=note, by=by, now=now)
    db.session.commit()
    return row


def test_clerks_third_attitude_failure_yields_the_dismissal_recommendation_seed001(app):
    """Seed 001: attitude failures 1st and 2nd → talk and bonus deduction, 3rd → dismissal."""
    clerk = staff("xw-rude", "clerk", "xuanwu")
    sup = staff("xw-boss", "supervisor", "xuanwu")
    records = [record_failure("attitude", staff=clerk, by=sup, note=f"第{n}次", now=shanghai(2026, m, 10, 10, 0))
               for n, m in ((1, 3), (2, 4), (3, 5))]
    assert [r.occurrence for r in records] == [1, 2, 3]
    assert records[0].outcome == records[1].outcome == "谈话提醒，扣发奖金"
    assert "辞退" in records[2].outcome
    outcome = hooks(app).portal_accountability_outcome(kind="attitude", occurrence=3)
    assert outcome.outcome_en == "Third attitude failure: dismissal recommended"


def test_attitude_failures_are_counted_per_staff_member_seed001(app):
    sup = staff("xw-boss2", "supervisor", "xuanwu")
    first, second = staff("xw-a", "clerk", "xuanwu"), staff("xw-b", "clerk", "xuanwu")
    record_failure("attitude", staff=first, by=sup)
    record_failure("attitude", staff=first, by=sup)
    assert record_failure("attitude", staff=second, by=sup).occurrence == 1


def test_department_non_cooperation_loses_assessment_points_seed001(app):
    j = jurisdiction("xuanwu")
    rec = record_failure("non_cooperation", department=department(j, "xw-housing"),
                         by=staff("xw-boss3", "supervisor", "xuanwu"))
    assert rec.points > 0 and "考核" in rec.outcome


def test_refusal_by_staff_costs_awards_and_bonus_seed001(app):
    """不给办 (seed 001): 取消评优资格、扣发奖金."""
    outcome = hooks(app).portal_accountability_outcome(kind="refusal", occurrence=1)
    assert "取消评优资格" in outcome.outcome_zh and "扣发奖金" in outcome.outcome_zh


def test_department_overrunning_the_time_limit_is_recorded_by_the_sweep_seed001(app):
    """Seed 001: departments that overrun the time limit lose points at the year-end assessment."""
    j = jurisdiction("xuanwu")
    clerk = staff("xw-c4", "clerk", "xuanwu")
    tax = department(j, "xw-tax")
    case = file("xuanwu", now=shanghai(2026, 3, 2, 9, 0), category="not_yet").case  # due Thu 5 Mar 2026
    engine.perform(case, "assign", A(clerk), params={"lead_department_id": tax.id}, now=shanghai(2026, 3, 2, 10, 0))
    assert sweep(shanghai(2026, 3, 5, 23, 0))["flagged"] == 0
    assert sweep(shanghai(2026, 3, 6, 9, 0))["flagged"] == 1
    sweep(shanghai(2026, 3, 6, 10, 0))  # idempotent: no second record
    rows = db.session.scalars(select(AccountabilityRecord).where(AccountabilityRecord.department_id == tax.id)).all()
    assert [(r.kind, r.case_id) for r in rows] == [("overrun", case.id)]


def test_other_jurisdictions_keep_the_core_accountability_outcome(app):
    host = app.extensions["portal_plugins"]
    outcome = host.for_jurisdiction("kunming").portal_accountability_outcome(kind="attitude", occurrence=3)
    assert "辞退" not in outcome.outcome_zh
    assert db.session.scalar(select(func.count(AccountabilityRecord.id))) == 0


def test_the_3_and_5_working_day_limit_belongs_to_not_yet_matters_only_seed001(app):
    """Seed 001: “暂时办不了”的事项事后议，“一事一议”促解决……原则上3个工作日内给予答复，特别复杂事项5个工作日内
    给予答复. The limit is the joint meeting's: 不能办, 不好办 and 不给办 are given no limit by the
    report, so they (and a case not yet classified) get the portal's default setting."""
    host = app.extensions["portal_plugins"].for_jurisdiction("xuanwu")
    for complexity, days in (("general", 3), ("complex", 3), ("especially_complex", 5)):
        limit = host.portal_time_limit(category="not_yet", complexity=complexity, stage="reply")
        assert limit.days == days and not limit.portal_default
        assert "一事一议" in limit.source.document_zh
    for category in ("cannot", "hard", "refused", None):
        limit = host.portal_time_limit(category=category, complexity="general", stage="reply")
        assert limit.portal_default and limit.days == 5, category
    # classifying a case as 暂时办不了 sets the joint meeting's limit for the running stage
    clerk = staff("xw-c-limit", "clerk", "xuanwu")
    case = file("xuanwu", now=shanghai(2026, 3, 2, 9, 0)).case
    assert case.active_deadline.explanation["source"] == "portal_default"
    engine.perform(case, "classify", A(clerk), params={"category": "not_yet"}, now=shanghai(2026, 3, 2, 9, 30))
    assert case.active_deadline.days == 3
    assert case.active_deadline.explanation["source"]["article_zh"] == "原则上3个工作日内给予答复"


def test_a_street_supervisor_investigates_within_their_own_jurisdiction_only(client):
    """The investigation of a street centre's 不给办 case never lists, nor records against, the
    district's staff for a supervisor who sees only the street: the core's accountability page
    keeps the same scope (out of scope is not there). Found by review."""
    street_sup = staff("xw-street-sup", "supervisor", "xuanwu-xinjiekou")
    street_clerk = staff("xw-street-clerk", "clerk", "xuanwu-xinjiekou")
    district_clerk = staff("xw-district-clerk", "clerk", "xuanwu")
    case = file("xuanwu-xinjiekou", now=shanghai(2026, 3, 2, 9, 0), receiver=street_clerk, category="refused").case
    login(client, street_sup.username)
    page = client.get(f"/staff/cases/{case.number}?lang=en").text
    assert f'value="{street_clerk.id}"' in page and "xw-district-clerk" not in page
    db.session.refresh(case)
    r = client.post(f"/staff/cases/{case.number}/act?lang=en", data={
        "action": "investigate", "version": str(case.version), "kind": "refusal",
        "staff_id": str(district_clerk.id), "note": "越级追责"})
    assert r.status_code == 422 and "Choose the staff member responsible." in r.text
    assert db.session.scalar(select(func.count(AccountabilityRecord.id))) == 0


def test_the_investigation_is_an_internal_step_the_person_does_not_see_seed001():
    """Seed 001: who is held to account (不给办) is the window's internal matter; the person's
    timeline shows the answer, not the investigation."""
    from bancheng_plugins.xuanwu import plugin

    t = plugin.portal_workflow(jurisdiction="xuanwu").transition("investigate")
    assert t.public is False and not t.public_note
