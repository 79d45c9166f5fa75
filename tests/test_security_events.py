"""Security events in the audit log (issue 14, finding 6; OWASP ASVS 4.0 V7.1/V7.2: log
authentication decisions and access-control failures, never credentials or personal data).

Each event kind writes exactly one row with who, where from (REMOTE_ADDR) and whose it is, and
nothing of the complainant; writing it never breaks the page. Every person here is invented.
"""
from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from portal import security_log
from portal.engine import cases as engine
from portal.extensions import db
from portal.models import AuditLog, Case
from portal.workdays import SHANGHAI

from .factories import PASSWORD, jurisdiction, login
from .staff_support import quick_staff

NAME, PHONE, ID_NUMBER, ADDRESS = "诸葛测试", "13911112222", "11010519491231002X", "昆明市五华区测试路8号"
HOME_IP, AWAY_IP, PUBLIC_IP = "198.51.100.23", "203.0.113.9", "192.0.2.77"


def _case(code: str, attachment: dict | None = None) -> Case:
    return engine.file_case(
        jurisdiction=jurisdiction(code), matter="居住证办理", description="窗口要求的材料与办事指南不一致。",
        channel="window", attachments=[attachment] if attachment else None,
        complainant={"name": NAME, "phone": PHONE, "id_number": ID_NUMBER, "address": ADDRESS}).case


@pytest.fixture
def world(app, tmp_path):
    """Kunming (a top-level jurisdiction) and Xuanwu, an admin and a clerk in each, a case in each."""
    upload = tmp_path / "uploads"
    upload.mkdir(exist_ok=True)
    (upload / "0123abcd.pdf").write_bytes(b"%PDF-1.4 test")
    users = {f"{code}-{role}": quick_staff(f"{code}-{role}-s", role, code, subtree=role == "admin")
             for code in ("kunming", "xuanwu") for role in ("admin", "clerk")}
    cases = {"kunming": _case("kunming", {"stored_name": "0123abcd.pdf", "original_name": f"{NAME}身份证.pdf",
                                          "content_type": "application/pdf", "size": 13}),
             "xuanwu": _case("xuanwu")}
    return users, cases


def _client(app, ip: str):
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = ip
    return c


def _rows(action: str | None = None) -> list[AuditLog]:
    db.session.expire_all()
    q = select(AuditLog).order_by(AuditLog.id)
    q = q.where(AuditLog.action == action) if action else q.where(AuditLog.action.startswith("security."))
    return db.session.scalars(q).all()


def _no_personal_data(row: AuditLog, *secrets: str) -> None:
    text = json.dumps([row.target, row.data, row.ip, row.action], ensure_ascii=False)
    for s in (NAME, PHONE, ID_NUMBER, ADDRESS, PASSWORD, *secrets):
        assert s not in text, (s, text)


def test_login_success_and_logout_each_write_one_row(app, world):
    users, _ = world
    c = _client(app, HOME_IP)
    assert login(c, users["kunming-clerk"].username).status_code == 302
    c.post("/staff/logout")
    (signed_in,), (signed_out,) = _rows(security_log.LOGIN), _rows(security_log.LOGOUT)
    for row in (signed_in, signed_out):
        assert (row.actor_id, row.ip, row.jurisdiction_id) == (users["kunming-clerk"].id, HOME_IP,
                                                                jurisdiction("kunming").id)
        _no_personal_data(row)
    assert len(_rows()) == 2


def test_failed_login_names_the_account_never_the_password(app, world):
    users, _ = world
    c = _client(app, AWAY_IP)
    wrong = "Wrong-horse-battery-7"
    assert login(c, users["xuanwu-clerk"].username, wrong).status_code == 401
    (row,) = _rows()
    assert row.action == security_log.LOGIN_FAILED
    assert (row.actor_id, row.ip, row.jurisdiction_id) == (None, AWAY_IP, jurisdiction("xuanwu").id)
    assert row.target == f"user:{users['xuanwu-clerk'].username}" and row.data["reason"] == "wrong_password"
    _no_personal_data(row, wrong)


def test_failed_login_under_an_unknown_name_keeps_only_a_keyed_fingerprint(app, world):
    """What was typed may be a password in the wrong field: never stored, even in part."""
    c = _client(app, AWAY_IP)
    typed = "MyPassw0rd-typed-here"
    login(c, typed, "whatever-else-1")
    login(c, typed, "whatever-else-2")
    first, second = _rows()
    assert first.jurisdiction_id is None and first.actor_id is None and first.data["reason"] == "unknown_user"
    assert first.data["typed"] == second.data["typed"]  # the same name tried again is visible as such
    assert first.data["typed"] != security_log.typed_name_digest("another-name")
    for row in (first, second):
        _no_personal_data(row, typed, typed[:6], "whatever-else")


def test_a_403_records_the_path_without_its_query(app, world):
    users, _ = world
    c = _client(app, HOME_IP)
    login(c, users["kunming-clerk"].username)
    assert c.get("/staff/admin/audit?code=SECRETCODE1").status_code == 403
    (row,) = _rows(security_log.REFUSED)
    assert (row.actor_id, row.ip, row.jurisdiction_id) == (users["kunming-clerk"].id, HOME_IP,
                                                            jurisdiction("kunming").id)
    assert row.target == "/staff/admin/audit" and row.data == {"status": 403}
    _no_personal_data(row, "SECRETCODE1")


