"""Actions a plugin declares with its own form fields and effect (hook portal_actions).

A plugin outside portal/ (defined here, registered as an extra plugin) adds a "site visit"
step to the core workflow with two fields (a date and one of the case's departments) and an
effect; a supervisor performs it through the real staff case page. The core's own actions
are declared through the same hook."""
from __future__ import annotations

import dataclasses
import re

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal import defaults
from portal.contracts import ActionField, ActionSpec
from portal.engine import cases as engine
from portal.engine import effects
from portal.engine.errors import Invalid, NotAllowed
from portal.extensions import db
from portal.models import CaseEvent, Department
from portal.plugins import PluginError, PluginHost
from portal.toolkit import (
    CentreSpec,
    DepartmentSpec,
    JurisdictionPlugin,
    JurisdictionSpec,
    WindowSpec,
    core_workflow,
    department_choices,
    hookimpl,
    transition,
)

from .conftest import shanghai
from .factories import file, jurisdiction, login
from .staff_support import quick_staff

#: Invented for this test: not a rule of any jurisdiction.
BEFORE_RECEIPT = "A site visit cannot take place before the case was received."


def site_visit(case, actor, note, params, now):
    dept = db.session.get(Department, params["department_id"])
    if dept is None or dept.jurisdiction_id != case.jurisdiction_id:
        raise Invalid(_l("Choose the department responsible."))
    if params["visited_on"] < case.received_at.astimezone(shanghai(2026, 1, 1, 0, 0).tzinfo).date():
        raise Invalid(BEFORE_RECEIPT)
    return {"visited_on": params["visited_on"].isoformat(), "department_id": dept.id}


SITE_VISIT = ActionSpec("site_visit", effect=site_visit, fields=(
    ActionField("visited_on", _l("Held on"), "date", required=True, message=_l("Enter a date (year-month-day).")),
    ActionField("department_id", _l("Department"), "choice", required=True, coerce=int, choices=department_choices,
                message=_l("Choose the department responsible.")),
))


class Survey(JurisdictionPlugin):
    """An invented county whose workflow has one more step, a site visit with its own form."""

    code = "survey"

    @hookimpl
    def portal_jurisdictions(self):
        return [JurisdictionSpec(
            code="survey", name_zh="勘查县", name_en="Survey County", level="county", case_prefix="SV",
            centres=(CentreSpec("survey-centre", "勘查县政务服务中心", "Survey County Service Centre",
                                windows=(WindowSpec("survey-w1", "反映窗口", "Window"),)),),
            departments=(DepartmentSpec("survey-nr", "勘查县自然资源局", "Survey County Natural Resources Bureau"),
                         DepartmentSpec("survey-hb", "勘查县住建局", "Survey County Housing Bureau")))]

    @hookimpl
    def portal_workflow(self, jurisdiction):
        core = core_workflow()
        visit = transition("site_visit", ("received", "assigned"), None, ("supervisor",), "实地核查", "Site visit")
        return dataclasses.replace(core, name="survey", transitions=core.transitions + (visit,))

    @hookimpl
    def portal_actions(self, jurisdiction):
        return (SITE_VISIT,)


@pytest.fixture
def survey_app(make_app):
    app = make_app(PORTAL_JURISDICTIONS=["kunming"], PORTAL_EXTRA_PLUGINS={"survey": Survey()})
    with app.app_context():
        yield app


@pytest.fixture
def case(survey_app):
    quick_staff("survey-sup", "supervisor", "survey")
    return file("survey", now=shanghai(2026, 3, 2, 9, 0)).case


def post(client, case, **data):
    db.session.refresh(case)
    return client.post(f"/staff/cases/{case.number}/act?lang=en",
                       data={"action": "site_visit", "version": str(case.version), "note": "", **data})


def visits():
    return db.session.scalar(select(func.count(CaseEvent.id)).where(CaseEvent.action == "site_visit"))


