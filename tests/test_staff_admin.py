"""Administration: users and roles, departments/centres/windows, service guide import with a
dry run, holiday calendar import and overrides, and the audit log of it all."""
from __future__ import annotations

import io
import json
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    AuditLog,
    CalendarDay,
    CalendarYear,
    Department,
    GuideMaterial,
    GuideVersion,
    ServiceCentre,
    ServiceGuide,
    StaffUser,
    Window,
)

from .conftest import shanghai
from .factories import PASSWORD, file, jurisdiction, login
from .staff_support import close_search_index, quick_staff


@pytest.fixture(autouse=True)
def _close_index(core_app):
    yield
    close_search_index(core_app)


@pytest.fixture
def client(core_app):
    return core_app.test_client()


@pytest.fixture
def office(core_app, client):
    j = jurisdiction("demo")
    admin = quick_staff("a-admin", "admin", "demo")
    login(client, "a-admin")
    return {"j": j, "admin": admin, "hr": j.departments[0]}


def audit_actions():
    """The administrative changes (the security events, logins included, are tested elsewhere)."""
    return db.session.scalars(select(AuditLog.action).where(~AuditLog.action.startswith("security."))
                              .order_by(AuditLog.id)).all()


def shown_password(body: str) -> str:
    return re.search(r'<strong class="ref">([^<]+)</strong>', body).group(1)


# -- users ---------------------------------------------------------------------------
def test_create_a_user_whose_password_is_shown_once(office, client):
    r = client.post("/staff/admin/users", data={
        "username": "new.handler", "display_name": "新经办人", "email": "nh@example.invalid", "role": "handler",
        "jurisdiction": str(office["j"].id), "department": str(office["hr"].id)})
    assert r.status_code == 200
    password = shown_password(r.get_data(as_text=True))
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == "new.handler"))
    assert user.role == "handler" and user.department_id == office["hr"].id and user.check_password(password)
    assert password not in json.dumps([a.data for a in db.session.scalars(select(AuditLog))])
    assert audit_actions() == ["user.create"]
    client.post("/staff/logout")
    assert login(client, "new.handler", password).status_code == 302


def test_user_form_is_checked(office, client):
    base = {"display_name": "x", "role": "clerk", "jurisdiction": str(office["j"].id)}
    assert client.post("/staff/admin/users", data=dict(base, username="a-admin")).status_code == 422  # exists
    assert client.post("/staff/admin/users", data=dict(base, username="bad name!")).status_code == 422
    assert client.post("/staff/admin/users", data=dict(base, username="ok.one", role="emperor")).status_code == 422
    # a wider view than one's own cannot be given
    r = client.post("/staff/admin/users", data=dict(base, username="ok.two", sees_subtree="y"))
    assert r.status_code == 422
    assert audit_actions() == []


def test_change_role_deactivate_and_reset_password(office, client):
    # one client, logging in and out: a second client would share the test's app context (and ``g``)
    clerk = quick_staff("a-clerk", "clerk", "demo")
    r = client.post(f"/staff/admin/users/{clerk.id}", data={
        "display_name": "升任督办", "role": "supervisor", "jurisdiction": str(office["j"].id), "department": "0"})
    assert r.status_code == 303
    db.session.refresh(clerk)
    assert clerk.role == "supervisor" and clerk.display_name == "升任督办"
    assert client.post(f"/staff/admin/users/{clerk.id}/active", data={"active": "0"}).status_code == 303
    client.post("/staff/logout")
    assert login(client, "a-clerk").status_code == 401  # deactivated
    login(client, "a-admin")
    client.post(f"/staff/admin/users/{clerk.id}/active", data={"active": "1"})
    r = client.post(f"/staff/admin/users/{clerk.id}/password")
    new = shown_password(r.get_data(as_text=True))
    db.session.refresh(clerk)
    assert clerk.check_password(new) and not clerk.check_password(PASSWORD)
    client.post("/staff/logout")
    assert login(client, "a-clerk", new).status_code == 302
    assert client.get("/staff/reports").status_code == 303  # first their own password (issue 14, finding 5)
    mine = "plum-lantern-harbour-47"
    assert client.post("/staff/password", data={"current": new, "new": mine, "confirm": mine}).status_code == 303
    assert client.get("/staff/reports").status_code == 200  # the new role counts
    assert audit_actions() == ["user.update", "user.deactivate", "user.activate", "user.reset_password",
                               "user.change_password"]
    changed = db.session.scalar(select(AuditLog).where(AuditLog.action == "user.update")).data["changed"]
    assert changed["role"] == ["clerk", "supervisor"]


