"""Xuanwu's own table: joint meetings on one case (seed 001: 一事一议).

Named ``xuanwu_case_meeting``: a plugin's tables carry its name (see docs/plugins.md, "Tables of
your own"); its revisions live in ``migrations/`` beside this file.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.toolkit import Model, UTCDateTime, utcnow


class CaseMeeting(Model):
    """A joint meeting on one case (Xuanwu's 一事一议): its lead, attendees, decision, minutes.

    The lead is the department that convened it (seed 001: the district administrative approval
    bureau), kept on the meeting: renaming or replacing the bureau later does not rewrite who
    led the meetings already held. Empty only for a meeting recorded before the lead was kept,
    in a database that had no bureau to fill it with.
    """

    __tablename__ = "xuanwu_case_meeting"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    lead_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), nullable=True)
    attendees: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(Text)
    minutes: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lead_department = relationship("Department")
