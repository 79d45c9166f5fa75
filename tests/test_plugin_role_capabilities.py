"""A plugin's roles get what their capabilities give everywhere, not only on the pages.

Before, staff notices looked supervisors and department handlers up by the core's role names,
the queue's "my department" view was the core handler's only, and the report's CSV wrote an
accountability kind's code. The roles here are invented for the test (a county's inspector who
supervises, a department officer who acts on the cases handed to the department); which roles
are told and which see their department first is the portal's default, no report's rule.
"""
from __future__ import annotations

import csv
import io

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from portal.engine import cases as engine
from portal.extensions import db
from portal.models import AccountabilityRecord, Notification, StaffUser
from portal.toolkit import (
    AccountabilityKind,
    DepartmentSpec,
    JurisdictionPlugin,
    JurisdictionSpec,
    RoleSpec,
    Vocabulary,
    hookimpl,
)
from portal.vocabulary import StaffVocabulary

from .conftest import shanghai
from .factories import file, jurisdiction, login
from .staff_support import quick_staff

INSPECTOR = RoleSpec("deputy_inspector", "督查专员", "Inspector", capabilities=frozenset({"read", "supervise"}))
OFFICER = RoleSpec("deputy_officer", "部门联络员", "Department officer", capabilities=frozenset({"read", "act"}))
DESK = RoleSpec("deputy_desk", "前台专员", "Front desk", capabilities=frozenset({"read", "act", "assign"}))
LATE = AccountabilityKind("deputy_late", "未按时到岗", "Late at the window", concerns="staff")


class Deputy(JurisdictionPlugin):
    """An invented county with three roles of its own and one accountability kind."""

    code = "deputy"

    @hookimpl
    def portal_jurisdictions(self):
        return [JurisdictionSpec(
            code="deputy", name_zh="副本县", name_en="Deputy County", level="county", case_prefix="DP",
            departments=(DepartmentSpec("deputy-hr", "副本县人社局", "Deputy County HR Bureau"),
                         DepartmentSpec("deputy-tax", "副本县税务局", "Deputy County Tax Bureau")))]

    @hookimpl
    def portal_vocabulary(self, jurisdiction):
        return Vocabulary(roles=(INSPECTOR, OFFICER, DESK), accountability_kinds=(LATE,))


@pytest.fixture
def deputy(make_app):
    app = make_app(PORTAL_JURISDICTIONS=["kunming"], PORTAL_EXTRA_PLUGINS={"deputy": Deputy()})
    with app.app_context():
        j = jurisdiction("deputy")
        depts = {d.code: d for d in j.departments}
        people = {
            "inspector": quick_staff("dp-inspector", "deputy_inspector", "deputy"),
            "supervisor": quick_staff("dp-super", "supervisor", "deputy"),
            "officer": quick_staff("dp-officer", "deputy_officer", "deputy", depts["deputy-hr"]),
            "tax_officer": quick_staff("dp-tax", "deputy_officer", "deputy", depts["deputy-tax"]),
            "desk": quick_staff("dp-desk", "deputy_desk", "deputy", depts["deputy-hr"]),
            "kunming_inspector": quick_staff("km-super-x", "supervisor", "kunming"),
        }
        yield app, depts, people


def told(kind: str) -> set[str]:
    return set(db.session.scalars(select(StaffUser.username).join(Notification, Notification.recipient_id == StaffUser.id)
                                  .where(Notification.kind == kind)))


def test_department_roles_are_those_that_act_without_taking_matters_in():
    vocabulary = StaffVocabulary()
    assert vocabulary.department_roles() == ("handler",)  # the core's, exactly as before
    vocabulary.add("deputy", "deputy", [Vocabulary(roles=(INSPECTOR, OFFICER, DESK))])
    assert vocabulary.department_roles() == ("handler", "deputy_officer")


def test_a_plugin_role_that_supervises_gets_the_supervisors_notices(deputy):
    app, depts, people = deputy
    sup = engine.Actor.staff(people["supervisor"])
    case = file("deputy", now=shanghai(2026, 3, 2, 9, 0)).case  # filed online: no first receiver
    engine.perform(case, "reply", sup, note="已答复。", now=shanghai(2026, 3, 3, 9, 0))
    assert told("answered") == {"dp-inspector", "dp-super"}  # not Kunming's supervisor
    engine.rate(case, 1, "没解决", now=shanghai(2026, 3, 3, 12, 0))
    assert {"dp-inspector", "dp-super"} <= told("bad_rating")


def test_a_plugin_department_role_is_told_of_its_departments_cases(deputy):
    app, depts, people = deputy
    sup = engine.Actor.staff(people["supervisor"])
    case = file("deputy", now=shanghai(2026, 3, 2, 9, 0)).case
    engine.perform(case, "assign", sup, params={"lead_department_id": depts["deputy-hr"].id},
                   now=shanghai(2026, 3, 2, 10, 0))
    assert told("assigned") == {"dp-officer"}  # the desk takes matters in: not a department's own staff


