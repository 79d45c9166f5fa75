"""Roles, accountability kinds and complexity levels from plugins (hook portal_vocabulary).

The core's four roles are sets of five capabilities; a plugin builds its own roles from them, and
adds accountability kinds and complexity levels, each only for its own jurisdictions. Dazhou's
window chief representatives (seed 002) and Daxing's chief representatives who run work orders
(seed 003) are the built-in roles; the coordination officer (协调专员), the urgent level (急事急办)
and the no-show kind are the fictional example plugin's. Every person here is invented."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal import create_app
from portal.contracts import CORE_ROLE_CAPABILITIES
from portal.extensions import db
from portal.models import AccountabilityRecord, Case, StaffUser
from portal.plugins import PluginError
from portal.staff.users import UserError
from portal.toolkit import (
    ComplexityLevel,
    JurisdictionPlugin,
    JurisdictionSpec,
    RoleSpec,
    TimeLimit,
    Vocabulary,
    core_workflow,
    hookimpl,
    transition,
)
from portal.vocabulary import StaffVocabulary

from .conftest import ALL_PLUGINS
from .factories import department, file, jurisdiction, login
from .staff_support import form_for, quick_staff


class Visitor:
    """One browser, each request in an app context of its own (as in production)."""

    def __init__(self, app, username, lang="zh-CN"):
        self.app, self.client = app, app.test_client()
        self.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
        with app.app_context():
            assert login(self.client, username).status_code in (302, 303)

    def get(self, url):
        with self.app.app_context():
            return self.client.get(url)

    def post(self, url, data):
        with self.app.app_context():
            return self.client.post(url, data=data)


class Extra(JurisdictionPlugin):
    """A test-local jurisdiction whose vocabulary the test chooses."""

    def __init__(self, code, vocabulary=None, limit=None, workflow=None):
        self.code, self.vocabulary, self.limit, self.workflow = code, vocabulary, limit, workflow

    @hookimpl
    def portal_jurisdictions(self):
        return [JurisdictionSpec(code=self.code, name_zh="测试区", name_en="Test District", level="district",
                                 case_prefix=self.code.upper()[:6])]

    @hookimpl
    def portal_vocabulary(self, jurisdiction):
        return self.vocabulary

    @hookimpl
    def portal_workflow(self, jurisdiction):
        return self.workflow

    @hookimpl
    def portal_time_limit(self, jurisdiction, category, complexity, stage):
        return self.limit(complexity, stage) if self.limit else None


def _host(tmp_path, **plugins):
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
                       "INSTANCE_PATH": str(tmp_path / "i"), "PORTAL_JURISDICTIONS": [],
                       "PORTAL_EXTRA_PLUGINS": plugins})


# -- the core's roles as capabilities ----------------------------------------------------------------
def test_core_roles_keep_exactly_what_they_could_do_as_capabilities():
    """Portal default (no report assigns these): the four core roles keep today's access,
    expressed as capabilities; every page asks for one of them."""
    v = StaffVocabulary()
    assert CORE_ROLE_CAPABILITIES["clerk"] == {"read", "act", "assign"}
    assert CORE_ROLE_CAPABILITIES["handler"] == {"read", "act"}
    assert CORE_ROLE_CAPABILITIES["supervisor"] == {"read", "act", "assign", "supervise"}
    assert CORE_ROLE_CAPABILITIES["admin"] == {"read", "administer"}
    assert v.roles_with("assign") == ("clerk", "supervisor")  # walk-in intake, as before
    assert v.roles_with("supervise", "administer") == ("supervisor", "admin", "system_admin")  # reports, as before
    # issue 14: national data only for the system role, which no plugin role can hold
    assert CORE_ROLE_CAPABILITIES["system_admin"] == {"read", "administer", "administer_system"}
    assert v.roles_with("administer_system") == ("system_admin",)
    assert not v.can("public", "read") and not v.can("nobody", "read")


# -- the hook and its checks ----------------------------------------------------------------------
def test_hook_portal_vocabulary_adds_roles_kinds_and_levels_for_the_owner_only(make_app):
    """Issue 11: a plugin adds roles, accountability kinds and complexity levels; they belong to
    its jurisdictions only (the example plugin's fictional vocabulary)."""
    app = make_app(PORTAL_JURISDICTIONS=ALL_PLUGINS + ["example"])
    with app.app_context():
        v = app.extensions["portal_plugins"].vocabulary
        assert "coordinator" in v.roles_for("example") and "coordinator" not in v.roles_for("kunming")
        assert v.capabilities("coordinator") == {"read", "act", "assign", "read_all"}  # assign brings read_all
        assert v.kinds_for("example")["no_show"] == "staff" and "no_show" not in v.kinds_for("xuanwu")
        assert v.complexities_for("example")[-1] == "urgent" and "urgent" not in v.complexities_for("dazhou")
        assert "coordinator" in v.actors_for("example")


@pytest.mark.parametrize("code", ["clerk", "admin", "public", "system"])
def test_a_role_code_of_the_core_stops_the_app(tmp_path, code):
    """A plugin's role code must not clash with the core's (issue 11)."""
    with pytest.raises(PluginError, match=code):
        _host(tmp_path, one=Extra("one", Vocabulary(roles=(RoleSpec(code, "甲", "A"),))))


def test_a_role_code_two_plugins_declare_stops_the_app(tmp_path):
    """A plugin's role code must not clash with another plugin's (issue 11)."""
    role = RoleSpec("chief", "首席", "Chief")
    with pytest.raises(PluginError, match="chief"):
        _host(tmp_path, one=Extra("one", Vocabulary(roles=(role,))), two=Extra("two", Vocabulary(roles=(role,))))


@pytest.mark.parametrize("vocabulary", [
    Vocabulary(roles=(RoleSpec("boss", "甲", "A", frozenset({"everything"})),)),
    Vocabulary(roles=(RoleSpec("Bad Code", "甲", "A"),)),
    Vocabulary(complexities=(ComplexityLevel("general", "一般", "General"),)),
    Vocabulary(complexities=(ComplexityLevel("rush", "急", "Rush", treated_as="whenever"),)),
], ids=["unknown-capability", "bad-code", "core-level", "unknown-treated-as"])
def test_a_vocabulary_the_core_cannot_use_stops_the_app(tmp_path, vocabulary):
    """Capabilities are the core's five; codes fit the columns and are the plugin's own."""
    with pytest.raises(PluginError):
        _host(tmp_path, one=Extra("one", vocabulary))


def test_a_transition_may_name_a_plugin_role_that_acts_and_no_other(make_app):
    """Issue 11: a plugin role is usable in its jurisdiction's workflow when it may act."""
    wf = core_workflow()
    reader = RoleSpec("reader", "只读", "Reader", frozenset({"read"}))
    step = transition("note", ("received",), None, ("reader",), "备注", "Note", needs_note=True)
    bad = type(wf)(wf.name, wf.states, wf.initial, tuple(t for t in wf.transitions if t.action != "note") + (step,))
    app = make_app(PORTAL_JURISDICTIONS=[], PORTAL_EXTRA_PLUGINS={"one": Extra("one", Vocabulary(roles=(reader,)),
                                                                                workflow=bad)})
    with app.app_context():
        with pytest.raises(ValueError, match="reader"):
            bad.validate(app.extensions["portal_plugins"].vocabulary.actors_for("one"))


# -- Dazhou and Daxing: the built-in roles ---------------------------------------------------------
@pytest.fixture
def dazhou(app):
    quick_staff("dz-rep", "dazhou_chief_rep", "dazhou")
    quick_staff("dz-super", "supervisor", "dazhou")
    case = file("dazhou").case
    return case


def test_dazhou_chief_representative_reads_cases_and_the_rota_and_takes_no_step(app, dazhou):
    """Seed 002: Dazhou's window chief representatives take turns at the window (窗口首席代表轮值);
    the report says nothing of what they may do on a case, so they read (cases, the rota) only."""
    rep = Visitor(app, "dz-rep")
    assert rep.get("/staff/").status_code == 200
    page = rep.get(f"/staff/cases/{dazhou.number}")
    assert page.status_code == 200 and "窗口首席代表" in page.get_data(as_text=True)
    assert 'name="action"' not in page.get_data(as_text=True)  # no step offered
    assert rep.get("/staff/dazhou/rota").status_code == 200
    for url in ("/staff/intake", "/staff/accountability", "/staff/reports", "/staff/admin/users"):
        assert rep.get(url).status_code == 403, url
    r = rep.post(f"/staff/cases/{dazhou.number}/act", {"action": "investigate", "version": "1", "note": "查"})
    assert r.status_code == 403
    db.session.refresh(dazhou)
    assert dazhou.state == "received"


def test_daxing_chief_representative_is_a_role_of_daxing_only(app):
    """Seed 003: Daxing runs "首席代表跑工单" (chief representatives run the work orders); the
    report names no other district, so the role is offered for beijing-daxing only, and reads."""
    from portal.staff.users import create_staff_user

    with pytest.raises(UserError):
        create_staff_user(username="dc-rep", password="long-enough-pw", role="daxing_chief_rep",
                          jurisdiction_code="beijing-dongcheng")
    user = create_staff_user(username="dx-rep", password="long-enough-pw", role="daxing_chief_rep",
                             jurisdiction_code="beijing-daxing")
    assert user.role == "daxing_chief_rep"
    assert app.extensions["portal_plugins"].vocabulary.capabilities("daxing_chief_rep") == {"read"}


def test_admin_user_form_offers_a_plugins_role_only_for_its_jurisdictions(app):
    """Issue 11: a plugin's roles are offered only for users of its jurisdictions (seed 003: Daxing)."""
    quick_staff("bj-admin", "admin", "beijing", subtree=True)
    quick_staff("km-admin", "admin", "kunming", subtree=True)
    bj, km = Visitor(app, "bj-admin"), Visitor(app, "km-admin")
    assert "首席代表（跑工单）" in bj.get("/staff/admin/users").get_data(as_text=True)
    assert "首席代表（跑工单）" not in km.get("/staff/admin/users").get_data(as_text=True)
    form = {"username": "rep1", "display_name": "王代表", "role": "daxing_chief_rep", "department": "0"}
    refused = bj.post("/staff/admin/users", dict(form, jurisdiction=str(jurisdiction("beijing-dongcheng").id)))
    assert refused.status_code == 422 and "不适用于" in refused.get_data(as_text=True)
    assert db.session.scalar(select(StaffUser).where(StaffUser.username == "rep1")) is None
    made = bj.post("/staff/admin/users", dict(form, jurisdiction=str(jurisdiction("beijing-daxing").id)))
    assert made.status_code == 200
    assert db.session.scalar(select(StaffUser.role).where(StaffUser.username == "rep1")) == "daxing_chief_rep"


def test_plugin_role_label_follows_the_readers_language(app, dazhou):
    """Labels of a plugin's role: Simplified, Traditional (derived) and English."""
    for lang, label in (("zh-CN", "窗口首席代表"), ("zh-TW", "窗口首席代表"), ("en", "Window chief representative")):
        page = Visitor(app, "dz-rep", lang).get("/staff/").get_data(as_text=True)
        assert label in page, lang


# -- the example plugin: a coordination officer, urgent matters, a no-show record --------------------
@pytest.fixture
def example(make_app):
    app = make_app(PORTAL_JURISDICTIONS=["kunming", "example"])
    with app.app_context():
        department(jurisdiction("example"))
        quick_staff("ex-co", "coordinator", "example")
        quick_staff("ex-super", "supervisor", "example")
        yield app


def _site_visit(visitor, case):
    """The example's first response (its own action): the officer records a visit today."""
    from portal.toolkit import local_today

    db.session.refresh(case)
    return visitor.post(f"/staff/cases/{case.number}/act", {
        "action": "site_visit", "version": str(case.version), "visited_on": local_today().isoformat(),
        "place": "示例县政务服务中心窗口", "people_met": "1", "findings": "现场核实"})


def test_coordination_officer_takes_the_steps_its_plugin_gives_it_and_no_more(example):
    """Issue 11 (协调专员, the example's fictional role): read, act, assign; the example's own
    workflow lets it make the first response on site, assess, assign and reply, but not report
    a department's result nor pause the clocks."""
    case = file("example").case
    co = Visitor(example, "ex-co")
    assert co.get("/staff/intake").status_code == 200  # assign: walk-in intake
    assert co.get("/staff/reports").status_code == 403
    assert _site_visit(co, case).status_code == 303
    for action in ("classify", "assign"):
        db.session.refresh(case)
        assert co.post(f"/staff/cases/{case.number}/act", form_for(case, action)).status_code == 303, action
    db.session.refresh(case)
    assert case.state == "assigned"
    for action in ("report", "pause"):
        r = co.post(f"/staff/cases/{case.number}/act", form_for(case, action, "部门办理结果"))
        assert r.status_code == 403, action
    db.session.refresh(case)
    assert case.state == "assigned"


def test_urgent_level_is_offered_at_classify_and_treated_as_simple(example):
    """Issue 11 (急事急办, the example's fictional level treated as simple): the classify step offers
    it; no plugin answers for it, so the core's simple-matter limit (on the spot) applies."""
    case = file("example").case
    co = Visitor(example, "ex-co")
    assert _site_visit(co, case).status_code == 303  # the example assesses after its first response
    db.session.refresh(case)
    page = co.get(f"/staff/cases/{case.number}").get_data(as_text=True)
    assert 'value="urgent"' in page and "急事急办" in page
    categories = example.extensions["portal_plugins"].for_jurisdiction("example").portal_categories()
    r = co.post(f"/staff/cases/{case.number}/act", {"action": "classify", "version": str(case.version),
                                                    "category": categories[0].code, "complexity": "urgent"})
    assert r.status_code == 303
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.complexity == "urgent" and case.active_deadline.days == 0
    assert "急事急办" in co.get(f"/staff/cases/{case.number}").get_data(as_text=True)


def test_classify_refuses_a_level_the_jurisdiction_does_not_have(example):
    """Bad input: Kunming has no urgent level; the step is refused with a clear error, nothing written."""
    quick_staff("km-clerk", "clerk", "kunming")
    case = file("kunming").case
    categories = example.extensions["portal_plugins"].for_jurisdiction("kunming").portal_categories()
    r = Visitor(example, "km-clerk").post(f"/staff/cases/{case.number}/act", {
        "action": "classify", "version": str(case.version), "category": categories[0].code, "complexity": "urgent"})
    assert r.status_code == 422 and "复杂程度" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Case, case.id).complexity == "general"


