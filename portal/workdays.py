"""China's working-day calendar (工作日) for statutory time limits: pure arithmetic, no database and
no plugin (portal/engine/jurisdiction_calendars.py layers a jurisdiction's data on top of it).

Rules encoded here:

* Weekends and statutory holidays are off; the State Council's make-up working days
  (调休: a Saturday or Sunday declared a working day) are on.
* Civil Code arts. 201-203: the start day is not counted, and a period ends at 24:00 of
  its last day -- here 24:00 Asia/Shanghai time.
* The official data ships as JSON (``data/cn_workdays.json``) instead of being looked up
  at run time, so that its source is explicit, administrators can import a newly
  announced year, and a year without data is *flagged* (computed weekends-only) rather
  than raising or being silently guessed.

Years are *notice years*: the State Council's notice for year Y also decides the last
week of December of Y-1 (New Year bridges: 2018-12-29 was a make-up working day under
the 2019 notice). See :func:`notice_year`.

Regenerate the data with ``python -m portal.workdays [PATH]``.
"""

from __future__ import annotations

import json
import os
import re
import sys
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from itertools import accumulate
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping
from zoneinfo import ZoneInfo

__all__ = [
    "SHANGHAI", "DATA_PATH", "DayKind", "WorkingCalendar", "DeadlineResult",
    "UnknownYearWarningInfo", "builtin_calendar", "is_working_day", "add_working_days",
    "working_days_between", "notice_year", "local_date", "build_data_from_chinese_calendar",
    "WORKING_DAYS", "CALENDAR_DAYS", "WORKING_HOURS", "UNITS", "WorkingHours", "DEFAULT_WORKING_HOURS",
]

#: The units a time limit can be counted in (TimeLimit.unit, CaseDeadline.unit).
WORKING_DAYS = "working_days"
CALENDAR_DAYS = "calendar_days"
WORKING_HOURS = "working_hours"
UNITS = (WORKING_DAYS, CALENDAR_DAYS, WORKING_HOURS)

SHANGHAI = ZoneInfo("Asia/Shanghai")
DATA_PATH = Path(__file__).with_name("data") / "cn_workdays.json"
SOURCE_TEMPLATE = (
    "State Council General Office notices on holiday arrangements "
    "(国务院办公厅关于…节假日安排的通知), via chinesecalendar {version}"
)
GENERATOR = "python -m portal.workdays (build_data_from_chinese_calendar)"

# New Year arrangements have reached back to 29 December (2019 notice). The whole last
# week of December is given to the next year's notice so such days are flagged, not guessed.
_DECEMBER_BRIDGE_FROM = 25
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_JSON_KEYS = {"source", "years", "holidays", "workdays", "overrides", "generator", "note"}


def notice_year(d: date) -> int:
    """The year whose State Council notice decides day ``d`` (25-31 Dec belong to the next year)."""
    return d.year + 1 if d.month == 12 and d.day >= _DECEMBER_BRIDGE_FROM else d.year


