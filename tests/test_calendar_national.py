"""Issue 14, finding 2: the national holiday calendar is changed only by a system administrator (or
the CLI), in two steps (a dry run, then a confirm), never silently losing an official year, and
audited where every jurisdiction's administrator reads it. Security settings: the portal's own
defaults, no source report speaks of them; the holidays are the State Council's notices as shipped
in portal/data (2025 National Day 1-8 October, 2026 National Day 1-7 October)."""
from __future__ import annotations

import io
import json
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from portal.engine.jurisdiction_calendars import calendar_for, invalidate
from portal.extensions import db
from portal.models import AuditLog, CalendarDay, CalendarYear
from portal.staff.users import UserError, create_staff_user

from .factories import PASSWORD, jurisdiction, login
from .staff_support import close_search_index, quick_staff

ERASE_EVERYTHING = {"source": "attack", "years": list(range(1900, 2101)), "holidays": {}, "workdays": {}}
NATIONAL_DAY = date(2026, 10, 1)
INVENTED_2027 = {"source": "Invented test notice for 2027", "years": [2027],
                 "holidays": {"2027-01-01": "New Year's Day", "2027-10-01": "National Day"}, "workdays": {}}


@pytest.fixture
def world(app):
    yield app
    close_search_index(app)


def _client(app, username, lang="en"):
    c = app.test_client()
    c.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    assert login(c, username).status_code in (302, 303)
    return c


def upload(client, data, name="cal.json"):
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return client.post("/staff/admin/calendar/import", content_type="multipart/form-data",
                       data={"year-file": (io.BytesIO(raw), name)})


def token_of(body: str) -> str:
    return re.search(r'name="token" type="hidden" value="([^"]+)"', body).group(1)


def national_day_off_in_xuanwu() -> bool:
    invalidate()
    return not calendar_for(jurisdiction("xuanwu")).is_working_day(NATIONAL_DAY)


def imported_rows() -> int:
    return db.session.scalar(select(func.count(CalendarDay.id)).where(CalendarDay.kind == "imported"))


def test_a_jurisdiction_admin_cannot_import_national_data_and_xuanwu_keeps_national_day(world):
    """The attack: a street-level admin POSTing empty holidays for 1900-2100. Now 403, nothing written."""
    quick_staff("xw-admin", "admin", "xuanwu")
    c = _client(world, "xw-admin")
    r = upload(c, ERASE_EVERYTHING)
    assert r.status_code == 403
    assert c.post("/staff/admin/calendar/import/confirm", data={"token": "x"}).status_code == 403
    assert db.session.scalar(select(func.count(CalendarYear.year))) == 0 and imported_rows() == 0
    assert national_day_off_in_xuanwu()
    assert "Check the file" not in c.get("/staff/admin/calendar").get_data(as_text=True)


def test_a_system_admin_cannot_erase_the_calendar_either(world):
    """Years outside 2000..2100 and years without a single holiday are refused outright."""
    quick_staff("sys", "system_admin", "xuanwu")
    c = _client(world, "sys")
    r = upload(c, ERASE_EVERYTHING)
    assert r.status_code == 422 and "outside 2000 to 2100" in r.get_data(as_text=True)
    r = upload(c, {**ERASE_EVERYTHING, "years": list(range(2000, 2101))})
    assert r.status_code == 422 and "the year 2000 has no holidays" in r.get_data(as_text=True)
    r = upload(c, {**ERASE_EVERYTHING, "years": [2026]})
    assert r.status_code == 422 and "2026 has no holidays" in r.get_data(as_text=True)
    assert imported_rows() == 0 and national_day_off_in_xuanwu()


def test_dry_run_shows_changes_without_writing_and_confirm_writes_with_a_national_audit_row(world):
    quick_staff("sys", "system_admin", "kunming")
    quick_staff("xw-admin", "admin", "xuanwu")
    c = _client(world, "sys")
    r = upload(c, INVENTED_2027, "2027.json")
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "new year" in body and "2027-10-01 National Day" in body
    assert db.session.get(CalendarYear, 2027) is None and imported_rows() == 0  # dry run wrote nothing
    r = c.post("/staff/admin/calendar/import/confirm", data={"token": token_of(body)})
    assert r.status_code == 303
    assert db.session.get(CalendarYear, 2027).source == "Invented test notice for 2027"
    invalidate()
    assert not calendar_for(jurisdiction("xuanwu")).is_working_day(date(2027, 10, 1))
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "calendar.import"))
    assert row.jurisdiction_id is None and row.data["changes"]["2027"]["holidays"] == [0, 2]
    # every jurisdiction's administrator reads the national change in their audit log
    log = _client(world, "xw-admin").get("/staff/admin/audit").get_data(as_text=True)
    assert "calendar.import" in log and "years:2027" in log


def test_the_signed_dry_run_cannot_be_altered_or_replayed_by_another_user(world):
    quick_staff("sys", "system_admin", "kunming")
    quick_staff("sys2", "system_admin", "kunming")
    c = _client(world, "sys")
    token = token_of(upload(c, INVENTED_2027).get_data(as_text=True))
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert c.post("/staff/admin/calendar/import/confirm", data={"token": tampered}).status_code == 422
    other = _client(world, "sys2")
    assert other.post("/staff/admin/calendar/import/confirm", data={"token": token}).status_code == 422
    assert imported_rows() == 0


