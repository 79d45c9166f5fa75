"""The case page on the core default workflow (the demo jurisdiction): every action through
HTTP, the whole timeline, canned replies, and stale forms refused without overwriting."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.engine.errors import Conflict
from portal.extensions import db
from portal.models import Case, CannedReply, Department

from .conftest import shanghai
from .factories import file, jurisdiction, login
from .staff_support import quick_staff


@pytest.fixture
def client(core_app):
    """This module's client talks to the core-only app (the conftest one has every plugin)."""
    return core_app.test_client()


@pytest.fixture
def demo(core_app):
    j = jurisdiction("demo")
    lead = j.departments[0]
    co = Department(jurisdiction=j, code="demo-tax", name_zh="税务局", name_en="Tax bureau")
    db.session.add(co)
    db.session.commit()
    people = {
        "clerk": quick_staff("demo-clerk-1", "clerk", "demo"),
        "handler": quick_staff("demo-handler-1", "handler", "demo", lead),
        "supervisor": quick_staff("demo-super-1", "supervisor", "demo"),
        "admin": quick_staff("demo-admin-1", "admin", "demo"),
    }
    case = file("demo", matter="职工退休审批", receiver=people["clerk"], channel="window",
                now=shanghai(2026, 9, 7, 10, 0)).case
    return {"j": j, "lead": lead, "co": co, "case": case, **people}


def post(client, case, action, **data):
    db.session.refresh(case)
    form = {"action": action, "version": str(case.version), "note": data.pop("note", "")}
    form.update(data)
    return client.post(f"/staff/cases/{case.number}/act", data=form)


def page(client, case):
    return client.get(f"/staff/cases/{case.number}").get_data(as_text=True)


def test_supervisor_assigns_lead_and_co_handling_departments(demo, client):
    login(client, "demo-super-1")
    case = demo["case"]
    r = client.post(f"/staff/cases/{case.number}/act", data={
        "action": "assign", "version": str(case.version), "note": "",
        "lead_department_id": str(demo["lead"].id), "co_department_ids": [str(demo["co"].id)]})
    assert r.status_code == 303
    db.session.refresh(case)
    assert case.state == "assigned" and case.lead_department_id == demo["lead"].id
    assert [d.code for d in case.co_departments] == ["demo-tax"]
    body = page(client, case)
    assert "税务局" in body and "人力资源和社会保障局" in body


@pytest.mark.parametrize("lead,co", [
    ('"; DROP TABLE "case"; --', []),  # found by the proof's form fuzzing: was a 500
    ("99999999999999999999", []),      # beyond the database's integer range
    ("lead", ["²"]),                   # "²".isdigit() is true, int("²") fails
])
def test_assign_with_tampered_department_ids_is_refused_with_a_message(demo, client, lead, co):
    login(client, "demo-super-1")
    case = demo["case"]
    lead = str(demo["lead"].id) if lead == "lead" else lead
    r = post(client, case, "assign", lead_department_id=lead, co_department_ids=co)
    assert r.status_code == 422
    assert "department" in r.get_data(as_text=True).lower() or "部门" in r.get_data(as_text=True)
    db.session.refresh(case)
    assert case.state != "assigned" and case.lead_department_id is None


def test_escalate_pause_resume_and_extend_with_reason(demo, client):
    login(client, "demo-super-1")
    case = demo["case"]
    body = page(client, case)
    assert "→ 责任部门" in body  # the escalate action names the next tier
    assert post(client, case, "escalate", note="两个部门互相推诿").status_code == 303
    db.session.refresh(case)
    assert case.escalation_tier == "department"
    assert post(client, case, "pause", note="等待申请人补充劳动合同").status_code == 303
    db.session.refresh(case)
    assert case.paused_at is not None
    body = page(client, case)
    assert 'value="resume"' in body and 'value="pause"' not in body
    assert post(client, case, "resume").status_code == 303
    db.session.refresh(case)
    assert case.paused_at is None
    due_before = case.active_deadline.due_date
    # an extension needs its reason
    r = post(client, case, "extend", days="3", note="")
    assert r.status_code == 422  # an extension needs its reason
    assert post(client, case, "extend", days="3", note="需调取外省档案").status_code == 303
    db.session.refresh(case)
    assert case.active_deadline.extended_days == 3 and case.active_deadline.due_date > due_before
    assert "需调取外省档案" in page(client, case)


def test_reply_offers_canned_replies_for_the_category_and_sends_the_edited_text(demo, client):
    case = demo["case"]
    db.session.add_all([
        CannedReply(jurisdiction_id=demo["j"].id, category="guide", title="指南更正答复", body="经核实，办事指南已更正。"),
        CannedReply(jurisdiction_id=demo["j"].id, category="attitude", title="态度答复", body="已对工作人员批评教育。"),
    ])
    db.session.commit()
    login(client, "demo-super-1")
    assert post(client, case, "classify", category="guide", complexity="general").status_code == 303
    body = page(client, case)
    assert "指南更正答复" in body and "态度答复" not in body
    assert "经核实，办事指南已更正。" in body  # the first canned reply fills the reply box
    # the plugin's standard outcome text for the category is offered too
    key = re.search(r'<option value="(plugin-zh)"', body)
    if key:
        assert "plugin-zh" in client.get(f"/staff/cases/{case.number}?canned=plugin-zh").get_data(as_text=True)
    r = post(client, case, "reply", note="经核实，办事指南已更正，请携带身份证办理。")
    assert r.status_code == 303
    db.session.refresh(case)
    assert case.state == "replied" and case.reply == "经核实，办事指南已更正，请携带身份证办理。"


