"""Notifications through the file backend (PORTAL_MAIL_FILE): assigned, answered, bad rating,
each to the people concerned and nobody else, once."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from portal.engine import cases as engine
from portal.extensions import db
from portal.models import Department, Notification
from portal.notify import FileBackend, backend

from .factories import file, jurisdiction, login
from .staff_support import quick_staff


@pytest.fixture
def client(core_app):
    return core_app.test_client()


@pytest.fixture
def office(core_app):
    j = jurisdiction("demo")
    hr = j.departments[0]
    tax = Department(jurisdiction=j, code="demo-tax", name_zh="税务局", name_en="Tax bureau")
    land = Department(jurisdiction=j, code="demo-land", name_zh="自然资源局", name_en="Land bureau")
    db.session.add_all([tax, land])
    db.session.commit()
    people = {
        "clerk": quick_staff("n-clerk", "clerk", "demo"),
        "hr_handler": quick_staff("n-hr", "handler", "demo", hr),
        "tax_handler": quick_staff("n-tax", "handler", "demo", tax),
        "land_handler": quick_staff("n-land", "handler", "demo", land),
        "super": quick_staff("n-super", "supervisor", "demo"),
        "gone": quick_staff("n-gone", "supervisor", "demo"),
    }
    people["gone"].active = False
    for u in people.values():
        u.email = f"{u.username}@example.invalid"
    db.session.commit()
    return {"j": j, "hr": hr, "tax": tax, "land": land, **people}


def mail(app) -> str:
    p = Path(app.config["PORTAL_MAIL_FILE"])
    return p.read_text(encoding="utf-8") if p.exists() else ""


def recipients(kind: str) -> set[str]:
    from portal.models import StaffUser

    rows = db.session.execute(select(StaffUser.username).join(Notification, Notification.recipient_id == StaffUser.id)
                              .where(Notification.kind == kind)).all()
    return {r[0] for r in rows}


def test_the_file_backend_is_used_when_configured(office, core_app):
    assert isinstance(backend(), FileBackend)
    assert str(backend().path) == core_app.config["PORTAL_MAIL_FILE"]


def test_assignment_notifies_the_lead_and_co_handling_departments(office, client, core_app):
    case = file("demo", receiver=office["clerk"], channel="window").case
    login(client, "n-super")
    r = client.post(f"/staff/cases/{case.number}/act", data={
        "action": "assign", "version": str(case.version), "lead_department_id": str(office["hr"].id),
        "co_department_ids": [str(office["tax"].id)]})
    assert r.status_code == 303
    assert recipients("assigned") == {"n-hr", "n-tax"}
    text = mail(core_app)
    assert "To: n-hr@example.invalid" in text and "To: n-tax@example.invalid" in text
    assert "n-land@" not in text and case.number in text


def test_an_answer_notifies_the_first_receiver_or_else_the_supervisors(office, client, core_app):
    walk_in = file("demo", receiver=office["clerk"], channel="window").case
    online = file("demo").case
    login(client, "n-super")
    for case in (walk_in, online):
        db.session.refresh(case)
        r = client.post(f"/staff/cases/{case.number}/act", data={
            "action": "reply", "version": str(case.version), "note": "已答复。"})
        assert r.status_code == 303
    rows = db.session.execute(select(Notification.case_id, Notification.recipient_id)
                              .where(Notification.kind == "answered")).all()
    assert set(rows) == {(walk_in.id, office["clerk"].id), (online.id, office["super"].id)}
    assert "n-gone@" not in mail(core_app)  # deactivated staff hear nothing


def test_a_bad_rating_notifies_the_supervisors_and_the_lead_department(office, core_app):
    case = file("demo").case
    sup = engine.Actor.staff(office["super"])
    engine.perform(case, "assign", sup, params={"lead_department_id": office["hr"].id})
    engine.perform(case, "reply", sup, note="已答复。")
    engine.rate(case, 1, "没有解决")
    assert recipients("bad_rating") == {"n-super", "n-hr"}


def test_each_notice_is_sent_once(office, core_app):
    from portal.notify import notify

    case = file("demo").case
    people = [office["hr_handler"], office["tax_handler"]]
    assert notify("probe:1", people, "probe", "subject", "body", case) == 2
    assert notify("probe:1", people, "probe", "subject", "body", case) == 0
    assert mail(core_app).count("Subject: subject") == 2


def test_staff_of_other_jurisdictions_are_never_notified(make_app):
    app = make_app()
    with app.app_context():
        here = quick_staff("km-sup-n", "supervisor", "kunming")
        there = quick_staff("xw-sup-n", "supervisor", "xuanwu")
        case = file("kunming").case
        engine.perform(case, "reply", engine.Actor.staff(here), note="已答复。")
        got = recipients("answered")
        assert "km-sup-n" in got and "xw-sup-n" not in got and there.id


def test_staff_notices_are_a_subscriber_that_a_failing_plugin_subscriber_cannot_stop(make_app, tmp_path):
    """Issue 11, part 9: the staff notices subscribe to portal_case_transitioned like any plugin
    (the engine only announces the committed action); they answer first, so a plugin whose own
    subscriber raises neither loses the notice nor turns the saved action into an error."""
    from portal.hookspecs import hookimpl
    from portal.plugins import NOTIFIER_NAME

    class Broken:
        code = "broken"

        @hookimpl
        def portal_jurisdictions(self):
            from portal.toolkit import DepartmentSpec, JurisdictionSpec

            return [JurisdictionSpec("broken", "故障区", "Broken district", "district", case_prefix="BRK",
                                     departments=(DepartmentSpec("broken-hr", "人社局", "HR bureau"),))]

        @hookimpl
        def portal_case_transitioned(self, jurisdiction, case, event):
            raise RuntimeError("the plugin's own subscriber fails")

    app = make_app(PORTAL_JURISDICTIONS=[], PORTAL_EXTRA_PLUGINS={"broken": Broken()})
    with app.app_context():
        host = app.extensions["portal_plugins"]
        assert NOTIFIER_NAME in [impl.plugin_name for impl in host.hook.portal_case_transitioned.get_hookimpls()]
        j = jurisdiction("broken")
        handler = quick_staff("b-handler", "handler", "broken", j.departments[0])
        handler.email = "b-handler@example.invalid"
        clerk = quick_staff("b-clerk", "clerk", "broken")
        db.session.commit()
        case = file("broken").case
        ev = engine.perform(case, "assign", engine.Actor.staff(clerk), params={"lead_department_id": j.departments[0].id})
        assert ev.id is not None and case.state == "assigned"
        assert recipients("assigned") == {"b-handler"}
        assert "b-handler@example.invalid" in mail(app)