def local_date(value: date | datetime) -> date:
    """The Asia/Shanghai calendar day of ``value``; a naive datetime is taken as Shanghai local time."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return value.date()
        return value.astimezone(SHANGHAI).date()
    if isinstance(value, date):
        return value
    raise TypeError(f"expected a date or datetime, got {type(value).__name__}")


def _end_of_day(d: date) -> datetime:
    """24:00 of ``d`` in Shanghai, represented as the last microsecond before the next day."""
    return datetime.combine(d + timedelta(days=1), time(0), tzinfo=SHANGHAI) - timedelta(microseconds=1)


class DayKind(StrEnum):
    """Why a day is on or off, in order of precedence: override > make-up > holiday > weekday rule."""

    WORKDAY = "workday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"
    MAKEUP_WORKDAY = "makeup_workday"
    OVERRIDE_OFF = "override_off"
    OVERRIDE_WORKDAY = "override_workday"

    @property
    def is_working(self) -> bool:
        return self in (DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY, DayKind.OVERRIDE_WORKDAY)


@dataclass(frozen=True)
class UnknownYearWarningInfo:
    """Why a deadline is flagged: notice years without data, and the days decided by the
    weekend rule alone because of that. Wording is left to the UI."""

    years: tuple[int, ...]
    days: tuple[date, ...]
    latest_known_year: int | None

    def as_dict(self) -> dict[str, Any]:
        return {"years": list(self.years), "days": [d.isoformat() for d in self.days],
                "latest_known_year": self.latest_known_year}


@dataclass(frozen=True)
class DeadlineResult:
    """A computed time limit and the working it took, so the UI can show how it was counted.

    ``due_at`` is 24:00 of ``due_date`` (Civil Code art. 203) in Asia/Shanghai, represented
    as 23:59:59.999999 so it is still on ``due_date``: a case is overdue once ``now > due_at``.
    With ``days == 0`` ("on the spot", 当场办结) the due date is the start day itself.
    """

    start: date
    days: int
    due_date: date
    due_at: datetime
    counted: list[date]
    skipped: list[tuple[date, DayKind, str | None]]
    makeup_days: list[date]
    unknown_years: list[int]
    warning: UnknownYearWarningInfo | None = field(default=None, compare=False)
    unit: str = WORKING_DAYS

    @property
    def flagged(self) -> bool:
        return bool(self.unknown_years)

    def is_overdue(self, at: datetime) -> bool:
        """True once ``at`` (aware, or naive Shanghai local) is past 24:00 of the due day."""
        if at.tzinfo is None or at.utcoffset() is None:
            at = at.replace(tzinfo=SHANGHAI)
        return at > self.due_at

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "days": self.days,
            "due_date": self.due_date.isoformat(),
            "due_at": self.due_at.isoformat(),
            "counted": [d.isoformat() for d in self.counted],
            "skipped": [{"date": d.isoformat(), "kind": k.value, "name": n} for d, k, n in self.skipped],
            "makeup_days": [d.isoformat() for d in self.makeup_days],
            "unknown_years": list(self.unknown_years),
            "flagged": self.flagged,
            "warning": self.warning.as_dict() if self.warning else None,
            "unit": self.unit,
        }


def _check_days(mapping: Mapping[Any, Any], what: str) -> None:
    for d in mapping:
        if not isinstance(d, date) or isinstance(d, datetime):
            raise ValueError(f"{what}: key {d!r} is not a datetime.date")


def _check_names(mapping: Mapping[date, Any], what: str) -> None:
    for d, name in mapping.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{what}: {d.isoformat()} needs a non-empty name, got {name!r}")

_HHMM = re.compile(r"([0-9]{1,2}):([0-9]{2})")


@dataclass(frozen=True)
class WorkingHours:
    """The hours of a working day in which a working-hour limit counts (local Asia/Shanghai time).

    ``periods`` are ``(start, end)`` pairs in order that do not overlap, e.g. 09:00-12:00 and
    13:30-17:30. The core's default is a configurable portal setting (PORTAL_WORKING_HOURS), not
    any jurisdiction's rule; a jurisdiction declares its own through ``portal_working_hours``.
    """

    periods: tuple[tuple[time, time], ...]
    #: Where these hours come from (a jurisdiction's rule and its source, or the portal's setting).
    rule: str = ""
    rule_zh: str = ""

    def __post_init__(self) -> None:
        periods = tuple((a, b) for a, b in self.periods)
        if not periods:
            raise ValueError("working hours need at least one period")
        previous_end = None
        for a, b in periods:
            if not isinstance(a, time) or not isinstance(b, time) or a.tzinfo or b.tzinfo:
                raise ValueError("working hours are pairs of local (naive) datetime.time values")
            if a >= b:
                raise ValueError(f"working period {a:%H:%M}-{b:%H:%M} ends before it starts")
            if previous_end is not None and a < previous_end:
                raise ValueError(f"working period {a:%H:%M}-{b:%H:%M} overlaps or is out of order")
            previous_end = b
        object.__setattr__(self, "periods", periods)

    @classmethod
    def parse(cls, text: str, rule: str = "", rule_zh: str = "") -> "WorkingHours":
        """``"09:00-12:00,13:30-17:30"`` (the form of the PORTAL_WORKING_HOURS setting)."""
        periods = []
        for part in str(text).split(","):
            ends = part.strip().split("-")
            if len(ends) != 2:
                raise ValueError(f"working period {part.strip()!r} is not HH:MM-HH:MM")
            pair = []
            for end in ends:
                m = _HHMM.fullmatch(end.strip())
                if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
                    raise ValueError(f"{end.strip()!r} is not a time of day in HH:MM form")
                pair.append(time(int(m.group(1)), int(m.group(2))))
            periods.append(tuple(pair))
        return cls(tuple(periods), rule, rule_zh)

    def __str__(self) -> str:
        return ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in self.periods)

    @property
    def minutes_per_day(self) -> int:
        return sum((b.hour * 60 + b.minute) - (a.hour * 60 + a.minute) for a, b in self.periods)

    def spans(self, d: date) -> list[tuple[datetime, datetime]]:
        """The working periods of day ``d`` as aware Asia/Shanghai datetimes."""
        return [(datetime.combine(d, a, tzinfo=SHANGHAI), datetime.combine(d, b, tzinfo=SHANGHAI))
                for a, b in self.periods]


#: The portal's configurable default (PORTAL_WORKING_HOURS), used when a jurisdiction declares none.
DEFAULT_WORKING_HOURS = WorkingHours.parse("09:00-12:00,13:30-17:30", "Working hours: the portal's default setting",
                                           "工作时间：本平台默认设置")


def _shanghai(value: date | datetime) -> datetime:
    """An aware Asia/Shanghai datetime; a naive one is Shanghai local time, a date its midnight."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0), tzinfo=SHANGHAI)
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=SHANGHAI)
    return value.astimezone(SHANGHAI)


