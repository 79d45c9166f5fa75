"""Guide corrections and the public knowledge base they feed."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .org import Department, Jurisdiction

correction_case = Table(
    "correction_case",
    db.metadata,
    Column("correction_id", ForeignKey("guide_correction.id"), primary_key=True),
    Column("case_id", ForeignKey("case.id"), primary_key=True),
)

CORRECTION_STATES = ("proposed", "confirmed", "fixed", "published", "rejected")


class GuideCorrection(db.Model):
    """From one case to one class of cases: proposed -> confirmed -> fixed -> published."""

    __tablename__ = "guide_correction"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="correction")  # correction | practice
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("service_guide.id"))
    field: Mapped[str] = mapped_column(String(60), default="")  # e.g. material:2, conditions
    wrong_text: Mapped[str] = mapped_column(Text, default="")
    corrected_text: Mapped[str] = mapped_column(Text, default="")
    cause: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(240), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20), default="proposed", index=True)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fix_note: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    jurisdiction: Mapped[Jurisdiction] = relationship()
    department: Mapped[Department | None] = relationship()
    cases = relationship("Case", secondary=correction_case, backref="corrections")


class KnowledgeEntry(db.Model):
    """A published correction or solution practice, as the public reads and searches it."""

    __tablename__ = "knowledge_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # correction | practice
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("service_guide.id"))
    correction_id: Mapped[int | None] = mapped_column(ForeignKey("guide_correction.id"), unique=True)
    matter: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(240), default="")
    wrong_text: Mapped[str] = mapped_column(Text, default="")
    right_text: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    since: Mapped[date] = mapped_column(Date)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # the search index is derived: NULL (or older than updated_at) means "index must catch up"
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    indexed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    jurisdiction: Mapped[Jurisdiction] = relationship()
    department: Mapped[Department | None] = relationship()