def test_removing_official_holidays_of_a_known_year_needs_a_reason(world):
    """2026 is known (shipped): a file dropping National Day is shown, then refused without a reason."""
    quick_staff("sys", "system_admin", "xuanwu")
    c = _client(world, "sys")
    shrunk = {"source": "Corrected 2026 notice (test)", "years": [2026],
              "holidays": {"2026-01-01": "New Year's Day"}, "workdays": {}}
    r = upload(c, shrunk)
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "2026-10-01 National Day" in body and 'name="reason"' in body
    r = c.post("/staff/admin/calendar/import/confirm", data={"token": token_of(body)})
    assert r.status_code == 422 and "give the reason" in r.get_data(as_text=True)
    assert imported_rows() == 0 and national_day_off_in_xuanwu()
    r = c.post("/staff/admin/calendar/import/confirm", data={"token": token_of(body), "reason": "Test: notice revised"})
    assert r.status_code == 303 and not national_day_off_in_xuanwu()
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "calendar.import"))
    assert row.data["reason"] == "Test: notice revised"


def test_confirm_after_someone_else_changed_the_year_is_refused(world):
    quick_staff("sys", "system_admin", "kunming")
    c = _client(world, "sys")
    token = token_of(upload(c, INVENTED_2027).get_data(as_text=True))
    other = {**INVENTED_2027, "holidays": {"2027-01-01": "New Year's Day", "2027-05-01": "Labour Day"}}
    r = c.post("/staff/admin/calendar/import/confirm", data={"token": token_of(upload(c, other).get_data(as_text=True))})
    assert r.status_code == 303
    r = c.post("/staff/admin/calendar/import/confirm", data={"token": token})
    assert r.status_code == 422 and "changed since the dry run" in r.get_data(as_text=True)


def test_a_jurisdiction_admin_keeps_their_own_overrides_but_not_national_ones(world):
    quick_staff("xw-admin", "admin", "xuanwu")
    c = _client(world, "xw-admin")
    xw = jurisdiction("xuanwu")
    r = c.post("/staff/admin/calendar/override", data={"ov-jurisdiction": str(xw.id), "ov-day": "2026-11-02",
                                                        "ov-kind": "off", "ov-name": "停电"})
    assert r.status_code == 303
    national = CalendarDay(jurisdiction_id=None, day=date(2026, 11, 3), working=False, name="n", kind="override")
    db.session.add(national)
    db.session.commit()
    assert c.post(f"/staff/admin/calendar/override/{national.id}/delete").status_code == 404
    assert db.session.get(CalendarDay, national.id) is not None


def test_system_admin_is_created_only_by_the_cli_and_guarded_on_the_users_page(world):
    with pytest.raises(UserError, match="create-user"):
        create_staff_user(username="sneaky", password=PASSWORD, role="system_admin", jurisdiction_code="xuanwu")
    out = world.test_cli_runner().invoke(args=["portal", "create-user", "root-sys", "--role", "system_admin",
                                               "--jurisdiction", "xuanwu", "--password", PASSWORD])
    assert out.exit_code == 0, out.output
    quick_staff("xw-admin", "admin", "xuanwu")
    c = _client(world, "xw-admin")
    users = c.get("/staff/admin/users").get_data(as_text=True)
    assert 'value="system_admin"' not in users
    from portal.models import StaffUser

    target = db.session.scalar(select(StaffUser).where(StaffUser.username == "root-sys"))
    assert c.post(f"/staff/admin/users/{target.id}/password").status_code == 403
    assert c.post(f"/staff/admin/users/{target.id}/active", data={"active": "0"}).status_code == 403
    xw = jurisdiction("xuanwu")
    r = c.post("/staff/admin/users", data={"username": "made-sys", "display_name": "x", "role": "system_admin",
                                           "jurisdiction": str(xw.id), "department": "0"})
    assert r.status_code == 422
    assert db.session.scalar(select(StaffUser).where(StaffUser.username == "made-sys")) is None


def test_cli_import_dry_run_reason_and_refusals(world, tmp_path):
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(INVENTED_2027), encoding="utf-8")
    run = world.test_cli_runner().invoke
    out = run(args=["portal", "calendar", "import", str(path), "--dry-run"])
    assert out.exit_code == 0 and "2027: holidays 0 -> 2" in out.output and db.session.get(CalendarYear, 2027) is None
    out = run(args=["portal", "calendar", "import", str(path)])
    assert out.exit_code == 0 and db.session.get(CalendarYear, 2027) is not None
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "calendar.import"))
    assert row.jurisdiction_id is None and row.actor_id is None and row.data["via"] == "cli"
    path.write_text(json.dumps(ERASE_EVERYTHING), encoding="utf-8")
    out = run(args=["portal", "calendar", "import", str(path)])
    assert out.exit_code != 0 and "Not imported" in out.output
    path.write_text(json.dumps({**INVENTED_2027, "holidays": {"2027-01-01": "New Year's Day"}}), encoding="utf-8")
    out = run(args=["portal", "calendar", "import", str(path)])
    assert out.exit_code != 0 and "removal_needs_reason" in out.output
    out = run(args=["portal", "calendar", "import", str(path), "--reason", "notice revised"])
    assert out.exit_code == 0
    invalidate()
    assert calendar_for(None).is_working_day(date(2027, 10, 1))
