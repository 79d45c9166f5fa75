"""Monthly reports (Xuanwu's summary, department performance, accountability) and their CSV,
with spreadsheet formula injection neutralised."""
from __future__ import annotations

import csv
import io

import pytest

from portal.engine import cases as engine
from portal.extensions import db
from portal.knowledge import pipeline
from portal.models import AccountabilityRecord, Department
from portal.staff.csvsafe import neutralise, to_csv
from portal.staff.report_data import month_report

from .conftest import shanghai
from .factories import file, jurisdiction, login
from .staff_support import quick_staff


@pytest.fixture
def client(core_app):
    return core_app.test_client()


@pytest.fixture
def september(core_app):
    """Invented September 2026 in the demo district, every date chosen to test one rule."""
    j = jurisdiction("demo")
    hr = j.departments[0]
    tax = Department(jurisdiction=j, code="demo-tax", name_zh="税务局", name_en="Tax bureau")
    db.session.add(tax)
    db.session.commit()
    sup = quick_staff("r-super", "supervisor", "demo")
    clerk = quick_staff("r-clerk", "clerk", "demo")
    quick_staff("r-admin", "admin", "demo")
    act = engine.Actor.staff(sup)
    window = j.centres[0].windows[0]

    # A: on time, completed, satisfied, at the window, a guide problem with a recorded cause
    a = file("demo", matter="居住证办理", now=shanghai(2026, 9, 7, 10, 0), receiver=clerk, channel="window").case
    a.window_id = window.id
    db.session.commit()
    engine.perform(a, "classify", act, params={"category": "guide"}, now=shanghai(2026, 9, 7, 11, 0))
    engine.perform(a, "assign", act, params={"lead_department_id": hr.id}, now=shanghai(2026, 9, 7, 12, 0))
    engine.perform(a, "reply", act, note="已更正指南。", now=shanghai(2026, 9, 9, 10, 0))
    engine.perform(a, "return_visit", act, params={"method": "phone", "satisfaction": 5},
                   now=shanghai(2026, 9, 10, 10, 0))
    engine.perform(a, "close", act, now=shanghai(2026, 9, 10, 11, 0))
    pipeline.propose(user=clerk, case=a, guide=None, kind="practice", field="", wrong_text="", corrected_text="",
                     cause="一次性告知不准确", title="一次性告知清单")
    # B: still open with tax, past its deadline
    b = file("demo", matter="居住证办理", now=shanghai(2026, 9, 10, 10, 0)).case
    engine.perform(b, "assign", act, params={"lead_department_id": tax.id}, now=shanghai(2026, 9, 10, 11, 0))
    # C: answered late (5 working days from Tue 15 Sep run out on Tue 22 Sep), then a bad rating
    c = file("demo", matter="社保补缴", now=shanghai(2026, 9, 15, 10, 0)).case
    engine.perform(c, "reply", act, note="已答复。", now=shanghai(2026, 9, 30, 10, 0))
    engine.rate(c, 2, "没解决", now=shanghai(2026, 9, 30, 12, 0))
    # D and E: the month's edges in Shanghai time
    file("demo", matter="不在本月", now=shanghai(2026, 8, 31, 23, 30))
    e = file("demo", matter="月末深夜", now=shanghai(2026, 9, 30, 23, 30)).case
    file("demo", matter="不在本月", now=shanghai(2026, 10, 1, 0, 0))
    db.session.add(AccountabilityRecord(jurisdiction_id=j.id, staff_id=clerk.id, kind="attitude", occurrence=1,
                                        outcome="谈话提醒", at=shanghai(2026, 9, 20, 10, 0), by_id=sup.id))
    db.session.add(AccountabilityRecord(jurisdiction_id=j.id, department_id=tax.id, kind="overrun", occurrence=1,
                                        outcome="年终考核扣分", points=-2, at=shanghai(2026, 10, 2, 10, 0), by_id=sup.id))
    db.session.commit()
    return {"j": j, "hr": hr, "tax": tax, "a": a, "b": b, "c": c, "e": e}


