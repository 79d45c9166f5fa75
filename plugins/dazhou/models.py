"""Dazhou's own table: who sits at the window on a day (seed 002: chief representatives take turns).

Named ``dazhou_rota_entry``: a plugin's tables carry its name (see docs/plugins.md, "Tables of
your own"); its revisions live in ``migrations/`` beside this file.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.toolkit import Model


class RotaEntry(Model):
    """Who sits at the window on a day (Dazhou's chief representatives take turns)."""

    __tablename__ = "dazhou_rota_entry"
    __table_args__ = (UniqueConstraint("jurisdiction_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"))
    day: Mapped[date] = mapped_column(Date)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    representative: Mapped[str] = mapped_column(String(80))
