"""Example County's own table: the site visits its coordination officers record (fictional).

Named ``example_site_visit``: a plugin's tables carry its name (docs/plugins.md, "Tables of your
own"); its revisions live in ``migrations/`` beside this file."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.toolkit import Model, UTCDateTime, utcnow


class SiteVisit(Model):
    """A coordination officer's visit to where the problem is: the first response on a case."""

    __tablename__ = "example_site_visit"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    visited_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200))
    people_met: Mapped[int] = mapped_column(Integer)
    findings: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
