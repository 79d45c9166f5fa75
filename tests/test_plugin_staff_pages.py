"""A plugin's own staff pages (hook portal_staff_pages): mounted at /staff/<plugin>/, linked from
the staff navigation for the roles they name and only for staff who see the plugin's
jurisdictions; another jurisdiction's staff get 404. Dazhou's rota of chief representatives
(seed 002) and Beijing's fault-finding day (seed 003) are the built-in ones."""
from __future__ import annotations

from datetime import date

import pytest
from flask import Blueprint
from sqlalchemy import select

from bancheng_plugins.beijing.models import SupervisionRecord
from bancheng_plugins.dazhou.models import RotaEntry
from portal import create_app
from portal.extensions import db
from portal.models import AuditLog
from portal.plugins import PluginError
from portal.toolkit import JurisdictionPlugin, StaffPages, hookimpl

from .factories import department, jurisdiction, login
from .staff_support import quick_staff


class Visitor:
    """A staff member's browser; each request in an app context of its own, as in production
    (the test's outer context would otherwise share Flask-Login's user between browsers)."""

    def __init__(self, app, username):
        self.app, self.client = app, app.test_client()
        self.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
        with app.app_context():
            login(self.client, username)

    def get(self, url):
        with self.app.app_context():
            return self.client.get(url)

    def post(self, url, data):
        with self.app.app_context():
            return self.client.post(url, data=data)


@pytest.fixture
def people(app):
    for username, role, code in [("dz-super", "supervisor", "dazhou"), ("dz-clerk", "clerk", "dazhou"),
                                 ("km-super", "supervisor", "kunming"), ("bj-super", "supervisor", "beijing")]:
        quick_staff(username, role, code)
    return lambda username: Visitor(app, username)


ROTA = "/staff/dazhou/rota"


def test_hook_portal_staff_pages_mounts_dazhou_rota_with_its_nav_link(app, people):
    sup = people("dz-super")
    page = sup.get("/staff/").get_data(as_text=True)
    assert f'href="{ROTA}"' in page and "首席代表轮值" in page
    r = sup.get(ROTA)
    assert r.status_code == 200 and "今日值班" in r.get_data(as_text=True)


def test_other_jurisdictions_staff_neither_see_the_link_nor_open_the_page(app, people):
    km = people("km-super")
    assert ROTA not in km.get("/staff/").get_data(as_text=True)
    assert km.get(ROTA).status_code == 404
    anonymous = app.test_client()
    with app.app_context():
        assert anonymous.get(ROTA).status_code in (302, 401)  # to the login page


def test_supervisor_plans_the_rota_over_spring_festival_seed002(app, people):
    """Seed 002: 首席代表轮值, one representative per working day: 9-27 Feb 2026 skips Spring
    Festival (15-23 Feb) and the weekends but keeps the make-up Saturday 14 Feb."""
    j = jurisdiction("dazhou")
    department(j, "dz-hrss")
    r = people("dz-super").post(ROTA, {"jurisdiction": "dazhou", "start": "2026-02-09", "end": "2026-02-27",
                                       "representatives": "刘思远 | dz-hrss\n何静怡\n\n马志诚"})
    assert r.status_code == 303
    rows = db.session.scalars(select(RotaEntry).where(RotaEntry.jurisdiction_id == j.id).order_by(RotaEntry.day)).all()
    assert len(rows) == 10 and date(2026, 2, 14) in [e.day for e in rows]
    assert [e.representative for e in rows[:4]] == ["刘思远", "何静怡", "马志诚", "刘思远"]
    assert rows[0].department_id is not None and rows[1].department_id is None
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.action == "rota.plan")) == "rota.plan"


@pytest.mark.parametrize("data, message", [
    ({"start": "2026-02-27", "end": "2026-02-09", "representatives": "刘思远"}, "早于"),
    ({"start": "2026-02-09", "end": "2026-02-27", "representatives": "刘思远 | no-such-dept"}, "no-such-dept"),
    ({"start": "2026-02-09", "end": "2027-03-01", "representatives": "刘思远"}, "366"),
    ({"start": "not a date", "end": "2026-02-27", "representatives": "刘思远"}, "日期"),
    ({"start": "2026-02-09", "end": "2026-02-27", "representatives": " \n "}, "代表"),
])
def test_a_bad_plan_is_refused_with_a_message_and_nothing_is_planned(app, people, data, message):
    r = people("dz-super").post(ROTA, {"jurisdiction": "dazhou", **data})
    assert r.status_code == 422 and message in r.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(RotaEntry)) == 0


