"""A password reset ends the user's other sessions (a fingerprint of the password hash rides in
the session); the session that changed its own password stays logged in. Every person here is
invented.

The requests run outside any app context of the test: a shared app context would share
flask-login's cached user (``g``) between the two clients."""
from __future__ import annotations

import re

import pytest

from portal.extensions import db
from portal.models import StaffUser

from .factories import login
from .staff_support import quick_staff


@pytest.fixture
def people(make_app):
    app = make_app(PORTAL_JURISDICTIONS=[])
    with app.app_context():
        ids = {name: quick_staff(name, role, "demo").id
               for name, role in (("p-admin", "admin"), ("p-admin2", "admin"), ("p-clerk", "clerk"))}
        db.session.remove()
    yield app, ids
    ix = app.extensions.get("portal_search")
    if ix is not None:
        ix.close()


def _logged_in(client) -> bool:
    r = client.get("/staff/")
    # after a reset the user is logged in but sent to choose their own password first (finding 5)
    return r.status_code == 200 or (r.status_code == 303 and r.headers["Location"].endswith("/staff/password"))


def _password(body: str) -> str:
    return re.search(r'<strong class="ref">([^<]+)</strong>', body).group(1)


def test_a_reset_password_ends_the_users_other_sessions(people):
    app, ids = people
    desk, laptop, admin = app.test_client(), app.test_client(), app.test_client()
    for c in (desk, laptop):
        assert login(c, "p-clerk").status_code == 302
    assert login(admin, "p-admin").status_code == 302
    assert _logged_in(desk) and _logged_in(laptop)

    r = admin.post(f"/staff/admin/users/{ids['p-clerk']}/password")
    assert r.status_code == 200
    new = _password(r.get_data(as_text=True))

    for c, lang, told in ((desk, "en", "Your password was changed. Please log in again."),
                          (laptop, "zh_Hans", "您的密码已更改，请重新登录。")):
        r = c.get(f"/staff/?lang={lang}")
        assert r.status_code == 302 and "/staff/login" in r.headers["Location"]
        assert told in c.get(r.headers["Location"]).get_data(as_text=True)
        assert not _logged_in(c)  # and it stays out
    assert _logged_in(admin)  # somebody else's sessions are untouched
    assert login(desk, "p-clerk", new).status_code == 302 and _logged_in(desk)


def test_the_session_that_changed_its_own_password_stays_logged_in(people):
    app, ids = people
    here, elsewhere = app.test_client(), app.test_client()
    for c in (here, elsewhere):
        assert login(c, "p-admin").status_code == 302
    assert here.post(f"/staff/admin/users/{ids['p-admin']}/password").status_code == 200
    assert _logged_in(here)
    assert not _logged_in(elsewhere)


def test_other_changes_keep_sessions_and_deactivation_still_ends_them(people):
    app, ids = people
    clerk, admin = app.test_client(), app.test_client()
    login(clerk, "p-clerk")
    login(admin, "p-admin")
    with app.app_context():
        user = db.session.get(StaffUser, ids["p-clerk"])
        user.display_name = "改了名字"
        db.session.commit()
        db.session.remove()
    assert _logged_in(clerk)  # only the password counts
    assert admin.post(f"/staff/admin/users/{ids['p-clerk']}/active", data={"active": "0"}).status_code == 303
    assert not _logged_in(clerk)


def test_a_session_from_before_the_fingerprint_existed_is_logged_out(people):
    app, _ids = people
    c = app.test_client()
    login(c, "p-clerk")
    with c.session_transaction() as s:
        s.pop("staff_auth")
    assert not _logged_in(c)
