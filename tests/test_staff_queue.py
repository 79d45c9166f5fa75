"""The queue: filters, badges, deadline order, pages, and a bounded number of SQL
statements per page however many cases there are (no N+1)."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, update

from portal.engine import cases as engine
from portal.extensions import db
from portal.models import Case, Department

from .factories import file, jurisdiction, login
from .staff_support import bulk_cases, quick_staff


@pytest.fixture
def client(core_app):
    return core_app.test_client()


@pytest.fixture
def desk(core_app):
    j = jurisdiction("demo")
    tax = Department(jurisdiction=j, code="demo-tax", name_zh="税务局", name_en="Tax bureau")
    db.session.add(tax)
    db.session.commit()
    return {"j": j, "hr": j.departments[0], "tax": tax,
            "super": quick_staff("q-super", "supervisor", "demo"), "clerk": quick_staff("q-clerk", "clerk", "demo")}


@contextmanager
def statements():
    """Count (and keep) the SQL statements the database receives."""
    seen: list[tuple[str, object]] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _rows(body: str) -> int:
    return body.count('href="/staff/cases/')


def test_queue_page_costs_a_bounded_number_of_statements_with_2000_cases(desk, client):
    login(client, "q-super")
    file("demo", matter="先来的一件")
    with statements() as few:
        r = client.get("/staff/")
    assert r.status_code == 200
    bulk_cases(desk["j"], 2000, dept=desk["hr"])
    with statements() as many:
        r = client.get("/staff/")
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "2001" in body
    assert _rows(body) == 50  # one page
    # the same statements for 1 case or 2,001: relations come with the page, not per row
    assert len(many) == len(few) <= 12, [s for s, _p in many]
    with statements() as filtered:
        r = client.get(f"/staff/?department={desk['hr'].id}&due=soon&page=3&q=批量")
    assert r.status_code == 200 and len(filtered) <= 12
    r = client.get("/staff/?page=41")
    assert _rows(r.get_data(as_text=True)) == 1  # 2001 = 40 pages of 50 + 1


def test_queue_query_uses_an_index(desk, client):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    bulk_cases(desk["j"], 300)
    login(client, "q-super")
    with statements() as seen:
        client.get("/staff/?state=received")
    sql, params = next((s, p) for s, p in seen if "FROM" in s and "LIMIT" in s and "case" in s.lower())
    with db.engine.connect() as conn:
        plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))
    assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan
    assert "SCAN case" not in plan.replace("SCAN case_", ""), plan


def test_filters_and_badges(desk, client):
    now = datetime.now(timezone.utc)
    overdue = file("demo", matter="超期事项").case
    soon = file("demo", matter="临期事项").case
    paused = file("demo", matter="暂停事项").case
    taxed = file("demo", matter="税务事项").case
    done = file("demo", matter="已归档事项").case
    db.session.execute(update(Case).where(Case.id == overdue.id).values(due_at=now - timedelta(hours=3)))
    db.session.execute(update(Case).where(Case.id == soon.id).values(due_at=now + timedelta(hours=5)))
    db.session.execute(update(Case).where(Case.id == paused.id).values(paused_at=now, due_at=now - timedelta(days=1)))
    db.session.execute(update(Case).where(Case.id == done.id).values(archived_at=now, state="archived", due_at=None))
    db.session.commit()
    engine.perform(taxed, "assign", engine.Actor.staff(desk["super"]),
                   params={"lead_department_id": desk["hr"].id, "co_department_ids": [desk["tax"].id]})
    login(client, "q-super")
    body = client.get("/staff/").get_data(as_text=True)
    assert done.number not in body  # archived cases leave the queue
    # soonest deadline first
    assert body.index(overdue.number) < body.index(soon.number)
    assert 'badge overdue' in body and 'badge soon' in body and 'badge paused' in body and 'badge new' in body

    def numbers(query):
        b = client.get("/staff/?" + query).get_data(as_text=True)
        return {c.number for c in (overdue, soon, paused, taxed, done) if f">{c.number}<" in b}

    assert numbers("due=overdue") == {overdue.number}  # a paused clock is never overdue
    assert numbers("due=soon") == {soon.number}
    assert numbers("due=paused") == {paused.number}
    assert numbers(f"department={desk['tax'].id}") == {taxed.number}  # co-handling counts
    assert numbers("state=assigned") == {taxed.number}
    assert numbers("state=archived") == {done.number}
    assert numbers("q=临期") == {soon.number}
    assert numbers(f"q={overdue.number.lower()}") == {overdue.number}
    assert numbers("department=abc") == set()  # nonsense matches nothing, never everything
    assert numbers("j=not-mine") == set()


def test_mine_lists_the_cases_i_received(desk, client):
    mine = file("demo", matter="我接待的", receiver=desk["clerk"], channel="window").case
    theirs = file("demo", matter="网上的").case
    login(client, "q-clerk")
    body = client.get("/staff/?mine=1").get_data(as_text=True)
    assert mine.number in body and theirs.number not in body


def test_category_filter_lists_the_workflows_categories(desk, client):
    case = file("demo", matter="指南问题").case
    engine.perform(case, "classify", engine.Actor.staff(desk["super"]), params={"category": "guide"})
    other = file("demo", matter="未分类").case
    login(client, "q-super")
    body = client.get("/staff/?category=guide").get_data(as_text=True)
    assert case.number in body and other.number not in body
    assert 'value="guide" selected' in body
