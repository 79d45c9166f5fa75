"""Staff users: one jurisdiction (or its subtree) each, one role, hashed passwords.

Usernames are stored lower-cased ("Admin" and "admin" are one name); ``session_generation``
ends every session of the user when bumped (staff/sessions.py); ``failed_logins`` and
``locked_until`` hold the per-account lockout in the database, so it holds across workers
and nodes (staff/lockout.py)."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .base import UTCDateTime, utcnow
from .org import Department, Jurisdiction


def normalise_username(name: str | None) -> str | None:
    """The one spelling of a username: stripped and lower-cased, so that "Admin" and "admin"
    cannot both exist and log in as one."""
    return name.strip().lower() if isinstance(name, str) else name


class StaffUser(UserMixin, db.Model):
    __tablename__ = "staff_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(20))  # clerk | handler | supervisor | admin
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    email: Mapped[str] = mapped_column(String(120), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sees_subtree: Mapped[bool] = mapped_column(Boolean, default=False)
    # a password someone else chose or generated (admin, CLI): the user must set their own first
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    jurisdiction: Mapped[Jurisdiction] = relationship()
    department: Mapped[Department | None] = relationship()

    @validates("username")
    def _lower_username(self, _key, value):
        return normalise_username(value)

    def set_password(self, password: str) -> None:
        # scrypt (werkzeug's default: memory-hard, salted); the test suite configures a
        # cheaper method through PORTAL_PASSWORD_METHOD so that it stays quick.
        from flask import current_app, has_app_context

        method = current_app.config.get("PORTAL_PASSWORD_METHOD", "scrypt") if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # flask-login
        return bool(self.active)

    def visible_jurisdiction_ids(self) -> set[int]:
        if self.sees_subtree:
            return self.jurisdiction.subtree_ids()
        return {self.jurisdiction_id}


class LoginThrottle(db.Model):
    """Failed logins for a username that has no account, keyed by a keyed hash of the name.

    An account locks after repeated failures; without this a name that does not exist would
    never lock, and the lock message would tell an outsider which names exist. Rows older
    than a day are pruned as new ones come."""
    __tablename__ = "login_throttle"
    name_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
