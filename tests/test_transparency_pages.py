"""The transparency pages and downloads: figures from the roll-ups only, small numbers as
counts, CSP-safe labelled SVG charts with data tables, no personal data anywhere."""
from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import event

from portal.engine import cases as engine
from portal.extensions import db
from portal.stats.export import _cell

from .conftest import shanghai
from .factories import department, jurisdiction, staff

PERSON = {"name": "欧阳明月", "phone": "13912345678", "id_number": "11010519491231002X",
          "address": "北京市东城区隐私路8号"}
DESCRIPTION = "窗口说我的材料缺了一页，可是办事指南上没有写这一项。"
MATTER = "独生子女父母奖励申领"
REPLY = "经核实已为您补办，联系电话13912345678。"


def _file(jcode, when, **kw):
    return engine.file_case(jurisdiction=jurisdiction(jcode), matter=MATTER, description=DESCRIPTION,
                            channel="online", complainant=PERSON, now=when, **kw).case


def demo_app(make_app, n_cases: int, n_replied: int, rated=()):
    """The core app with ``n_cases`` cases in March 2026, the first ``n_replied`` answered."""
    app = make_app(PORTAL_JURISDICTIONS=[])
    with app.app_context():
        d = department(jurisdiction("demo"))
        handler = staff("h1", "handler", "demo", d)
        for i in range(n_cases):
            c = _file("demo", shanghai(2026, 3, 2 + i, 10, 0))
            if i < n_replied:
                engine.perform(c, "reply", engine.Actor.staff(handler), note=REPLY,
                               now=shanghai(2026, 3, 10 + i, 10, 0))
                if i < len(rated):
                    engine.rate(c, rated[i], "评价内容：工作人员王小二很好", now=shanghai(2026, 3, 20, 10, 0))
        db.session.remove()
    return app


def get(app, url, lang="en"):
    client = app.test_client()
    sep = "&" if "?" in url else "?"
    r = client.get(f"{url}{sep}lang={lang}")
    return r


def parse_csv(body: str) -> list[dict]:
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:])))


def test_rule_rates_over_fewer_than_five_cases_are_counts_not_percentages(make_app):
    app = demo_app(make_app, 3, 2)
    html = get(app, "/transparency").get_data(as_text=True)
    assert "2 of 3" in html and "66.7" not in html and "67%" not in html
    data = json.loads(get(app, "/transparency.json").get_data(as_text=True))
    assert data["totals"]["responded"] == {"numerator": 2, "denominator": 3, "percent": None}
    assert data["totals"]["median_working_days_to_reply"]["value"] is None
    assert data["totals"]["median_working_days_to_reply"]["replies"] == 2
    rows = parse_csv(get(app, "/transparency.csv").get_data(as_text=True))
    total = rows[0]
    assert total["breakdown"] == "total" and total["responded"] == "2" and total["received"] == "3"
    assert total["response_rate_pct"] == "" and total["median_working_days_to_reply"] == ""


def test_rule_rates_from_five_cases_get_a_percentage_with_their_count(make_app):
    app = demo_app(make_app, 5, 4, rated=(5, 4, 3, 2))
    html = get(app, "/transparency").get_data(as_text=True)
    assert "80.0%" in html and "(4 of 5)" in html
    data = json.loads(get(app, "/transparency/demo.json").get_data(as_text=True))
    assert data["totals"]["responded"] == {"numerator": 4, "denominator": 5, "percent": 80.0}
    assert data["totals"]["satisfied"] == {"numerator": 3, "denominator": 4, "percent": None}
    assert data["totals"]["bad_ratings"] == 1
    assert data["scope"]["code"] == "demo" and data["months"][0]["month"] == "2026-03"
    # four replies, each 6 working days after receipt (2..5 March -> 10..13 March): too few for a median
    assert data["totals"]["median_working_days_to_reply"] == {"value": None, "replies": 4, "more_than": None}
    assert data["totals"]["working_days_to_reply"]["6"] == 4
    assert data["totals"]["on_time"] == {"numerator": 0, "denominator": 4, "percent": None}  # 5-day limit
    rows = parse_csv(get(app, "/transparency/demo.csv").get_data(as_text=True))
    assert rows[0]["response_rate_pct"] == "80.0" and rows[0]["responded"] == "4"
    assert [r["breakdown"] for r in rows] == ["total", "month", "category", "department"]


