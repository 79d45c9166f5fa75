"""Helpers for the staff workspace tests: walking a case through whatever workflow its
jurisdiction has, over HTTP, and seeding many cases fast. Every person here is invented."""
from __future__ import annotations

import re
from collections import deque
from functools import cache
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import insert, select

from portal.extensions import db
from portal.models import Case, CaseDeadline, StaffUser

from .factories import department

ROLES = ("clerk", "handler", "supervisor", "admin")
AVOID = frozenset({"refer"})  # the short way out; the tests walk the whole loop


def workflow(case: Case):
    return current_app.extensions["portal_plugins"].for_jurisdiction(case.jurisdiction.code).portal_workflow()


def path_to_terminal(wf, start: str, role: str) -> list[str]:
    """The shortest list of actions ``role`` can take from ``start`` to a terminal state."""
    seen, todo = {start}, deque([(start, [])])
    while todo:
        state, path = todo.popleft()
        if wf.state(state).terminal:
            return path
        for t in wf.transitions:
            if state in t.sources and role in t.roles and t.target and t.target != state and t.action not in AVOID:
                if t.target not in seen:
                    seen.add(t.target)
                    todo.append((t.target, path + [t.action]))
    raise AssertionError(f"no way from {start} to a terminal state for {role} in {wf.name}")


def form_for(case: Case, action: str, note: str = "") -> dict:
    """What the case page's form for ``action`` would post."""
    data = {"action": action, "version": str(case.version), "note": note or f"测试：{action}"}
    if action == "assign":
        data["lead_department_id"] = str(department(case.jurisdiction).id)
    elif action == "classify":
        cats = current_app.extensions["portal_plugins"].for_jurisdiction(case.jurisdiction.code).portal_categories()
        data["category"], data["complexity"] = cats[0].code, "general"
    elif action == "return_visit":
        data["method"], data["satisfaction"] = "phone", "5"
    elif action == "joint_meeting":
        data["attendees"], data["decision"] = "行政审批局、住建局", "明确由住建局牵头办理"
    elif action == "extend":
        data["days"] = "3"
    return data


def act(client, case: Case, action: str, note: str = "", **extra):
    db.session.refresh(case)
    data = form_for(case, action, note)
    data.update({k: str(v) for k, v in extra.items()})
    return client.post(f"/staff/cases/{case.number}/act", data=data)


def walk_to_archive(client, case: Case, role: str = "supervisor") -> list[str]:
    """Assign as soon as the workflow allows it, otherwise take the next step of the shortest
    way to the archive; the path is recomputed after every step."""
    wf = workflow(case)
    done: list[str] = []
    for _ in range(30):
        db.session.refresh(case)
        if wf.state(case.state).terminal:
            return done
        can_assign = any(t.action == "assign" and case.state in t.sources and role in t.roles
                         for t in wf.transitions)
        action = "assign" if can_assign and "assign" not in done else path_to_terminal(wf, case.state, role)[0]
        r = act(client, case, action)
        assert r.status_code == 303, (action, r.status_code, _flash_error(r))
        done.append(action)
    raise AssertionError(f"no archive after {done}")


def _flash_error(r) -> str:
    m = re.search(r'class="error-summary"[^>]*>(.*?)</div>', r.get_data(as_text=True), re.S)
    return m.group(1) if m else ""


