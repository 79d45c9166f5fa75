"""Importing official (national) holiday data: read a file strictly, plan what each notice year
would gain, lose or rename, refuse what would erase the national calendar, apply only the plan.

Official data serves every jurisdiction's deadlines, so an import is planned first (a dry run:
nothing is written) and applied only as planned. Refused outright: a listed year without a
single holiday (China's notices always have some: the shipped data in portal/data has New Year,
Spring Festival, National Day ... in every year) and a year outside YEAR_MIN..YEAR_MAX. Refused
unless the caller gives a reason: removing a holiday of a year already known.

Errors are ``CalendarImportError`` with a ``code`` and ``params``; the caller words them in the
reader's language (the engine has no request).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date

from ..extensions import db
from ..models import CalendarDay, CalendarYear
from ..workdays import WorkingCalendar, notice_year
from .jurisdiction_calendars import invalidate, national_calendar

#: The State Council's yearly notices follow the 1999 national holiday regulation; the upper bound
#: keeps a file from claiming a century ahead (the portal's default: no report speaks of it).
YEAR_MIN, YEAR_MAX = 2000, 2100
MAX_NAME = 120  # CalendarDay.name
MAX_SOURCE = 500
MAX_DAYS = 20000  # a century of notices has some 3,500 days; more is not a notice file
REASON_MAX = 500


class CalendarImportError(ValueError):
    """The file cannot be imported; nothing was written."""

    def __init__(self, code: str, **params):
        super().__init__(f"{code}: {params}" if params else code)
        self.code, self.params = code, params


@dataclass(frozen=True)
class YearChange:
    """What an import does to one notice year: days are ``(date, name)``; holidays and make-up
    working days apart, so a holiday turned working day is one removed and one added."""

    year: int
    known: bool
    holidays_before: int
    holidays_after: int
    added: tuple[tuple[date, str, bool], ...]  # (day, name, working)
    removed: tuple[tuple[date, str, bool], ...]
    renamed: tuple[tuple[date, str, str], ...]  # (day, old name, new name)

    @property
    def removes_holidays(self) -> bool:
        return self.known and any(not working for _d, _n, working in self.removed)

    @property
    def unchanged(self) -> bool:
        return self.known and not (self.added or self.removed or self.renamed)


@dataclass
class ImportPlan:
    calendar: WorkingCalendar
    changes: list[YearChange] = field(default_factory=list)
    #: a digest of the national data the plan was made against: a confirm that finds another
    #: digest (someone imported in between) must plan again
    base: str = ""

    @property
    def years(self) -> list[int]:
        return [c.year for c in self.changes]

    @property
    def removes_holidays(self) -> bool:
        return any(c.removes_holidays for c in self.changes)


# -- reading -------------------------------------------------------------------------------------
def read_bytes(raw: bytes) -> WorkingCalendar:
    """A file's bytes as a checked calendar; CalendarImportError says what is wrong."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CalendarImportError("not_utf8") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise CalendarImportError("not_json", line=e.lineno, column=e.colno) from None
    except RecursionError:  # arrays nested thousands deep
        raise CalendarImportError("too_deep") from None
    except ValueError:  # a number of more than 4,300 digits (Python's int limit)
        raise CalendarImportError("number_too_long") from None
    return read_data(data)


