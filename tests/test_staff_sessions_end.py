"""Staff sessions end when they should (issue 14, finding 3): a cookie copied before a logout,
a deactivation or a password reset no longer works after it, and a session ends after
PORTAL_SESSION_IDLE_MINUTES without a request as well as PORTAL_SESSION_HOURS after login.
These are the portal's configurable defaults: no source report sets them. Every person here is
invented.

The requests run outside any app context of the test: a shared app context would share
flask-login's cached user (``g``) between the clients."""
from __future__ import annotations

import time

import pytest

from portal.extensions import db
from portal.models import StaffUser
from portal.staff import sessions

from .factories import login
from .staff_support import quick_staff


@pytest.fixture
def people(make_app):
    app = make_app(PORTAL_JURISDICTIONS=[])
    with app.app_context():
        ids = {name: quick_staff(name, role, "demo").id for name, role in (("s-admin", "admin"), ("s-clerk", "clerk"))}
        db.session.remove()
    yield app, ids
    ix = app.extensions.get("portal_search")
    if ix is not None:
        ix.close()


def _logged_in(client) -> bool:
    return client.get("/staff/").status_code == 200


def _replay(app, cookie: str):
    """A new browser holding a copy of ``cookie`` (what an attacker who copied it has)."""
    c = app.test_client()
    c.set_cookie("session", cookie)
    return c


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _told(client, response) -> str:
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_cookie_copied_before_logout_is_refused_after_it(people):
    app, _ids = people
    c = app.test_client()
    assert login(c, "s-clerk").status_code == 302 and _logged_in(c)
    copied = _cookie(c)
    assert _logged_in(_replay(app, copied))  # the copy works while the session does
    assert c.post("/staff/logout").status_code == 302
    thief = _replay(app, copied)
    r = thief.get("/staff/?lang=en")
    assert "This session has ended. Please log in again." in _told(thief, r)
    assert not _logged_in(_replay(app, copied))


def test_deactivating_and_activating_again_does_not_revive_old_sessions(people):
    app, ids = people
    clerk, admin = app.test_client(), app.test_client()
    login(clerk, "s-clerk")
    login(admin, "s-admin")
    copied = _cookie(clerk)
    for active in ("0", "1"):
        assert admin.post(f"/staff/admin/users/{ids['s-clerk']}/active", data={"active": active}).status_code == 303
    assert not _logged_in(clerk)
    assert not _logged_in(_replay(app, copied))
    assert login(clerk, "s-clerk").status_code == 302 and _logged_in(clerk)  # a new login works


def test_a_password_reset_kills_a_copied_cookie_and_bumps_the_generation(people):
    app, ids = people
    clerk, admin = app.test_client(), app.test_client()
    login(clerk, "s-clerk")
    login(admin, "s-admin")
    copied = _cookie(clerk)
    with app.app_context():
        before = db.session.get(StaffUser, ids["s-clerk"]).session_generation
    assert admin.post(f"/staff/admin/users/{ids['s-clerk']}/password").status_code == 200
    with app.app_context():
        assert db.session.get(StaffUser, ids["s-clerk"]).session_generation == before + 1
    assert not _logged_in(_replay(app, copied))


def test_end_other_sessions_ends_them_without_a_new_password(people):
    """What a password change calls: the user's other sessions end, the calling one stays."""
    app, _ids = people

    @app.route("/_test/end-others", methods=["POST"])  # before the app's first request
    def end_others():
        from flask_login import current_user

        sessions.end_other_sessions(current_user)
        db.session.commit()
        return "ok"

    here, elsewhere = app.test_client(), app.test_client()
    login(here, "s-clerk")
    login(elsewhere, "s-clerk")
    assert here.post("/_test/end-others").status_code == 200
    assert _logged_in(here)
    assert not _logged_in(elsewhere)


@pytest.fixture
def clock(monkeypatch):
    """The sessions' clock, moved by the test."""
    now = [time.time()]
    monkeypatch.setattr(sessions, "clock", lambda: now[0])
    return now


def test_an_idle_session_ends_and_activity_keeps_it_going(people, clock):
    app, _ids = people
    c = app.test_client()
    login(c, "s-clerk")
    for _ in range(4):  # two hours in all, never 30 minutes without a request
        clock[0] += 29 * 60
        assert _logged_in(c)
    clock[0] += 31 * 60
    r = c.get("/staff/?lang=en")
    assert "Your session ended after 30 minutes without activity. Please log in again." in _told(c, r)
    assert not _logged_in(c)


def test_the_idle_time_is_configurable(make_app, clock):
    app = make_app(PORTAL_JURISDICTIONS=[], PORTAL_SESSION_IDLE_MINUTES=5)
    with app.app_context():
        quick_staff("s-clerk", "clerk", "demo")
        db.session.remove()
    c = app.test_client()
    login(c, "s-clerk")
    clock[0] += 4 * 60
    assert _logged_in(c)
    clock[0] += 5 * 60 + 1
    r = c.get("/staff/?lang=zh_Hans")
    assert "您已 5 分钟无操作，登录已失效，请重新登录。" in _told(c, r)


def test_the_absolute_timeout_still_ends_a_busy_session(people, clock):
    app, _ids = people
    c = app.test_client()
    login(c, "s-clerk")
    for _ in range(16):  # 7 h 44 min of work, a request every 29 minutes
        clock[0] += 29 * 60
        assert _logged_in(c)
    clock[0] += 29 * 60  # past the 8 hours since login
    r = c.get("/staff/?lang=en")
    assert "Your session has expired. Please log in again." in _told(c, r)