class WorkingCalendar:
    """National holiday data plus single-day overrides; immutable, so one instance can be shared.

    ``holidays``: days off with the holiday's name (weekend days inside a holiday period may
    be listed too). ``workdays``: make-up working days (Saturdays/Sundays only). ``years``:
    notice years with official data; other days fall back to the weekend rule and are
    flagged. ``overrides``: True = working, False = off, winning over everything else
    (a jurisdiction's local closure, an admin correction).
    """

    __slots__ = ("_holidays", "_workdays", "_years", "_overrides", "_override_names", "_source",
                 "_exc_ordinals", "_exc_prefix")

    def __init__(self, holidays: Mapping[date, str] | None = None,
                 workdays: Mapping[date, str] | None = None, years: Any = (),
                 overrides: Mapping[date, bool] | None = None,
                 override_names: Mapping[date, str] | None = None, source: str = "") -> None:
        holidays, workdays = dict(holidays or {}), dict(workdays or {})
        overrides, override_names = dict(overrides or {}), dict(override_names or {})
        years = list(years)
        for what, mapping in (("holidays", holidays), ("workdays", workdays),
                              ("overrides", overrides), ("override_names", override_names)):
            _check_days(mapping, what)
        _check_names(holidays, "holidays")
        _check_names(workdays, "workdays")
        _check_names(override_names, "override_names")
        for y in years:
            if isinstance(y, bool) or not isinstance(y, int) or not 1 <= y <= 9999:
                raise ValueError(f"years: {y!r} is not a year")
        if not isinstance(source, str):
            raise ValueError("source must be a string naming where the data comes from")
        both = sorted(set(holidays) & set(workdays))
        if both:
            raise ValueError(f"{both[0].isoformat()} is listed both as a holiday and as a make-up working day")
        for d in sorted(workdays):
            if d.weekday() < 5:
                raise ValueError(f"make-up working day {d.isoformat()} is a {d:%A}; "
                                 "only a Saturday or Sunday can be a make-up working day")
        year_set = frozenset(years)
        for d in sorted(set(holidays) | set(workdays)):
            if notice_year(d) not in year_set:
                raise ValueError(f"{d.isoformat()} belongs to the {notice_year(d)} notice, "
                                 f"which is not among the listed years")
        for d, working in overrides.items():
            if not isinstance(working, bool):
                raise ValueError(f"overrides: {d.isoformat()} must be true (working) or false (off), "
                                 f"got {working!r}")
        stray = sorted(set(override_names) - set(overrides))
        if stray:
            raise ValueError(f"override_names: {stray[0].isoformat()} has a name but no override")

        self._holidays = MappingProxyType(dict(sorted(holidays.items())))
        self._workdays = MappingProxyType(dict(sorted(workdays.items())))
        self._years = year_set
        self._overrides = MappingProxyType(dict(sorted(overrides.items())))
        self._override_names = MappingProxyType(dict(sorted(override_names.items())))
        self._source = source
        # Days whose status differs from the plain weekday rule, with prefix sums of the
        # difference, make working_days_between O(log n).
        exceptions = {}
        for d in set(holidays) | set(workdays) | set(overrides):
            working = self.is_working_day(d)
            if working != (d.weekday() < 5):
                exceptions[d.toordinal()] = 1 if working else -1
        self._exc_ordinals = sorted(exceptions)
        self._exc_prefix = [0, *accumulate(exceptions[o] for o in self._exc_ordinals)]

    # -- read-only views ------------------------------------------------------------------
    holidays = property(lambda self: self._holidays)
    workdays = property(lambda self: self._workdays)
    years = property(lambda self: self._years)
    overrides = property(lambda self: self._overrides)
    override_names = property(lambda self: self._override_names)
    source = property(lambda self: self._source)

    def __repr__(self) -> str:
        span = f"{min(self._years)}-{max(self._years)}" if self._years else "no years"
        return (f"<WorkingCalendar {span}, {len(self._holidays)} holidays, {len(self._workdays)} "
                f"make-up days, {len(self._overrides)} overrides>")

    # -- single days ----------------------------------------------------------------------
    def day_kind(self, d: date | datetime) -> DayKind:
        d = local_date(d)
        if d in self._overrides:
            return DayKind.OVERRIDE_WORKDAY if self._overrides[d] else DayKind.OVERRIDE_OFF
        if d in self._workdays:
            return DayKind.MAKEUP_WORKDAY
        if d in self._holidays:
            return DayKind.HOLIDAY
        return DayKind.WEEKEND if d.weekday() >= 5 else DayKind.WORKDAY

    def day_name(self, d: date | datetime) -> str | None:
        """The holiday (or override) name behind ``day_kind(d)``; None for ordinary days."""
        d = local_date(d)
        if d in self._overrides:
            return self._override_names.get(d)
        return self._workdays.get(d) or self._holidays.get(d)

    def is_working_day(self, d: date | datetime) -> bool:
        return self.day_kind(d).is_working

    def is_known_year(self, year: int) -> bool:
        """Whether the State Council notice for ``year`` is in the data."""
        return year in self._years

    def is_known_day(self, d: date | datetime) -> bool:
        """Whether ``d`` is decided by official data (its notice year is known) or an override."""
        d = local_date(d)
        return d in self._overrides or notice_year(d) in self._years

    # -- derived calendars ----------------------------------------------------------------
    def with_overrides(self, overrides: Mapping[date, bool],
                       names: Mapping[date, str] | None = None) -> WorkingCalendar:
        """A new calendar with single-day overrides layered on top (new ones win, names included)."""
        names = dict(names or {})
        merged_names = {d: n for d, n in self._override_names.items() if d not in overrides}
        merged_names.update(names)
        return WorkingCalendar(self._holidays, self._workdays, self._years,
                               {**self._overrides, **overrides}, merged_names, self._source)

    def with_year_data(self, holidays: Mapping[date, str], workdays: Mapping[date, str],
                       years: Any, source: str) -> WorkingCalendar:
        """A new calendar with the notices for ``years`` imported, replacing any data those
        notice years already had (so a corrected notice can be re-imported)."""
        years = set(years)
        keep = lambda m: {d: n for d, n in m.items() if notice_year(d) not in years}  # noqa: E731
        new_h, new_w = dict(holidays), dict(workdays)
        _check_days(new_h, "holidays")
        _check_days(new_w, "workdays")
        for d in sorted(set(new_h) | set(new_w)):
            if notice_year(d) not in years:
                raise ValueError(f"{d.isoformat()} belongs to the {notice_year(d)} notice, "
                                 f"which is not among the imported years")
        merged_source = self._source if source in self._source else "; ".join(
            s for s in (self._source, source) if s)
        return WorkingCalendar({**keep(self._holidays), **new_h}, {**keep(self._workdays), **new_w},
                               self._years | years, self._overrides, self._override_names,
                               merged_source)

    def merged_with(self, other: WorkingCalendar) -> WorkingCalendar:
        """Import another calendar's official years (its overrides are not taken)."""
        return self.with_year_data(other.holidays, other.workdays, other.years, other.source)

    # -- counting -------------------------------------------------------------------------
    def add_working_days(self, start: date | datetime, days: int) -> DeadlineResult:
        """The day on which ``days`` working days after ``start`` run out.

        The start day is never counted, whatever its kind (Civil Code art. 201), and the
        last counted day is always a working day, so art. 203's holiday extension is built
        in. ``days == 0`` means "on the spot": due at the end of the start day itself.
        """
        if isinstance(days, bool) or not isinstance(days, int):
            raise TypeError(f"days must be an int, got {days!r}")
        if days < 0:
            raise ValueError(f"days must not be negative, got {days}")
        start_day = local_date(start)
        counted: list[date] = []
        skipped: list[tuple[date, DayKind, str | None]] = []
        makeup: list[date] = []
        unverified: list[date] = []
        d = start_day
        while len(counted) < days:
            d += timedelta(days=1)
            kind = self.day_kind(d)
            if not self.is_known_day(d):
                unverified.append(d)
            if kind.is_working:
                counted.append(d)
                if kind is DayKind.MAKEUP_WORKDAY:
                    makeup.append(d)
            else:
                skipped.append((d, kind, self.day_name(d)))
        unknown = sorted({notice_year(x) for x in unverified})
        warning = None
        if unverified:
            warning = UnknownYearWarningInfo(tuple(unknown), tuple(unverified),
                                             max(self._years) if self._years else None)
        return DeadlineResult(start_day, days, d, _end_of_day(d), counted, skipped, makeup,
                              unknown, warning)

    def _working_days_upto(self, d: date) -> int:
        n = d.toordinal()  # ordinal 1 (0001-01-01) is a Monday
        return n // 7 * 5 + min(n % 7, 5) + self._exc_prefix[bisect_right(self._exc_ordinals, n)]

    def working_days_between(self, start: date | datetime, end: date | datetime) -> int:
        """Working days after ``start`` up to and including ``end`` (e.g. time to reply).

        Same counting as add_working_days; negative if ``end`` is before ``start`` (bad data
        stays visible instead of being clamped). Unknown years count weekends-only.
        """
        return self._working_days_upto(local_date(end)) - self._working_days_upto(local_date(start))

    def add_calendar_days(self, start: date | datetime, days: int) -> DeadlineResult:
        """The day on which ``days`` calendar days after ``start`` run out.

        Civil Code art. 201: the start day is not counted; art. 203: the period ends at 24:00 of
        its last day, and when that day is a statutory day off the period ends on the first
        working day after it. ``days == 0`` means on the spot (the start day itself).
        """
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise ValueError(f"days must be a whole number of at least 0, got {days!r}")
        start_day = local_date(start)
        last = start_day + timedelta(days=days)
        counted = [start_day + timedelta(days=i) for i in range(1, days + 1)]
        skipped: list[tuple[date, DayKind, str | None]] = []
        unverified = [d for d in counted if not self.is_known_day(d)]
        d = last
        while days and not self.is_working_day(d):  # art. 203: a last day off moves to the next working day
            skipped.append((d, self.day_kind(d), self.day_name(d)))
            d += timedelta(days=1)
            if not self.is_known_day(d):
                unverified.append(d)
        makeup = [x for x in counted if self.day_kind(x) is DayKind.MAKEUP_WORKDAY]
        return self._result(start_day, days, d, _end_of_day(d), counted, skipped, makeup, unverified,
                            CALENDAR_DAYS)

    def add_working_minutes(self, start: date | datetime, minutes: int,
                            hours: WorkingHours = DEFAULT_WORKING_HOURS) -> DeadlineResult:
        """The moment at which ``minutes`` of working time after ``start`` run out.

        Only time inside ``hours`` on working days counts (weekends and holidays skipped,
        make-up working days counted); time before the first period of a day starts counting at
        that period, time after the last one on the next working day. A limit that runs out at
        the end of a period is due then, not at the next period's start.
        """
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
            raise ValueError(f"minutes must be a whole number of at least 0, got {minutes!r}")
        begin = _shanghai(start)
        remaining = timedelta(minutes=minutes)
        counted: list[date] = []
        skipped: list[tuple[date, DayKind, str | None]] = []
        makeup: list[date] = []
        unverified: list[date] = []
        d, due = begin.date(), begin if not minutes else None
        while due is None:
            kind = self.day_kind(d)
            if not self.is_known_day(d):
                unverified.append(d)
            if not kind.is_working:
                skipped.append((d, kind, self.day_name(d)))
            else:
                for a, b in hours.spans(d):
                    frm = max(a, begin)
                    if frm >= b:
                        continue
                    if not counted or counted[-1] != d:
                        counted.append(d)
                        if kind is DayKind.MAKEUP_WORKDAY:
                            makeup.append(d)
                    if b - frm >= remaining:
                        due = frm + remaining
                        break
                    remaining -= b - frm
            d += timedelta(days=1)
        return self._result(begin.date(), minutes, due.date(), due, counted, skipped, makeup, unverified,
                            WORKING_HOURS)

    def add_working_hours(self, start: date | datetime, hours_count: int,
                          hours: WorkingHours = DEFAULT_WORKING_HOURS) -> DeadlineResult:
        """``hours_count`` working hours after ``start`` (see add_working_minutes); ``days`` of the
        result is the number of hours."""
        result = self.add_working_minutes(start, hours_count * 60, hours)
        return DeadlineResult(result.start, hours_count, result.due_date, result.due_at, result.counted,
                              result.skipped, result.makeup_days, result.unknown_years, result.warning,
                              WORKING_HOURS)

    def working_minutes_between(self, start: date | datetime, end: date | datetime,
                                hours: WorkingHours = DEFAULT_WORKING_HOURS) -> int:
        """Minutes of working time (``hours`` on working days) between two moments; 0 if ``end``
        is not after ``start``. Used for a paused working-hour clock."""
        a, b = _shanghai(start), _shanghai(end)
        total = timedelta(0)
        d = a.date()
        while a < b and d <= b.date():
            if self.is_working_day(d):
                for p, q in hours.spans(d):
                    lo, hi = max(p, a), min(q, b)
                    if hi > lo:
                        total += hi - lo
            d += timedelta(days=1)
        return int(total.total_seconds() // 60)

    def calendar_days_between(self, start: date | datetime, end: date | datetime) -> int:
        """Calendar days after ``start`` up to and including ``end`` (local Asia/Shanghai days)."""
        return (local_date(end) - local_date(start)).days

    def add_limit(self, start: date | datetime, amount: int, unit: str = WORKING_DAYS,
                  hours: WorkingHours = DEFAULT_WORKING_HOURS, extra_minutes: int = 0) -> DeadlineResult:
        """A time limit of ``amount`` in ``unit`` (working days, calendar days or working hours);
        ``extra_minutes`` of working time are added to a working-hour limit (a pause)."""
        if unit == WORKING_DAYS:
            return self.add_working_days(start, amount)
        if unit == CALENDAR_DAYS:
            return self.add_calendar_days(start, amount)
        if unit == WORKING_HOURS:
            result = self.add_working_minutes(start, amount * 60 + extra_minutes, hours)
            return DeadlineResult(result.start, amount, result.due_date, result.due_at, result.counted,
                                  result.skipped, result.makeup_days, result.unknown_years, result.warning,
                                  WORKING_HOURS)
        raise ValueError(f"unknown time-limit unit {unit!r}; use one of {', '.join(UNITS)}")

    def elapsed(self, start: date | datetime, end: date | datetime, unit: str = WORKING_DAYS,
                hours: WorkingHours = DEFAULT_WORKING_HOURS) -> int:
        """How much of ``unit`` passed between two moments: working or calendar days, or working
        *minutes* for working hours (a pause is added back to its clock in these amounts)."""
        if unit == WORKING_HOURS:
            return self.working_minutes_between(start, end, hours)
        if unit == CALENDAR_DAYS:
            return max(self.calendar_days_between(start, end), 0)
        return max(self.working_days_between(start, end), 0)

    def _result(self, start_day, amount, due_date, due_at, counted, skipped, makeup, unverified,
                unit) -> DeadlineResult:
        unknown = sorted({notice_year(x) for x in unverified})
        warning = None
        if unverified:
            warning = UnknownYearWarningInfo(tuple(unknown), tuple(sorted(set(unverified))),
                                             max(self._years) if self._years else None)
        return DeadlineResult(start_day, amount, due_date, due_at, counted, skipped, makeup, unknown,
                              warning, unit)

    # -- JSON -----------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "source": self._source,
            "years": sorted(self._years),
            "holidays": {d.isoformat(): n for d, n in self._holidays.items()},
            "workdays": {d.isoformat(): n for d, n in self._workdays.items()},
        }
        if self._overrides:
            data["overrides"] = {d.isoformat(): {"working": w, "name": self._override_names.get(d)}
                                 for d, w in self._overrides.items()}
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | str | os.PathLike[str]) -> WorkingCalendar:
        """Build from the ``to_json()`` form or a path to such a file; ValueError says what is wrong."""
        if isinstance(data, (str, os.PathLike)):
            try:
                with open(data, encoding="utf-8") as fh:
                    data = json.load(fh)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{os.fspath(data)}: not valid JSON ({exc})") from None
        if not isinstance(data, Mapping):
            raise ValueError("calendar data must be a JSON object")
        unknown_keys = sorted(set(data) - _JSON_KEYS)
        if unknown_keys:
            raise ValueError(f"unknown key(s) in calendar data: {', '.join(map(str, unknown_keys))}")
        for key in ("source", "years", "holidays", "workdays"):
            if key not in data:
                raise ValueError(f"calendar data is missing {key!r}")
        source = data["source"]
        if not isinstance(source, str) or not source.strip():
            raise ValueError("'source' must name where the data comes from")
        if not isinstance(data["years"], list):
            raise ValueError("'years' must be a list of years")
        overrides, names = {}, {}
        for d_text, entry in _json_object(data.get("overrides", {}), "overrides").items():
            d = _parse_day(d_text, "overrides")
            if not isinstance(entry, Mapping) or set(entry) - {"working", "name"} or "working" not in entry:
                raise ValueError(f"overrides: {d_text} must be {{\"working\": true|false, \"name\": ...}}")
            overrides[d] = entry["working"]
            if entry.get("name") is not None:
                names[d] = entry["name"]
        return cls(_parse_named_days(data["holidays"], "holidays"),
                   _parse_named_days(data["workdays"], "workdays"),
                   data["years"], overrides, names, source)


