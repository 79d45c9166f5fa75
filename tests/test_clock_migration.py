"""Migration 0006 (named clocks) keeps the meaning of the deadline rows written before it.

A database at revision 0005 is given deadline rows with raw SQL (the ORM models describe the
newest schema), then upgraded to head: every row becomes a clock named after its stage, counted
in working days; a running row of a paused case is paused since the case's pause, and a running
row of a case the sweep flagged is flagged. Runs on SQLite and, with PORTAL_TEST_DATABASE_URL,
on a fresh PostgreSQL database.
"""
from __future__ import annotations

from flask_migrate import upgrade
from sqlalchemy import text

from portal.extensions import db
from portal.models import Case, CaseDeadline
from portal.schema import upgrade_all
from tests.factories import jurisdiction
from tests.test_plugin_tables import _old_case_row, scratch_app, scratch_url  # noqa: F401 (fixtures)

PAUSED_SINCE = "2026-02-14 02:00:00+00:00"


def _old_deadline_row(case_id: int, stage: str, *, active: bool, superseded: bool = False) -> int:
    """A case_deadline row as revision 0005 has it (no clock, unit, pause or flag of its own)."""
    values = {"case_id": case_id, "stage": stage, "started_at": "2026-02-13 02:00:00+00:00", "days": 3,
              "rule": "Wuhua: ordinary problems within 3 working days", "due_date": "2026-02-24",
              "due_at": "2026-02-24 15:59:59+00:00", "unknown_years": "", "explanation": "{}",
              "paused_days": 0, "extended_days": 0, "extension_reason": "", "active": active,
              "met_at": None if active else "2026-02-20 02:00:00+00:00", "superseded": superseded}
    columns = ", ".join(values)
    marks = ", ".join(f":{c}" for c in values)
    with db.engine.begin() as c:
        return c.execute(text(f"INSERT INTO case_deadline ({columns}) VALUES ({marks}) RETURNING id"), values).scalar()


def _case_at_0005(jurisdiction_id: int, number: str, **state) -> int:
    case_id = _old_case_row(jurisdiction_id)
    sets = ", ".join(f"{k} = :{k}" for k in ("number", *state))
    with db.engine.begin() as c:
        c.execute(text(f'UPDATE "case" SET {sets} WHERE id = :id'), {"number": number, "id": case_id, **state})
    return case_id


def test_migration_0006_keeps_old_deadlines_as_stage_clocks_with_their_pause_and_overdue_flag(scratch_app):
    from portal.registry import sync_jurisdictions

    app = scratch_app(["kunming"])
    with app.app_context():
        upgrade(revision="0005")
        sync_jurisdictions()
        j = jurisdiction("kunming-wuhua").id
        paused_case = _case_at_0005(j, "WH-2026-000001", paused_at=PAUSED_SINCE)
        flagged_case = _case_at_0005(j, "WH-2026-000002", overdue_flagged=True)
        paused_running = _old_deadline_row(paused_case, "reply", active=True)
        paused_replaced = _old_deadline_row(paused_case, "reply", active=False, superseded=True)
        flagged_running = _old_deadline_row(flagged_case, "rectify", active=True)
        flagged_met = _old_deadline_row(flagged_case, "reply", active=False)
        db.session.remove()

        upgrade_all()
        rows = {d.id: d for d in db.session.scalars(db.select(CaseDeadline)).all()}
        assert set(rows) == {paused_running, paused_replaced, flagged_running, flagged_met}
        assert all(d.clock == d.stage and d.unit == "working_days" and d.paused_minutes == 0
                   for d in rows.values())
        paused = db.session.get(Case, paused_case)
        assert rows[paused_running].paused_at == paused.paused_at and paused.paused_at is not None
        assert rows[paused_replaced].paused_at is None  # a row no longer running was not paused
        assert rows[flagged_running].overdue_flagged
        assert not rows[flagged_met].overdue_flagged and not rows[paused_running].overdue_flagged
        assert rows[flagged_running].paused_at is None
        # the engine reads them as it reads its own: the paused case's one clock stands still
        assert [d.id for d in paused.running_deadlines] == [paused_running]
        assert [d.clock for d in db.session.get(Case, flagged_case).running_deadlines] == ["rectify"]