def test_the_whole_loop_to_archive_and_the_timeline_shows_every_event(demo, client):
    case = demo["case"]
    login(client, "demo-super-1")
    assert post(client, case, "assign", lead_department_id=str(demo["lead"].id)).status_code == 303
    client.post("/staff/logout")
    login(client, "demo-handler-1")
    assert post(client, case, "reply", note="已为您办结。").status_code == 303
    client.post("/staff/logout")
    login(client, "demo-clerk-1")
    assert post(client, case, "return_visit", method="phone", satisfaction="4", note="电话回访").status_code == 303
    assert post(client, case, "close", note="").status_code == 303
    # clerks may not archive: the page does not offer it and a direct POST is refused
    assert 'value="archive"' not in page(client, case)
    assert post(client, case, "archive").status_code == 403
    client.post("/staff/logout")
    login(client, "demo-super-1")
    assert post(client, case, "archive").status_code == 303
    db.session.refresh(case)
    assert case.state == "archived" and case.archived_at is not None
    body = page(client, case)
    timeline = body[body.index("timeline"):]
    for label in ("交办部门", "答复群众", "回访", "办结", "归档"):
        assert label in timeline
    for who in ("demo-super-1", "demo-handler-1", "demo-clerk-1"):
        assert who in timeline
    assert "demo-clerk-1 (" in body  # the first receiver is always shown
    assert 'name="action"' not in body  # archived: nothing left to do


def test_a_stale_form_is_refused_with_a_clear_message_and_nothing_is_overwritten(demo, client):
    case = demo["case"]
    db.session.refresh(case)
    seen = str(case.version)  # two colleagues opened the page at this version
    login(client, "demo-clerk-1")
    r = client.post(f"/staff/cases/{case.number}/act", data={
        "action": "reply", "version": seen, "note": "第一位同事的答复"})
    assert r.status_code == 303
    client.post("/staff/logout")
    login(client, "demo-super-1")
    r = client.post(f"/staff/cases/{case.number}/act", data={
        "action": "reply", "version": seen, "note": "第二位同事的答复"})
    assert r.status_code == 409
    body = r.get_data(as_text=True)
    assert str(Conflict().message) in body
    assert "第二位同事的答复" in body  # what was typed is kept on the page to copy
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.reply == "第一位同事的答复"
    assert [e.note for e in case.events if e.action == "reply"] == ["第一位同事的答复"]
    # a stale form for another action is refused the same way
    r = client.post(f"/staff/cases/{case.number}/act", data={
        "action": "return_visit", "version": seen, "method": "phone", "satisfaction": "5"})
    assert r.status_code == 409
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "replied"


def test_handler_queue_shows_the_department_cases_and_handler_cannot_assign(demo, client):
    case = demo["case"]
    other_case = file("demo", matter="不动产登记").case
    login(client, "demo-super-1")
    post(client, case, "assign", lead_department_id=str(demo["lead"].id))
    client.post("/staff/logout")
    login(client, "demo-handler-1")
    body = client.get("/staff/").get_data(as_text=True)
    assert case.number in body and other_case.number not in body
    # issue 14: a case no department has yet is not a handler's, even with "show all" asked for
    assert other_case.number not in client.get("/staff/?all=1").get_data(as_text=True)
    assert post(client, other_case, "assign", lead_department_id=str(demo["lead"].id)).status_code == 404
    assert db.session.scalar(select(Case.state).where(Case.id == other_case.id)) == "received"
    # on its own department's case the handler still may not assign
    assert post(client, case, "assign", lead_department_id=str(demo["co"].id)).status_code == 403
    assert db.session.get(Case, case.id).co_departments == []


def test_admin_reads_the_case_and_may_only_archive(demo, client):
    login(client, "demo-admin-1")
    body = page(client, demo["case"])
    assert demo["case"].matter in body
    assert not re.findall(r'name="action" value="([a-z_]+)"', body)
    assert post(client, demo["case"], "reply", note="管理员越权答复").status_code == 403


def test_invalid_input_is_refused_with_the_reason(demo, client):
    login(client, "demo-super-1")
    r = post(client, demo["case"], "assign", lead_department_id="999999")
    assert r.status_code == 422
    r = post(client, demo["case"], "teleport")
    assert r.status_code == 403
    r = client.post(f"/staff/cases/{demo['case'].number}/act", data={"action": "reply", "version": "x"})
    assert r.status_code == 400
    assert client.get("/staff/cases/NO-SUCH-CASE").status_code == 404


def test_case_pages_render_in_each_language(demo, client):
    from portal.knowledge import pipeline

    case = demo["case"]
    c = pipeline.propose(user=demo["clerk"], case=case, guide=None, kind="practice", field="", wrong_text="",
                         corrected_text="", cause="房东无法到场", title="视频连线确认身份")
    login(client, "demo-super-1")
    post(client, case, "pause", note="等待补充材料")
    pages = ["/staff/", "/staff/?due=paused", f"/staff/cases/{case.number}", f"/staff/cases/{case.number}/propose",
             f"/staff/intake/{case.number}/receipt", "/staff/intake", "/staff/corrections", f"/staff/corrections/{c.id}"]
    for lang in ("zh_Hans", "zh_Hant", "en"):
        for url in pages:
            r = client.get(url + ("&" if "?" in url else "?") + f"lang={lang}")
            assert r.status_code == 200, (lang, url)
