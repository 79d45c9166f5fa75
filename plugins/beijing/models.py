"""Beijing's own table: supervision activities, the monthly fault-finding day first (seed 003: 找茬日).

Named ``beijing_supervision_record``: a plugin's tables carry its name (see docs/plugins.md,
"Tables of your own"); its revisions live in ``migrations/`` beside this file.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.toolkit import Model, UTCDateTime, utcnow


class SupervisionRecord(Model):
    """A supervision activity: Beijing's monthly fault-finding day, patrols, spot checks."""

    __tablename__ = "beijing_supervision_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    held_on: Mapped[date] = mapped_column(Date)
    team: Mapped[str] = mapped_column(Text, default="")
    findings: Mapped[str] = mapped_column(Text, default="")
    windows_checked: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
