"""Which cases a staff member sees: the jurisdiction's, or their department's (issue 14, low).

A department-bound reader (the core's handler, any role with read but not read_all) lists and
opens only the cases their department leads or co-handles, and those they received first
(first-contact responsibility, seed 001); another department's case, and a new one no department
has yet, answers 404 on every page that reaches it, as another jurisdiction's does. Roles that take
matters in, hand them on, supervise or administer see them all. Where no report speaks (which
role sees what) this is the portal's default. Every person here is invented.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import func, select

from portal.engine import cases as engine
from portal.extensions import db
from portal.models import Case, CaseEvent, Department
from portal.plugins import PluginError
from portal.toolkit import JurisdictionPlugin, JurisdictionSpec, RoleSpec, Vocabulary, hookimpl

from .conftest import shanghai
from .factories import jurisdiction, login
from .staff_support import quick_staff


@pytest.fixture
def client(core_app):
    return core_app.test_client()


def _file(matter: str, *, receiver=None, first_contact=None, lead=None, co=(), attachment: str | None = None):
    j = jurisdiction("demo")
    files = []
    if attachment:
        folder = Path(current_app.config["PORTAL_UPLOAD_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / attachment).write_bytes(b"%PDF-1.4 scope test")
        files = [{"stored_name": attachment, "original_name": "材料.pdf", "content_type": "application/pdf",
                  "size": 19}]
    case = engine.file_case(jurisdiction=j, matter=matter, description="窗口说办不了。", channel="window",
                            complainant={"name": "周晓明", "phone": "13900001111"}, receiver=receiver,
                            first_contact=first_contact, now=shanghai(2026, 9, 7, 10, 0), attachments=files).case
    if lead is not None:
        case.lead_department = lead
        case.co_departments = list(co)
        db.session.commit()
    return case


@pytest.fixture
def offices(core_app):
    """Two departments of one jurisdiction, a handler in each, and cases led, co-handled and new."""
    j = jurisdiction("demo")
    a = j.departments[0]
    b = Department(jurisdiction=j, code="demo-tax", name_zh="税务局", name_en="Tax bureau")
    db.session.add(b)
    db.session.commit()
    people = {
        "handler_a": quick_staff("scope-handler-a", "handler", "demo", a),
        "handler_b": quick_staff("scope-handler-b", "handler", "demo", b),
        "clerk": quick_staff("scope-clerk", "clerk", "demo"),
        "supervisor": quick_staff("scope-super", "supervisor", "demo"),
        "admin": quick_staff("scope-admin", "admin", "demo"),
    }
    cases = {
        "a_led": _file("职工退休审批", receiver=people["clerk"], lead=a, attachment="scope-a.pdf"),
        "b_led_a_co": _file("社保补缴", receiver=people["clerk"], lead=b, co=[a]),
        "b_only": _file("税务登记", receiver=people["clerk"], lead=b, attachment="scope-b.pdf"),
        "new": _file("不动产登记", receiver=people["clerk"]),
    }
    return {"a": a, "b": b, **people, **cases}


def numbers_in(body: str, offices, keys) -> set[str]:
    """The cases the page links to (a searched number is echoed in the language links too)."""
    return {k for k in keys if f'/staff/cases/{offices[k].number}"' in body}


CASES = ("a_led", "b_led_a_co", "b_only", "new")


def test_a_handler_lists_and_opens_its_departments_led_and_co_handled_cases_only(offices, client):
    login(client, "scope-handler-a")
    for url in ("/staff/", "/staff/?all=1", "/staff/?archived=1&all=1"):
        assert numbers_in(client.get(url).get_data(as_text=True), offices, CASES) == {"a_led", "b_led_a_co"}, url
    # the queue's search finds no other department's case by its number or its matter
    assert numbers_in(client.get(f"/staff/?q={offices['b_only'].number}&all=1").text, offices, CASES) == set()
    assert numbers_in(client.get("/staff/?q=税务登记&all=1").text, offices, CASES) == set()
    for key in ("a_led", "b_led_a_co"):
        assert client.get(f"/staff/cases/{offices[key].number}").status_code == 200, key
    for key in ("b_only", "new"):
        assert client.get(f"/staff/cases/{offices[key].number}").status_code == 404, key


def test_another_departments_case_answers_404_to_its_actions_attachments_and_proposals(offices, client):
    login(client, "scope-handler-a")
    case, own = offices["b_only"], offices["a_led"]
    before = (case.version, case.state, db.session.scalar(select(func.count(CaseEvent.id))
                                                          .where(CaseEvent.case_id == case.id)))
    r = client.post(f"/staff/cases/{case.number}/act", data={"action": "note", "version": str(case.version),
                                                            "note": "越权备注"})
    assert r.status_code == 404
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert (case.version, case.state, db.session.scalar(select(func.count(CaseEvent.id))
                                                        .where(CaseEvent.case_id == case.id))) == before
    b_file, a_file = case.attachments[0], own.attachments[0]
    assert client.get(f"/staff/cases/{case.number}/attachments/{b_file.id}").status_code == 404
    with client.get(f"/staff/cases/{own.number}/attachments/{a_file.id}") as download:
        assert download.status_code == 200 and download.get_data() == b"%PDF-1.4 scope test"
    # another case's attachment under one's own case number is no way round
    assert client.get(f"/staff/cases/{own.number}/attachments/{b_file.id}").status_code == 404
    assert client.get(f"/staff/cases/{case.number}/propose").status_code == 404
    assert client.post(f"/staff/cases/{case.number}/propose", data={"kind": "practice"}).status_code == 404


def test_the_other_handler_sees_the_other_side(offices, client):
    login(client, "scope-handler-b")
    body = client.get("/staff/").get_data(as_text=True)
    assert numbers_in(body, offices, CASES) == {"b_led_a_co", "b_only"}
    assert client.get(f"/staff/cases/{offices['a_led'].number}").status_code == 404


@pytest.mark.parametrize("who", ["clerk", "supervisor", "admin"])
def test_roles_that_take_in_hand_on_supervise_or_administer_see_every_case(offices, client, who):
    """Clerks register and assign at the window, supervisors assign and supervise, administrators
    administer: they see the whole jurisdiction's cases, the new ones without a department too."""
    login(client, offices[who].username)
    assert numbers_in(client.get("/staff/").get_data(as_text=True), offices, CASES) == set(CASES)
    for key in CASES:
        assert client.get(f"/staff/cases/{offices[key].number}").status_code == 200, key