def test_an_admin_cannot_lock_themselves_out(office, client):
    me = office["admin"]
    client.post(f"/staff/admin/users/{me.id}/active", data={"active": "0"})
    r = client.post(f"/staff/admin/users/{me.id}", data={"display_name": "x", "role": "clerk",
                                                         "jurisdiction": str(office["j"].id)})
    assert r.status_code == 422
    db.session.refresh(me)
    assert me.active and me.role == "admin"


# -- organisation --------------------------------------------------------------------
def test_add_and_rename_departments_centres_and_windows(office, client):
    j = office["j"]
    r = client.post("/staff/admin/organisation?add=department", data={
        "department-parent": str(j.id), "department-code": "demo-civil", "department-name_zh": "民政局",
        "department-name_en": "Civil Affairs Bureau"})
    assert r.status_code == 303
    r = client.post("/staff/admin/organisation?add=centre", data={
        "centre-parent": str(j.id), "centre-code": "demo-street", "centre-name_zh": "街道便民服务中心",
        "centre-name_en": "Street service centre", "centre-level": "street"})
    assert r.status_code == 303
    centre = db.session.scalar(select(ServiceCentre).where(ServiceCentre.code == "demo-street"))
    r = client.post("/staff/admin/organisation?add=window", data={
        "window-parent": str(centre.id), "window-code": "demo-street-w1", "window-name_zh": "综合窗口",
        "window-name_en": "General window"})
    assert r.status_code == 303
    # duplicates and bad codes are refused
    assert client.post("/staff/admin/organisation?add=department", data={
        "department-parent": str(j.id), "department-code": "demo-civil", "department-name_zh": "重复",
        "department-name_en": "Dup"}).status_code == 422
    assert client.post("/staff/admin/organisation?add=department", data={
        "department-parent": str(j.id), "department-code": "Bad Code", "department-name_zh": "x",
        "department-name_en": "x"}).status_code == 422
    dept = db.session.scalar(select(Department).where(Department.code == "demo-civil"))
    r = client.post(f"/staff/admin/organisation/department/{dept.id}", data={"name_zh": "民政局（改）",
                                                                              "name_en": "Civil Affairs"})
    assert r.status_code == 303
    db.session.refresh(dept)
    assert dept.name_zh == "民政局（改）"
    assert db.session.scalar(select(Window).where(Window.code == "demo-street-w1")).centre_id == centre.id
    assert audit_actions() == ["department.create", "centre.create", "window.create", "department.rename"]
    body = client.get("/staff/admin/organisation").get_data(as_text=True)
    assert "综合窗口" in body and "民政局（改）" in body


# -- service guides -------------------------------------------------------------------
CSV_V1 = ("code,matter,matter_en,department,kind,conditions,promised_limit_days,materials\r\n"
          "dog,养犬登记,Dog licence,demo-hr,promised,犬只已免疫。,5,居民身份证|犬只免疫证明\r\n"
          "rent,房屋租赁备案,Rental registration,,promised,签订书面合同。,3,房屋租赁合同\r\n")


def upload(client, name, text, j, apply=False):
    data = {"jurisdiction": str(j.id), "file": (io.BytesIO(text.encode("utf-8")), name)}
    if apply:
        data["apply"] = "1"
    # in English, so the messages checked below do not depend on the Chinese catalogue
    return client.post("/staff/admin/guides", data=data, content_type="multipart/form-data",
                       headers={"Accept-Language": "en"})


def test_guide_import_dry_run_then_import_then_new_versions(office, client):
    j = office["j"]
    r = upload(client, "guides.csv", CSV_V1, j)
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "dog · 养犬登记" in body and "rent · 房屋租赁备案" in body
    assert db.session.scalar(select(func.count(ServiceGuide.id))) == 0  # nothing written
    assert upload(client, "guides.csv", CSV_V1, j, apply=True).status_code == 200
    dog = db.session.scalar(select(ServiceGuide).where(ServiceGuide.code == "dog"))
    assert dog.department_id == office["hr"].id and [m.name for m in dog.current.materials] == ["居民身份证", "犬只免疫证明"]
    # the same file again: unchanged; a changed one: a new version, the old kept
    r = upload(client, "guides.csv", CSV_V1, j)
    from portal.staff.guides_import import plan, read_file

    p = plan(j, read_file("guides.csv", CSV_V1.encode()))
    assert (len(p.new), len(p.changed), len(p.unchanged)) == (0, 0, 2)
    v2 = [{"code": "dog", "matter": "养犬登记", "department": "demo-hr", "conditions": "犬只已免疫。",
           "promised_limit_days": 3, "materials": ["居民身份证", {"name": "犬只免疫证明", "copies": 1}]},
          {"code": "rent", "matter": "房屋租赁备案", "conditions": "签订书面合同。", "promised_limit_days": 3,
           "materials": ["房屋租赁合同"]},
          {"code": "new-one", "matter": "工伤认定", "materials": []}]
    text = json.dumps(v2, ensure_ascii=False)
    p = plan(j, read_file("v2.json", text.encode()))
    assert [r.code for r in p.new] == ["new-one"]
    assert [(r.code, diff) for r, diff in p.changed] == [("dog", ["promised_limit_days", "materials"])]
    assert [r.code for r in p.unchanged] == ["rent"]
    body = upload(client, "v2.json", text, j).get_data(as_text=True)
    assert "promised_limit_days, materials" in body
    upload(client, "v2.json", text, j, apply=True)
    db.session.expire_all()
    dog = db.session.scalar(select(ServiceGuide).where(ServiceGuide.code == "dog"))
    assert [v.number for v in dog.versions] == [1, 2] and dog.current.promised_limit_days == 3
    assert dog.versions[0].promised_limit_days == 5
    assert audit_actions() == ["guides.import", "guides.import"]
    # the public search knows the imported guide
    page = client.get("/search", query_string={"q": "工伤认定"}).get_data(as_text=True)
    assert "工伤认定" in page and "/guides/" in page