def test_a_clerk_reads_the_rota_but_may_not_plan_it(app, people):
    clerk = people("dz-clerk")
    assert clerk.get(ROTA).status_code == 200
    assert clerk.post(ROTA, {"jurisdiction": "dazhou", "start": "2026-02-09", "end": "2026-02-13",
                             "representatives": "刘思远"}).status_code == 403
    # another jurisdiction's code in the form is not a choice: refused, nothing planned
    sup = people("dz-super")
    assert sup.post(ROTA, {"jurisdiction": "kunming", "start": "2026-02-09", "end": "2026-02-13",
                           "representatives": "刘思远"}).status_code == 422
    assert db.session.scalar(select(db.func.count()).select_from(RotaEntry)) == 0


class _Misnamed(JurisdictionPlugin):
    code = "misnamed"

    @hookimpl
    def portal_staff_pages(self):
        return StaffPages(Blueprint("someone_else", __name__))


def test_hook_portal_staff_pages_blueprint_must_carry_the_plugins_name(tmp_path):
    with pytest.raises(PluginError, match="misnamed_staff"):
        create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), "PORTAL_JURISDICTIONS": [],
                    "PORTAL_EXTRA_PLUGINS": {"misnamed": _Misnamed}})


FAULT = "/staff/beijing/fault-finding"


def test_fault_finding_day_recorded_once_a_month_through_the_page_seed003(app, people):
    """Seed 003: 找茬日, one random working day a month, a team walks every window; recorded once
    a month per jurisdiction, read by the staff."""
    sup = people("bj-super")
    assert "找茬日" in sup.get("/staff/").get_data(as_text=True)
    data = {"jurisdiction": "beijing", "held_on": "2026-03-17", "team": "监督小组（三人）", "windows_checked": "24",
            "findings": "两个窗口一次性告知不全"}
    assert sup.post(FAULT, data).status_code == 303
    again = sup.post(FAULT, {**data, "held_on": "2026-03-25"})
    assert again.status_code == 422 and "已有" in again.get_data(as_text=True)
    assert sup.post(FAULT, {**data, "held_on": "2999-01-05"}).status_code == 422  # not in the future
    assert sup.post(FAULT, {**data, "windows_checked": "0"}).status_code == 422
    rows = db.session.scalars(select(SupervisionRecord)).all()
    assert [(r.held_on, r.windows_checked) for r in rows] == [(date(2026, 3, 17), 24)]
    assert db.session.scalars(select(AuditLog.action).where(~AuditLog.action.startswith("security."))).all() == [
        "supervision.fault_finding"]
    page = sup.get(FAULT).get_data(as_text=True)
    assert "两个窗口一次性告知不全" in page
    assert people("dz-super").get(FAULT).status_code == 404


def test_plugin_staff_pages_are_never_cached(app, people):
    r = people("dz-super").get(ROTA)
    assert "no-store" in r.headers["Cache-Control"]


def test_a_plugins_own_roles_use_its_pages_by_what_they_can(make_app):
    """A plugin's page guarded by capabilities admits the plugin's own roles by what they can, as
    the core's pages do: a role that supervises plans, a role that only reads reads and is refused
    a POST (found by review: plugin pages named roles, so a plugin role had to be listed by name)."""
    from portal.toolkit import JurisdictionSpec, RoleSpec, StaffLink, Vocabulary, staff_page

    bp = Blueprint("fair_staff", __name__)

    @bp.route("/board", methods=["GET", "POST"])
    @staff_page(capability="read", post_capability="supervise")
    def board():
        return "planned" if __import__("flask").request.method == "POST" else "board"

    class Fair(JurisdictionPlugin):
        code = "fair"

        @hookimpl
        def portal_jurisdictions(self):
            return [JurisdictionSpec("fair", "示例市", "Fair City", "city", case_prefix="FAIR")]

        @hookimpl
        def portal_vocabulary(self, jurisdiction):
            return Vocabulary(roles=(RoleSpec("inspector", "督查员", "Inspector", frozenset({"read", "supervise"})),
                                     RoleSpec("observer", "观察员", "Observer", frozenset({"read"}))))

        @hookimpl
        def portal_staff_pages(self):
            return StaffPages(bp, links=(StaffLink("board", "看板", "Board", capability="read"),))

    app = make_app(PORTAL_JURISDICTIONS=[], PORTAL_EXTRA_PLUGINS={"fair": Fair()})
    with app.app_context():
        quick_staff("fair-inspector", "inspector", "fair")
        quick_staff("fair-observer", "observer", "fair")
    inspector, observer = Visitor(app, "fair-inspector"), Visitor(app, "fair-observer")
    assert 'href="/staff/fair/board"' in inspector.get("/staff/").get_data(as_text=True)
    assert 'href="/staff/fair/board"' in observer.get("/staff/").get_data(as_text=True)
    assert observer.get("/staff/fair/board").get_data(as_text=True) == "board"
    assert observer.post("/staff/fair/board", {}).status_code == 403
    assert inspector.post("/staff/fair/board", {}).get_data(as_text=True) == "planned"