def test_rule_median_working_days_count_holidays_out(make_app):
    """Five cases filed the day before National Day 2026 and answered on 9 October: 2 working days."""
    app = make_app(PORTAL_JURISDICTIONS=[])
    with app.app_context():
        handler = staff("h1", "handler", "demo", department(jurisdiction("demo")))
        for i in range(5):
            c = _file("demo", shanghai(2026, 9, 30, 9 + i, 0))
            engine.perform(c, "reply", engine.Actor.staff(handler), note="答复", now=shanghai(2026, 10, 9, 10, 0))
        db.session.remove()
    data = json.loads(get(app, "/transparency.json").get_data(as_text=True))
    assert data["totals"]["median_working_days_to_reply"] == {"value": 2, "replies": 5, "more_than": None}
    assert data["totals"]["working_days_to_reply"]["2"] == 5
    assert data["totals"]["on_time"] == {"numerator": 5, "denominator": 5, "percent": 100.0}
    assert "2 working days" in get(app, "/transparency").get_data(as_text=True)


class Outline(HTMLParser):
    def __init__(self):
        super().__init__()
        self.headings, self.tags, self.svgs, self.titles_in_svg = [], [], [], 0
        self._svg_depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "svg":
            self.svgs.append(a)
            self._svg_depth += 1
        if tag == "title" and self._svg_depth:
            self.titles_in_svg += 1

    def handle_endtag(self, tag):
        if tag == "svg":
            self._svg_depth -= 1


def test_rule_charts_are_server_svg_labelled_and_allowed_by_the_csp(make_app):
    app = demo_app(make_app, 6, 5, rated=(5, 5, 4, 3, 1))
    for lang in ("en", "zh_Hans", "zh_Hant"):
        r = get(app, "/transparency", lang)
        html = r.get_data(as_text=True)
        assert r.status_code == 200
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
        assert "<script" not in html and "<style" not in html and " style=" not in html
        o = Outline()
        o.feed(html)
        charts = [a for a in o.svgs if a.get("role") == "img"]
        assert len(charts) == 2
        for a in charts:
            assert a["aria-labelledby"] and "viewbox" in a  # scales down to a 360 px screen
        assert o.titles_in_svg >= 2
        # headings in order: one h1, never a jump of more than one level
        assert o.headings[0] == 1 and o.headings.count(1) == 1
        assert all(b - a <= 1 for a, b in zip(o.headings, o.headings[1:]))
        # a data table beside each chart, with a caption and header cells
        assert html.count("<caption") >= 3 and html.count('class="table-wrap"') >= 3
        assert 'scope="col"' in html and 'scope="row"' in html
        assert "/static/transparency.css" in html  # the tables scroll instead of squeezing
        assert 'href="/corrections"' in html
        assert 'href="/transparency.csv' in html and 'href="/transparency.json' in html
    html = get(app, "/transparency", "en").get_data(as_text=True)
    assert "Mar 2026" in html and "<circle" in html  # 5 of 6 answered: the month is plotted
    assert "2026年3月" in get(app, "/transparency", "zh_Hans").get_data(as_text=True)


def test_rule_no_personal_data_on_the_pages_or_in_the_downloads(make_app):
    app = demo_app(make_app, 6, 4, rated=(5, 1))
    secrets = [*PERSON.values(), DESCRIPTION, MATTER, REPLY, "13912345678", "王小二", "工作人员"]
    for url in ("/transparency", "/transparency.csv", "/transparency.json", "/transparency/demo",
                "/transparency/demo.csv", "/transparency/demo.json", "/transparency/demo?year=2026"):
        for lang in ("en", "zh_Hans"):
            body = get(app, url, lang).get_data(as_text=True)
            for s in secrets:
                assert s not in body, (url, s)