@pytest.mark.parametrize("name,text,message", [
    ("g.csv", "code,matter,department\r\nx,事项,no-such-dept\r\n", "no-such-dept"),
    ("g.csv", "code,matter,kind\r\nx,事项,sometimes\r\n", "kind"),
    ("g.csv", "code,matter\r\nx,事项\r\nx,又一个\r\n", "twice"),
    ("g.csv", "matter\r\n事项\r\n", "columns"),
    ("g.json", "{not json", "JSON"),
    ("g.xlsx", "whatever", ".csv"),
    ("g.csv", "code,matter,promised_limit_days\r\nx,事项,soon\r\n", "whole number"),
])
def test_bad_guide_files_are_refused_with_a_reason_and_nothing_is_written(office, client, name, text, message):
    r = upload(client, name, text, office["j"], apply=True)
    assert r.status_code == 422
    assert message in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ServiceGuide.id))) == 0
    assert audit_actions() == []


# -- calendar ---------------------------------------------------------------------------
INVENTED_2027 = {"source": "Invented test notice for 2027", "years": [2027],
                 "holidays": {"2027-01-01": "New Year's Day"}, "workdays": {}}


def test_calendar_import_makes_a_year_known(office, client, core_app):
    before = file("demo", now=shanghai(2026, 12, 31, 10, 0)).case
    assert before.active_deadline.flagged  # 2027 not yet known: weekends only, flagged
    quick_staff("a-sys", "system_admin", "demo")  # national data: a system administrator (issue 14)
    login(client, "a-sys")
    r = client.post("/staff/admin/calendar/import", content_type="multipart/form-data", data={
        "year-file": (io.BytesIO(json.dumps(INVENTED_2027).encode()), "2027.json")})
    assert r.status_code == 200  # the dry run
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', r.get_data(as_text=True)).group(1)
    r = client.post("/staff/admin/calendar/import/confirm", data={"token": token})
    assert r.status_code == 303
    assert db.session.get(CalendarYear, 2027).source == "Invented test notice for 2027"
    after = file("demo", now=shanghai(2026, 12, 31, 10, 0)).case
    assert not after.active_deadline.flagged
    assert after.active_deadline.due_date == date(2027, 1, 8)  # 1 Jan off; 4-8 Jan count
    assert before.active_deadline.flagged  # a stored deadline is never rewritten
    r = client.post("/staff/admin/calendar/import", content_type="multipart/form-data", data={
        "year-file": (io.BytesIO(b'{"years": [2028]}'), "bad.json")}, headers={"Accept-Language": "en"})
    assert r.status_code == 422 and "source" in r.get_data(as_text=True)
    assert audit_actions() == ["calendar.import"]


def test_single_day_override_moves_new_deadlines_and_can_be_removed(office, client):
    j = office["j"]
    r = client.post("/staff/admin/calendar/override", data={
        "ov-jurisdiction": str(j.id), "ov-day": "2026-11-02", "ov-kind": "off", "ov-name": "停电检修"})
    assert r.status_code == 303
    # Fri 30 Oct + 5 working days: Mon 2 Nov is now off -> 3, 4, 5, 6, 9 Nov
    assert file("demo", now=shanghai(2026, 10, 30, 10, 0)).case.active_deadline.due_date == date(2026, 11, 9)
    row = db.session.scalar(select(CalendarDay).where(CalendarDay.kind == "override"))
    assert "停电检修" in client.get("/staff/admin/calendar").get_data(as_text=True)
    assert client.post(f"/staff/admin/calendar/override/{row.id}/delete").status_code == 303
    assert file("demo", now=shanghai(2026, 10, 30, 10, 0)).case.active_deadline.due_date == date(2026, 11, 6)
    assert audit_actions() == ["calendar.override", "calendar.override_delete"]