def test_another_jurisdictions_case_is_refused_on_record(app, world):
    """The 404 that hides Xuanwu's case from a Kunming clerk is recorded with whose case it was;
    a case number that exists nowhere is an ordinary 404 and records nothing."""
    users, cases = world
    c = _client(app, HOME_IP)
    login(c, users["kunming-clerk"].username)
    assert c.get(f"/staff/cases/{cases['xuanwu'].number}?q={NAME}").status_code == 404
    assert c.get("/staff/cases/NOPE-2026-999999").status_code == 404
    (row,) = _rows(security_log.REFUSED)
    assert (row.actor_id, row.ip, row.jurisdiction_id, row.target_jurisdiction_id) == (
        users["kunming-clerk"].id, HOME_IP, jurisdiction("kunming").id, jurisdiction("xuanwu").id)
    assert row.target == f"/staff/cases/{cases['xuanwu'].number}" and row.data == {"status": 404}
    _no_personal_data(row)


def test_viewing_a_case_records_one_row_without_the_personal_data_shown(app, world):
    users, cases = world
    c = _client(app, HOME_IP)
    login(c, users["kunming-clerk"].username)
    page = c.get(f"/staff/cases/{cases['kunming'].number}")
    assert page.status_code == 200 and NAME in page.get_data(as_text=True)
    (row,) = _rows(security_log.CASE_VIEW)
    assert (row.actor_id, row.ip, row.jurisdiction_id, row.target) == (
        users["kunming-clerk"].id, HOME_IP, jurisdiction("kunming").id, f"case:{cases['kunming'].number}")
    _no_personal_data(row)


def test_an_attachment_download_is_recorded_by_id_not_by_its_name(app, world):
    users, cases = world
    c = _client(app, HOME_IP)
    login(c, users["kunming-clerk"].username)
    a = cases["kunming"].attachments[0]
    with c.get(f"/staff/cases/{cases['kunming'].number}/attachments/{a.id}") as r:
        assert r.status_code == 200 and r.data.startswith(b"%PDF")
    (row,) = _rows(security_log.ATTACHMENT)
    assert (row.actor_id, row.ip, row.jurisdiction_id, row.data) == (
        users["kunming-clerk"].id, HOME_IP, jurisdiction("kunming").id, {"attachment": a.id})
    _no_personal_data(row, "身份证")


def test_a_failed_tracking_attempt_is_recorded_without_the_code(app, world):
    _, cases = world
    c = _client(app, PUBLIC_IP)
    r = c.post("/track", data={"number": cases["xuanwu"].number, "code": "WRONGCODE9"})
    assert r.status_code == 404
    c.post("/track", data={"number": "13911112222", "code": "WRONGCODE9"})  # a phone typed as a number
    known, unknown = _rows(security_log.TRACK_FAILED)
    assert (known.actor_id, known.ip, known.jurisdiction_id, known.target) == (
        None, PUBLIC_IP, jurisdiction("xuanwu").id, f"case:{cases['xuanwu'].number}")
    assert (unknown.jurisdiction_id, unknown.target) == (None, "")
    for row in (known, unknown):
        _no_personal_data(row, "WRONGCODE9")


def test_a_failure_to_write_the_row_still_answers_the_page(app, world, monkeypatch, caplog):
    users, cases = world
    c = _client(app, HOME_IP)
    login(c, users["kunming-clerk"].username)

    def broken(rows):
        raise OperationalError("INSERT INTO audit_log", {}, Exception("disk I/O error"))

    monkeypatch.setattr(security_log, "_insert", broken)
    with caplog.at_level(logging.WARNING):
        page = c.get(f"/staff/cases/{cases['kunming'].number}")
    assert page.status_code == 200 and NAME in page.get_data(as_text=True)
    assert not _rows(security_log.CASE_VIEW)
    assert "security events not recorded (security.case_view): OperationalError" in caplog.text
    assert NAME not in caplog.text and cases["kunming"].number not in caplog.text


def test_the_row_survives_the_requests_rollback(app, world):
    """A refused action rolls the request back; its security rows are written on their own."""
    users, cases = world
    c = _client(app, HOME_IP)
    login(c, users["kunming-clerk"].username)
    case = cases["kunming"]
    r = c.post(f"/staff/cases/{case.number}/act", data={"action": "no-such-action", "version": str(case.version)})
    assert r.status_code in (403, 409, 422)
    assert len(_rows(security_log.CASE_VIEW)) == 1


# -- the administrator's filter ---------------------------------------------------------
def _audit_page(c, **args) -> tuple[int, str]:
    r = c.get("/staff/admin/audit", query_string=args)
    return r.status_code, r.get_data(as_text=True)


