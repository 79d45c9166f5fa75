"""Fixtures: a real database (SQLite file, or PostgreSQL when PORTAL_TEST_DATABASE_URL is
set), migrated once per session with Alembic and wiped between tests; a real Whoosh
index in a temporary folder; apps built by the real factory."""
from __future__ import annotations

import os
import secrets
from datetime import datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.workdays import SHANGHAI
from portal.config import normalise_db_url
from portal.extensions import db

ALL_PLUGINS = ["kunming", "xuanwu", "beijing", "dazhou", "qingcheng"]
PG_ENV = "PORTAL_TEST_DATABASE_URL"
#: The fixed data key of the tests (32 bytes, base64): personal data is encrypted as in production.
TEST_DATA_KEY = "test:dGVzdC1kYXRhLWtleS1vZi10aGUtdGVzdHMtLTMyYiE="


def example_installed() -> bool:
    """The out-of-tree example plugin (tests/plugin_example, `make install`) is an entry point."""
    import importlib.metadata as md

    return any(ep.name == "example" for ep in md.entry_points(group="portal"))


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues():
    """Pages render from compiled catalogues even when pytest runs without `make translations`."""
    from portal.i18n_tools import compile_catalogues

    compile_catalogues()


def shanghai(*args) -> datetime:
    """A real Shanghai wall-clock time, e.g. shanghai(2026, 2, 13, 10, 0)."""
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A database of our own for this run: created here, dropped at the end."""
    server = os.environ.get(PG_ENV)
    if not server:
        path = tmp_path_factory.mktemp("db") / "portal-test.sqlite3"
        yield f"sqlite:///{path}"
        return
    server = normalise_db_url(server)
    name = f"bancheng_test_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    yield url
    from portal.extensions import db as _db  # noqa: F401

    admin.dispose()
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"))
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def migrated(database_url, tmp_path_factory):
    """Build the schema once through the migrations (what `flask db upgrade` runs): the core's,
    every built-in plugin's own tables and the out-of-tree example's (tests enable it)."""
    from portal.schema import upgrade_all

    plugins = ALL_PLUGINS + (["example"] if example_installed() else [])
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                      "INSTANCE_PATH": str(tmp_path_factory.mktemp("inst")), "PORTAL_JURISDICTIONS": plugins})
    with app.app_context():
        upgrade_all()
        db.engine.dispose()
    return database_url


def wipe() -> None:
    """Empty every table (children first) so each test starts from nothing."""
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def make_app(migrated, tmp_path):
    """Build an app with extra config on the session database; tables wiped before use."""
    apps = []

    def _make(**config):
        base = {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "PORTAL_DATA_KEY": TEST_DATA_KEY,
            "SQLALCHEMY_DATABASE_URI": migrated,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "PORTAL_INDEX_DIR": str(tmp_path / "index"),
            "PORTAL_UPLOAD_DIR": str(tmp_path / "uploads"),
            "PORTAL_MAIL_FILE": str(tmp_path / "outbox.log"),
            "PORTAL_JURISDICTIONS": ALL_PLUGINS,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "PORTAL_PASSWORD_METHOD": "pbkdf2:sha256:1000",  # production keeps scrypt
        }
        base.update(config)
        app = create_app(base)
        with app.app_context():
            wipe()
            from portal.engine.jurisdiction_calendars import invalidate
            from portal.registry import sync_jurisdictions

            invalidate()
            sync_jurisdictions()
        apps.append(app)
        return app

    yield _make
    for app in apps:
        ix = app.extensions.get("portal_search")
        if ix is not None:
            ix.close()  # otherwise open segment files surface as a ResourceWarning in a later test
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def core_app(make_app):
    """Only the core defaults plugin: the built-in demo jurisdiction."""
    app = make_app(PORTAL_JURISDICTIONS=[])
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