def test_hook_portal_actions_a_plugins_new_action_is_performed_through_the_staff_page(survey_app, case):
    client = survey_app.test_client()
    login(client, "survey-sup")
    page = client.get(f"/staff/cases/{case.number}?lang=en").text
    # the form drawn from the declared fields: a date and the case's own departments
    assert 'name="action" value="site_visit"' in page
    assert '<label for="site_visit-visited_on">Held on</label>' in page and 'type="date"' in page
    options = re.search(r'<select[^>]*id="site_visit-department_id".*?</select>', page, re.S).group(0)
    assert "Survey County Natural Resources Bureau" in options and "Housing Bureau" in options
    assert not any(d.name_en in options for d in jurisdiction("kunming").departments)  # only the case's own
    with force_locale("zh_Hans"):
        held_on_zh = _("Held on")
    assert f">{held_on_zh}</label>" in client.get(f"/staff/cases/{case.number}?lang=zh_Hans").text
    nr = next(d for d in jurisdiction("survey").departments if d.code == "survey-nr")
    kunming_dept = jurisdiction("kunming").departments[0]

    # refused by the form: a missing date, a department of another jurisdiction
    r = post(client, case, visited_on="", department_id=str(nr.id))
    assert r.status_code == 422 and "Enter a date (year-month-day)." in r.text
    r = post(client, case, visited_on="2026-03-03", department_id=str(kunming_dept.id))
    assert r.status_code == 422 and "Choose the department responsible." in r.text
    assert 'value="2026-03-03"' in r.text  # what was typed stays in the form
    # refused by the effect inside the transaction, with its message
    r = post(client, case, visited_on="2026-03-01", department_id=str(nr.id))
    assert r.status_code == 422 and BEFORE_RECEIPT in r.text
    assert visits() == 0

    r = post(client, case, visited_on="2026-03-03", department_id=str(nr.id), note="现场核实房屋状况")
    assert r.status_code == 303
    ev = db.session.scalar(select(CaseEvent).where(CaseEvent.action == "site_visit"))
    effect_data = {k: v for k, v in ev.data.items() if k != "note_public"}  # the engine records the note's publicity
    assert effect_data == {"visited_on": "2026-03-03", "department_id": nr.id} and ev.note == "现场核实房屋状况"
    page = client.get(f"/staff/cases/{case.number}?lang=en").text
    # the timeline names the data by the declared labels, a choice by its label
    assert "Held on: 2026-03-03" in page and "Department: Survey County Natural Resources Bureau" in page


def test_hook_portal_actions_a_plugin_never_acts_for_another_jurisdiction(survey_app, case):
    host = survey_app.extensions["portal_plugins"]
    assert host.actions("survey")["site_visit"] is SITE_VISIT
    assert "site_visit" not in host.actions("kunming-wuhua")
    kunming = file("kunming-wuhua", now=shanghai(2026, 3, 2, 9, 0)).case
    sup = quick_staff("km-sup-x", "supervisor", "kunming-wuhua")
    with pytest.raises(NotAllowed):
        engine.perform(kunming, "site_visit", engine.Actor.staff(sup),
                       params={"visited_on": shanghai(2026, 3, 3, 9, 0).date(), "department_id": 1})
    assert visits() == 0


def test_hook_portal_actions_the_core_declares_its_own_actions_the_same_way(core_app):
    specs = core_app.extensions["portal_plugins"].actions("demo")
    for action in ("classify", "assign", "reply", "refer", "escalate", "pause", "resume", "extend",
                   "flag_overdue", "rate", "rate_bad", "return_visit", "close"):
        assert specs[action].effect is not None, action
    assert specs["assign"].effect is effects.assign
    assert [f.name for f in specs["assign"].fields] == ["lead_department_id", "co_department_ids"]
    assert not hasattr(engine, "_EFFECTS")
    assert defaults.CorePlugin().portal_actions(jurisdiction="demo") == tuple(specs.values())


def test_hook_portal_actions_a_plugins_spec_replaces_the_cores_for_the_same_action(make_app):
    """A plugin may give a core action other fields or another effect; the core's is not called."""
    def close_with_reference(case, actor, note, params, now):
        case.closed_at = now
        return {"reference": params.get("reference", "")}

    class Closing(Survey):
        @hookimpl
        def portal_actions(self, jurisdiction):
            return (ActionSpec("close", effect=close_with_reference,
                               fields=(ActionField("reference", _l("Case number (optional)"), max_length=20),)),)

    app = make_app(PORTAL_JURISDICTIONS=[], PORTAL_EXTRA_PLUGINS={"survey": Closing()})
    with app.app_context():
        spec = app.extensions["portal_plugins"].actions("survey")["close"]
        assert spec.effect is close_with_reference
        assert app.extensions["portal_plugins"].actions("survey")["assign"].effect is effects.assign


def test_hook_portal_actions_rejects_what_is_not_an_action_spec_or_declared_twice():
    class Twice(Survey):
        @hookimpl
        def portal_actions(self, jurisdiction):
            return (SITE_VISIT, SITE_VISIT)

    class Stray(Survey):
        @hookimpl
        def portal_actions(self, jurisdiction):
            return ({"action": "site_visit"},)

    for plugin in (Twice(), Stray()):
        with pytest.raises(PluginError):  # at start, not on the first case page that asks
            PluginHost(enabled=[], extra_plugins={"survey": plugin})


@pytest.mark.parametrize("bad", [
    dict(name="x", label="X", kind="colour"),
    dict(name="version", label="X"),  # the page's own field
    dict(name="not a name", label="X"),
    dict(name="x", label="X", kind="choice"),  # a choice needs its choices
])
def test_action_fields_are_checked_when_declared(bad):
    with pytest.raises(ValueError):
        ActionField(**bad)
    with pytest.raises(ValueError):
        ActionSpec("x", fields=(ActionField("a", "A"), ActionField("a", "B")))
