"""Access to the staff workspace: login, expiring sessions, logout, CSRF, roles per page, and
jurisdiction isolation for every role by page and by direct URL (404, nothing leaked)."""
from __future__ import annotations

import re
import time
from datetime import datetime

import pytest
from sqlalchemy import func, select

from portal.engine import cases as engine
from portal.extensions import db
from portal.knowledge import pipeline
from portal.models import (
    AccountabilityRecord,
    AuditLog,
    CalendarDay,
    CannedReply,
    Case,
    CaseEvent,
    GuideCorrection,
    GuideMaterial,
    GuideVersion,
    ServiceGuide,
    StaffUser,
)
from portal.staff.auth import SINCE_KEY

from .factories import PASSWORD, department, file, jurisdiction, login
from .staff_support import ROLES, form_for, quick_staff, workflow

HOME, OTHER = "kunming", "xuanwu"
SECRET_MATTER = "玄武区保密测试事项"
SECRET_NAME = "欧阳测试"


def _guide(j, dept):
    g = ServiceGuide(jurisdiction=j, department=dept, code="residence", matter="居住证办理", matter_en="Residence permit")
    v = GuideVersion(number=1, conditions="在本区居住满半年。")
    v.materials.append(GuideMaterial(position=0, name="身份证明"))
    g.versions.append(v)
    db.session.add(g)
    db.session.commit()
    return g


@pytest.fixture
def world(app):
    """Two jurisdictions, one user of each role in each, and records of every kind in both."""
    out = {}
    for code in (HOME, OTHER):
        j = jurisdiction(code)
        d = department(j)
        users = {r: quick_staff(f"{code}-{r}-t", r, code, d if r == "handler" else None) for r in ROLES}
        case = engine.file_case(jurisdiction=j, matter=SECRET_MATTER if code == OTHER else "居住证办理",
                                description="窗口要求的材料与办事指南不一致，跑了两趟。", channel="window",
                                complainant={"name": SECRET_NAME if code == OTHER else "张测试", "phone": "13900002222"},
                                receiver=users["clerk"]).case
        case.lead_department = d  # the handler's department's case (handlers see no other department's)
        guide = _guide(j, d)
        corr = pipeline.propose(user=users["clerk"], case=case, guide=guide, kind="correction", field="materials",
                                wrong_text="身份证明", corrected_text="身份证", cause="一次性告知不准确",
                                title="居住证材料更正")
        reply = CannedReply(jurisdiction_id=j.id, category="", title="通用答复", body="您好，经核实……")
        override = CalendarDay(jurisdiction_id=j.id, day=datetime(2026, 11, 2).date(), working=False,
                               name="本地停电", kind="override")
        record = AccountabilityRecord(jurisdiction_id=j.id, staff_id=users["clerk"].id, kind="attitude",
                                      occurrence=1, outcome="谈话提醒", by_id=users["supervisor"].id)
        db.session.add_all([reply, override, record])
        db.session.add(AuditLog(actor_id=users["admin"].id, jurisdiction_id=j.id, action="user.create",
                                target=f"user:{code}-audit" + ("-secret" if code == OTHER else "")))
        db.session.commit()
        out[code] = dict(j=j, dept=d, users=users, case=case, guide=guide, correction=corr, reply=reply,
                         override=override, record=record)
    return out


def _pages_of(w):
    """Every GET address that names one record of the jurisdiction."""
    case, c = w["case"], w["correction"]
    return [
        f"/staff/cases/{case.number}",
        f"/staff/cases/{case.number}/propose",
        f"/staff/intake/{case.number}/receipt",
        f"/staff/corrections/{c.id}",
        f"/staff/replies/{w['reply'].id}",
        f"/staff/admin/users/{w['users']['clerk'].id}",
        f"/staff/admin/organisation/department/{w['dept'].id}",
        f"/staff/reports?j={w['j'].code}",
        f"/staff/reports.csv?j={w['j'].code}",
        f"/staff/intake?j={w['j'].code}",
        f"/staff/replies?j={w['j'].code}",
    ]


def _state(case_id):
    db.session.expire_all()
    c = db.session.get(Case, case_id)
    return c.state, c.version, db.session.scalar(select(func.count(CaseEvent.id)).where(CaseEvent.case_id == case_id))


def _assert_no_leak(body: str, other, url: str = ""):
    """Nothing of the other jurisdiction's case on the page: no link to it, no number as text,
    no matter, no name (the address one typed may echo back in the language links)."""
    number = other["case"].number
    assert f'href="/staff/cases/{number}"' not in body
    assert f">{number}<" not in body
    assert SECRET_MATTER not in body
    assert SECRET_NAME not in body
    assert "audit-secret" not in body


