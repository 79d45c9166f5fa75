"""Transparency roll-ups: maintained by the engine as cases change, equal to a full rebuild,
counted on real dates (Asia/Shanghai months, working days with holidays and make-up days)."""
from __future__ import annotations

from collections import Counter

import pytest

from portal import stats
from portal.engine import cases as engine
from portal.engine.errors import Conflict, Invalid
from portal.extensions import db
from portal.models import Case, ScreeningRecord
from portal.registry import enabled_jurisdictions
from portal.stats import facts as F
from portal.stats import rollup
from portal.stats.figures import Rate, Tally, build_report, median_of

from .conftest import shanghai
from .factories import department, file, jurisdiction, staff


def act(case, action, user, **kw):
    return engine.perform(case, action, engine.Actor.staff(user), **kw)


def report(code=None, year=None):
    enabled = enabled_jurisdictions()
    root = next(j for j in enabled if j.code == code) if code else None
    return build_report(root, enabled, year)


def snapshot():
    return rollup.current_rows(), rollup.current_cases()


def assert_rebuild_matches():
    """rebuild() from the cases gives exactly the incrementally maintained roll-ups."""
    before = snapshot()
    assert before[0], "nothing was counted"
    summary = stats.rebuild()
    assert snapshot() == before
    return summary


@pytest.fixture
def demo(core_app):
    j = jurisdiction("demo")
    d = department(j)
    from portal.models import Department

    d2 = Department(jurisdiction=j, code="demo-tax", name_zh="税务局", name_en="Tax bureau")
    db.session.add(d2)
    db.session.commit()
    return {
        "j": j, "dept": d, "dept2": d2,
        "clerk": staff("clerk1", "clerk", "demo"),
        "handler": staff("handler1", "handler", "demo", d),
        "super": staff("super1", "supervisor", "demo"),
        "admin": staff("admin1", "admin", "demo"),
    }


@pytest.fixture(params=["upsert", "portable"])
def write_path(request, monkeypatch):
    """Both ways of adding to the roll-ups: one INSERT ... ON CONFLICT DO UPDATE (PostgreSQL,
    SQLite), and UPDATE + SAVEPOINT insert per row (any other database)."""
    if request.param == "portable":
        monkeypatch.setattr(rollup, "_UPSERTS", {})
    return request.param