def test_month_report_figures(september):
    r = month_report(september["j"], 2026, 9, now=shanghai(2026, 10, 20, 9, 0))
    assert r.total == 4  # A, B, C and the 23:30 case on 30 September; not 31 August or 1 October
    assert r.matters[0] == ("居住证办理", 2)
    assert r.windows == [("反映“办不成事”窗口", 1)]
    assert dict(r.channels)["窗口现场"] == 1
    guide = next(s for s in r.situations if s.code == "guide")
    assert guide.count == 1 and guide.causes == ["一次性告知不准确"] and guide.handling
    t = r.totals
    # overdue: B (open past its date), C (answered late) and the 30 September case, whose
    # 5 working days after the National Day holiday ran out on 13 October
    assert (t.received, t.on_time, t.overdue, t.completed) == (4, 1, 3, 1)
    assert (t.rated, t.satisfied) == (2, 1)  # A's visit (5), C's bad rating (2)
    assert t.completion_rate == 0.25 and t.satisfaction_rate == 0.5
    # working days to reply: A Mon 7 -> Wed 9 = 2; C Tue 15 -> Wed 30 = 11
    assert sorted(t.reply_days) == [2, 11]
    by = {p.name: p for p in r.departments}
    hr = by[september["hr"].name_zh]
    assert (hr.received, hr.on_time, hr.overdue, hr.completed) == (1, 1, 0, 1)
    tax = by["税务局"]
    assert (tax.received, tax.on_time, tax.overdue) == (1, 0, 1)
    assert [a.kind for a in r.accountability] == ["attitude"]  # the October record is October's


def test_report_page_and_csv(september, client):
    login(client, "r-super")
    body = client.get("/staff/reports?month=2026-09").get_data(as_text=True)
    for text in ("居住证办理", "税务局", "一次性告知不准确", "谈话提醒", "反映“办不成事”窗口"):
        assert text in body
    r = client.get("/staff/reports.csv?month=2026-09")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "bancheng-demo-2026-09.csv" in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert ["居住证办理", "2"] in rows
    assert any(row[:2] == ["税务局", "1"] for row in rows)
    assert any("谈话提醒" in row for row in rows)
    client.post("/staff/logout")
    login(client, "r-admin")
    assert client.get("/staff/reports.csv?month=2026-09").status_code == 200
    assert client.get("/staff/reports?month=garbage").status_code == 200  # falls back to this month


def test_csv_neutralises_spreadsheet_formulas(september, client):
    for matter in ("=HYPERLINK(\"http://evil.example\",\"点我\")", "+SUM(1,2)", "-1+1", "@cmd"):
        file("demo", matter=matter, now=shanghai(2026, 9, 21, 10, 0))
    login(client, "r-super")
    text = client.get("/staff/reports.csv?month=2026-09").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    cells = [row[0] for row in rows if row]
    assert "'=HYPERLINK(\"http://evil.example\",\"点我\")" in cells
    for bad in ("+SUM(1,2)", "-1+1", "@cmd"):
        assert "'" + bad in cells, bad
        assert bad not in cells
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for c in row)


def test_neutralise_keeps_numbers_and_plain_text():
    assert neutralise(-3) == -3 and neutralise(2.5) == 2.5
    assert neutralise("居住证") == "居住证" and neutralise(None) == ""
    assert neutralise("=1+1") == "'=1+1" and neutralise("a=b") == "a=b"
    assert neutralise("\tTAB") == "'\tTAB" and neutralise("\rCR") == "'\rCR"
    assert neutralise("@SUM(A1)") == "'@SUM(A1)" and neutralise("+1") == "'+1" and neutralise("-x") == "'-x"
    assert to_csv([["=x", 1]]).startswith("\ufeff'=x,1")