def read_data(data) -> WorkingCalendar:
    """Type- and size-check the JSON object, then build the calendar (its own checks apply)."""
    if not isinstance(data, dict):
        raise CalendarImportError("not_object")
    years = data.get("years")
    if not isinstance(years, list) or not years:
        raise CalendarImportError("no_years")
    for y in years:
        if isinstance(y, bool) or not isinstance(y, int):
            raise CalendarImportError("bad_year", year=str(y)[:20])
        if not YEAR_MIN <= y <= YEAR_MAX:
            raise CalendarImportError("year_out_of_range", year=y, low=YEAR_MIN, high=YEAR_MAX)
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        raise CalendarImportError("no_source")
    if len(source) > MAX_SOURCE:
        raise CalendarImportError("too_long", what="source", n=MAX_SOURCE)
    for key in ("generator", "note"):
        if key in data and (not isinstance(data[key], str) or len(data[key]) > MAX_SOURCE):
            raise CalendarImportError("too_long", what=key, n=MAX_SOURCE)
    if "overrides" in data:  # single days are set one by one, with a jurisdiction, not by import
        raise CalendarImportError("has_overrides")
    days = 0
    for key in ("holidays", "workdays"):
        value = data.get(key)
        if not isinstance(value, dict):
            raise CalendarImportError("not_day_object", what=key)
        days += len(value)
        for day, name in value.items():
            if not isinstance(name, str) or not name.strip():
                raise CalendarImportError("bad_name", what=key, day=str(day)[:20])
            if len(name) > MAX_NAME:
                raise CalendarImportError("too_long", what=f"{key} {str(day)[:20]}", n=MAX_NAME)
    if days > MAX_DAYS:
        raise CalendarImportError("too_many_days", n=MAX_DAYS)
    try:
        cal = WorkingCalendar.from_json(data)
    except ValueError as e:
        raise CalendarImportError("invalid", detail=str(e)[:300]) from None
    counted = {notice_year(d) for d in cal.holidays}
    empty = sorted(cal.years - counted)
    if empty:
        raise CalendarImportError("year_without_holidays", year=empty[0])
    return cal


# -- planning and applying ----------------------------------------------------------------------
def _year_days(cal: WorkingCalendar, year: int) -> dict[tuple[date, bool], str]:
    out = {(d, False): n for d, n in cal.holidays.items() if notice_year(d) == year}
    out.update({(d, True): n for d, n in cal.workdays.items() if notice_year(d) == year})
    return out


def plan(cal: WorkingCalendar) -> ImportPlan:
    """What importing ``cal`` would change, year by year; writes nothing."""
    now = national_calendar()
    p = ImportPlan(cal)
    digest = hashlib.sha256()
    for y in sorted(cal.years):
        before, after = _year_days(now, y), _year_days(cal, y)
        known = now.is_known_year(y)
        digest.update(repr((y, known, sorted(before.items()))).encode())
        p.changes.append(YearChange(
            year=y, known=known,
            holidays_before=sum(1 for (_d, w) in before if not w) if known else 0,
            holidays_after=sum(1 for (_d, w) in after if not w),
            added=tuple((d, n, w) for (d, w), n in sorted(after.items()) if (d, w) not in before),
            removed=tuple((d, n, w) for (d, w), n in sorted(before.items()) if (d, w) not in after),
            renamed=tuple((d, before[(d, w)], n) for (d, w), n in sorted(after.items())
                          if (d, w) in before and before[(d, w)] != n)))
    p.base = digest.hexdigest()
    return p


def check_reason(p: ImportPlan, reason: str | None) -> str:
    """The reason a plan that removes official holidays needs ("" when it removes none)."""
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise CalendarImportError("too_long", what="reason", n=REASON_MAX)
    if p.removes_holidays and not reason:
        raise CalendarImportError("removal_needs_reason",
                                  years=", ".join(str(c.year) for c in p.changes if c.removes_holidays))
    return reason


def apply(p: ImportPlan) -> list[int]:
    """Write the plan's years (replacing those years' imported rows); the caller commits."""
    cal = p.calendar
    for y in p.years:
        db.session.execute(CalendarDay.__table__.delete().where(
            CalendarDay.jurisdiction_id.is_(None), CalendarDay.kind == "imported",
            CalendarDay.day >= date(y - 1, 12, 25), CalendarDay.day < date(y, 12, 25)))  # notice_year
        existing = db.session.get(CalendarYear, y)
        if existing is None:
            db.session.add(CalendarYear(year=y, source=cal.source))
        else:
            existing.source = cal.source
    for d, name in cal.holidays.items():
        db.session.add(CalendarDay(jurisdiction_id=None, day=d, working=False, name=name, kind="imported"))
    for d, name in cal.workdays.items():
        db.session.add(CalendarDay(jurisdiction_id=None, day=d, working=True, name=name, kind="imported"))
    db.session.flush()
    invalidate()
    return p.years


def summary(p: ImportPlan) -> dict:
    """The plan in a few numbers, for the audit log (no day lists)."""
    return {str(c.year): {"known": c.known, "holidays": [c.holidays_before, c.holidays_after],
                          "added": len(c.added), "removed": len(c.removed), "renamed": len(c.renamed)}
            for c in p.changes}
