"""Where cases happen: jurisdictions (a tree), service centres, windows, departments."""
from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class Jurisdiction(db.Model):
    __tablename__ = "jurisdiction"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdiction.id"))
    level: Mapped[str] = mapped_column(String(20))
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(160))
    case_prefix: Mapped[str] = mapped_column(String(12))
    plugin: Mapped[str] = mapped_column(String(64))

    parent: Mapped["Jurisdiction | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Jurisdiction"]] = relationship(back_populates="parent")
    centres: Mapped[list["ServiceCentre"]] = relationship(back_populates="jurisdiction", order_by="ServiceCentre.id")
    departments: Mapped[list["Department"]] = relationship(back_populates="jurisdiction", order_by="Department.id")

    def subtree_ids(self) -> set[int]:
        """This jurisdiction and everything below it (a higher-level centre's view)."""
        out, todo = set(), [self]
        while todo:
            j = todo.pop()
            out.add(j.id)
            todo.extend(j.children)
        return out

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_zh


class ServiceCentre(db.Model):
    __tablename__ = "service_centre"
    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(160))
    name_en: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20))

    jurisdiction: Mapped[Jurisdiction] = relationship(back_populates="centres")
    windows: Mapped[list["Window"]] = relationship(back_populates="centre", order_by="Window.id")

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_zh


class Window(db.Model):
    __tablename__ = "service_window"
    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("service_centre.id"), index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(160))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))

    centre: Mapped[ServiceCentre] = relationship(back_populates="windows")

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_zh


class Department(db.Model):
    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("jurisdiction_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name_zh: Mapped[str] = mapped_column(String(160))
    name_en: Mapped[str] = mapped_column(String(200))

    jurisdiction: Mapped[Jurisdiction] = relationship(back_populates="departments")

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_zh
