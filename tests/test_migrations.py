"""The schema comes from Alembic migrations, and they agree with the models."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from portal.extensions import db


def _not_a_plugin_version_table(name, type_, parent_names):
    """Each plugin records its revisions in its own <plugin>_alembic_version (portal.schema):
    bookkeeping like the core's alembic_version, not a model's table."""
    return not (type_ == "table" and name.endswith("_alembic_version"))


def test_models_and_migrations_agree(app):
    """After `flask db upgrade` the database matches the models exactly (no pending diff):
    the core's models and the enabled plugins' own tables."""
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": _not_a_plugin_version_table})
        diff = compare_metadata(ctx, db.metadata)
    assert diff == [], diff


def test_upgrade_builds_every_model_table(app):
    tables = set(inspect(db.engine).get_table_names())
    assert {t.name for t in db.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables
