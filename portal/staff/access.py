"""Who may open what: capabilities per page, one jurisdiction (or subtree) per user, the audit trail.

A page asks for a capability (read, act, assign, supervise, administer), never for a role
name, so a role a plugin builds from capabilities opens exactly the pages they allow. Which
cases a reader sees (the jurisdiction's, or their department's only) is case_scope.py's rule.

Another jurisdiction's records answer 404, never 403: a direct URL must not even
confirm that a case, user or correction exists elsewhere; so does another department's case.
"""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import security_log
from ..contracts import ADMINISTER_SYSTEM  # noqa: F401 (national data; re-exported for the pages)
from ..extensions import db
from ..models import AuditLog, Case, Jurisdiction
from . import case_scope

CLERK, HANDLER, SUPERVISOR, ADMIN = "clerk", "handler", "supervisor", "admin"
READ, ACT, ASSIGN, SUPERVISE, ADMINISTER = "read", "act", "assign", "supervise", "administer"
#: Audit actions on national data: recorded without a jurisdiction, read by every administrator
#: (every jurisdiction counts with the data they changed).
NATIONAL_ACTIONS = ("calendar.import",)
READ_ALL = case_scope.READ_ALL


def can(*capabilities: str) -> bool:
    """Whether the signed-in user's role has any of ``capabilities``."""
    from ..vocabulary import can as role_can

    return current_user.is_authenticated and role_can(current_user.role, *capabilities)


def capability_required(*capabilities: str):
    """Login first; then a role with none of ``capabilities`` gets 403."""

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not can(*capabilities):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def roles_required(*roles: str):
    """Login first; then a role outside ``roles`` gets 403 (the page exists, the role may not)."""

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if roles and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def visible_ids() -> set[int]:
    return current_user.visible_jurisdiction_ids()


def visible_jurisdictions() -> list[Jurisdiction]:
    ids = visible_ids()
    return db.session.scalars(select(Jurisdiction).where(Jurisdiction.id.in_(ids)).order_by(Jurisdiction.id)).all()


def in_scope(jurisdiction_id: int | None) -> bool:
    return jurisdiction_id is not None and jurisdiction_id in visible_ids()


def jurisdiction_or_404(code: str | None) -> Jurisdiction:
    """The named jurisdiction if the user may see it; none named = the user's own."""
    if not code:
        return current_user.jurisdiction
    j = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == code))
    if j is None or not in_scope(j.id):
        if j is not None:
            security_log.refused(404, j.id)
        abort(404)
    return j


def scoped_or_404(obj, attr: str = "jurisdiction_id"):
    """Any row with a jurisdiction: 404 unless it is the user's."""
    if obj is None or not in_scope(getattr(obj, attr)):
        if obj is not None:
            security_log.refused(404, getattr(obj, attr))
        abort(404)
    return obj


def visible_cases():
    """A WHERE clause on ``Case``: the cases the signed-in user may see (see case_scope.py)."""
    return case_scope.case_condition(current_user)


def may_see_case(case: Case | None) -> bool:
    return current_user.is_authenticated and case_scope.may_see(current_user, case)


def visible_case_or_404(number: str) -> Case:
    """The case if the user may see it: another jurisdiction's, or another department's for a
    department-bound reader, answers 404 (never 403: a URL must not confirm it exists)."""
    case = db.session.scalar(select(Case).where(Case.number == number))
    if not may_see_case(case):
        if case is not None:
            security_log.refused(404, case.jurisdiction_id)
        abort(404)
    return case


def audit_visible():
    """The audit rows an administrator reads: their jurisdictions' and the national ones."""
    from sqlalchemy import and_, or_

    return or_(AuditLog.jurisdiction_id.in_(visible_ids()),
               and_(AuditLog.jurisdiction_id.is_(None), AuditLog.action.in_(NATIONAL_ACTIONS)))


def audit(action: str, target: str = "", jurisdiction_id: int | None = None, *, national: bool = False,
          **data) -> AuditLog:
    """Record an administrative action; committed with the change it describes. ``national``: no
    jurisdiction (the action must be one of NATIONAL_ACTIONS, so every administrator reads it)."""
    if national and action not in NATIONAL_ACTIONS:
        raise ValueError(f"{action} is not a national action")
    jid = None if national else (jurisdiction_id if jurisdiction_id is not None else current_user.jurisdiction_id)
    row = AuditLog(actor_id=current_user.id, action=action, target=str(target)[:120], jurisdiction_id=jid,
                   data=data)
    db.session.add(row)
    return row
