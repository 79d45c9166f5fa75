"""Roll-ups stay exact when filings and actions run at once (threads on the real database:
SQLite here, PostgreSQL when PORTAL_TEST_DATABASE_URL is set)."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from portal import stats
from portal.engine import cases as engine
from portal.engine.errors import Conflict, NotAllowed
from portal.extensions import db
from portal.models import Case, StaffUser
from portal.stats import rollup

from .conftest import shanghai
from .factories import department, file, jurisdiction, staff

THREADS = 6


def run_threads(app, target, n=THREADS):
    errors, results = [], []
    barrier = threading.Barrier(n)

    def worker(i):
        with app.app_context():
            try:
                barrier.wait()
                results.append(target(i))
            except Exception as e:  # pragma: no cover - reported below
                errors.append(repr(e))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


@pytest.mark.parametrize("write_path", ["upsert", "portable"])
def test_rule_concurrent_filings_and_actions_are_all_counted_once(core_app, monkeypatch, write_path):
    """Both ways of adding to the roll-ups hold under concurrency: INSERT ... ON CONFLICT DO
    UPDATE, and UPDATE + SAVEPOINT insert retried after an IntegrityError."""
    if write_path == "portable":
        monkeypatch.setattr(rollup, "_UPSERTS", {})
    app = core_app
    d = department(jurisdiction("demo"))
    handler_id = staff("h1", "handler", "demo", d).id
    db.session.remove()

    def work(i):
        handler = db.session.get(StaffUser, handler_id)
        for k in range(4):
            # all in the same month and buckets, so the threads fight over the same rows
            c = file("demo", now=shanghai(2026, 4, 1 + k, 9, i)).case
            engine.perform(c, "reply", engine.Actor.staff(handler), note="答复",
                           now=shanghai(2026, 4, 8, 10, i))
            engine.rate(c, 5 if (i + k) % 3 else 1, "", now=shanghai(2026, 4, 9, 10, i))
        return i

    results, errors = run_threads(app, work)
    assert errors == [] and len(results) == THREADS
    n = THREADS * 4
    rows = rollup.current_rows()
    all_rows = [v for k, v in rows.items() if k[2] == "all" and k[1] == 202604]
    assert len(all_rows) == 1
    assert all_rows[0]["received"] == n and all_rows[0]["responded"] == n and all_rows[0]["rated"] == n
    before = (rows, rollup.current_cases())
    stats.rebuild()
    assert (rollup.current_rows(), rollup.current_cases()) == before


def test_rule_racing_actions_on_one_case_count_once(core_app):
    """Several staff answer the same cases at the same moment: one wins each case, the others get
    a conflict (or find the action no longer possible), and the figures count each case once."""
    app = core_app
    d = department(jurisdiction("demo"))
    ids = [staff(f"h{i}", "handler", "demo", d).id for i in range(THREADS)]
    case_ids = [file("demo", now=shanghai(2026, 4, 1, 9, k)).case.id for k in range(5)]
    db.session.remove()

    def work(i):
        handler = db.session.get(StaffUser, ids[i])
        cases = [db.session.get(Case, cid) for cid in case_ids]
        for c in cases:
            c.version  # noqa: B018 - every thread loads the same versions before racing
        won = 0
        for c in cases:
            try:
                engine.perform(c, "reply", engine.Actor.staff(handler), note=f"答复 {i}",
                               now=shanghai(2026, 4, 2, 10, i))
                won += 1
            except (Conflict, NotAllowed):
                db.session.rollback()
        return won

    results, errors = run_threads(app, work)
    assert errors == []
    assert sum(results) == len(case_ids)
    db.session.expire_all()
    assert all(db.session.scalar(select(Case.state).where(Case.id == cid)) == "replied" for cid in case_ids)
    row = rollup.current_rows()[(jurisdiction("demo").id, 0, "all", "")]  # all time
    assert row["received"] == 5 and row["responded"] == 5 and row["deadline_closed"] == 5
    before = (rollup.current_rows(), rollup.current_cases())
    stats.rebuild()
    assert (rollup.current_rows(), rollup.current_cases()) == before
