"""A plugin's own section on the staff case page (hook portal_case_panels).

A plugin outside portal/ (defined here, registered as an extra plugin beside Kunming) adds a
panel to its cases' staff page. The core draws it from data, escaped; it never shows on
another jurisdiction's case; a panel that fails is logged and left out, the page still opens.
"""
from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest
from markupsafe import Markup
from sqlalchemy import text

from portal.contracts import CasePanel, PanelEntry
from portal.extensions import db
from portal.toolkit import (
    CentreSpec,
    DepartmentSpec,
    JurisdictionPlugin,
    JurisdictionSpec,
    WindowSpec,
    hookimpl,
)

from .conftest import shanghai
from .factories import file, login
from .staff_support import quick_staff

SCRIPT = "<script>alert('panel')</script>"


class Inspection(JurisdictionPlugin):
    """An invented county that keeps site inspections beside its cases (not a real rule)."""

    code = "inspect"
    panels = None  # set per test: a function of the case

    @hookimpl
    def portal_jurisdictions(self):
        return [JurisdictionSpec(
            code="inspect", name_zh="巡查县", name_en="Inspection County", level="county", case_prefix="IN",
            centres=(CentreSpec("inspect-centre", "巡查县政务服务中心", "Inspection County Service Centre",
                                windows=(WindowSpec("inspect-w1", "反映窗口", "Window"),)),),
            departments=(DepartmentSpec("inspect-hb", "巡查县住建局", "Inspection County Housing Bureau"),))]

    @hookimpl
    def portal_case_panels(self, jurisdiction, case):
        return type(self).panels(case)


def inspections(case):
    return CasePanel("Site inspections", entries=(
        PanelEntry(date(2026, 3, 3), facts=(("Inspector", "王工"), ("Found", SCRIPT)), text="第一行\n第二行"),
        PanelEntry(Markup("<b>bold</b>"), facts=(("Left empty", ""),)),
    ))


@pytest.fixture
def inspect_app(make_app):
    Inspection.panels = staticmethod(inspections)
    app = make_app(PORTAL_JURISDICTIONS=["kunming"], PORTAL_EXTRA_PLUGINS={"inspect": Inspection()})
    with app.app_context():
        yield app


def page(app, case, username="in-sup"):
    client = app.test_client()
    login(client, username)
    return client.get(f"/staff/cases/{case.number}?lang=en")


def test_hook_portal_case_panels_the_owner_plugins_panel_is_drawn_escaped_on_its_case(inspect_app):
    quick_staff("in-sup", "supervisor", "inspect")
    case = file("inspect", now=shanghai(2026, 3, 2, 9, 0)).case
    r = page(inspect_app, case)
    assert r.status_code == 200
    assert '<section class="plugin-panel" data-plugin="inspect"><h2>Site inspections</h2>' in r.text
    assert "Mar 3, 2026" in r.text and "Inspector: " in r.text and "王工" in r.text
    assert '<p class="prewrap">第一行\n第二行</p>' in r.text
    # every value is text: a script and a Markup object come out escaped, never as markup
    assert SCRIPT not in r.text and "&lt;script&gt;alert(&#39;panel&#39;)&lt;/script&gt;" in r.text
    assert "<b>bold</b>" not in r.text and "&lt;b&gt;bold&lt;/b&gt;" in r.text
    assert "Left empty" not in r.text  # an empty fact is left out


def test_hook_portal_case_panels_never_on_another_jurisdictions_case(inspect_app):
    quick_staff("km-sup-p", "supervisor", "kunming")
    case = file("kunming", now=shanghai(2026, 3, 2, 9, 0)).case
    host = inspect_app.extensions["portal_plugins"]
    assert host.each_answer("portal_case_panels", "kunming", case=case) == []
    r = page(inspect_app, case, "km-sup-p")
    assert r.status_code == 200 and "Site inspections" not in r.text and "plugin-panel" not in r.text


def test_hook_portal_case_panels_a_panel_for_a_capability_is_shown_only_to_roles_with_it(inspect_app):
    Inspection.panels = staticmethod(lambda case: CasePanel("Supervisors only", capability="supervise",
                                                             empty="Nothing yet."))
    quick_staff("in-sup", "supervisor", "inspect")
    quick_staff("in-clerk", "clerk", "inspect")
    case = file("inspect", now=shanghai(2026, 3, 2, 9, 0)).case
    assert "Supervisors only" in page(inspect_app, case).text and "Nothing yet." in page(inspect_app, case).text
    assert "Supervisors only" not in page(inspect_app, case, "in-clerk").text


def broken(case):
    raise RuntimeError("the plugin's own bug")


def failed_query(case):
    db.session.execute(text("SELECT * FROM inspect_table_that_does_not_exist"))


@pytest.mark.parametrize("panels", [broken, failed_query, lambda case: 42, lambda case: ["not a panel"],
                                    lambda case: CasePanel("Bad entry", entries=(None,)),
                                    lambda case: [{"name": case.complainant_name, "phone": case.complainant_phone}]])
def test_hook_portal_case_panels_a_failing_panel_is_logged_and_left_out_the_page_still_opens(
        inspect_app, caplog, panels):
    Inspection.panels = staticmethod(panels)
    quick_staff("in-sup", "supervisor", "inspect")
    case = file("inspect", now=shanghai(2026, 3, 2, 9, 0)).case
    with caplog.at_level(logging.ERROR):
        r = page(inspect_app, case)
    assert r.status_code == 200 and case.number in r.text and "Timeline" in r.text
    assert "plugin-panel" not in r.text
    assert any("inspect" in rec.getMessage() and rec.levelno >= logging.ERROR for rec in caplog.records)
    assert "李小青" not in caplog.text and "13800001234" not in caplog.text  # privacy: no complainant in a log


def test_the_core_case_page_knows_no_plugins_table():
    """The joint meetings were listed by the core itself; now Xuanwu's panel shows them."""
    root = Path(__file__).resolve().parent.parent / "portal"
    core = [root / "staff" / "cases.py", root / "templates" / "staff" / "case.html"]
    for path in core:
        source = path.read_text(encoding="utf-8")
        assert "declared_model" not in source and "CaseMeeting" not in source and "meeting" not in source, path