def test_a_handler_without_a_department_sees_no_case_and_is_told_why(offices, client):
    quick_staff("scope-handler-none", "handler", "demo")
    login(client, "scope-handler-none")
    body = client.get("/staff/?lang=en").get_data(as_text=True)
    assert "You are not assigned to a department; ask your administrator." in body
    assert numbers_in(body, offices, CASES) == set()
    assert client.get(f"/staff/cases/{offices['a_led'].number}").status_code == 404
    zh = client.get("/staff/?lang=zh-CN").get_data(as_text=True)
    assert "您尚未被分配到部门" in zh


def test_a_handler_with_a_department_is_not_told_to_ask_for_one(offices, client):
    login(client, "scope-handler-a")
    assert "not assigned to a department" not in client.get("/staff/?lang=en").get_data(as_text=True)


def test_the_first_receiver_keeps_seeing_the_case_handed_to_another_department_seed001(offices, client):
    """Seed 001 (Xuanwu, 首问负责制): whoever first received the matter stays responsible and keeps
    assisting after it moves on, so they keep reading it (and are told of each step)."""
    case = _file("户籍迁移", receiver=offices["clerk"], first_contact=offices["handler_a"], lead=offices["b"])
    login(client, "scope-handler-a")
    assert f'/staff/cases/{case.number}"' in client.get("/staff/").get_data(as_text=True)
    assert client.get(f"/staff/cases/{case.number}").status_code == 200


def test_a_handler_who_hands_a_case_on_lands_on_the_queue_not_a_404(offices, client):
    """Acting is allowed on a visible case; if the step takes it out of sight the page goes back
    to the queue instead of answering 404 for the user's own step."""
    from portal.staff.case_scope import may_see

    login(client, "scope-handler-a")
    case = offices["a_led"]
    r = client.post(f"/staff/cases/{case.number}/act", data={"action": "note", "version": str(case.version),
                                                            "note": "已联系申请人。"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/staff/cases/{case.number}")
    assert may_see(offices["handler_b"], case) is False and may_see(offices["handler_a"], case) is True


# -- roles built from capabilities -----------------------------------------------------------------
class Reading(JurisdictionPlugin):
    """A test-local county whose plugin declares a role with read_all but without read."""

    code = "reading"

    @hookimpl
    def portal_jurisdictions(self):
        return [JurisdictionSpec(code="reading", name_zh="只读县", name_en="Reading County", level="county",
                                 case_prefix="RD")]

    @hookimpl
    def portal_vocabulary(self, jurisdiction):
        return Vocabulary(roles=(RoleSpec("watcher", "观察员", "Watcher", frozenset({"read_all"})),))


def test_read_all_without_read_stops_the_app(tmp_path):
    from portal import create_app

    with pytest.raises(PluginError, match="read_all"):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
                    "INSTANCE_PATH": str(tmp_path / "i"), "PORTAL_JURISDICTIONS": [],
                    "PORTAL_EXTRA_PLUGINS": {"reading": Reading()}})


def test_the_core_roles_read_all_by_what_they_can_do(core_app):
    """read_all comes with assign, supervise or administer (the core's clerk, supervisor, admin);
    the handler reads its department's cases only."""
    v = core_app.extensions["portal_plugins"].vocabulary
    assert [r for r in ("clerk", "handler", "supervisor", "admin") if v.can(r, "read_all")] == \
        ["clerk", "supervisor", "admin"]


# -- the demo ---------------------------------------------------------------------------------------
def test_each_demo_handler_sees_the_cases_it_works_on(app):
    """The demo's handlers sit in their jurisdiction's first department: every demo case that
    reached a department is one their department leads or co-handles, and every step the demo
    shows a handler taking is on a case the handler may open."""
    from portal.demo import load_demo_data
    from portal.models import StaffUser
    from portal.staff.case_scope import case_condition, may_see

    load_demo_data(password="demo-pass-2026-test")
    handlers = db.session.scalars(select(StaffUser).where(StaffUser.role == "handler")).all()
    assigned = db.session.scalars(select(Case).where(Case.lead_department_id.is_not(None))).all()
    assert assigned
    for handler in handlers:
        mine = [c for c in assigned if c.jurisdiction_id == handler.jurisdiction_id]
        if mine:
            assert handler.department_id is not None, handler.username
            seen = set(db.session.scalars(select(Case.id).where(case_condition(handler))))
            assert {c.id for c in mine} <= seen, handler.username
        acted = db.session.scalars(select(Case).join(CaseEvent, CaseEvent.case_id == Case.id)
                                   .where(CaseEvent.actor_id == handler.id)).all()
        assert all(may_see(handler, c) for c in acted), handler.username
