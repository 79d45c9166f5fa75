"""Database engine settings per backend: SQLite in WAL mode with a busy timeout."""
from __future__ import annotations

import os

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url


def configure_engine_options(app) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    opts = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        opts.setdefault("connect_args", {"timeout": 30})
        create_sqlite_owner_only(uri)
    else:
        opts.setdefault("pool_size", 5)
        opts.setdefault("connect_args", {"connect_timeout": 5})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = opts


def create_sqlite_owner_only(uri: str) -> None:
    """Create a missing SQLite file as 0600 before SQLite creates it as 0644 (the umask's):
    it holds every case. SQLite gives its -wal and -shm files the database file's mode."""
    database = make_url(uri).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = os.path.abspath(database)
    if os.path.isdir(os.path.dirname(path)):
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass  # an existing database keeps the mode its operator gave it


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    module = type(dbapi_connection).__module__
    if "sqlite" not in module:
        return
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()
