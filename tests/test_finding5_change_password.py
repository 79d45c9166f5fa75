"""Issue 14, finding 5 (passwords), part 1: staff change their own password. This session stays
logged in, the user's other sessions end, the change is audited without any password in it.
Every person here is invented.

The requests run outside any app context of the test (see test_staff_password_sessions.py)."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditLog, StaffUser

from .factories import PASSWORD, login
from .staff_support import quick_staff

NEW = "plum-lantern-harbour-47"


@pytest.fixture
def people(make_app):
    app = make_app(PORTAL_JURISDICTIONS=[])
    with app.app_context():
        ids = {name: quick_staff(name, role, "demo").id for name, role in (("cp-clerk", "clerk"), ("cp-other", "clerk"))}
        db.session.remove()
    yield app, ids
    ix = app.extensions.get("portal_search")
    if ix is not None:
        ix.close()


def _logged_in(client) -> bool:
    return client.get("/staff/").status_code == 200


def _change(client, current=PASSWORD, new=NEW, confirm=None, lang="en"):
    return client.post(f"/staff/password?lang={lang}", data={"current": current, "new": new,
                                                                "confirm": new if confirm is None else confirm})


def test_finding5_staff_change_their_own_password_this_session_stays_the_others_end(people):
    app, ids = people
    here, laptop, colleague = app.test_client(), app.test_client(), app.test_client()
    for c in (here, laptop):
        assert login(c, "cp-clerk").status_code == 302
    assert login(colleague, "cp-other").status_code == 302
    page = here.get("/staff/password?lang=en")
    assert page.status_code == 200 and "Current password" in page.get_data(as_text=True)
    assert 'href="/staff/password"' in here.get("/staff/?lang=en").get_data(as_text=True)  # in the staff menu

    r = _change(here)
    assert r.status_code == 303 and r.headers["Location"].endswith("/staff/")
    assert _logged_in(here)
    assert not _logged_in(laptop)
    assert _logged_in(colleague)
    fresh = app.test_client()
    assert login(fresh, "cp-clerk", PASSWORD).status_code == 401
    assert login(fresh, "cp-clerk", NEW).status_code == 302


def test_finding5_the_change_is_audited_without_any_password(people):
    app, ids = people
    c = app.test_client()
    login(c, "cp-clerk")
    assert _change(c).status_code == 303
    with app.app_context():
        rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "user.change_password")).all()
        assert [(r.actor_id, r.target) for r in rows] == [(ids["cp-clerk"], "user:cp-clerk")]
        stored = json.dumps(rows[0].data, ensure_ascii=False) + rows[0].target
        assert NEW not in stored and PASSWORD not in stored
        db.session.remove()


@pytest.mark.parametrize("current,new,confirm,field,told", [
    ("wrong-password-here", NEW, NEW, "current", "The current password is wrong."),
    (PASSWORD, NEW, NEW + "x", "confirm", "The two new passwords differ."),
    (PASSWORD, PASSWORD, PASSWORD, "new", "The new password must differ from the current one."),
    (PASSWORD, "short", "short", "new", "Use at least 10 characters."),
    (PASSWORD, "12345678901", "12345678901", "new", "Runs and keyboard rows"),
])
def test_finding5_a_refused_change_says_why_and_changes_nothing(people, current, new, confirm, field, told):
    app, ids = people
    c = app.test_client()
    login(c, "cp-clerk")
    r = _change(c, current, new, confirm)
    assert r.status_code == 422
    body = r.get_data(as_text=True)
    assert told in body and f'id="{field}-error"' in body
    with app.app_context():
        user = db.session.get(StaffUser, ids["cp-clerk"])
        assert user.check_password(PASSWORD)
        assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "user.change_password")) is None
        db.session.remove()
    assert _logged_in(c)


def test_finding5_the_reason_is_given_in_the_users_language(people):
    app, _ids = people
    c = app.test_client()
    login(c, "cp-clerk")
    bodies = {lang: _change(c, new="qwertyuiop12", lang=lang).get_data(as_text=True) for lang in ("zh_Hans", "zh_Hant", "en")}
    assert "Runs and keyboard rows" in bodies["en"]
    assert "键盘" in bodies["zh_Hans"] and "鍵盤" in bodies["zh_Hant"]


def test_finding5_the_change_page_needs_a_login(people):
    app, _ids = people
    r = app.test_client().get("/staff/password")
    assert r.status_code == 302 and "/staff/login" in r.headers["Location"]
