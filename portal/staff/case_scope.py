"""Which cases a staff user may see: the whole jurisdiction's, or their department's only.

A role with ``read_all`` (declared, or implied by assign, supervise or administer: the core's
clerk, supervisor and admin) sees every case of the user's jurisdictions, new ones no department
has yet included. Any other reader (the core's handler, a plugin's read/act role) sees the cases
their department leads or co-handles, and those they received first, since first-contact
responsibility (首问负责制, seed 001) keeps that person assisting after the case moves on. A
user of such a role with no department sees no other case.

Every staff page that lists or opens cases asks this module (plugins through
``toolkit.visible_cases()``); a case outside it answers 404, like another jurisdiction's.
"""
from __future__ import annotations

from sqlalchemy import false, or_, select

from ..models import Case, case_co_department
from ..vocabulary import can

READ_ALL = "read_all"


def sees_all_cases(user) -> bool:
    """Whether ``user`` reads every case of their jurisdictions, not only their department's."""
    return can(user.role, READ_ALL)


def lacks_department(user) -> bool:
    """A department-bound reader with no department: the queue tells them to ask an administrator."""
    return not sees_all_cases(user) and user.department_id is None


def department_condition(user):
    """The cases of the user's department: led, co-handled, or first received by the user (the
    rule for a department-bound reader, and the queue's "my department" view)."""
    own = Case.first_receiver_id == user.id
    dep = user.department_id
    if dep is None:
        return own
    co = select(case_co_department.c.case_id).where(case_co_department.c.department_id == dep)
    return or_(Case.lead_department_id == dep, Case.id.in_(co), own)


def case_condition(user):
    """A WHERE clause on ``Case`` that keeps exactly the cases ``user`` may see."""
    ids = user.visible_jurisdiction_ids()
    if not ids:
        return false()
    in_jurisdiction = Case.jurisdiction_id.in_(ids)
    if sees_all_cases(user):
        return in_jurisdiction
    return in_jurisdiction & department_condition(user)


def may_see(user, case: Case | None) -> bool:
    """The same rule for one loaded case."""
    if case is None or case.jurisdiction_id not in user.visible_jurisdiction_ids():
        return False
    if sees_all_cases(user) or case.first_receiver_id == user.id:
        return True
    dep = user.department_id
    return dep is not None and (case.lead_department_id == dep or any(d.id == dep for d in case.co_departments))