def test_rule_a_full_sequence_of_engine_actions_equals_rebuild(demo, write_path):
    """File, assign, reply, bad rating -> rectify -> reply again, rate, visit, close, archive;
    refer; classify with pause/resume; extend; escalate; overdue flag: incremental == rebuild."""
    sup, clerk, handler = demo["super"], demo["clerk"], demo["handler"]

    # A: filed the day before the National Day holiday (1-7 Oct 2026; Sat 10 Oct is a make-up day)
    a = file("demo", now=shanghai(2026, 9, 30, 10, 0)).case
    act(a, "assign", clerk, params={"lead_department_id": demo["dept"].id}, now=shanghai(2026, 9, 30, 11, 0))
    act(a, "reply", handler, note="已办结。", now=shanghai(2026, 10, 9, 10, 0))  # 2 working days: 8, 9 Oct
    engine.rate(a, 2, "还是不行", now=shanghai(2026, 10, 10, 9, 0))  # bad: back to rectifying
    assert a.state == "rectifying"
    act(a, "reply", handler, note="已整改。", now=shanghai(2026, 10, 12, 10, 0))
    engine.rate(a, 4, "", now=shanghai(2026, 10, 13, 9, 0))
    act(a, "return_visit", clerk, note="电话回访", params={"method": "phone", "satisfaction": 4},
        now=shanghai(2026, 10, 14, 9, 0))
    act(a, "close", sup, note="办结", now=shanghai(2026, 10, 15, 9, 0))
    act(a, "archive", demo["admin"], now=shanghai(2026, 10, 16, 9, 0))

    # B and C straddle midnight in Shanghai: 23:30 on 31 March is March; 00:30 on 1 April is April
    # (both are still 31 March in UTC).
    b = file("demo", now=shanghai(2026, 3, 31, 23, 30)).case
    act(b, "refer", clerk, note="请到法院咨询。", now=shanghai(2026, 4, 1, 9, 0))
    c = file("demo", now=shanghai(2026, 4, 1, 0, 30)).case
    act(c, "classify", clerk, params={"category": "process", "complexity": "simple"}, now=shanghai(2026, 4, 1, 8, 0))
    act(c, "pause", handler, note="等待补充材料", now=shanghai(2026, 4, 1, 10, 0))
    act(c, "resume", handler, now=shanghai(2026, 4, 3, 10, 0))  # +2 working days on the deadline
    act(c, "assign", sup, params={"lead_department_id": demo["dept2"].id}, now=shanghai(2026, 4, 3, 11, 0))
    # 4-6 April 2026 is the Qingming holiday: replied on the 7th is late (due the 3rd)
    act(c, "reply", handler, note="已答复", now=shanghai(2026, 4, 7, 10, 0))

    # D: still open after an extension, an escalation and an overdue flag
    d = file("demo", now=shanghai(2026, 4, 2, 9, 0)).case
    act(d, "extend", sup, note="需要跨部门协调", params={"days": 3}, now=shanghai(2026, 4, 2, 10, 0))
    act(d, "escalate", sup, note="提级", now=shanghai(2026, 4, 3, 10, 0))
    engine.perform(d, "flag_overdue", engine.SYSTEM, now=shanghai(2026, 4, 20, 1, 0))
    act(d, "note", handler, note="内部备注", now=shanghai(2026, 4, 20, 9, 0))

    facts = rollup.current_cases()
    assert facts[a.id] == F.Facts(jurisdiction_id=demo["j"].id, month=202609, category="",
                                  department_id=demo["dept"].id, responded=True, referred=False, completed=True,
                                  deadline_closed=True, on_time=True, rating=4, bad_ratings=1, reply_days=2)
    assert facts[b.id].month == 202603 and facts[b.id].referred and facts[b.id].completed
    assert facts[b.id].reply_days == 1 and facts[b.id].on_time
    assert facts[c.id].month == 202604 and facts[c.id].category == "process"
    assert facts[c.id].department_id == demo["dept2"].id
    assert facts[c.id].reply_days == 3 and facts[c.id].deadline_closed and not facts[c.id].on_time
    assert facts[d.id] == F.Facts(jurisdiction_id=demo["j"].id, month=202604)

    april = report(year=2026).months
    by_month = dict(april)
    assert by_month[202604].received == 2 and by_month[202603].received == 1
    assert by_month[202604].counts["on_time"] == 0 and by_month[202604].deadline_closed == 1
    # the category and department buckets moved with the case
    rows = rollup.current_rows()
    assert (demo["j"].id, 202604, "category", "") in rows  # D, never classified
    assert rows[(demo["j"].id, 202604, "category", "process")]["received"] == 1
    assert rows[(demo["j"].id, 202604, "department", str(demo["dept2"].id))]["received"] == 1
    assert (demo["j"].id, 202604, "department", str(demo["dept"].id)) not in rows

    summary = assert_rebuild_matches()
    assert summary["cases"] == 4
    assert_periods_add_up()


