"""The sixth jurisdiction: Example County (示例县), a FICTIONAL county installed from its own
package (tests/plugin_example, entry point ``example``) and enabled by configuration only.

End to end in Simplified Chinese and in English: a person files on the county's own form, two
clocks start (first response in working hours, reply in working days, both citing the county's
invented rules), the coordination officer records the site visit through the case page (the
county's own action, which writes the county's own table), the first-response clock stops, the
case is assessed, assigned, handled and answered, and the public tracking page shows the
public labels and public notes only. Every rule tested here is invented (bancheng_example/rules.py).
"""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask import g
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Case, CaseEvent

from .conftest import ALL_PLUGINS, shanghai
from .factories import department, file, jurisdiction, login
from .staff_support import quick_staff
from .test_public_support import errors_in, intake_data

ENABLED = ALL_PLUGINS + ["example"]
LANGS = ("zh_Hans", "en")
#: What the person writes; every person here is invented.
PERSON = {"name": "示例测试人", "phone": "13900007777"}
INTERNAL = {"findings": "窗口排队叫号系统故障，现场已登记", "note": "内部：协调专员下午再回访窗口",
            "report": "部门内部：已调整叫号设置"}
PUBLIC_REPLY = "经协调，叫号系统已修复，您可随时到窗口办理。"


@pytest.fixture
def county(make_app):
    from bancheng_example.models import SiteVisit

    app = make_app(PORTAL_JURISDICTIONS=ENABLED)
    with app.app_context():
        j = jurisdiction("example")
        people = {"coordinator": quick_staff("ex-coord", "coordinator", "example"),
                  "handler": quick_staff("ex-handler", "handler", "example", department(j, "example-hrss"))}
        yield app, j, people, SiteVisit


