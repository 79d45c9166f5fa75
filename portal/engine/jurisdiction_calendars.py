"""The working calendar a jurisdiction's deadlines use (the database-and-plugin layer over the pure
arithmetic of portal/workdays.py), layered from four sources:

shipped official data (portal/data) < years imported by an administrator < the
jurisdiction plugin's single-day overrides < overrides an administrator set in the DB.
Cached per process for a short time: calendars change a few times a year.
"""
from __future__ import annotations

import time
from datetime import date

from flask import current_app
from sqlalchemy import select

from ..workdays import WorkingCalendar, builtin_calendar
from ..extensions import db
from ..models import CalendarDay, CalendarYear, Jurisdiction

_CACHE: dict[tuple[int, str | None], tuple[float, WorkingCalendar]] = {}
TTL_SECONDS = 60.0


def invalidate() -> None:
    _CACHE.clear()


def national_calendar() -> WorkingCalendar:
    cal = builtin_calendar()
    years = db.session.scalars(select(CalendarYear)).all()
    if years:
        rows = db.session.scalars(
            select(CalendarDay).where(CalendarDay.jurisdiction_id.is_(None), CalendarDay.kind == "imported")
        ).all()
        holidays = {r.day: r.name for r in rows if not r.working}
        workdays = {r.day: r.name for r in rows if r.working}
        cal = cal.with_year_data(holidays, workdays, {y.year for y in years},
                                 "; ".join(sorted({y.source for y in years})))
    national_overrides = db.session.scalars(
        select(CalendarDay).where(CalendarDay.jurisdiction_id.is_(None), CalendarDay.kind == "override")
    ).all()
    if national_overrides:
        cal = cal.with_overrides({r.day: r.working for r in national_overrides},
                                 {r.day: r.name for r in national_overrides if r.name})
    return cal


def calendar_for(jurisdiction: Jurisdiction | None) -> WorkingCalendar:
    key = (id(current_app._get_current_object()), jurisdiction.code if jurisdiction else None)
    hit = _CACHE.get(key)
    if hit and time.monotonic() - hit[0] < TTL_SECONDS:
        return hit[1]
    cal = national_calendar()
    if jurisdiction is not None:
        plugin_days = current_app.extensions["portal_plugins"].for_jurisdiction(
            jurisdiction.code).portal_holiday_overrides() or {}
        if plugin_days:
            cal = cal.with_overrides({d: w for d, (w, _n) in _norm(plugin_days).items()},
                                     {d: n for d, (_w, n) in _norm(plugin_days).items() if n})
        ids = [j.id for j in _ancestry(jurisdiction)]
        rows = db.session.scalars(select(CalendarDay).where(CalendarDay.jurisdiction_id.in_(ids))).all()
        if rows:
            cal = cal.with_overrides({r.day: r.working for r in rows}, {r.day: r.name for r in rows if r.name})
    _CACHE[key] = (time.monotonic(), cal)
    return cal


def _norm(days: dict) -> dict[date, tuple[bool, str]]:
    """Plugins may answer {date: bool} or {date: (bool, name)}."""
    out = {}
    for d, v in days.items():
        out[d] = (v, "") if isinstance(v, bool) else (bool(v[0]), str(v[1]))
    return out


def _ancestry(j: Jurisdiction) -> list[Jurisdiction]:
    chain = []
    while j is not None:
        chain.append(j)
        j = j.parent
    return list(reversed(chain))


def set_override(jurisdiction: Jurisdiction | None, day: date, working: bool, name: str = "") -> CalendarDay:
    jid = jurisdiction.id if jurisdiction else None
    row = db.session.scalar(select(CalendarDay).where(
        CalendarDay.jurisdiction_id.is_(jid) if jid is None else CalendarDay.jurisdiction_id == jid,
        CalendarDay.day == day, CalendarDay.kind == "override"))
    if row is None:
        row = CalendarDay(jurisdiction_id=jid, day=day, working=working, name=name, kind="override")
        db.session.add(row)
    else:
        row.working, row.name = working, name
    invalidate()
    return row
