"""Migration 0011 encrypts the personal data of cases filed before it, and its downgrade gives
the plaintext back (issue 14, finding 7). A database at revision 0007 is given a case row with
raw SQL (the ORM models describe the newest schema), then upgraded and downgraded. Runs on
SQLite and, with PORTAL_TEST_DATABASE_URL, on a fresh PostgreSQL database. Every person here
is invented."""
from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from portal.extensions import db
from portal.models import Case
from portal.models.cases import complainant_is
from portal.schema import upgrade_all
from tests.factories import jurisdiction
from tests.test_plugin_tables import _old_case_row, scratch_app, scratch_url  # noqa: F401 (fixtures)

PERSON = {"complainant_name": "欧阳迁移", "complainant_phone": "13912340000",
          "complainant_id_number": "11010519491231002X", "complainant_address": "五华区迁移路1号"}


def _raw(case_id: int) -> dict:
    with db.engine.connect() as c:
        return dict(c.execute(text('SELECT complainant_name, complainant_phone, complainant_id_number, '
                                   'complainant_address FROM "case" WHERE id = :id'), {"id": case_id}).mappings().one())


def _before_0011(app) -> str:
    """The revision 0011 follows (0007 when written; whatever the history is re-chained to)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config()).get_revision("0011").down_revision


def test_migration_0011_encrypts_old_rows_and_its_downgrade_decrypts_them(scratch_app):
    from portal.registry import sync_jurisdictions

    app = scratch_app([])
    with app.app_context():
        before = _before_0011(app)
        upgrade(revision=before)
        sync_jurisdictions()
        case_id = _old_case_row(jurisdiction("demo").id)
        with db.engine.begin() as c:
            c.execute(text('UPDATE "case" SET number = :n WHERE id = :id'), {"n": "XW-2026-000009", "id": case_id})
        empty_id = _old_case_row(jurisdiction("demo").id)
        with db.engine.begin() as c:
            c.execute(text('UPDATE "case" SET complainant_name = :complainant_name, '
                           'complainant_phone = :complainant_phone, complainant_id_number = :complainant_id_number, '
                           'complainant_address = :complainant_address WHERE id = :id'),
                      {**PERSON, "id": case_id})
            c.execute(text('UPDATE "case" SET complainant_phone = \'\', complainant_id_number = \'\' '
                           'WHERE id = :id'), {"id": empty_id})
        assert _raw(case_id) == PERSON
        db.session.remove()

        upgrade_all()
        raw = _raw(case_id)
        for column, value in PERSON.items():
            assert raw[column].startswith("enc1:") and value not in raw[column], column
        case = db.session.get(Case, case_id)
        assert {c: getattr(case, c) for c in PERSON} == PERSON
        assert db.session.scalars(select(Case.id).where(complainant_is("139 1234 0000"))).all() == [case_id]
        assert db.session.scalars(select(Case.id).where(complainant_is("11010519491231002x"))).all() == [case_id]
        assert _raw(empty_id)["complainant_phone"] == ""  # nothing to hide stays empty
        db.session.remove()

        downgrade(revision=before)
        assert _raw(case_id) == PERSON
        columns = {c["name"]: c for c in inspect(db.engine).get_columns("case")}
        assert "complainant_phone_hash" not in columns and "complainant_id_number_hash" not in columns
        assert getattr(columns["complainant_phone"]["type"], "length", None) == 40

        upgrade_all()  # and up again: the same rows encrypted once more, readable
        db.session.remove()
        assert db.session.get(Case, case_id).complainant_phone == PERSON["complainant_phone"]