def test_rule_the_pages_never_query_the_cases(make_app):
    """Every figure comes from the roll-ups: no request touches case, event, deadline or rating."""
    app = demo_app(make_app, 6, 4, rated=(5, 2))
    statements = []

    with app.app_context():
        engine_ = db.engine

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine_, "before_cursor_execute", capture)
    try:
        for url in ("/transparency", "/transparency.csv", "/transparency.json", "/transparency/demo",
                    "/transparency/demo.json?year=2026"):
            assert get(app, url).status_code == 200
    finally:
        event.remove(engine_, "before_cursor_execute", capture)
    assert statements and any("stats_month" in s for s in statements)
    touched = re.compile(r'\b(FROM|JOIN)\s+"?(case|case_event|case_deadline|rating|stats_case)"?(\s|$)', re.I)
    assert [s for s in statements if touched.search(s)] == []


def test_rule_jurisdiction_pages_include_their_subtree(make_app):
    app = make_app()
    with app.app_context():
        _file("kunming", shanghai(2025, 11, 3, 10, 0))
        _file("kunming-wuhua", shanghai(2026, 1, 5, 10, 0))
        _file("kunming-wuhua-huguo", shanghai(2026, 1, 6, 10, 0))
        _file("xuanwu", shanghai(2026, 1, 6, 10, 0))
        db.session.remove()
    data = json.loads(get(app, "/transparency/kunming.json").get_data(as_text=True))
    assert data["totals"]["received"] == 3
    assert set(data["scope"]["jurisdictions"]) == {"kunming", "kunming-wuhua", "kunming-wuhua-huguo"}
    kids = {g["code"]: g for g in data["by_jurisdiction"]}
    assert kids["kunming"]["own_level_only"] and kids["kunming"]["received"] == 1
    assert kids["kunming-wuhua"]["received"] == 2 and kids["kunming-wuhua"]["with_subdivisions"]
    assert json.loads(get(app, "/transparency/kunming-wuhua.json").get_data(as_text=True))["totals"]["received"] == 2
    overall = json.loads(get(app, "/transparency.json").get_data(as_text=True))
    assert overall["totals"]["received"] == 4
    heads = {g["code"]: g["received"] for g in overall["by_jurisdiction"]}
    assert heads["kunming"] == 3 and heads["xuanwu"] == 1 and "kunming-wuhua" not in heads
    # a year narrows everything; the page links the jurisdiction pages and its parents
    y = json.loads(get(app, "/transparency/kunming.json?year=2026").get_data(as_text=True))
    assert y["totals"]["received"] == 2 and y["period"] == {"year": 2026, "label": "2026", "from": "2026-01",
                                                            "to": "2026-01"}
    assert y["years"] == [2026, 2025]
    html = get(app, "/transparency/kunming-wuhua").get_data(as_text=True)
    assert 'href="/transparency/kunming"' in html and 'href="/transparency/kunming-wuhua-huguo' in html
    html = get(app, "/transparency").get_data(as_text=True)
    assert 'href="/transparency/kunming"' in html and 'href="/transparency/xuanwu"' in html
    r = get(app, "/transparency/kunming.csv?year=2026")
    assert r.mimetype == "text/csv"
    assert 'filename="transparency-kunming-2026.csv"' in r.headers["Content-Disposition"]
    assert get(app, "/transparency/nowhere").status_code == 404
    assert get(app, "/transparency/nowhere.json").status_code == 404
    assert get(app, "/transparency?year=abc").status_code == 404
    empty = get(app, "/transparency/dazhou").get_data(as_text=True)
    assert "No cases have been received here in this period yet." in empty


