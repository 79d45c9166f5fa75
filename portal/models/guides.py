"""Service guides (办事指南), versioned: a correction adds a version, the old one stays."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .org import Department, Jurisdiction


class ServiceGuide(db.Model):
    __tablename__ = "service_guide"
    __table_args__ = (UniqueConstraint("jurisdiction_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    code: Mapped[str] = mapped_column(String(64))
    matter: Mapped[str] = mapped_column(String(200))
    matter_en: Mapped[str] = mapped_column(String(240), default="")
    # derived search index catches up when indexed_at is NULL or older than updated_at
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    indexed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    jurisdiction: Mapped[Jurisdiction] = relationship()
    department: Mapped[Department | None] = relationship()
    versions: Mapped[list["GuideVersion"]] = relationship(
        back_populates="guide", order_by="GuideVersion.number", cascade="all, delete-orphan"
    )

    @property
    def current(self) -> "GuideVersion | None":
        return self.versions[-1] if self.versions else None


class GuideVersion(db.Model):
    __tablename__ = "guide_version"
    __table_args__ = (UniqueConstraint("guide_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    guide_id: Mapped[int] = mapped_column(ForeignKey("service_guide.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20), default="promised")  # 即办件 on_spot | 承诺件 promised
    conditions: Mapped[str] = mapped_column(Text, default="")
    legal_limit_days: Mapped[int | None] = mapped_column(Integer)
    promised_limit_days: Mapped[int | None] = mapped_column(Integer)
    visits: Mapped[int | None] = mapped_column(Integer)
    fees: Mapped[str] = mapped_column(String(200), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    change_note: Mapped[str] = mapped_column(Text, default="")
    correction_id: Mapped[int | None] = mapped_column(ForeignKey("guide_correction.id"))

    guide: Mapped[ServiceGuide] = relationship(back_populates="versions")
    materials: Mapped[list["GuideMaterial"]] = relationship(
        back_populates="version", order_by="GuideMaterial.position", cascade="all, delete-orphan"
    )


class GuideMaterial(db.Model):
    __tablename__ = "guide_material"
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("guide_version.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    form: Mapped[str] = mapped_column(String(20), default="paper")  # paper | electronic
    originals: Mapped[int] = mapped_column(Integer, default=1)
    copies: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(200), default="")
    required: Mapped[bool] = mapped_column(Boolean, default=True)

    version: Mapped[GuideVersion] = relationship(back_populates="materials")
