"""Which audit rows an administrator may read, and the audit page's filter (kind, user, dates, address).

Kept apart from the page so the rule of who sees what is one function: a row is visible to the
administrators of its jurisdiction, and a refused access also to those of the jurisdiction whose
record was asked for. Rows of no jurisdiction (a login under a username nobody has, a tracking
attempt on a number that does not exist) concern the whole portal: administrators of a top-level
jurisdiction who see its whole subtree read them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, or_, select

from ..models import AuditLog, StaffUser
from ..security_log import PREFIX
from ..workdays import SHANGHAI
from .access import audit_visible, visible_ids

KINDS = ("security", "admin")  # every security event / every administrative change
_ADDRESS = re.compile(r"^[0-9A-Fa-f.:]{1,45}$")
_ACTION = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")


def portal_wide() -> bool:
    """The user administers a top-level jurisdiction and its whole subtree."""
    return bool(current_user.sees_subtree and current_user.jurisdiction.parent_id is None)


def visible():
    """The condition on AuditLog rows the signed-in administrator may read."""
    ids = visible_ids()
    cond = or_(audit_visible(),  # the jurisdictions' own rows and national changes
               and_(AuditLog.action.startswith(PREFIX), AuditLog.target_jurisdiction_id.in_(ids)))
    if portal_wide():
        cond = or_(cond, and_(AuditLog.jurisdiction_id.is_(None), AuditLog.action.startswith(PREFIX)))
    return cond


@dataclass
class AuditFilter:
    """What the form asked for (as typed, to draw it again), the conditions and any errors."""

    args: dict = field(default_factory=dict)
    conditions: list = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _day(text: str) -> date | None:
    """A date of a plausible year (far ones would overflow once turned into UTC)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if 1970 <= day.year <= 2999 else None


def _start(day: date) -> datetime:
    """The first moment of a day as the portal's users count days (Beijing time)."""
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


def parse(args) -> AuditFilter:
    """Conditions from the query string; a value that cannot be used is left out with a message."""
    f = AuditFilter()
    kind = (args.get("kind") or "").strip()[:60]
    if kind:
        f.args["kind"] = kind
        if kind == "security":
            f.conditions.append(AuditLog.action.startswith(PREFIX))
        elif kind == "admin":
            f.conditions.append(~AuditLog.action.startswith(PREFIX))
        elif _ACTION.match(kind):
            f.conditions.append(AuditLog.action == kind)
        else:
            f.errors.append(_("Choose a kind of entry from the list."))
    user = (args.get("user") or "").strip()[:64]
    if user:
        f.args["user"] = user
        # by the user, or about them (a failed login on their account, a change to it)
        by = select(StaffUser.id).where(StaffUser.username == user).scalar_subquery()
        f.conditions.append(or_(AuditLog.actor_id == by, AuditLog.target == f"user:{user}"))
    days = {}
    for name in ("since", "until"):
        text = (args.get(name) or "").strip()[:20]
        if not text:
            continue
        f.args[name] = text
        day = _day(text)
        if day is None:
            f.errors.append(_("Enter dates as year-month-day between 1970 and 2999, e.g. 2026-03-01."))
        else:
            days[name] = day
    if "since" in days and "until" in days and days["until"] < days["since"]:
        f.errors.append(_("The end date is before the start date."))
    else:
        if "since" in days:
            f.conditions.append(AuditLog.at >= _start(days["since"]))
        if "until" in days:
            f.conditions.append(AuditLog.at < _start(days["until"] + timedelta(days=1)))
    address = (args.get("ip") or "").strip()
    if address:
        f.args["ip"] = address[:45]
        if _ADDRESS.match(address):
            # the whole address, or its beginning (10.1.2. for a network)
            f.conditions.append(AuditLog.ip.startswith(address, autoescape=True))
        else:
            f.errors.append(_("Enter an IP address, or its beginning, with digits, letters a–f, dots and colons only."))
    f.errors = list(dict.fromkeys(f.errors))
    return f
