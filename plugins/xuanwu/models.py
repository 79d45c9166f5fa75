"""Xuanwu's own table: joint meetings on one case (seed 001: 一事一议).

Named ``xuanwu_case_meeting``: a plugin's tables carry its name (see docs/plugins.md, "Tables of
your own"); its revisions live in ``migrations/`` beside this file.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.toolkit import Model, UTCDateTime, utcnow


class CaseMeeting(Model):
    """A joint meeting on one case (Xuanwu's 一事一议): attendees, decision, minutes."""

    __tablename__ = "xuanwu_case_meeting"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    attendees: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(Text)
    minutes: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
