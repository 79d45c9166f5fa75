"""Small builders for test data. Every person here is invented."""
from __future__ import annotations

from sqlalchemy import select

from portal.engine import cases as engine
from portal.extensions import db
from portal.models import Department, Jurisdiction, StaffUser

PASSWORD = "correct-horse-battery"


def jurisdiction(code: str) -> Jurisdiction:
    j = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == code))
    assert j is not None, f"jurisdiction {code} not registered"
    return j


def department(j: Jurisdiction, code: str | None = None) -> Department:
    if not j.departments:
        d = Department(jurisdiction=j, code="test-dept", name_zh="测试局", name_en="Test bureau")
        db.session.add(d)
        db.session.commit()
        return d
    if code is None:
        return j.departments[0]
    return next(d for d in j.departments if d.code == code)


def staff(username: str, role: str, jcode: str, dept: Department | None = None, subtree=False) -> StaffUser:
    from portal.staff.users import create_staff_user

    return create_staff_user(username=username, password=PASSWORD, role=role, jurisdiction_code=jcode,
                             department_code=dept.code if dept else None, display_name=username,
                             sees_subtree=subtree)


def file(jcode: str, *, now=None, receiver=None, matter="退休审批", complexity="general", category="",
         description="退休材料上的年龄与身份证不一致，窗口说办不了。", channel="online", extra=None):
    return engine.file_case(
        jurisdiction=jurisdiction(jcode), matter=matter, description=description, channel=channel,
        complainant={"name": "李小青", "phone": "13800001234"}, complexity=complexity,
        category=category, receiver=receiver, now=now, extra=extra,
    )


def login(client, username: str, password: str = PASSWORD):
    return client.post("/staff/login", data={"username": username, "password": password})
