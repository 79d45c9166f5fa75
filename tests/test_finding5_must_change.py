"""Issue 14, finding 5 (passwords), part 2: a password an administrator or the CLI set must be
changed at first login. While ``must_change_password`` is set every staff page (the plugins' and
the API included) answers 303 to the change page; that page, logout and static files stay open.
Every person here is invented."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import StaffUser

from .factories import PASSWORD, login
from .staff_support import quick_staff

NEW = "quince-meadow-lantern-82"


@pytest.fixture
def site(make_app):
    app = make_app(PORTAL_JURISDICTIONS=["dazhou"])
    with app.app_context():
        admin_id = quick_staff("mc-admin", "admin", "dazhou").id
        db.session.remove()
    yield app, admin_id
    ix = app.extensions.get("portal_search")
    if ix is not None:
        ix.close()


def _shown_password(body: str) -> str:
    return re.search(r'<strong class="ref">([^<]+)</strong>', body).group(1)


def _flag(app, username):
    with app.app_context():
        value = db.session.scalar(select(StaffUser.must_change_password).where(StaffUser.username == username))
        db.session.remove()
        return value


def _assert_only_the_change_page_opens(client):
    for path in ("/staff/", "/staff/corrections", "/staff/admin/users", "/staff/dazhou/rota", "/api/plugins.json",
                 "/staff/nowhere"):
        r = client.get(path)
        assert r.status_code == 303 and r.headers["Location"].endswith("/staff/password"), (path, r.status_code)
    r = client.post("/staff/intake", data={})
    assert r.status_code == 303 and r.headers["Location"].endswith("/staff/password")
    page = client.get("/staff/password?lang=en")
    assert page.status_code == 200
    assert "Your password was set by an administrator" in page.get_data(as_text=True)
    static = client.get("/static/portal.css")
    assert static.status_code == 200  # never a redirect
    static.close()
    assert client.get("/").status_code == 200  # the public site is not a staff page


def test_finding5_a_user_an_admin_created_must_change_the_password_at_first_login(site):
    app, _admin = site
    admin = app.test_client()
    login(admin, "mc-admin")
    with app.app_context():
        from .factories import jurisdiction

        jid = jurisdiction("dazhou").id
        db.session.remove()
    r = admin.post("/staff/admin/users", data={"username": "mc-new", "display_name": "新同事", "role": "clerk",
                                                "jurisdiction": str(jid), "department": "0"})
    assert r.status_code == 200
    given = _shown_password(r.get_data(as_text=True))
    assert _flag(app, "mc-new") is True

    newcomer = app.test_client()
    assert login(newcomer, "mc-new", given).status_code == 302
    _assert_only_the_change_page_opens(newcomer)
    r = newcomer.post("/staff/password", data={"current": given, "new": NEW, "confirm": NEW})
    assert r.status_code == 303 and r.headers["Location"].endswith("/staff/")
    assert _flag(app, "mc-new") is False
    assert newcomer.get("/staff/").status_code == 200
    assert newcomer.get("/staff/corrections").status_code == 200


def test_finding5_an_admin_reset_password_must_be_changed_and_logout_still_works(site):
    app, _admin = site
    with app.app_context():
        uid = quick_staff("mc-clerk", "clerk", "dazhou").id
        db.session.remove()
    admin = app.test_client()
    login(admin, "mc-admin")
    assert _flag(app, "mc-clerk") is False
    given = _shown_password(admin.post(f"/staff/admin/users/{uid}/password").get_data(as_text=True))
    assert _flag(app, "mc-clerk") is True
    clerk = app.test_client()
    assert login(clerk, "mc-clerk", PASSWORD).status_code == 401
    assert login(clerk, "mc-clerk", given).status_code == 302
    assert clerk.get("/staff/").status_code == 303
    r = clerk.post("/staff/logout")
    assert r.status_code == 302 and clerk.get("/staff/password").status_code == 302  # logged out: to the login


def test_finding5_the_cli_create_user_sets_the_flag_unless_told_otherwise(site):
    app, _admin = site
    typed = "tangerine-viaduct-93\ntangerine-viaduct-93\n"
    runner = app.test_cli_runner()
    r = runner.invoke(args=["portal", "create-user", "mc-cli", "--role", "clerk", "--jurisdiction", "dazhou"], input=typed)
    assert r.exit_code == 0, r.output
    assert _flag(app, "mc-cli") is True
    r = runner.invoke(args=["portal", "create-user", "mc-own", "--role", "admin", "--jurisdiction", "dazhou",
                            "--no-must-change"], input=typed)
    assert r.exit_code == 0, r.output
    assert _flag(app, "mc-own") is False
    c = app.test_client()
    login(c, "mc-own", "tangerine-viaduct-93")
    assert c.get("/staff/").status_code == 200