def bulk_cases(jurisdiction, n: int, *, start: datetime | None = None, state: str = "received",
               workflow_name: str = "core", dept=None) -> None:
    """Insert ``n`` cases (each with a running deadline) in two statements, for volume tests."""
    start = start or datetime(2026, 9, 1, 1, 0, tzinfo=timezone.utc)
    rows = []
    for i in range(n):
        at = start + timedelta(minutes=i)
        rows.append(dict(number=f"{jurisdiction.case_prefix}-BULK-{i:06d}", access_code_hash="x", version=1,
                         jurisdiction_id=jurisdiction.id, channel="online", matter=f"批量事项{i % 37}",
                         description="批量生成的测试案件。", public_summary="", category="", complexity="general",
                         extra={}, state=state, workflow=workflow_name, escalation_tier="window",
                         lead_department_id=dept.id if dept is not None and i % 2 else None,
                         received_at=at, updated_at=at, overdue_flagged=False, reply="", outcome="",
                         complainant_name="", complainant_phone="", complainant_id_number="",
                         complainant_address="", due_at=at + timedelta(days=5 + i % 20)))
    db.session.execute(insert(Case), rows)
    ids = db.session.scalars(select(Case.id).where(Case.number.like(f"{jurisdiction.case_prefix}-BULK-%"))
                             .order_by(Case.id)).all()
    db.session.execute(insert(CaseDeadline), [
        dict(case_id=cid, stage="reply", started_at=r["received_at"], days=5, rule="bulk", due_date=r["due_at"].date(),
             due_at=r["due_at"], unknown_years="", explanation={}, paused_days=0, extended_days=0,
             extension_reason="", active=True, superseded=False)
        for cid, r in zip(ids, rows)])
    db.session.commit()


def user(username: str) -> StaffUser:
    return db.session.scalar(select(StaffUser).where(StaffUser.username == username))


def intake_data(code: str, **override) -> dict:
    """A filled-in walk-in form for ``code``: the core fields plus whatever its plugin adds
    (first choice of each choice field, a ticked box, plausible text), so tests follow the plugins."""
    from portal.forms import CORE_FIELDS
    from portal.public.filing import intake_form_for

    from .factories import jurisdiction

    hooks = current_app.extensions["portal_plugins"].for_jurisdiction(code)
    channels = [c.code for c in hooks.portal_intake_channels()]
    data = {"channel": "window" if "window" in channels else channels[0], "matter": "房屋租赁备案",
            "description": "房东在外地无法到场，窗口说必须本人到场才能备案。", "name": "司马测试",
            "phone": "13900003333"}
    with current_app.test_request_context():
        form = intake_form_for(jurisdiction(code), staff=True)
        for f in form:
            if f.name in CORE_FIELDS or f.type in ("HiddenField", "CSRFTokenField", "FileField", "MultipleFileField"):
                continue
            if f.type in ("RadioField", "SelectField"):
                values = [str(getattr(c, "value", None) if hasattr(c, "value") else c[0]) for c in f.iter_choices()]
                data[f.name] = next((v for v in values if v), "")  # skip a "please choose" placeholder
            elif f.type == "BooleanField" and f.flags.required:
                data[f.name] = "y"
            elif f.type == "DateField" and f.flags.required:
                data[f.name] = "2026-09-01"
            elif f.type in ("IntegerField", "DecimalField") and f.flags.required:
                data[f.name] = "1"
            elif f.flags.required:  # optional text (and its format checks) stays empty
                data[f.name] = "窗口说材料不全，但指南上没有写这一项。"
    data.update(override)
    return data


@cache
def _password_hash() -> str:
    from werkzeug.security import generate_password_hash

    from .factories import PASSWORD

    return generate_password_hash(PASSWORD, method="scrypt")


def quick_staff(username: str, role: str, jcode: str, dept=None, subtree: bool = False) -> StaffUser:
    """Like factories.staff, reusing one scrypt hash of the test password: scrypt is slow by design."""
    from .factories import jurisdiction

    user = StaffUser(username=username, role=role, jurisdiction=jurisdiction(jcode), department=dept,
                     display_name=username, sees_subtree=subtree, password_hash=_password_hash())
    db.session.add(user)
    db.session.commit()
    return user


def close_search_index(app) -> None:
    """Close the Whoosh index a test opened, so no file handle outlives the test."""
    ix = app.extensions.pop("portal_search", None)
    if ix is not None:
        ix.close()
