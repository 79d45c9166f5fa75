"""`flask portal` commands an operator needs on day one, on a real database."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Case, CalendarYear, KnowledgeEntry, StaffUser

from .conftest import shanghai


def run(app, *args, input=None):
    result = app.test_cli_runner().invoke(args=["portal", *args], input=input)
    assert result.exit_code == 0, result.output
    return result.output


def test_init_db_is_repeatable_and_registers_jurisdictions(app):
    out = run(app, "init-db")
    assert "jurisdictions registered" in out
    run(app, "init-db")


def test_load_demo_creates_cases_staff_and_published_entries_once(app):
    out = run(app, "load-demo")
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["cases"] >= 10
    from portal.registry import enabled_jurisdictions

    assert db.session.scalar(select(func.count()).select_from(StaffUser)) == 4 * len(enabled_jurisdictions())
    titles = db.session.scalars(select(KnowledgeEntry.title)).all()
    assert any("身份证明" in t and "身份证" in t for t in titles)
    assert any("视频" in t for t in titles)
    run(app, "load-demo")
    assert db.session.scalar(select(func.count()).select_from(Case)) == summary["cases"]
    # the demo invents its people: no name from the source reports
    names = db.session.scalars(select(Case.complainant_name)).all()
    assert not {"王英铭", "王先生", "杨女士"} & set(names)


def test_create_user_then_log_in(app):
    out = run(app, "create-user", "ann", "--role", "clerk", "--jurisdiction", "beijing",
              input="a-long-password\na-long-password\n")
    assert "Created clerk ann" in out
    r = app.test_client().post("/staff/login", data={"username": "ann", "password": "a-long-password"})
    assert r.status_code == 302
    bad = app.test_cli_runner().invoke(args=["portal", "create-user", "bob", "--role", "clerk",
                                             "--jurisdiction", "atlantis"], input="a-long-password\na-long-password\n")
    assert bad.exit_code != 0 and "Unknown jurisdiction" in bad.output


def test_reindex_rebuilds_from_the_database(app):
    run(app, "load-demo")
    out = run(app, "reindex")
    assert "Index rebuilt" in out
    from portal.knowledge.indexing import search_index

    assert search_index().search("身份证").total >= 1


def test_sweep_overdue_is_idempotent(app):
    from .factories import file, staff

    staff("bjsup", "supervisor", "beijing")
    file("beijing", now=shanghai(2026, 3, 2, 9, 0))
    first = json.loads(run(app, "sweep-overdue", "--now", "2026-04-01T09:00:00+08:00"))
    second = json.loads(run(app, "sweep-overdue", "--now", "2026-04-01T09:05:00+08:00"))
    assert first["flagged"] == 1 and first["notified"] >= 1
    assert second == {"flagged": 0, "escalated": 0, "notified": 0, "defaulted": 0}


def test_calendar_import_and_override(app, tmp_path):
    path = tmp_path / "cn2031.json"
    path.write_text(json.dumps({
        "source": "Invented 2031 notice for this test",
        "years": [2031],
        "holidays": {"2031-01-01": "New Year's Day"},
        "workdays": {},
    }), encoding="utf-8")
    assert "2031" in run(app, "calendar", "import", str(path))
    assert db.session.get(CalendarYear, 2031) is not None
    from portal.engine.jurisdiction_calendars import calendar_for

    cal = calendar_for(None)
    assert cal.is_known_year(2031) and not cal.is_working_day(__import__("datetime").date(2031, 1, 1))
    run(app, "calendar", "override", "2031-01-02", "off", "--name", "test closure")
    assert not calendar_for(None).is_working_day(__import__("datetime").date(2031, 1, 2))
    path.write_text("{not json", encoding="utf-8")
    bad = app.test_cli_runner().invoke(args=["portal", "calendar", "import", str(path)])
    assert bad.exit_code != 0 and "Not imported" in bad.output


def test_rebuild_stats_recomputes_the_rollups(app):
    run(app, "load-demo")
    out = json.loads(run(app, "rebuild-stats").strip().splitlines()[-1])
    assert out["cases"] >= 10