def test_a_plugin_answering_for_its_own_level_wins_over_treated_as(make_app):
    """A level's own time limit, when its plugin gives one, is used; time_limits lists it."""
    limit = TimeLimit(1, "Rush: one working day (test rule)", "加急：1个工作日（测试规则）")
    plugin = Extra("one", Vocabulary(complexities=(ComplexityLevel("rush", "加急", "Rush"),)),
                   limit=lambda complexity, stage: limit if complexity == "rush" and stage == "reply" else None)
    app = make_app(PORTAL_JURISDICTIONS=[], PORTAL_EXTRA_PLUGINS={"one": plugin})
    with app.app_context():
        host = app.extensions["portal_plugins"]
        assert host.time_limit("one", category=None, complexity="rush", stage="reply") == limit
        assert limit in host.time_limits("one")
        case = file("one", complexity="rush").case
        assert case.active_deadline.days == 1


def test_accountability_page_offers_the_plugins_kind_and_records_it(example):
    """Issue 11 (the example's fictional no-show kind, which names a staff member)."""
    sup = Visitor(example, "ex-super")
    page = sup.get("/staff/accountability").get_data(as_text=True)
    assert "协调专员未按约到场" in page
    co = db.session.scalar(select(StaffUser).where(StaffUser.username == "ex-co"))
    r = sup.post("/staff/accountability", {"kind": "no_show", "staff": "0", "department": "0", "note": "未到"})
    assert r.status_code == 422  # names a staff member
    r = sup.post("/staff/accountability", {"kind": "no_show", "staff": str(co.id), "department": "0",
                                           "note": "约定时间未到窗口"})
    assert r.status_code == 303
    row = db.session.scalar(select(AccountabilityRecord))
    assert (row.kind, row.staff_id, row.occurrence) == ("no_show", co.id, 1)
    assert "协调专员未按约到场" in sup.get("/staff/accountability").get_data(as_text=True)
