"""Accountability records (Xuanwu, seed 001): the kinds, their names, and writing the n-th record
of a kind with the outcome the jurisdiction's rules give for n.

Kept apart from the staff page (portal/staff/accountability.py) because actions' effects and the
overdue sweep write records inside the engine's transactions: the engine never imports a view.
The kinds are the core's four plus those the jurisdiction's plugin adds (portal_vocabulary).
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .contracts import CORE_ACCOUNTABILITY_KINDS
from .extensions import db
from .i18n import choose
from .models import AccountabilityRecord, Case, Department, StaffUser
from .vocabulary import current as current_vocabulary

KINDS = {
    "attitude": _l("Service attitude failure (a staff member)"),
    "refusal": _l("Refused or pushed the matter away (a staff member)"),
    "non_cooperation": _l("Did not cooperate (a department)"),
    "overrun": _l("Overran the time limit (a department)"),
}


def concerns(kind: str) -> str:
    """Whom a kind of record names, "staff" or "department": the core's kinds as the contract
    declares them (CORE_ACCOUNTABILITY_KINDS), a plugin's as its portal_vocabulary does."""
    if kind in CORE_ACCOUNTABILITY_KINDS:
        return CORE_ACCOUNTABILITY_KINDS[kind]
    spec = current_vocabulary().kind_spec(kind)
    return spec.concerns if spec else "department"


def kind_label(code: str) -> str:
    """An accountability kind's name in the reader's language (a plugin's from its declaration)."""
    if code in KINDS:
        return str(KINDS[code])
    spec = current_vocabulary().kind_spec(code)
    return choose(spec.label_zh, spec.label_en) if spec else code


def kind_labels() -> dict[str, str]:
    """Every kind's name, the core's and the enabled plugins', for the record tables."""
    return {code: kind_label(code) for code in list(KINDS) + list(current_vocabulary().kind_codes())}


def kind_choices(jurisdiction_codes) -> list[tuple[str, str]]:
    """The kinds the user's jurisdictions use: the core's, then their plugins' (each once)."""
    codes: list[str] = []
    for code in jurisdiction_codes:
        codes += [k for k in current_vocabulary().kinds_for(code) if k not in codes]
    return [(k, kind_label(k)) for k in codes]


def previous_count(kind: str, staff_id: int | None, department_id: int | None) -> int:
    q = select(func.count(AccountabilityRecord.id)).where(AccountabilityRecord.kind == kind)
    if staff_id is not None:
        q = q.where(AccountabilityRecord.staff_id == staff_id)
    else:
        q = q.where(AccountabilityRecord.department_id == department_id, AccountabilityRecord.staff_id.is_(None))
    return db.session.scalar(q) or 0


def record(kind: str, *, staff: StaffUser | None, department: Department | None, case: Case | None,
           note: str, by: StaffUser | None, now: datetime | None = None) -> AccountabilityRecord:
    """Write the n-th record of its kind with the outcome the jurisdiction's rules give for n
    (added to the session; the caller's transaction commits it). ``by`` is None when the
    system records it (an overrun the overdue sweep found)."""
    jurisdiction = staff.jurisdiction if staff is not None else department.jurisdiction
    occurrence = previous_count(kind, staff.id if staff else None, department.id if department else None) + 1
    hooks = current_app.extensions["portal_plugins"].for_jurisdiction(jurisdiction.code)
    outcome = hooks.portal_accountability_outcome(kind=kind, occurrence=occurrence)
    row = AccountabilityRecord(
        jurisdiction_id=jurisdiction.id, staff_id=staff.id if staff else None,
        department_id=department.id if department else (staff.department_id if staff else None),
        case_id=case.id if case else None, kind=kind, occurrence=occurrence,
        outcome=outcome.outcome_zh or outcome.outcome_en, points=outcome.points, note=note.strip(),
        at=now or datetime.now(timezone.utc), by_id=by.id if by is not None else None)
    db.session.add(row)
    return row
