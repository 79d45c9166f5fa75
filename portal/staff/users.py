"""Creating staff users, shared by the CLI, the admin pages and the demo loader.

A role is the core's or one the jurisdiction's plugin declares (portal_vocabulary); a plugin's
role is refused for a user of another jurisdiction."""
from __future__ import annotations

from sqlalchemy import select

from .. import password_policy
from ..contracts import SYSTEM_ROLES
from ..extensions import db
from ..models import Department, Jurisdiction, StaffUser
from ..models.staff import normalise_username
from ..vocabulary import current as current_vocabulary


class UserError(ValueError):
    pass


def create_staff_user(*, username, password, role, jurisdiction_code, department_code=None,
                      display_name=None, sees_subtree=False, email="", commit=True,
                      password_hash=None, must_change_password=False, allow_system_role=False) -> StaffUser:
    """``must_change_password``: somebody else chose or generated the password (see
    staff/passwords.py). A ``password_hash`` made once for many users (the demo loader, whose
    password is published anyway) is only held to the length rule. ``allow_system_role``: only
    the CLI creates a system role (national data, every jurisdiction)."""
    j = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == jurisdiction_code))
    if j is None:
        raise UserError(f"Unknown jurisdiction {jurisdiction_code!r}.")
    reason = (password_policy.length_refusal(password) if password_hash else
              password_policy.refusal(password, password_policy.context_names(username, j, display_name or "")))
    if reason:
        raise UserError(reason)
    if role in SYSTEM_ROLES and not allow_system_role:
        raise UserError(f"The role {role!r} is created only with `flask portal create-user`.")
    if role not in current_vocabulary().roles_for(j.code) and role not in SYSTEM_ROLES:
        raise UserError(f"Unknown role {role!r} for {jurisdiction_code}.")
    username = normalise_username(username)  # "Admin" and "admin" are one name
    if db.session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
        raise UserError(f"User {username!r} exists already.")
    dept = None
    if department_code:
        dept = db.session.scalar(select(Department).where(Department.jurisdiction_id == j.id,
                                                         Department.code == department_code))
        if dept is None:
            raise UserError(f"Unknown department {department_code!r} in {jurisdiction_code}.")
    user = StaffUser(username=username, role=role, jurisdiction=j, department=dept,
                     display_name=display_name or username, sees_subtree=sees_subtree, email=email,
                     must_change_password=must_change_password)
    if password_hash:  # a hash made once for many users (the demo loader)
        user.password_hash = password_hash
    else:
        user.set_password(password)
    db.session.add(user)
    if commit:
        db.session.commit()
    return user
