"""The issue's "done when": a supervisor takes a case from walk-in intake to archive, turns it
into a published correction the public search finds, and reads the month's report; a clerk
of another jurisdiction cannot see any of it. Run on every built-in jurisdiction's workflow."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Case, GuideCorrection, GuideMaterial, GuideVersion, KnowledgeEntry, ServiceGuide

from .factories import department, jurisdiction, login
from .staff_support import close_search_index, intake_data, quick_staff, walk_to_archive


@pytest.fixture(autouse=True)
def _close_index(app):
    yield
    close_search_index(app)


OUTSIDER = {"xuanwu": "kunming"}


@pytest.mark.parametrize("code", ["beijing-dongcheng", "kunming-wuhua", "xuanwu", "dazhou", "qingcheng"])
def test_supervisor_from_intake_to_archive_to_published_correction_and_report(app, client, code):
    j = jurisdiction(code)
    dept = department(j)
    guide = ServiceGuide(jurisdiction=j, department=dept, code="residence", matter="居住证办理",
                         matter_en="Residence permit")
    v = GuideVersion(number=1, conditions="在本地居住满半年。")
    for i, name in enumerate(("身份证明", "近期免冠照片")):
        v.materials.append(GuideMaterial(position=i, name=name))
    guide.versions.append(v)
    db.session.add(guide)
    db.session.commit()
    sup = quick_staff(f"{code}-journey-super", "supervisor", code)
    outsider_code = OUTSIDER.get(code, "xuanwu")
    quick_staff(f"{outsider_code}-journey-clerk", "clerk", outsider_code)

    # intake at the window
    login(client, sup.username)
    r = client.post("/staff/intake", data=intake_data(code, matter="居住证办理",
                                                      description="按指南带了身份证明（社保卡），窗口却要身份证。"))
    assert r.status_code == 303, r.get_data(as_text=True)[-1500:]
    case = db.session.scalar(select(Case).order_by(Case.id.desc()))
    assert case.first_receiver_id == sup.id

    # the whole loop of this jurisdiction's workflow, by the supervisor alone
    actions = walk_to_archive(client, case)
    assert "assign" in actions and "reply" in actions and "archive" in actions

    # from one case to one class of cases
    r = client.post(f"/staff/cases/{case.number}/propose", data={
        "kind": "correction", "guide": str(guide.id), "field": "materials", "wrong_text": "身份证明",
        "corrected_text": "身份证", "cause": "指南表述不准确", "department": "0",
        "title": f"{j.name_zh}居住证办理材料更正：身份证明改为身份证", "summary": "指南已更正为“身份证”。"})
    assert r.status_code == 303
    c = db.session.scalar(select(GuideCorrection).order_by(GuideCorrection.id.desc()))
    for step, note in (("confirm", ""), ("fix", "已更正门户网站上的办事指南。"), ("publish", "")):
        assert client.post(f"/staff/corrections/{c.id}/{step}", data={"note": note}).status_code == 303
    entry = db.session.scalar(select(KnowledgeEntry).where(KnowledgeEntry.correction_id == c.id))
    assert entry is not None
    public = client  # a second client would share the test's app context (and g) with this one
    page = public.get("/search", query_string={"q": "身份证"}).get_data(as_text=True)
    assert f"/knowledge/{entry.id}" in page

    # the month's report counts it
    report = client.get(f"/staff/reports?j={code}").get_data(as_text=True)
    assert "居住证办理" in report and "指南表述不准确" in report
    assert client.get(f"/staff/reports.csv?j={code}").status_code == 200

    # a clerk of another jurisdiction sees none of it
    client.post("/staff/logout")
    login(client, f"{outsider_code}-journey-clerk")
    for url in ("/staff/", f"/staff/?q={case.number}&archived=1", f"/staff/?j={code}&archived=1"):
        body = client.get(url).get_data(as_text=True)  # (the query typed may echo in the language links)
        assert f'href="/staff/cases/{case.number}"' not in body and f">{case.number}<" not in body
    for url in (f"/staff/cases/{case.number}", f"/staff/cases/{case.number}/propose",
                f"/staff/corrections/{c.id}", f"/staff/intake/{case.number}/receipt"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert "居住证办理材料更正" not in r.get_data(as_text=True)
    assert not re.search(rf">{re.escape(c.title)}<", client.get("/staff/corrections").get_data(as_text=True))
    assert client.get(f"/staff/reports?j={code}").status_code == 403
