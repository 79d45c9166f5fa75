"""Issue 14, finding 5 (passwords), part 4: the demo's staff users (a password published in the
README) exist only where `load-demo` made them: `init-db` creates none, and `load-demo` refuses a
database holding staff users or cases of its own, and warns outside debug mode. Demo users are
not asked to change the password (the demo would be unusable). Every person here is invented."""
from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Case, StaffUser

from .factories import file, staff

DEMO_PASSWORD = "demo-pass-2026"


def _invoke(app, *args):
    return app.test_cli_runner().invoke(args=["portal", *args])


def test_finding5_init_db_on_a_fresh_database_creates_no_staff_user(app):
    db.session.execute(StaffUser.__table__.delete())
    db.session.commit()
    r = _invoke(app, "init-db")
    assert r.exit_code == 0, r.output
    users = db.session.scalars(select(StaffUser)).all()
    assert [u for u in users if u.check_password(DEMO_PASSWORD)] == []
    assert users == []


def test_finding5_load_demo_refuses_a_database_with_staff_of_its_own(app):
    staff("real-admin", "admin", "beijing")
    r = _invoke(app, "load-demo")
    assert r.exit_code != 0
    assert "already holds staff users or cases" in r.output and "published password" in r.output
    assert db.session.scalar(select(func.count()).select_from(StaffUser)) == 1
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_finding5_load_demo_refuses_a_database_with_cases_of_its_own(app):
    file("beijing")
    r = _invoke(app, "load-demo")
    assert r.exit_code != 0 and "already holds staff users or cases" in r.output
    assert db.session.scalar(select(func.count()).select_from(StaffUser)) == 0


def test_finding5_load_demo_warns_outside_debug_and_its_users_keep_the_published_password(app):
    assert not app.debug
    r = _invoke(app, "load-demo")
    assert r.exit_code == 0, r.output
    assert "never in production" in r.output
    users = db.session.scalars(select(StaffUser)).all()
    assert users and all(not u.must_change_password for u in users)
    assert users[0].check_password(DEMO_PASSWORD)
    # `make run` loads the demo at every start: a demo database is loaded again without complaint,
    # even after somebody tried a user of their own on it
    staff("tried-it", "clerk", "beijing")
    again = _invoke(app, "load-demo")
    assert again.exit_code == 0, again.output


def test_finding5_load_demo_in_debug_mode_says_nothing_more(app):
    app.debug = True
    try:
        r = _invoke(app, "load-demo")
    finally:
        app.debug = False
    assert r.exit_code == 0 and "WARNING" not in r.output