def test_a_plugin_department_role_sees_its_departments_cases_first_in_the_queue(deputy):
    app, depts, people = deputy
    sup = engine.Actor.staff(people["supervisor"])
    hr_case = file("deputy", matter="人社事项", now=shanghai(2026, 3, 2, 9, 0)).case
    tax_case = file("deputy", matter="税务事项", now=shanghai(2026, 3, 2, 9, 5)).case
    engine.perform(hr_case, "assign", sup, params={"lead_department_id": depts["deputy-hr"].id})
    engine.perform(tax_case, "assign", sup, params={"lead_department_id": depts["deputy-tax"].id})
    client = app.test_client()
    login(client, "dp-officer")
    page = client.get("/staff/?lang=en").text
    assert "your department&#39;s cases" in page or "your department's cases" in page
    assert hr_case.number in page and tax_case.number not in page
    # read and act without read_all: "show all" is not offered and shows no other department's case
    everything = client.get("/staff/?lang=en&all=1").text
    assert hr_case.number in everything and tax_case.number not in everything and "show all" not in everything
    desk = app.test_client()
    login(desk, "dp-desk")  # a front desk with a department still sees every case
    page = desk.get("/staff/?lang=en").text
    assert hr_case.number in page and tax_case.number in page and "your department" not in page


def test_a_plugin_role_with_read_and_act_only_is_kept_to_its_departments_cases(deputy):
    """Issue 14 (low): a role built from read and act, like the core's handler, opens its
    department's cases and gets 404 on another department's and on a new one, page and POST alike;
    a plugin role that supervises (read_all comes with supervise) opens them all."""
    app, depts, people = deputy
    sup = engine.Actor.staff(people["supervisor"])
    hr_case = file("deputy", matter="人社事项", now=shanghai(2026, 3, 2, 9, 0)).case
    tax_case = file("deputy", matter="税务事项", now=shanghai(2026, 3, 2, 9, 5)).case
    new_case = file("deputy", matter="新事项", now=shanghai(2026, 3, 2, 9, 10)).case
    engine.perform(hr_case, "assign", sup, params={"lead_department_id": depts["deputy-hr"].id})
    engine.perform(tax_case, "assign", sup, params={"lead_department_id": depts["deputy-tax"].id})
    officer = app.test_client()
    login(officer, "dp-officer")
    assert officer.get(f"/staff/cases/{hr_case.number}").status_code == 200
    for case in (tax_case, new_case):
        assert officer.get(f"/staff/cases/{case.number}").status_code == 404
        version = case.version
        r = officer.post(f"/staff/cases/{case.number}/act", data={"action": "note", "version": str(version),
                                                                 "note": "越权"})
        assert r.status_code == 404
        db.session.refresh(case)
        assert case.version == version
    inspector = app.test_client()
    login(inspector, "dp-inspector")
    assert app.extensions["portal_plugins"].vocabulary.can("deputy_inspector", "read_all")
    for case in (hr_case, tax_case, new_case):
        assert inspector.get(f"/staff/cases/{case.number}").status_code == 200


def test_report_csv_writes_the_accountability_kinds_label_in_the_readers_language(deputy):
    app, depts, people = deputy
    j = jurisdiction("deputy")
    for kind in ("attitude", "deputy_late"):
        db.session.add(AccountabilityRecord(jurisdiction_id=j.id, staff_id=people["desk"].id, kind=kind, occurrence=1,
                                            outcome="谈话提醒", at=shanghai(2026, 9, 20, 10, 0),
                                            by_id=people["supervisor"].id))
    db.session.commit()
    client = app.test_client()
    login(client, "dp-super")

    def kinds(lang):
        text = client.get(f"/staff/reports.csv?month=2026-09&lang={lang}").get_data(as_text=True)
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        with force_locale(lang):
            heading, kind = _("Accountability"), _("Kind")
        header = next(i for i, row in enumerate(rows) if row and row[0] == heading)
        column = rows[header].index(kind)
        return [row[column] for row in rows[header + 1:] if len(row) > column and row[0] == ""]

    assert kinds("en") == ["Service attitude failure (a staff member)", "Late at the window"]
    zh = kinds("zh_Hans")
    assert "未按时到岗" in zh and "attitude" not in zh and "deputy_late" not in zh


def test_a_plugins_department_role_takes_the_departments_steps_of_a_guide_correction(deputy):
    """The guide-correction steps the core's handler takes (confirm for their department, record
    the fix, reject) are a department role's, a plugin's too; publishing stays the supervisors'
    (found when plugins got roles: the pipeline still asked for the role name "handler")."""
    from portal.knowledge import pipeline

    j = jurisdiction("deputy")
    hr, tax = j.departments
    officer = quick_staff("dp-officer-c", "deputy_officer", "deputy", hr)
    desk = quick_staff("dp-desk-c", "deputy_desk", "deputy")
    inspector = quick_staff("dp-inspector-c", "deputy_inspector", "deputy")
    case = file("deputy").case
    c = pipeline.propose(user=desk, case=case, guide=None, kind="practice", field="materials", wrong_text="",
                         corrected_text="视频核验", cause="房东在外地", title="视频核验", department_id=hr.id)
    assert pipeline.steps_open(c, desk) == []  # takes matters in and hands them on: not the department
    assert pipeline.steps_open(c, officer) == ["confirm", "reject"]
    other = quick_staff("dp-officer-tax", "deputy_officer", "deputy", tax)
    assert pipeline.steps_open(c, other) == ["reject"]  # not the responsible department's
    from portal.engine.errors import NotAllowed

    with pytest.raises(NotAllowed):
        pipeline.confirm(c, desk)
    pipeline.confirm(c, officer)
    pipeline.record_fix(c, officer, "办事指南已更新")
    assert pipeline.steps_open(c, officer) == ["reject"] and pipeline.steps_open(c, inspector) == ["publish", "reject"]