def visits(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def running(case):
    db.session.refresh(case)
    return {d.clock: d for d in case.running_deadlines}


def translated(lang: str, text: str) -> str:
    with force_locale(lang):
        return _(text)


def as_signed_in(client):
    """Requests made inside the test's app context share its ``g``, where Flask-Login keeps the
    user it loaded: forget it, so each client is its own signed-in user again."""
    g.pop("_login_user", None)
    return client


def post_action(client, case, action, lang, note="", **fields):
    db.session.refresh(case)
    as_signed_in(client)
    data = {"action": action, "version": str(case.version), "note": note, **{k: str(v) for k, v in fields.items()}}
    return client.post(f"/staff/cases/{case.number}/act?lang={lang}", data=data)


def flash_error(r) -> str:
    m = re.search(r'class="error-summary"[^>]*>(.*?)</div>', r.get_data(as_text=True), re.S)
    return m.group(1) if m else r.get_data(as_text=True)[:400]


# -- the package and its switch ----------------------------------------------------------------------
def test_example_is_enabled_by_configuration_with_its_table_action_clocks_role_and_page(county):
    app, j, _people, SiteVisit = county
    host = app.extensions["portal_plugins"]
    assert host.owner_of("example") == "example"
    assert dict((name, [m.__tablename__ for m in t.models]) for name, t in host.tables())["example"] == \
        ["example_site_visit"]
    assert "site_visit" in host.actions("example") and "site_visit" not in host.actions("kunming")
    wf = host.for_jurisdiction("example").portal_workflow()
    assert wf.name == "example" and [c.code for c in wf.clock_specs()] == ["first_response", "reply", "rectify"]
    wf.validate(host.vocabulary.actors_for("example"))  # the coordinator is a role of the county's own
    assert len(wf.steps_zh) == 7 and wf.steps_zh[1] == "首次响应"
    assert "coordinator" in host.vocabulary.roles_for("example")
    assert "/staff/example/site-visits" in {r.rule for r in app.url_map.iter_rules()}


def test_rule_example_first_response_counts_the_countys_window_hours_fictional_article_3(county):
    """Fictional rule (《示例县“办不成事”反映窗口工作规则（虚构示例）》 arts. 2, 3, 5): a first
    response within 2 working hours, counted in the window's hours 08:30-12:00 and 14:00-17:30;
    general matters answered within 2 working days. Filed 16:30 on Friday 3 April 2026, the last
    working day before Qingming (4-6 April off): 16:30-17:30, then 08:30-09:30 on Tuesday 7 April."""
    case = file("example", now=shanghai(2026, 4, 3, 16, 30)).case
    clocks = running(case)
    first, reply = clocks["first_response"], clocks["reply"]
    assert (first.unit, first.days, first.due_at) == ("working_hours", 2, shanghai(2026, 4, 7, 9, 30))
    assert (reply.unit, reply.days, reply.due_date) == ("working_days", 2, date(2026, 4, 8))
    for d in (first, reply):
        assert "虚构示例" in d.explanation["source"]["document_zh"] and "fictional" in d.rule
    assert first.explanation["source"]["article_zh"] == "第三条"
    assert reply.explanation["source"]["article_zh"] == "第五条"


def test_rule_example_complex_matters_fall_back_to_the_portals_default_setting(county):
    """The county's invented article 5 covers general matters only; a complex one gets the
    portal's default setting (15 working days), attributed to nobody."""
    case = file("example", now=shanghai(2026, 3, 2, 10, 0), complexity="complex").case
    reply = running(case)["reply"]
    assert reply.days == 15 and reply.explanation["source"] == "portal_default"


# -- end to end, in both languages --------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_example_county_end_to_end_file_respond_reply_and_track(county, lang):
    app, j, people, SiteVisit = county
    public = app.test_client()
    public.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en" if lang == "en" else "zh-CN"

    # 1. the county's own form, in the person's language, refuses a missing own field in it
    form_page = public.get(f"/file/example?lang={lang}").get_data(as_text=True)
    assert translated(lang, "When can the coordination officer best reach you?") in form_page
    data = intake_data(app, "example", **PERSON)
    assert data["contact_time"] == "08:30-12:00"
    refused = public.post(f"/file/example?lang={lang}", data={k: v for k, v in data.items() if k != "contact_time"})
    assert refused.status_code == 422
    assert any(translated(lang, "Say when we can best reach you.") in e for e in errors_in(refused.get_data(as_text=True)))
    assert db.session.scalar(select(func.count(Case.id))) == 0

    r = public.post(f"/file/example?lang={lang}", data={**data, "times_visited": "2"})
    assert r.status_code == 303, errors_in(r.get_data(as_text=True))
    number = r.headers["Location"].rsplit("/", 1)[-1]
    receipt = public.get(f"/receipt/{number}?lang={lang}").get_data(as_text=True)
    code = re.search(r'id="access-code">([^<]+)<', receipt).group(1)
    case = db.session.scalar(select(Case).where(Case.number == number))
    assert number.startswith("EX-") and case.extra == {"contact_time": "08:30-12:00", "times_visited": 2}
    assert ("协调专员将在2个工作小时内与您联系" if lang == "zh_Hans" else "within 2 working hours") in receipt

    # 2. two clocks started at filing
    clocks = running(case)
    assert {c: (d.unit, d.days) for c, d in clocks.items()} == {"first_response": ("working_hours", 2),
                                                                "reply": ("working_days", 2)}

    # 3. the coordination officer records the site visit on the case page, in their language
    staff = app.test_client()
    login(staff, "ex-coord")
    page = staff.get(f"/staff/cases/{number}?lang={lang}").get_data(as_text=True)
    assert 'name="action" value="site_visit"' in page
    assert f'>{translated(lang, "Date of the visit")}</label>' in page
    assert translated(lang, "Site visits") in page  # the county's staff page in the navigation
    today = case.received_at.astimezone(shanghai(2026, 1, 1).tzinfo).date()
    good = {"visited_on": today.isoformat(), "place": "示例县政务服务中心一楼窗口", "people_met": 2,
            "findings": INTERNAL["findings"]}
    for bad, message in (({"people_met": 0}, "Enter how many people were met, from 1 to %(max)d."),
                         ({"place": ""}, "Say where the visit took place (at most 200 characters)."),
                         ({"visited_on": (today + timedelta(days=1)).isoformat()},
                          "A site visit is recorded once it has taken place: its date cannot be in the future."),
                         ({"visited_on": (today - timedelta(days=1)).isoformat()},
                          "A site visit cannot take place before the case was registered.")):
        r = post_action(staff, case, "site_visit", lang, **{**good, **bad})
        with force_locale(lang):
            expected = _(message, max=50) if "%(max)d" in message else _(message)
        assert r.status_code == 422 and expected in r.get_data(as_text=True), (bad, flash_error(r))
    assert visits(SiteVisit) == 0 and set(running(case)) == {"first_response", "reply"}  # nothing half-written

    r = post_action(staff, case, "site_visit", lang, note=INTERNAL["note"], **good)
    assert r.status_code == 303, flash_error(r)
    visit = db.session.scalar(select(SiteVisit))
    assert (visit.case_id, visit.officer_id, visit.people_met) == (case.id, people["coordinator"].id, 2)
    db.session.refresh(case)
    assert case.state == "responded"
    # 4. the first-response clock stopped, met; the reply clock runs on
    assert set(running(case)) == {"reply"}
    listing = as_signed_in(staff).get(f"/staff/example/site-visits?lang={lang}")
    assert listing.status_code == 200 and INTERNAL["findings"] in listing.get_data(as_text=True)

    # 5. assessed, assigned, handled, answered
    hrss = department(j, "example-hrss")
    assert post_action(staff, case, "classify", lang, category="guide", complexity="general").status_code == 303
    assert post_action(staff, case, "assign", lang, lead_department_id=hrss.id).status_code == 303
    handler = app.test_client()
    login(handler, "ex-handler")
    assert post_action(handler, case, "report", lang, note=INTERNAL["report"]).status_code == 303
    r = post_action(staff, case, "reply", lang, note=PUBLIC_REPLY)
    assert r.status_code == 303, flash_error(r)
    db.session.refresh(case)
    assert case.state == "replied" and running(case) == {}

    # 6. the person tracks: public labels and public notes only
    visitor = app.test_client()
    assert visitor.post(f"/track?lang={lang}", data={"number": number, "code": code}).status_code == 303
    tracked = visitor.get(f"/track/{number}?lang={lang}").get_data(as_text=True)
    assert PUBLIC_REPLY in tracked
    assert ("已答复" if lang == "zh_Hans" else "Answered") in tracked
    assert ("首次响应" if lang == "zh_Hans" else "First response") in tracked
    for secret in (*INTERNAL.values(), PERSON["name"], PERSON["phone"], "示例县政务服务中心一楼窗口"):
        assert secret not in tracked, secret
    for staff_label in ("已首次响应", "已办理") if lang == "zh_Hans" else ("First response given", "Handled"):
        assert f">{staff_label}<" not in tracked


def test_the_site_visit_is_the_coordinators_and_never_another_jurisdictions(county):
    app, j, people, SiteVisit = county
    from portal.engine import cases as engine
    from portal.engine.errors import NotAllowed

    case = file("example").case
    handler = engine.Actor.staff(people["handler"])
    with pytest.raises(NotAllowed):  # a department handler does not make the first response
        engine.perform(case, "site_visit", handler, params={"visited_on": date.today(), "place": "x",
                                                           "people_met": 1, "findings": "x"})
    kunming = file("kunming-wuhua").case
    sup = quick_staff("km-sup-ex", "supervisor", "kunming-wuhua")
    with pytest.raises(NotAllowed):
        engine.perform(kunming, "site_visit", engine.Actor.staff(sup),
                       params={"visited_on": date.today(), "place": "x", "people_met": 1, "findings": "x"})
    assert visits(SiteVisit) == 0
    other = app.test_client()
    login(other, "km-sup-ex")
    assert other.get("/staff/example/site-visits").status_code == 404  # not their jurisdiction's page


def test_the_site_visits_page_scopes_cases_through_the_toolkit_like_the_core(county):
    """Issue 14 (low): a plugin's staff page lists cases through ``toolkit.visible_cases()``, so a
    department's handler reads the visits of its department's cases only; the coordinator (who
    takes matters in: read_all) reads them all."""
    from portal.models import Department

    app, j, people, SiteVisit = county
    hrss = department(j, "example-hrss")
    other = next((d for d in j.departments if d.id != hrss.id), None)
    if other is None:
        other = Department(jurisdiction=j, code="example-tax", name_zh="示例县税务局", name_en="Tax bureau")
        db.session.add(other)
    mine, theirs = file("example", matter="本部门事项").case, file("example", matter="他部门事项").case
    mine.lead_department, theirs.lead_department = hrss, other
    for case, findings in ((mine, "本部门走访记录"), (theirs, "他部门走访记录")):
        db.session.add(SiteVisit(case_id=case.id, jurisdiction_id=j.id, officer_id=people["coordinator"].id,
                                 visited_on=date(2026, 9, 7), place="窗口", people_met=1, findings=findings))
    db.session.commit()
    handler = app.test_client()
    login(handler, "ex-handler")
    page = as_signed_in(handler).get("/staff/example/site-visits").get_data(as_text=True)
    assert "本部门走访记录" in page and "他部门走访记录" not in page and theirs.number not in page
    coordinator = app.test_client()
    login(coordinator, "ex-coord")
    page = as_signed_in(coordinator).get("/staff/example/site-visits").get_data(as_text=True)
    assert "本部门走访记录" in page and "他部门走访记录" in page


# -- without it -----------------------------------------------------------------------------------------
def test_without_example_enabled_the_portal_works_and_its_table_is_never_created(tmp_path):
    """Removing it from the configuration leaves the portal working: its migration does not run,
    its page is not mounted, its jurisdiction is not offered, filing elsewhere works."""
    from sqlalchemy import inspect

    from portal import create_app
    from portal.registry import sync_jurisdictions
    from portal.schema import upgrade_all

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/no-example.db",
                      "INSTANCE_PATH": str(tmp_path / "instance"), "PORTAL_INDEX_DIR": str(tmp_path / "index"),
                      "PORTAL_UPLOAD_DIR": str(tmp_path / "uploads"), "PORTAL_MAIL_FILE": str(tmp_path / "outbox.log"),
                      "PORTAL_JURISDICTIONS": ALL_PLUGINS, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    try:
        with app.app_context():
            assert "example" not in upgrade_all()
            sync_jurisdictions()
            tables = set(inspect(db.engine).get_table_names())
            assert "example_site_visit" not in tables and "example_alembic_version" not in tables
            assert "/staff/example/site-visits" not in {r.rule for r in app.url_map.iter_rules()}
            client = app.test_client()
            assert 'href="/file/example"' not in client.get("/file").get_data(as_text=True)
            assert client.get("/file/example").status_code == 404
            r = client.post("/file/kunming-wuhua", data=intake_data(app, "kunming-wuhua"))
            assert r.status_code == 303, errors_in(r.get_data(as_text=True))
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_importing_the_example_loads_no_view_search_or_api_module():
    """It imports the core only through portal.toolkit (test_plugin_contract checks every module),
    and that keeps it light: no view, search engine or API is loaded with it."""
    from .test_plugin_tables import VIEWS_SEARCH_API, _portal_modules_after

    loaded = _portal_modules_after("import bancheng_example, bancheng_example.actions, bancheng_example.forms")
    assert not {m for m in loaded if m.startswith(VIEWS_SEARCH_API)}, sorted(loaded)