@pytest.mark.parametrize("role", ROLES)
def test_every_role_gets_404_for_every_page_of_another_jurisdiction(world, client, role):
    login(client, f"{HOME}-{role}-t")
    other = world[OTHER]
    for url in _pages_of(other):
        r = client.get(url)
        # 403 where the role may not open that kind of page at all; otherwise 404: never the page
        assert r.status_code in (403, 404), (role, url, r.status_code)
        _assert_no_leak(r.get_data(as_text=True), other, url)
    # and lists never show the other jurisdiction's records
    for url in ("/staff/", f"/staff/?q={other['case'].number}", f"/staff/?j={OTHER}", "/staff/?archived=1",
                "/staff/corrections", "/staff/accountability", "/staff/replies", "/staff/admin/users",
                "/staff/admin/organisation", "/staff/admin/guides", "/staff/admin/calendar", "/staff/admin/audit",
                "/staff/reports", "/staff/reports.csv"):
        r = client.get(url)
        assert r.status_code in (200, 403), (role, url, r.status_code)
        _assert_no_leak(r.get_data(as_text=True), other)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_is_refused_every_post_on_another_jurisdictions_records(world, client, role):
    login(client, f"{HOME}-{role}-t")
    other = world[OTHER]
    case = other["case"]
    before = _state(case.id)
    for t in workflow(case).transitions:
        r = client.post(f"/staff/cases/{case.number}/act", data=form_for(case, t.action))
        assert r.status_code in (403, 404), (role, t.action, r.status_code)
        _assert_no_leak(r.get_data(as_text=True), other, f"/staff/cases/{case.number}/act")
    assert _state(case.id) == before
    c = other["correction"]
    for step in ("confirm", "fix", "publish", "reject"):
        r = client.post(f"/staff/corrections/{c.id}/{step}", data={"note": "越权"})
        assert r.status_code in (403, 404), (role, step)
    r = client.post(f"/staff/cases/{case.number}/propose", data={
        "kind": "practice", "cause": "越权", "title": "越权提议", "guide": "0", "department": "0"})
    assert r.status_code in (403, 404)
    victim = other["users"]["clerk"]
    for url, data in ((f"/staff/admin/users/{victim.id}/active", {"active": "0"}),
                      (f"/staff/admin/users/{victim.id}/password", {}),
                      (f"/staff/admin/users/{victim.id}", {"display_name": "改名", "role": "admin",
                                                            "jurisdiction": str(victim.jurisdiction_id)}),
                      (f"/staff/admin/organisation/department/{other['dept'].id}", {"name_zh": "改", "name_en": "x"}),
                      (f"/staff/admin/calendar/override/{other['override'].id}/delete", {}),
                      (f"/staff/replies/{other['reply'].id}", {"title": "改", "body": "改"})):
        r = client.post(url, data=data)
        assert r.status_code in (403, 404), (role, url, r.status_code)
    db.session.expire_all()
    assert c.state == "proposed"
    victim = db.session.get(StaffUser, victim.id)
    assert victim.active and victim.role == "clerk" and victim.check_password(PASSWORD)
    assert db.session.get(CalendarDay, other["override"].id) is not None
    assert db.session.get(CannedReply, other["reply"].id).title == "通用答复"
    assert db.session.scalar(select(func.count(GuideCorrection.id))) == 2


def test_forged_choices_naming_another_jurisdiction_change_nothing(world, client):
    """Select fields only offer one's own records; a forged id is refused and nothing is written."""
    other = world[OTHER]
    login(client, f"{HOME}-admin-t")
    n_users = db.session.scalar(select(func.count(StaffUser.id)))
    r = client.post("/staff/admin/users", data={"username": "intruder", "display_name": "x", "role": "admin",
                                                "jurisdiction": str(other["j"].id), "department": "0"})
    assert r.status_code in (404, 422)
    r = client.post("/staff/admin/calendar/override", data={"ov-jurisdiction": str(other["j"].id),
                                                            "ov-day": "2026-12-01", "ov-kind": "off"})
    assert r.status_code in (404, 422)
    assert db.session.scalar(select(func.count(StaffUser.id))) == n_users
    assert db.session.scalar(select(func.count(CalendarDay.id)).where(CalendarDay.day == datetime(2026, 12, 1).date())) == 0
    client.post("/staff/logout")
    login(client, f"{HOME}-supervisor-t")
    r = client.post("/staff/accountability", data={"kind": "attitude", "staff": str(other["users"]["clerk"].id),
                                                   "note": "越权记录"})
    assert r.status_code in (404, 422)
    r = client.post("/staff/accountability", data={"kind": "attitude", "staff": str(world[HOME]["users"]["clerk"].id),
                                                   "case_number": other["case"].number, "note": "越权记录"})
    assert r.status_code == 422
    assert db.session.scalar(select(func.count(AccountabilityRecord.id))) == 2