@pytest.fixture
def logged(app, world):
    """Failed logins on Kunming's and Xuanwu's accounts from two addresses, one under an unknown name."""
    users, _ = world
    login(_client(app, HOME_IP), users["kunming-clerk"].username, "nope-nope-nope")
    login(_client(app, AWAY_IP), users["kunming-clerk"].username, "nope-nope-nope")
    login(_client(app, AWAY_IP), users["xuanwu-clerk"].username, "nope-nope-nope")
    login(_client(app, AWAY_IP), "nobody-here", "nope-nope-nope")
    return users


def test_an_admin_filters_security_events_by_kind_user_address_and_date(app, logged):
    users = logged
    c = _client(app, HOME_IP)
    login(c, users["kunming-admin"].username)
    status, page = _audit_page(c, kind=security_log.LOGIN_FAILED, user=users["kunming-clerk"].username)
    assert status == 200
    assert page.count(f"user:{users['kunming-clerk'].username}") == 2 and HOME_IP in page and AWAY_IP in page
    assert users["xuanwu-clerk"].username not in page  # Xuanwu's account is Xuanwu's business
    _, page = _audit_page(c, kind=security_log.LOGIN_FAILED, ip="203.0.113.")
    assert page.count(f"user:{users['kunming-clerk'].username}") == 1 and HOME_IP not in page
    assert "unknown_user" in page  # a top-level admin of the whole subtree sees names nobody has
    today = security_log.utcnow().astimezone(SHANGHAI).date()
    _, page = _audit_page(c, kind="security", since=str(today - timedelta(days=1)), until=str(today))
    assert "unknown_user" in page and page.count("wrong_password") == 2
    _, page = _audit_page(c, kind="security", until=str(today - timedelta(days=1)))
    assert "wrong_password" not in page
    _, page = _audit_page(c, kind="admin")
    assert "wrong_password" not in page
    # the kinds read in the reader's language
    for lang, label in (("zh_Hans", "登录失败"), ("zh_Hant", "登錄失敗"), ("en", "Failed login")):
        _, page = _audit_page(c, kind=security_log.LOGIN_FAILED, lang=lang)
        assert f"<td>{label}</td>" in page, lang


def test_another_jurisdictions_admin_does_not_see_the_rows(app, logged):
    users = logged
    c = _client(app, AWAY_IP)
    login(c, users["xuanwu-admin"].username)
    _, page = _audit_page(c, kind="security")
    assert f"user:{users['xuanwu-clerk'].username}" in page
    assert users["kunming-clerk"].username not in page
    assert "unknown_user" in page  # Xuanwu is top-level too: a name nobody has concerns the whole portal
    wuhua = quick_staff("wuhua-admin-s", "admin", "kunming-wuhua", subtree=True)
    c = _client(app, AWAY_IP)
    login(c, wuhua.username)
    _, page = _audit_page(c, kind="security")
    assert "unknown_user" not in page and "wrong_password" not in page


def test_a_refusal_is_seen_by_both_jurisdictions_admins_and_nobody_else(app, world):
    users, cases = world
    c = _client(app, HOME_IP)
    login(c, users["kunming-clerk"].username)
    c.get(f"/staff/cases/{cases['xuanwu'].number}")
    path = f"/staff/cases/{cases['xuanwu'].number}"
    for who in ("kunming-admin", "xuanwu-admin"):
        admin = _client(app, AWAY_IP)
        login(admin, users[who].username)
        assert path in _audit_page(admin, kind=security_log.REFUSED)[1], who
    beijing = quick_staff("beijing-admin-s", "admin", "beijing", subtree=True)
    admin = _client(app, AWAY_IP)
    login(admin, beijing.username)
    assert path not in _audit_page(admin, kind="security")[1]


@pytest.mark.parametrize("args", [{"since": "2026-13-01"}, {"since": "0001-01-01"}, {"until": "9999-12-31"},
                                  {"since": "2026-03-02", "until": "2026-03-01"}, {"ip": "10.0.0.1' OR 1=1"},
                                  {"kind": "<script>"}, {"user": "x" * 500}])
def test_bad_filter_values_get_a_clear_message_never_a_500(app, world, args):
    users, _ = world
    c = _client(app, HOME_IP)
    login(c, users["kunming-admin"].username)
    status, page = _audit_page(c, **args)
    assert status in (200, 422)
    if status == 422:
        assert 'class="error-summary"' in page


def test_the_filter_is_kept_across_pages(app, world):
    users, _ = world
    with app.test_request_context():
        rows = [dict(at=security_log.utcnow(), actor_id=None, jurisdiction_id=jurisdiction("kunming").id,
                     action=security_log.LOGIN_FAILED, target="user:kunming-clerk-s", target_jurisdiction_id=None,
                     ip=AWAY_IP, data={"reason": "wrong_password"}) for _ in range(105)]
        security_log._insert(rows)
    c = _client(app, HOME_IP)
    login(c, users["kunming-admin"].username)
    _, page = _audit_page(c, kind=security_log.LOGIN_FAILED, ip=AWAY_IP)
    assert f"kind={security_log.LOGIN_FAILED}" in page and "page=2" in page and "ip=203.0.113.9" in page
    _, second = _audit_page(c, kind=security_log.LOGIN_FAILED, ip=AWAY_IP, page=2)
    assert second.count("wrong_password") == 5
