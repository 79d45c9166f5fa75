"""Reading the figures: a few small SUM queries over the roll-ups, never over the cases.

A rate over fewer than ``MIN_DENOMINATOR`` cases is not turned into a percentage: its
numerator and denominator are always given, the percentage (and any average or median)
only from ``MIN_DENOMINATOR`` up, so that "1 of 1" is never read as "100%".
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping

from flask import current_app
from sqlalchemy import bindparam, select, text

from ..extensions import db
from ..models import Department, Jurisdiction
from ..models.stats import COUNTERS, RATING_LEVELS, REPLY_DAY_BUCKETS
from ..plugins import PluginError
from .facts import ALL_TIME, SATISFIED_LEVELS

MIN_DENOMINATOR = 5
OPEN_BUCKET = REPLY_DAY_BUCKETS - 1  # "31 working days or more"


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def shown(self) -> bool:
        return self.denominator >= MIN_DENOMINATOR

    @property
    def percent(self) -> float | None:
        if not self.shown:
            return None
        return round(100.0 * self.numerator / self.denominator, 1)

    def as_dict(self) -> dict:
        return {"numerator": self.numerator, "denominator": self.denominator, "percent": self.percent}


@dataclass(frozen=True)
class Median:
    """Median working days to reply, from the histogram; ``value`` only from MIN_DENOMINATOR replies."""

    raw: float | None
    count: int
    open_ended: bool  # the median lies in the "31 or more" bucket

    @property
    def shown(self) -> bool:
        return self.count >= MIN_DENOMINATOR

    @property
    def value(self) -> float | None:
        return self.raw if self.shown else None

    @property
    def more_than_max(self) -> bool:
        return self.shown and self.open_ended

    def as_dict(self) -> dict:
        value = self.value
        if value is not None and float(value).is_integer():
            value = int(value)
        return {"value": None if self.more_than_max else value, "replies": self.count,
                "more_than": OPEN_BUCKET - 1 if self.more_than_max else None}


def median_of(histogram: list[int]) -> Median:
    n = sum(histogram)
    if n == 0:
        return Median(None, 0, False)
    positions = ((n - 1) // 2, n // 2)  # 0-based ranks of the middle value(s)
    values, seen = [], 0
    for days, count in enumerate(histogram):
        while len(values) < 2 and positions[len(values)] < seen + count:
            values.append(days)
        seen += count
        if len(values) == 2:
            break
    open_ended = OPEN_BUCKET in values
    return Median(OPEN_BUCKET if open_ended else (values[0] + values[1]) / 2, n, open_ended)


class Tally:
    """Summed counters of some buckets, and the figures derived from them."""

    __slots__ = ("counts",)

    def __init__(self, counts: Mapping[str, int] | None = None):
        self.counts = {k: int((counts or {}).get(k) or 0) for k in COUNTERS}

    def __add__(self, other: "Tally") -> "Tally":
        return Tally({k: self.counts[k] + other.counts[k] for k in COUNTERS})

    def __getattr__(self, name):
        try:
            return self.counts[name]
        except KeyError:
            raise AttributeError(name) from None

    @classmethod
    def total(cls, tallies: Iterable["Tally"]) -> "Tally":
        out = cls()
        for t in tallies:
            out = out + t
        return out

    @property
    def response_rate(self) -> Rate:
        return Rate(self.counts["responded"], self.counts["received"])

    @property
    def on_time_rate(self) -> Rate:
        return Rate(self.counts["on_time"], self.counts["deadline_closed"])

    @property
    def completion_rate(self) -> Rate:
        return Rate(self.counts["completed"], self.counts["received"])

    @property
    def satisfaction_rate(self) -> Rate:
        return Rate(sum(self.counts[f"rating_{lvl}"] for lvl in SATISFIED_LEVELS), self.counts["rated"])

    @property
    def ratings(self) -> dict[int, int]:
        return {lvl: self.counts[f"rating_{lvl}"] for lvl in sorted(RATING_LEVELS, reverse=True)}

    @property
    def average_rating(self) -> float | None:
        n = self.counts["rated"]
        if n < MIN_DENOMINATOR:
            return None
        return round(sum(lvl * c for lvl, c in self.ratings.items()) / n, 2)

    @property
    def histogram(self) -> list[int]:
        return [self.counts[f"reply_days_{i}"] for i in range(REPLY_DAY_BUCKETS)]

    @property
    def median_reply(self) -> Median:
        return median_of(self.histogram)

    def as_dict(self, screened: bool = True, histogram: bool = True) -> dict:
        out = {"received": self.counts["received"]}
        if screened:
            out["screened_out"] = self.counts["screened"]
        out.update({
            "responded": self.response_rate.as_dict(),
            "referred": self.counts["referred"],
            "on_time": self.on_time_rate.as_dict(),
            "completed": self.completion_rate.as_dict(),
            "satisfied": self.satisfaction_rate.as_dict(),
            "average_rating": self.average_rating,
            "ratings": {str(k): v for k, v in self.ratings.items()},
            "bad_ratings": self.counts["bad_ratings"],
            "median_working_days_to_reply": self.median_reply.as_dict(),
        })
        if histogram:
            out["working_days_to_reply"] = {
                (str(i) if i < OPEN_BUCKET else f"{OPEN_BUCKET}+"): n for i, n in enumerate(self.histogram)}
        return out


@dataclass
class Group:
    """A row of a breakdown: a category, a department or a jurisdiction (subtree)."""

    code: str
    name_zh: str
    name_en: str
    tally: Tally
    parent_zh: str = ""  # a department's jurisdiction, when the page covers several
    parent_en: str = ""
    own_level: bool = False  # a jurisdiction's own cases, without its subdivisions
    with_subdivisions: bool = False
    link: str | None = None  # jurisdiction code of a transparency page of its own


@dataclass
class Report:
    jurisdiction: Jurisdiction | None
    scope_codes: list[str]
    year: int | None
    years: list[int]
    months: list[tuple[int, Tally]]  # the period's months, oldest first, gaps filled with zeros
    totals: Tally
    by_category: list[Group] = field(default_factory=list)
    by_department: list[Group] = field(default_factory=list)
    by_jurisdiction: list[Group] = field(default_factory=list)

    @property
    def first_month(self) -> int | None:
        return self.months[0][0] if self.months else None

    @property
    def last_month(self) -> int | None:
        return self.months[-1][0] if self.months else None


# -- queries ------------------------------------------------------------------------------------
# Built once: three plain statements (compiling 47 SUM columns per request cost more than running them).
_SUMS = ", ".join(f"SUM({k}) AS {k}" for k in COUNTERS)
_IDS = bindparam("ids", expanding=True)
_PERIODS = text(f"SELECT period, {_SUMS} FROM stats_month WHERE jurisdiction_id IN :ids AND dim = 'all' "
                "GROUP BY period").bindparams(_IDS)
_GROUPS = text(f"SELECT dim, bucket, {_SUMS} FROM stats_month WHERE jurisdiction_id IN :ids "
               "AND dim IN ('category', 'department') AND period = :period GROUP BY dim, bucket").bindparams(_IDS)
_OWN = text(f"SELECT jurisdiction_id, {_SUMS} FROM stats_month WHERE jurisdiction_id IN :ids AND dim = 'all' "
            "AND period = :period GROUP BY jurisdiction_id").bindparams(_IDS)


def _tally(row, offset: int) -> Tally:
    """A Tally from SUM columns (never NULL: every summed column is NOT NULL)."""
    t = Tally.__new__(Tally)
    t.counts = dict(zip(COUNTERS, row[offset:]))
    return t


def _month_range(first: int, last: int) -> list[int]:
    out, y, m = [], first // 100, first % 100
    while y * 100 + m <= last:
        out.append(y * 100 + m)
        m += 1
        if m == 13:
            y, m = y + 1, 1
    return out


def subtree_codes(root: Jurisdiction | None, js: list[Jurisdiction]) -> list[Jurisdiction]:
    """``root`` and its descendants among ``js`` (all of ``js`` for the overall figures)."""
    if root is None:
        return list(js)
    by_parent: dict[int | None, list[Jurisdiction]] = {}
    for j in js:
        by_parent.setdefault(j.parent_id, []).append(j)
    out, todo = [], [root]
    while todo:
        j = todo.pop(0)
        out.append(j)
        todo.extend(by_parent.get(j.id, ()))
    return out


_STAMPS = text("SELECT jurisdiction_id, version FROM stats_month WHERE jurisdiction_id IN :ids AND dim = 'all' "
               "AND period = 0 AND bucket = ''").bindparams(_IDS)
#: Reports kept per process (and app) while the roll-ups they were built from are unchanged.
CACHE_SIZE = 128
#: Names of departments and categories are not versioned: a cached report is rebuilt after this.
CACHE_SECONDS = 300.0


def report_for(root: Jurisdiction | None, enabled: list[Jurisdiction], year: int | None = None) -> Report:
    """``build_report``, reused while no roll-up row of the scope has changed since.

    Every change to a jurisdiction's roll-ups raises the ``version`` of its all-time row
    (portal/stats/rollup.py) and rebuild() raises them all, so one indexed read of a few
    rows tells whether an earlier report is still exact. The stamp is read before the
    report is built: a change committed in between only makes the next request rebuild.
    ``PORTAL_STATS_CACHE = False`` in the app config turns the reuse off."""
    if not current_app.config.get("PORTAL_STATS_CACHE", True):
        return build_report(root, enabled, year)
    ids = tuple(j.id for j in subtree_codes(root, enabled))
    cache = current_app.extensions.get("portal_stats_reports")
    if cache is None:
        cache = current_app.extensions.setdefault("portal_stats_reports", _ReportCache())
    key = (ids, year)
    stamp = tuple(sorted(tuple(r) for r in db.session.execute(_STAMPS, {"ids": list(ids)}).all())) if ids else ()
    report = cache.get(key, stamp)
    if report is not None:
        return replace(report, jurisdiction=root)
    report = build_report(root, enabled, year)
    cache.put(key, stamp, report)
    return report


class _ReportCache:
    """A small LRU of reports with the stamp they were built under (thread-safe)."""

    def __init__(self):
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, stamp) -> Report | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is None or hit[0] != stamp or time.monotonic() - hit[1] >= CACHE_SECONDS:
                return None
            self._items.move_to_end(key)
            return hit[2]

    def put(self, key, stamp, report: Report) -> None:
        with self._lock:
            self._items[key] = (stamp, time.monotonic(), report)
            self._items.move_to_end(key)
            while len(self._items) > CACHE_SIZE:
                self._items.popitem(last=False)


def build_report(root: Jurisdiction | None, enabled: list[Jurisdiction], year: int | None = None) -> Report:
    """All figures of one page: ``root`` and its subtree (None = every enabled jurisdiction).

    Three small queries: the ``all`` rows of every period (months, years, all time) summed
    over the scope; the category and department rows of the chosen period; and the chosen
    period's ``all`` row of each jurisdiction in scope. A page reads a few hundred rows
    however many cases there are."""
    scope = subtree_codes(root, enabled)
    ids = [j.id for j in scope]
    rows = db.session.execute(_PERIODS, {"ids": ids}).all() if ids else []
    by_period = {r[0]: _tally(r, 1) for r in rows}
    monthly = {p: t for p, t in by_period.items() if p % 100 and (t.received or t.screened)}
    years = sorted({p // 100 for p, t in by_period.items() if p and not p % 100 and (t.received or t.screened)},
                   reverse=True)
    period = ALL_TIME if year is None else year * 100
    active = [m for m in monthly if year is None or m // 100 == year]
    months = [(m, monthly.get(m) or Tally()) for m in _month_range(min(active), max(active))] if active else []
    totals = by_period.get(period) or Tally()

    report = Report(jurisdiction=root, scope_codes=[j.code for j in scope], year=year, years=years,
                    months=months, totals=totals)
    if not active:
        return report
    groups = db.session.execute(_GROUPS, {"ids": ids, "period": period}).all()
    cats = _category_names(scope)
    dept_ids = [int(r[1]) for r in groups if r[0] == "department" and r[1].isdigit()]
    depts = {d.id: d for d in db.session.execute(
        select(Department.id, Department.jurisdiction_id, Department.name_zh, Department.name_en)
        .where(Department.id.in_(dept_ids)))} if dept_ids else {}
    js_by_id = {j.id: j for j in enabled}
    for r in groups:
        dim, bucket, t = r[0], r[1], _tally(r, 2)
        if not t.received:
            continue
        if dim == "category":
            zh, en = cats.get(bucket, (bucket, bucket)) if bucket else ("", "")
            report.by_category.append(Group(bucket, zh, en, t))
        else:
            d = depts.get(int(bucket)) if bucket.isdigit() else None
            if d is None:
                report.by_department.append(Group("", "", "", t))
            else:
                j = js_by_id.get(d.jurisdiction_id)
                report.by_department.append(Group(
                    bucket, d.name_zh, d.name_en, t,
                    parent_zh=j.name_zh if j is not None and len(scope) > 1 else "",
                    parent_en=j.name_en if j is not None and len(scope) > 1 else ""))
    report.by_category.sort(key=lambda g: (g.code == "", -g.tally.received, g.code))
    report.by_department.sort(key=lambda g: (g.code == "", -g.tally.received, g.name_zh))
    report.by_jurisdiction = _by_jurisdiction(root, scope, ids, period)
    return report


def _by_jurisdiction(root, scope, ids, period) -> list[Group]:
    """Direct children of ``root`` (top-level jurisdictions overall), each with its subtree."""
    ids_in_scope = {j.id for j in scope}
    if root is None:
        heads = [j for j in scope if j.parent_id not in ids_in_scope]
    else:
        heads = [j for j in scope if j.parent_id == root.id]
    if not heads or (root is None and len(heads) < 2 and len(scope) < 2):
        return []
    own = {r[0]: _tally(r, 1) for r in db.session.execute(_OWN, {"ids": ids, "period": period}).all()}
    out = []
    if root is not None:
        out.append(Group(root.code, root.name_zh, root.name_en, own.get(root.id) or Tally(), own_level=True))
    for head in heads:
        sub = subtree_codes(head, scope)
        out.append(Group(head.code, head.name_zh, head.name_en,
                         Tally.total(own.get(j.id) or Tally() for j in sub),
                         with_subdivisions=len(sub) > 1, link=head.code))
    return out


def _category_names(scope: list[Jurisdiction]) -> dict[str, tuple[str, str]]:
    host = current_app.extensions["portal_plugins"]
    names: dict[str, tuple[str, str]] = {}
    for j in scope:
        try:
            cats = host.for_jurisdiction(j.code).portal_categories() or ()
        except PluginError:  # a jurisdiction whose plugin is gone: codes stay as they are
            continue
        for cat in cats:
            names.setdefault(cat.code, (cat.name_zh, cat.name_en))
    return names


def month_label(month: int) -> str:
    return f"{month // 100:04d}-{month % 100:02d}"