ROLE_PAGES = {
    # page: roles that may open it
    "/staff/": ROLES,
    "/staff/intake": ("clerk", "supervisor"),
    "/staff/corrections": ROLES,
    "/staff/reports": ("supervisor", "admin"),
    "/staff/reports.csv": ("supervisor", "admin"),
    "/staff/accountability": ("supervisor", "admin"),
    "/staff/replies": ("supervisor", "admin"),
    "/staff/admin/": ("admin",),
    "/staff/admin/users": ("admin",),
    "/staff/admin/organisation": ("admin",),
    "/staff/admin/guides": ("admin",),
    "/staff/admin/calendar": ("admin",),
    "/staff/admin/audit": ("admin",),
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_its_pages_and_is_refused_the_others(world, client, role):
    login(client, f"{HOME}-{role}-t")
    home = world[HOME]
    for url, allowed in ROLE_PAGES.items():
        r = client.get(url)
        assert r.status_code == (200 if role in allowed else 403), (role, url, r.status_code)
    assert client.get(f"/staff/cases/{home['case'].number}").status_code == 200
    assert client.get(f"/staff/cases/{home['case'].number}/propose").status_code == (
        200 if role in ("clerk", "handler", "supervisor") else 403)
    # roles refused a page are refused its POST too, and nothing changes
    changes = select(func.count(AuditLog.id)).where(~AuditLog.action.startswith("security."))  # not the refusals
    before = db.session.scalar(changes)
    if role != "admin":
        assert client.post("/staff/admin/users", data={"username": "x1", "display_name": "x", "role": "admin",
                                                       "jurisdiction": str(home["j"].id)}).status_code == 403
    if role not in ("clerk", "supervisor"):
        assert client.post("/staff/intake", data={"channel": "window", "matter": "x", "description": "y" * 12,
                                                  "name": "测", "phone": "13900001111"}).status_code == 403
    if role != "supervisor":
        r = client.post("/staff/accountability", data={"kind": "attitude", "staff": str(home["users"]["clerk"].id),
                                                       "note": "x"})
        assert r.status_code == 403
    assert db.session.scalar(changes) == before


def test_actions_offered_on_the_case_page_are_exactly_the_workflows_for_the_role(world, client):
    case = world[HOME]["case"]
    wf = workflow(case)
    for role in ROLES:
        client.post("/staff/logout")
        login(client, f"{HOME}-{role}-t")
        body = client.get(f"/staff/cases/{case.number}").get_data(as_text=True)
        offered = set(re.findall(r'name="action" value="([a-z_]+)"', body))
        expected = {t.action for t in engine.allowed_actions(case, engine.Actor.staff(world[HOME]["users"][role]))}
        assert offered == expected, role
        assert expected <= {t.action for t in wf.allowed(case.state, role)}
        # an action the role does not have is refused by direct POST, with the reason, and changes nothing
        for t in wf.transitions:
            if case.state in t.sources and role not in t.roles:
                before = _state(case.id)
                r = client.post(f"/staff/cases/{case.number}/act", data=form_for(case, t.action))
                assert r.status_code == 403, (role, t.action)
                assert _state(case.id) == before


def test_subtree_supervisor_sees_the_district_and_the_district_clerk_not_the_city(app, client):
    city, district = jurisdiction("kunming"), jurisdiction("kunming-wuhua")
    quick_staff("city-sup", "supervisor", "kunming", subtree=True)
    quick_staff("wuhua-clerk", "clerk", "kunming-wuhua")
    city_case = file("kunming", matter="市级测试事项").case
    district_case = file("kunming-wuhua", matter="区级测试事项").case
    login(client, "city-sup")
    body = client.get("/staff/").get_data(as_text=True)
    assert city_case.number in body and district_case.number in body
    assert client.get(f"/staff/cases/{district_case.number}").status_code == 200
    client.post("/staff/logout")
    login(client, "wuhua-clerk")
    body = client.get("/staff/").get_data(as_text=True)
    assert district_case.number in body and city_case.number not in body
    assert client.get(f"/staff/cases/{city_case.number}").status_code == 404
    assert city.id != district.id


def test_anonymous_visitors_are_sent_to_the_login_page(world, client):
    case = world[HOME]["case"]
    for url in ("/staff/", f"/staff/cases/{case.number}", "/staff/admin/users", "/staff/reports", "/staff/intake"):
        r = client.get(url)
        assert r.status_code == 302 and "/staff/login" in r.headers["Location"], url
    r = client.post(f"/staff/cases/{case.number}/act", data=form_for(case, "assign"))
    assert r.status_code == 302
    assert SECRET_MATTER not in client.get("/staff/login").get_data(as_text=True)


def test_login_logout_and_hashed_passwords(world, client):
    user = world[HOME]["users"]["clerk"]
    assert user.password_hash.startswith("scrypt:")
    assert login(client, user.username, "wrong-password-1").status_code == 401
    assert login(client, "nobody-here", PASSWORD).status_code == 401
    r = login(client, user.username)
    assert r.status_code == 302 and r.headers["Location"].endswith("/staff/")
    assert client.get("/staff/").status_code == 200
    assert client.get("/staff/").headers["Cache-Control"] == "no-store"
    assert client.post("/staff/logout").status_code == 302
    assert client.get("/staff/").status_code == 302


def test_login_returns_to_the_staff_page_asked_for_but_never_elsewhere(world, client):
    user = world[HOME]["users"]["clerk"]
    r = client.post("/staff/login?next=/staff/corrections", data={"username": user.username, "password": PASSWORD})
    assert r.headers["Location"].endswith("/staff/corrections")
    client.post("/staff/logout")
    r = client.post("/staff/login?next=https://evil.example/", data={"username": user.username, "password": PASSWORD})
    assert r.headers["Location"].endswith("/staff/")


def test_a_deactivated_user_is_logged_out_at_once_and_cannot_log_in(world, client):
    user = world[HOME]["users"]["clerk"]
    login(client, user.username)
    assert client.get("/staff/").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/staff/").status_code == 302
    assert login(client, user.username).status_code == 401


def test_sessions_expire_after_the_configured_hours(make_app):
    app = make_app(PORTAL_SESSION_HOURS=2)
    with app.app_context():
        quick_staff("sleepy-clerk", "clerk", HOME)
        client = app.test_client()
        login(client, "sleepy-clerk")
        assert client.get("/staff/").status_code == 200
        assert app.permanent_session_lifetime.total_seconds() == 2 * 3600
        with client.session_transaction() as s:
            s[SINCE_KEY] = int(time.time()) - 2 * 3600 + 60  # one minute left
        assert client.get("/staff/").status_code == 200
        with client.session_transaction() as s:
            s[SINCE_KEY] = int(time.time()) - 2 * 3600 - 1
        r = client.get("/staff/cases/X")
        assert r.status_code == 302 and "/staff/login" in r.headers["Location"]
        with client.session_transaction() as s:
            assert "_user_id" not in s
        assert client.get("/staff/").status_code == 302  # still logged out


def _token(client, url):
    body = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', body)


def test_with_csrf_enabled_a_post_without_token_is_refused_and_changes_nothing(make_app):
    # requests run without an outer app context here, as in production: Flask-WTF keeps the
    # token in ``g``, which a test-held context would carry from one request to the next
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        j = jurisdiction(HOME)
        department(j)
        quick_staff("csrf-sup", "supervisor", HOME)
        quick_staff("csrf-admin", "admin", HOME)
        case = file(HOME, matter="防伪测试事项").case
        number, case_id, jid = case.number, case.id, j.id
        data = form_for(case, "assign")
        before = _state(case_id)
        n_users = db.session.scalar(select(func.count(StaffUser.id)))
        db.session.remove()
    client = app.test_client()

    def token(url):
        m = _token(client, url)
        return m.group(1) or m.group(2)

    assert client.post("/staff/login", data={"username": "csrf-sup", "password": PASSWORD}).status_code == 400
    assert client.post("/staff/login", data={"username": "csrf-sup", "password": PASSWORD,
                                             "csrf_token": token("/staff/login")}).status_code == 302
    r = client.post(f"/staff/cases/{number}/act", data=data)
    assert r.status_code == 400
    with app.app_context():
        assert _state(case_id) == before
        db.session.remove()
    data["csrf_token"] = token(f"/staff/cases/{number}")
    assert client.post(f"/staff/cases/{number}/act", data=data).status_code == 303
    with app.app_context():
        assert _state(case_id)[2] == before[2] + 1  # one more event: the assignment
        db.session.remove()
    # the logout form is protected too: without a token the session stays
    assert client.post("/staff/logout").status_code == 400
    assert client.get("/staff/").status_code == 200
    client.post("/staff/logout", data={"csrf_token": token("/staff/")})
    client.post("/staff/login", data={"username": "csrf-admin", "password": PASSWORD,
                                      "csrf_token": token("/staff/login")})
    assert client.get("/staff/admin/users").status_code == 200
    r = client.post("/staff/admin/users", data={"username": "sneaky", "display_name": "x", "role": "admin",
                                                "jurisdiction": str(jid)})
    assert r.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(StaffUser.id))) == n_users
        db.session.remove()