# -- audit log ------------------------------------------------------------------------------
def test_audit_log_lists_this_jurisdictions_actions(office, client):
    client.post("/staff/admin/calendar/override", data={
        "ov-jurisdiction": str(office["j"].id), "ov-day": "2026-11-03", "ov-kind": "working"})
    db.session.add(AuditLog(actor_id=None, jurisdiction_id=None, action="elsewhere.secret", target="x"))
    db.session.commit()
    body = client.get("/staff/admin/audit").get_data(as_text=True)
    assert "calendar.override" in body and "a-admin" in body and "elsewhere.secret" not in body


def test_admin_of_one_jurisdiction_administers_nothing_of_another(make_app):
    app = make_app()
    with app.app_context():
        quick_staff("km-admin-x", "admin", "kunming")
        victim = quick_staff("xw-clerk-x", "clerk", "xuanwu")
        g = ServiceGuide(jurisdiction=jurisdiction("xuanwu"), code="x", matter="玄武指南")
        g.versions.append(GuideVersion(number=1))
        g.versions[0].materials.append(GuideMaterial(position=0, name="身份证"))
        db.session.add(g)
        db.session.commit()
        client = app.test_client()
        login(client, "km-admin-x")
        body = client.get("/staff/admin/users").get_data(as_text=True)
        assert "xw-clerk-x" not in body
        assert "玄武指南" not in client.get("/staff/admin/guides").get_data(as_text=True)
        r = upload(client, "g.csv", "code,matter\r\nx,改写玄武\r\n", jurisdiction("xuanwu"), apply=True)
        assert r.status_code == 422
        db.session.refresh(g)
        assert g.matter == "玄武指南" and victim.active


def test_every_admin_page_renders_in_each_language(office, client):
    from portal.models import CannedReply

    reply = CannedReply(jurisdiction_id=office["j"].id, category="", title="通用", body="您好。")
    db.session.add(reply)
    db.session.commit()
    centre = office["j"].centres[0]
    pages = ["/staff/admin/", "/staff/admin/users", f"/staff/admin/users/{office['admin'].id}",
             "/staff/admin/organisation", f"/staff/admin/organisation/department/{office['hr'].id}",
             f"/staff/admin/organisation/centre/{centre.id}", f"/staff/admin/organisation/window/{centre.windows[0].id}",
             "/staff/admin/guides", "/staff/admin/calendar", "/staff/admin/audit", "/staff/replies",
             f"/staff/replies/{reply.id}", "/staff/reports?sub=1", "/staff/accountability", "/staff/corrections"]
    for lang in ("zh_Hans", "zh_Hant", "en"):
        for url in pages:
            r = client.get(url + ("&" if "?" in url else "?") + f"lang={lang}")
            assert r.status_code == 200, (lang, url)
    assert client.get("/staff/admin/organisation/planet/1").status_code == 404
    r = client.post(f"/staff/replies/{reply.id}", data={"category": "", "title": "通用答复", "body": "您好，已办结。",
                                                        "active": ""})
    assert r.status_code == 303
    db.session.refresh(reply)
    assert reply.title == "通用答复" and not reply.active


def test_a_new_or_renamed_centre_shows_on_the_public_form_at_once(office, client, core_app):
    """The public form and its jurisdiction are kept per process for 30 s; an administrator's
    change in this process is shown on the next rendering, not 30 s later."""
    from .test_public_support import english

    j = office["j"]
    public = english(core_app.test_client())

    def form_page():
        with core_app.app_context():  # a visitor's request of its own (its own g and session)
            return public.get(f"/file/{j.code}").get_data(as_text=True)

    assert "Street service centre" not in form_page()
    assert client.post("/staff/admin/organisation?add=centre", data={
        "centre-parent": str(j.id), "centre-code": "demo-street", "centre-name_zh": "街道便民服务中心",
        "centre-name_en": "Street service centre", "centre-level": "street"}).status_code == 303
    assert "Street service centre" in form_page()
    centre = db.session.scalar(select(ServiceCentre).where(ServiceCentre.code == "demo-street"))
    assert client.post(f"/staff/admin/organisation/centre/{centre.id}",
                       data={"name_zh": "街道服务中心", "name_en": "Street hall"}).status_code == 303
    page = form_page()
    assert "Street hall" in page and "Street service centre" not in page


@pytest.mark.parametrize("page", ["99999999999999999999", "-3", "x", "2"])
def test_audit_log_pages_past_the_end_or_malformed_answer_a_page(office, client, page):
    """A page number beyond the last (or not a number) shows a real page, never a database error
    from an OFFSET out of range."""
    r = client.get(f"/staff/admin/audit?page={page}")
    assert r.status_code == 200
