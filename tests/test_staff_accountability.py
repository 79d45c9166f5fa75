"""Accountability records (Xuanwu, seed 001): the outcome of the n-th failure comes from the
jurisdiction's hook, n counted per staff member (or department) and kind."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.contracts import AccountabilityOutcome, JurisdictionSpec
from portal.extensions import db
from portal.hookspecs import hookimpl
from portal.models import AccountabilityRecord, AuditLog
from portal.toolkit import DepartmentSpec, JurisdictionPlugin

from .factories import file, jurisdiction, login
from .staff_support import quick_staff


class Strict(JurisdictionPlugin):
    """Invented rules in Xuanwu's shape: third attitude failure, dismissal; departments lose points."""

    code = "strict"

    @hookimpl
    def portal_jurisdictions(self):
        return [JurisdictionSpec(code="strict", name_zh="严管区", name_en="Strict District", level="district",
                                 case_prefix="SX", departments=(DepartmentSpec("sx-tax", "税务局", "Tax bureau"),))]

    @hookimpl
    def portal_accountability_outcome(self, jurisdiction, kind, occurrence):
        if kind == "attitude":
            return AccountabilityOutcome(kind, occurrence, "辞退" if occurrence >= 3 else "谈话并扣发奖金",
                                         "Dismissal" if occurrence >= 3 else "Talk and bonus deduction")
        return AccountabilityOutcome(kind, occurrence, f"考核扣{occurrence}分", "Points deducted", points=-occurrence)


@pytest.fixture
def strict(make_app):
    app = make_app(PORTAL_JURISDICTIONS=[], PORTAL_EXTRA_PLUGINS={"strict": Strict()})
    with app.app_context():
        j = jurisdiction("strict")
        people = {"super": quick_staff("sx-super", "supervisor", "strict"), "clerk": quick_staff("sx-clerk", "clerk", "strict"),
                  "clerk2": quick_staff("sx-clerk2", "clerk", "strict"), "admin": quick_staff("sx-admin", "admin", "strict")}
        yield app, j, people


def record(client, **data):
    return client.post("/staff/accountability", data={"note": "窗口工作人员推诿，态度生硬。", **data})


def test_third_attitude_failure_of_the_same_person_follows_the_jurisdictions_rule(strict):
    app, j, people = strict
    client = app.test_client()
    login(client, "sx-super")
    case = file("strict", matter="营业执照变更").case
    for _ in range(3):
        assert record(client, kind="attitude", staff=str(people["clerk"].id), case_number=case.number).status_code == 303
    assert record(client, kind="attitude", staff=str(people["clerk2"].id)).status_code == 303
    rows = db.session.scalars(select(AccountabilityRecord).order_by(AccountabilityRecord.id)).all()
    assert [(r.staff_id, r.occurrence, r.outcome) for r in rows] == [
        (people["clerk"].id, 1, "谈话并扣发奖金"), (people["clerk"].id, 2, "谈话并扣发奖金"),
        (people["clerk"].id, 3, "辞退"), (people["clerk2"].id, 1, "谈话并扣发奖金")]
    assert rows[0].case_id == case.id and rows[0].by_id == people["super"].id
    body = client.get("/staff/accountability").get_data(as_text=True)
    assert "辞退" in body
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.action == "accountability.record")) is not None


def test_department_overruns_are_counted_per_department_and_kind(strict):
    app, j, people = strict
    client = app.test_client()
    login(client, "sx-super")
    dept = j.departments[0]
    for _ in range(2):
        assert record(client, kind="overrun", department=str(dept.id)).status_code == 303
    assert record(client, kind="non_cooperation", department=str(dept.id)).status_code == 303
    rows = db.session.scalars(select(AccountabilityRecord).order_by(AccountabilityRecord.id)).all()
    assert [(r.kind, r.occurrence, r.points, r.staff_id) for r in rows] == [
        ("overrun", 1, -1, None), ("overrun", 2, -2, None), ("non_cooperation", 1, -1, None)]


def test_the_form_asks_for_who(strict):
    app, j, people = strict
    client = app.test_client()
    login(client, "sx-super")
    assert record(client, kind="attitude").status_code == 422
    assert record(client, kind="overrun").status_code == 422
    assert record(client, kind="attitude", staff=str(people["clerk"].id), case_number="NO-SUCH").status_code == 422
    assert db.session.scalar(select(AccountabilityRecord.id)) is None


def test_administrators_read_and_clerks_cannot_open(strict):
    app, j, people = strict
    client = app.test_client()
    login(client, "sx-admin")
    assert client.get("/staff/accountability").status_code == 200
    assert record(client, kind="attitude", staff=str(people["clerk"].id)).status_code == 403
    client.post("/staff/logout")
    login(client, "sx-clerk")
    assert client.get("/staff/accountability").status_code == 403
    assert db.session.scalar(select(AccountabilityRecord.id)) is None


def test_xuanwu_plugin_rules_through_the_page(app, client):
    sup = quick_staff("xw-acc-super", "supervisor", "xuanwu")
    clerk = quick_staff("xw-acc-clerk", "clerk", "xuanwu")
    login(client, sup.username)
    outcomes = []
    for _ in range(3):
        record(client, kind="attitude", staff=str(clerk.id))
        outcomes.append(db.session.scalar(select(AccountabilityRecord.outcome).order_by(AccountabilityRecord.id.desc())))
    hook = app.extensions["portal_plugins"].for_jurisdiction("xuanwu").portal_accountability_outcome
    assert outcomes == [hook(kind="attitude", occurrence=n).outcome_zh for n in (1, 2, 3)]
    assert outcomes[0] != outcomes[2]  # the third time is different (seed 001: dismissal)


def test_writing_a_record_needs_no_view_module():
    """Actions' effects (Xuanwu's 不给办 investigation) and the overdue sweep write accountability
    records inside the engine's transaction: the module that writes them loads no staff view
    (found by review: it lived in the staff page's module)."""
    import subprocess
    import sys

    code = ("import sys, portal.accountability; "
            "print(sorted(m for m in sys.modules if m.startswith(('portal.staff', 'portal.public', 'portal.search'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]", out