def assert_periods_add_up():
    """The year rows are the sums of their months, the all-time rows the sums of everything."""
    rows = rollup.current_rows()
    years, total = {}, {}
    for (jid, period, dim, bucket), counts in rows.items():
        if period % 100:
            years.setdefault((jid, period // 100 * 100, dim, bucket), Counter()).update(counts)
            total.setdefault((jid, 0, dim, bucket), Counter()).update(counts)
    assert {k: dict(v) for k, v in years.items()} == {k: v for k, v in rows.items() if k[1] and not k[1] % 100}
    assert {k: dict(v) for k, v in total.items()} == {k: v for k, v in rows.items() if k[1] == 0}


def test_rule_month_is_the_shanghai_calendar_month_of_receipt(demo):
    file("demo", now=shanghai(2026, 12, 31, 23, 59))
    file("demo", now=shanghai(2027, 1, 1, 0, 1))
    months = {m: t.received for m, t in report().months}
    assert months == {202612: 1, 202701: 1}


def test_rule_first_reply_time_counts_even_after_a_second_reply(demo):
    """Working days to reply are to the first answer; a rectified second reply does not move it."""
    c = file("demo", now=shanghai(2026, 9, 30, 10, 0)).case
    act(c, "reply", demo["handler"], note="答复", now=shanghai(2026, 10, 10, 10, 0))  # make-up Saturday
    engine.rate(c, 1, "", now=shanghai(2026, 10, 12, 9, 0))
    act(c, "reply", demo["handler"], note="再次答复", now=shanghai(2026, 11, 30, 10, 0))
    f = rollup.current_cases()[c.id]
    assert f.reply_days == 3  # 8, 9 and the make-up working day 10 October
    assert f.bad_ratings == 1 and f.rating == 1 and not f.completed
    assert_rebuild_matches()


def test_rule_a_refused_action_changes_no_figure(demo):
    c = file("demo", now=shanghai(2026, 5, 6, 10, 0)).case
    before = snapshot()
    with pytest.raises(Invalid):
        act(c, "extend", demo["super"], note="x", params={"days": 0}, now=shanghai(2026, 5, 6, 11, 0))
    with pytest.raises(Conflict):
        act(c, "reply", demo["handler"], note="x", expected_version=c.version - 1)
    db.session.expire_all()
    assert snapshot() == before


def test_rule_a_losing_concurrent_action_rolls_its_figures_back(demo):
    """Another worker changed the case first: this action fails on the version column, and the
    roll-up changes made in its transaction are rolled back with it."""
    c = file("demo", now=shanghai(2026, 5, 6, 10, 0)).case
    act(c, "reply", demo["handler"], note="答复", now=shanghai(2026, 5, 7, 10, 0))
    assert c.state == "replied"  # loads the case (and its version) into this session
    before = snapshot()
    with db.engine.begin() as conn:  # the other worker
        conn.execute(Case.__table__.update().where(Case.__table__.c.id == c.id)
                     .values(version=Case.__table__.c.version + 1))
    with pytest.raises(Conflict):
        engine.rate(c, 5, "", now=shanghai(2026, 5, 8, 10, 0))
    db.session.expire_all()
    assert snapshot() == before


def test_rule_screened_out_matters_count_per_month(demo, write_path):
    db.session.add(ScreeningRecord(jurisdiction_id=demo["j"].id, code="court", matter="合同纠纷",
                                   reason="涉诉", channel="法院", at=shanghai(2026, 6, 1, 0, 10)))
    db.session.add(ScreeningRecord(jurisdiction_id=demo["j"].id, code="court", matter="合同纠纷",
                                   reason="涉诉", channel="法院", at=shanghai(2026, 6, 2, 9, 0)))
    db.session.commit()
    file("demo", now=shanghai(2026, 7, 1, 9, 0))
    months = {m: (t.received, t.screened) for m, t in report().months}
    assert months == {202606: (0, 2), 202607: (1, 0)}
    assert report().totals.screened == 2
    assert report(year=2026).totals.screened == 2 and report(year=2025).totals.screened == 0
    assert_rebuild_matches()
    assert_periods_add_up()


def test_rule_subtree_and_plugin_workflow(app):
    """Kunming's page includes Wuhua and its street; 'improved' is a done state of Kunming's workflow."""
    wuhua = jurisdiction("kunming-wuhua")
    dept = department(wuhua)
    clerk = staff("wh-clerk", "clerk", "kunming-wuhua")
    handler = staff("wh-handler", "handler", "kunming-wuhua", dept)
    sup = staff("wh-super", "supervisor", "kunming-wuhua")
    c = file("kunming-wuhua", now=shanghai(2026, 3, 2, 9, 0)).case
    act(c, "assign", clerk, params={"lead_department_id": dept.id}, now=shanghai(2026, 3, 2, 10, 0))
    act(c, "reply", handler, note="答复", now=shanghai(2026, 3, 4, 10, 0))  # Wuhua: 3 working days
    engine.rate(c, 5, "", now=shanghai(2026, 3, 5, 10, 0))
    act(c, "return_visit", clerk, note="回访", params={"method": "phone", "satisfaction": 5},
        now=shanghai(2026, 3, 6, 10, 0))
    act(c, "close", sup, note="办结", now=shanghai(2026, 3, 9, 10, 0))
    assert rollup.current_cases()[c.id].completed
    act(c, "improve", sup, note="梳理分析，推动整改", now=shanghai(2026, 3, 10, 10, 0))
    f = rollup.current_cases()[c.id]
    assert f.completed and f.on_time and f.reply_days == 2 and f.rating == 5
    file("kunming", now=shanghai(2026, 3, 3, 9, 0))
    file("xuanwu", now=shanghai(2026, 3, 3, 9, 0))

    assert report("kunming").totals.received == 2
    assert report("kunming-wuhua").totals.received == 1
    assert report("kunming-wuhua").totals.completed == 1
    assert report("xuanwu").totals.received == 1
    assert report().totals.received == 3
    kids = {g.code: g for g in report("kunming").by_jurisdiction}
    assert kids["kunming"].own_level and kids["kunming"].tally.received == 1
    assert kids["kunming-wuhua"].tally.received == 1 and kids["kunming-wuhua"].link == "kunming-wuhua"
    assert_rebuild_matches()


def test_rule_rebuild_recovers_from_changes_made_outside_the_engine(demo):
    """An import (or any write that bypassed the engine) is put right by rebuild()."""
    c = file("demo", now=shanghai(2026, 5, 6, 10, 0)).case
    c.lead_department = demo["dept2"]
    db.session.commit()  # not through the engine: the roll-up still has no department
    assert rollup.current_cases()[c.id].department_id is None
    stats.rebuild()
    assert rollup.current_cases()[c.id].department_id == demo["dept2"].id
    # the next engine action moves the case from its recorded buckets, so nothing doubles
    act(c, "reply", demo["handler"], note="答复", now=shanghai(2026, 5, 7, 10, 0))
    assert_rebuild_matches()
    dept_rows = {k: v for k, v in rollup.current_rows().items() if k[2] == "department"}
    assert set(dept_rows) == {(demo["j"].id, p, "department", str(demo["dept2"].id)) for p in (202605, 202600, 0)}


# -- pure functions ---------------------------------------------------------------------------
def test_rule_rates_under_five_cases_have_no_percentage():
    assert Rate(2, 3).percent is None and Rate(2, 3).as_dict() == {"numerator": 2, "denominator": 3, "percent": None}
    assert Rate(4, 5).percent == 80.0
    assert Rate(0, 0).percent is None
    t = Tally({"received": 4, "responded": 4, "rated": 4, "rating_5": 4})
    assert t.average_rating is None and t.satisfaction_rate.percent is None
    t = Tally({"received": 5, "rated": 5, "rating_5": 3, "rating_3": 1, "rating_1": 1})
    assert t.average_rating == 3.8 and t.satisfaction_rate.as_dict() == {"numerator": 4, "denominator": 5,
                                                                         "percent": 80.0}


def test_rule_median_from_the_histogram():
    h = [0] * 32
    assert median_of(h).raw is None
    h[2] = 3
    h[5] = 2
    assert median_of(h).raw == 2 and median_of(h).count == 5  # 2 2 2 5 5
    h[7] = 1
    assert median_of(h).raw == 3.5  # 2 2 2 | 5 5 7 -> (2 + 5) / 2
    h2 = [0] * 32
    h2[31] = 5
    h2[1] = 2
    m = median_of(h2)
    assert m.open_ended and m.more_than_max and m.as_dict() == {"value": None, "replies": 7, "more_than": 30}
    h3 = [0] * 32
    h3[4] = 4
    assert median_of(h3).value is None and median_of(h3).raw == 4  # 4 replies: not shown


def test_rule_delta_moves_a_case_between_buckets():
    old = F.Facts(1, 202604, category="", department_id=None)
    new = F.Facts(1, 202604, category="guide", department_id=7, responded=True, reply_days=40)
    d = F.delta(old, new)
    assert d[(1, 202604, "all", "")] == Counter(responded=1, reply_days_31=1)
    assert d[(1, 202604, "category", "")] == Counter(received=-1)
    assert d[(1, 202604, "category", "guide")] == Counter(received=1, responded=1, reply_days_31=1)
    assert d[(1, 202604, "department", "7")]["received"] == 1
    assert F.delta(new, new) == {}


def test_rule_reports_are_reused_only_while_the_rollups_are_unchanged(demo, monkeypatch):
    from portal.stats import figures

    built = []
    original = figures.build_report
    monkeypatch.setattr(figures, "build_report", lambda *a, **kw: built.append(1) or original(*a, **kw))
    enabled = enabled_jurisdictions()
    c = file("demo", now=shanghai(2026, 5, 6, 10, 0)).case
    assert figures.report_for(None, enabled).totals.received == 1
    assert figures.report_for(None, enabled).totals.received == 1
    assert len(built) == 1  # the second read was the cached report
    act(c, "note", demo["handler"], note="内部备注", now=shanghai(2026, 5, 6, 11, 0))
    figures.report_for(None, enabled)
    assert len(built) == 1  # a note changes no figure, so no version either
    act(c, "reply", demo["handler"], note="答复", now=shanghai(2026, 5, 7, 10, 0))
    assert figures.report_for(None, enabled).totals.responded == 1 and len(built) == 2
    figures.report_for(None, enabled, 2026)
    assert len(built) == 3  # another period is another report
    stats.rebuild()
    figures.report_for(None, enabled)
    assert len(built) == 4  # rebuild() raises every version
