"""Migration 0008 makes usernames case-insensitive by lower-casing them, and stops with the
clashing names rather than merge two accounts. Runs on SQLite and, with
PORTAL_TEST_DATABASE_URL, on a fresh PostgreSQL database. Every person here is invented."""
from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from portal.extensions import db
from tests.factories import jurisdiction
from tests.test_plugin_tables import scratch_app, scratch_url  # noqa: F401 (fixtures)


def _revision_module():
    """This revision, whatever number it gets when the revisions are chained."""
    import importlib.util
    from pathlib import Path

    import portal

    path = next((Path(portal.__file__).parent / "migrations" / "versions").glob("*_staff_sessions_and_lockout.py"))
    spec = importlib.util.spec_from_file_location("rev_staff_sessions", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REV = _revision_module()
BEFORE, THIS = REV.down_revision, REV.revision


def _old_user(username: str, jurisdiction_id: int) -> None:
    with db.engine.begin() as c:
        c.execute(text("INSERT INTO staff_user (username, password_hash, display_name, role, jurisdiction_id, "
                       "email, active, sees_subtree, created_at) VALUES (:u, 'x', :u, 'clerk', :j, '', :t, :f, "
                       "'2026-02-13 02:00:00+00:00')"), {"u": username, "j": jurisdiction_id, "t": True, "f": False})


def _usernames() -> list[str]:
    with db.engine.connect() as c:
        return sorted(c.execute(text("SELECT username FROM staff_user")).scalars())


def test_0008_lower_cases_usernames_and_downgrades(scratch_app):
    from portal.registry import sync_jurisdictions

    app = scratch_app([])
    with app.app_context():
        upgrade(revision=BEFORE)
        sync_jurisdictions()
        j = jurisdiction("demo").id
        for name in ("Wang.Fang", "li-na", "ZHAO"):
            _old_user(name, j)
        db.session.remove()
        upgrade(revision=THIS)
        assert _usernames() == ["li-na", "wang.fang", "zhao"]
        with db.engine.connect() as c:
            assert set(c.execute(text("SELECT failed_logins, session_generation FROM staff_user")).all()) == {(0, 0)}
        downgrade(revision=BEFORE)
        assert _usernames() == ["li-na", "wang.fang", "zhao"]


def test_0008_stops_on_names_that_differ_only_in_case(scratch_app, capfd):
    from portal.registry import sync_jurisdictions

    app = scratch_app([])
    with app.app_context():
        upgrade(revision=BEFORE)
        sync_jurisdictions()
        j = jurisdiction("demo").id
        for name in ("Admin", "admin", "zhou"):
            _old_user(name, j)
        db.session.remove()
        with pytest.raises(SystemExit):  # Flask-Migrate logs the RuntimeError and exits 1
            upgrade(revision=THIS)
        assert "more than one spelling: admin. Rename" in capfd.readouterr().err
        db.session.remove()
        assert _usernames() == ["Admin", "admin", "zhou"]  # nothing half-done