def _json_object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"'{what}' must be an object mapping YYYY-MM-DD to a value")
    return value


def _parse_day(text: Any, what: str) -> date:
    if not isinstance(text, str) or not _ISO_DAY.fullmatch(text):
        raise ValueError(f"{what}: {text!r} is not a date in YYYY-MM-DD form")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{what}: {text!r} is not a real date") from None


def _parse_named_days(value: Any, what: str) -> dict[date, str]:
    return {_parse_day(k, what): n for k, n in _json_object(value, what).items()}


@cache
def builtin_calendar() -> WorkingCalendar:
    """The shipped national calendar, loaded once (it is immutable, so sharing is safe)."""
    return WorkingCalendar.from_json(DATA_PATH)


def is_working_day(d: date | datetime, calendar: WorkingCalendar | None = None) -> bool:
    return (calendar or builtin_calendar()).is_working_day(d)


def add_working_days(start: date | datetime, days: int,
                     calendar: WorkingCalendar | None = None) -> DeadlineResult:
    return (calendar or builtin_calendar()).add_working_days(start, days)


def working_days_between(start: date | datetime, end: date | datetime,
                         calendar: WorkingCalendar | None = None) -> int:
    return (calendar or builtin_calendar()).working_days_between(start, end)


def build_data_from_chinese_calendar() -> dict[str, Any]:
    """Regenerate the shipped JSON from the ``chinesecalendar`` package (every year it covers)."""
    from importlib.metadata import version

    from chinese_calendar import constants

    first = min(constants.holidays).year
    last = max(constants.holidays).year
    cal = WorkingCalendar(
        {d: str(n) for d, n in constants.holidays.items()},
        {d: str(n) for d, n in constants.workdays.items()},
        range(first, last + 1),
        source=SOURCE_TEMPLATE.format(version=version("chinesecalendar")),
    )
    return {**cal.to_json(), "generator": GENERATOR}


def write_data(path: str | os.PathLike[str] = DATA_PATH) -> Path:
    path = Path(path)
    text = json.dumps(build_data_from_chinese_calendar(), ensure_ascii=False, indent=1)
    path.write_text(text + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":  # python -m portal.workdays [PATH]
    print(f"wrote {write_data(*sys.argv[1:2])}")