def test_rule_screened_out_matters_are_counted_from_the_form(make_app):
    app = make_app()
    client = app.test_client()
    r = client.post("/file/beijing?lang=zh_Hans", data={
        "channel": "online", "matter": "合同纠纷", "description": "对方已经起诉，案件在法院审理中。",
        "name": "钱多多", "phone": "13912345678", "met_conditions": "y", "involves": "litigation"})
    assert r.status_code == 200
    data = json.loads(get(app, "/transparency/beijing.json").get_data(as_text=True))
    assert data["totals"]["screened_out"] == 1 and data["totals"]["received"] == 0
    assert "钱多多" not in json.dumps(data, ensure_ascii=False)


def test_rule_csv_cells_cannot_become_formulas(make_app):
    app = make_app(PORTAL_JURISDICTIONS=[])
    with app.app_context():
        from portal.models import Department

        j = jurisdiction("demo")
        d = Department(jurisdiction=j, code="evil", name_zh="=HYPERLINK(\"http://x\")", name_en="+SUM(A1)")
        db.session.add(d)
        db.session.commit()
        sup = staff("s1", "supervisor", "demo")
        c = _file("demo", shanghai(2026, 3, 2, 10, 0))
        engine.perform(c, "assign", engine.Actor.staff(sup), params={"lead_department_id": d.id},
                       now=shanghai(2026, 3, 2, 11, 0))
        db.session.remove()
    rows = parse_csv(get(app, "/transparency.csv").get_data(as_text=True))
    dept = next(r for r in rows if r["breakdown"] == "department")
    assert dept["name_zh"] == "'=HYPERLINK(\"http://x\")" and dept["name_en"] == "'+SUM(A1)"
    assert _cell("-1") == "'-1" and _cell(-1) == "-1" and _cell(None) == ""


@pytest.mark.parametrize("url", ["/transparency", "/transparency.json", "/transparency.csv"])
def test_rule_pages_work_with_no_cases_at_all(make_app, url):
    app = make_app(PORTAL_JURISDICTIONS=[])
    r = get(app, url)
    assert r.status_code == 200
    if url.endswith(".json"):
        assert json.loads(r.get_data(as_text=True))["totals"]["received"] == 0


def test_rule_a_cached_page_follows_every_change(make_app):
    """Pages reuse a report only while the roll-ups are unchanged: every engine action, a
    screening and a rebuild raise the version, so the next request shows the new figures."""
    app = make_app(PORTAL_JURISDICTIONS=[])

    def totals():
        return json.loads(get(app, "/transparency.json").get_data(as_text=True))

    with app.app_context():
        clerk_id = staff("c1", "clerk", "demo").id
        dept_id = department(jurisdiction("demo")).id
        case_id = _file("demo", shanghai(2026, 3, 2, 10, 0)).id
        db.session.remove()
    assert totals()["totals"]["received"] == 1
    assert totals()["by_category"][0]["code"] is None  # not classified yet (served from the cache)
    with app.app_context():
        from portal.models import Case, ScreeningRecord, StaffUser

        c = db.session.get(Case, case_id)
        # a category change moves counts between category rows only: the version still rises
        engine.perform(c, "classify", engine.Actor.staff(db.session.get(StaffUser, clerk_id)),
                       params={"category": "guide"}, now=shanghai(2026, 3, 2, 11, 0))
        db.session.remove()
    assert [g["code"] for g in totals()["by_category"]] == ["guide"]
    with app.app_context():
        _file("demo", shanghai(2026, 3, 3, 10, 0))
        db.session.add(ScreeningRecord(jurisdiction_id=jurisdiction("demo").id, code="court", matter="纠纷",
                                       reason="涉诉", channel="法院", at=shanghai(2026, 3, 3, 11, 0)))
        db.session.commit()
        db.session.remove()
    t = totals()["totals"]
    assert t["received"] == 2 and t["screened_out"] == 1
    with app.app_context():
        from portal import stats
        from portal.models import Case

        c = db.session.get(Case, case_id)
        c.lead_department_id = dept_id  # outside the engine: only a rebuild sees it
        db.session.commit()
        db.session.remove()
    assert totals()["by_department"][0]["code"] is None
    with app.app_context():
        stats.rebuild()
        db.session.remove()
    assert [g["code"] for g in totals()["by_department"]] == [str(dept_id), None]
