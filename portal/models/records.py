"""Records the reports ask for beside cases: calendars, accountability, screening, audit.

Records only one jurisdiction keeps live in its plugin (Dazhou's rota, Beijing's fault-finding
days, Xuanwu's joint meetings): see the portal_tables hook."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .org import Department, Jurisdiction
from .staff import StaffUser


class CalendarYear(db.Model):
    """A year of official holiday data imported by an administrator."""

    __tablename__ = "calendar_year"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarDay(db.Model):
    """A day off or make-up working day: national (jurisdiction NULL) or a local override."""

    __tablename__ = "calendar_day"
    __table_args__ = (UniqueConstraint("jurisdiction_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdiction.id"))
    day: Mapped[date] = mapped_column(Date, index=True)
    working: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[str] = mapped_column(String(20), default="override")  # imported | override


class AccountabilityRecord(db.Model):
    """A staff or department failure and what followed from it (seed 001 Xuanwu)."""

    __tablename__ = "accountability_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"))
    kind: Mapped[str] = mapped_column(String(30))  # attitude | non_cooperation | overrun
    occurrence: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(Text)
    points: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    staff: Mapped[StaffUser | None] = relationship(foreign_keys=[staff_id])
    department: Mapped[Department | None] = relationship()


class AuditLog(db.Model):
    """Administrative staff actions (users, guides, calendars) and security events (``security.*``:
    logins, logouts, refused access, downloads, views of personal data); case actions are CaseEvents."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    # whose administration it touched: an administrator reads only their jurisdiction's log
    jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    # a refused access: whose record was asked for, so that jurisdiction's administrator sees it too
    target_jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    # the client address as Flask sees it (request.remote_addr); empty for the CLI
    ip: Mapped[str] = mapped_column(String(45), default="", index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    target: Mapped[str] = mapped_column(String(120), default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[StaffUser | None] = relationship()
    target_jurisdiction: Mapped[Jurisdiction | None] = relationship(foreign_keys=[target_jurisdiction_id])


class ScreeningRecord(db.Model):
    """A matter screened out at intake, kept without personal data (what, why, where to go)."""

    __tablename__ = "screening_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    matter: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
