"""From one case to one class of cases, end to end through the staff pages: propose a guide
correction from a case, the responsible department confirms and records the fix, a supervisor
publishes, and the public search finds it (seed 003's 身份证明 -> 身份证)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditLog, GuideCorrection, GuideMaterial, GuideVersion, KnowledgeEntry, ServiceGuide

from .factories import file, jurisdiction, login
from .staff_support import close_search_index, quick_staff


@pytest.fixture(autouse=True)
def _close_index(app):
    yield
    close_search_index(app)


CODE = "beijing-dongcheng"


@pytest.fixture
def dongcheng(app):
    j = jurisdiction(CODE)
    police, other = j.departments[0], j.departments[1]
    guide = ServiceGuide(jurisdiction=j, department=police, code="residence-permit", matter="居住证办理",
                         matter_en="Residence permit")
    v = GuideVersion(number=1, conditions="在本市居住满半年。", promised_limit_days=15)
    for i, name in enumerate(("身份证明", "居住登记凭证", "近期免冠照片")):
        v.materials.append(GuideMaterial(position=i, name=name))
    guide.versions.append(v)
    db.session.add(guide)
    db.session.commit()
    people = {
        "clerk": quick_staff("dc-clerk", "clerk", CODE),
        "police": quick_staff("dc-police", "handler", CODE, police),
        "other": quick_staff("dc-other", "handler", CODE, other),
        "super": quick_staff("dc-super", "supervisor", CODE),
        "admin": quick_staff("dc-admin", "admin", CODE),
    }
    case = file(CODE, matter="居住证办理", receiver=people["clerk"], channel="window",
                description="按指南带了“身份证明”（社保卡），窗口却要求身份证，白跑一趟。").case
    return {"j": j, "guide": guide, "case": case, **people}


def as_user(client, username):
    client.post("/staff/logout")
    login(client, username)


def propose(client, case, **over):
    data = {"kind": "correction", "guide": str(over.pop("guide_id")), "field": "materials",
            "wrong_text": "身份证明", "corrected_text": "身份证", "cause": "指南表述不准确，一次性告知差一点儿",
            "department": "0", "title": "办事指南更正：居住证办理材料“身份证明”改为“身份证”",
            "title_en": "Guide correction: the residence permit needs the resident ID card",
            "summary": "指南原写“身份证明”，办事人带社保卡被告知须带身份证。现已更正为“身份证”。",
            "summary_en": "The guide asked for identity proof; the counter required the ID card. Corrected."}
    data.update(over)
    return client.post(f"/staff/cases/{case.number}/propose", data=data)


def step(client, c, name, note=""):
    return client.post(f"/staff/corrections/{c.id}/{name}", data={"note": note})


def state(c):
    db.session.expire_all()
    return db.session.get(GuideCorrection, c.id).state


def test_correction_from_case_to_public_search(dongcheng, client):
    case, guide = dongcheng["case"], dongcheng["guide"]
    as_user(client, "dc-clerk")
    assert client.get(f"/staff/cases/{case.number}/propose").status_code == 200
    r = propose(client, case, guide_id=guide.id)
    assert r.status_code == 303, r.get_data(as_text=True)[-1500:]
    c = db.session.scalar(select(GuideCorrection))
    assert c.state == "proposed" and c.department_id == guide.department_id and c.cases == [case]

    # the clerk cannot confirm; nor can another department's handler
    assert step(client, c, "confirm").status_code == 303 and state(c) == "proposed"
    as_user(client, "dc-other")
    assert 'staff/corrections/%d/confirm' % c.id not in client.get(f"/staff/corrections/{c.id}").get_data(as_text=True)
    step(client, c, "confirm")
    assert state(c) == "proposed"

    # the responsible department confirms and records the fix, but may not publish
    as_user(client, "dc-police")
    assert step(client, c, "confirm").status_code == 303 and state(c) == "confirmed"
    step(client, c, "fix", "")
    assert state(c) == "confirmed"  # the fix needs to say what was fixed
    step(client, c, "fix", "已在政务服务网更正办事指南。")
    assert state(c) == "fixed"
    step(client, c, "publish")
    assert state(c) == "fixed"

    # a supervisor publishes: new guide version, knowledge entry, index, link from the case
    as_user(client, "dc-super")
    r = step(client, c, "publish")
    assert r.status_code == 303 and state(c) == "published"
    db.session.expire_all()
    guide = db.session.get(ServiceGuide, guide.id)
    assert [v.number for v in guide.versions] == [1, 2]
    assert [m.name for m in guide.versions[0].materials][0] == "身份证明"  # the old version is kept
    assert [m.name for m in guide.current.materials][0] == "身份证"
    entry = db.session.scalar(select(KnowledgeEntry).where(KnowledgeEntry.correction_id == c.id))
    assert entry.wrong_text == "身份证明" and entry.right_text == "身份证"
    body = client.get(f"/staff/cases/{case.number}").get_data(as_text=True)
    assert f"/knowledge/{entry.id}" in body and "办事指南更正" in body

    public = client  # a second client would share the test's app context (and g) with this one
    for q in ("身份证", "身份證", "居住证 身份证明"):
        page = public.get("/search", query_string={"q": q}).get_data(as_text=True)
        assert f"/knowledge/{entry.id}" in page, q
    assert "身份证" in public.get(f"/knowledge/{entry.id}").get_data(as_text=True)
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.target == f"correction:{c.id}")).all()
    assert actions == ["correction.propose", "correction.confirm", "correction.fix", "correction.publish"]


def test_solution_practice_follows_the_same_path(dongcheng, client):
    case = dongcheng["case"]
    as_user(client, "dc-super")
    r = propose(client, case, guide_id=0, kind="practice", field="", wrong_text="", corrected_text="",
                cause="房东无法到场", title="解决办法：房东无法到场时通过视频连线确认身份",
                summary="房东无法到现场时，窗口通过视频连线确认房东身份并完成备案。", department=str(dongcheng["j"].departments[0].id))
    assert r.status_code == 303
    c = db.session.scalar(select(GuideCorrection))
    for name, note in (("confirm", ""), ("fix", "已形成视频连线确认的操作规程。"), ("publish", "")):
        assert step(client, c, name, note).status_code == 303
    assert state(c) == "published"
    entry = db.session.scalar(select(KnowledgeEntry))
    assert entry.kind == "practice"
    assert db.session.get(ServiceGuide, dongcheng["guide"].id).current.number == 1  # no guide touched
    page = client.get("/search", query_string={"q": "视频连线"}).get_data(as_text=True)
    assert f"/knowledge/{entry.id}" in page


def test_a_wrong_text_not_in_the_guide_is_refused(dongcheng, client):
    as_user(client, "dc-clerk")
    r = propose(client, dongcheng["case"], guide_id=dongcheng["guide"].id, wrong_text="户口本")
    assert r.status_code == 422
    assert db.session.scalar(select(GuideCorrection.id)) is None


def test_rejection_needs_a_reason_and_ends_the_proposal(dongcheng, client):
    as_user(client, "dc-clerk")
    propose(client, dongcheng["case"], guide_id=dongcheng["guide"].id)
    c = db.session.scalar(select(GuideCorrection))
    as_user(client, "dc-police")
    step(client, c, "reject", "")
    assert state(c) == "proposed"
    step(client, c, "reject", "指南已于上月更正。")
    assert state(c) == "rejected"
    as_user(client, "dc-super")
    step(client, c, "confirm")
    assert state(c) == "rejected"


def test_admin_reads_corrections_but_takes_no_step(dongcheng, client):
    as_user(client, "dc-clerk")
    propose(client, dongcheng["case"], guide_id=dongcheng["guide"].id)
    c = db.session.scalar(select(GuideCorrection))
    as_user(client, "dc-admin")
    assert client.get(f"/staff/corrections/{c.id}").status_code == 200
    step(client, c, "confirm")
    assert state(c) == "proposed"
    assert client.get(f"/staff/cases/{dongcheng['case'].number}/propose").status_code == 403
