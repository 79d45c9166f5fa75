"""The monthly report the seeds describe, computed from the cases of one jurisdiction and month.

Xuanwu (seed 001) summarises every month the most reported matters, windows and
situations with their causes; the national rules score departments on response,
completion and satisfaction; Xuanwu keeps staff and department accountability records.
On time means every stage deadline (stored, counted in working days by
``portal.workdays``) was met; time to reply is counted in the same working days.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..workdays import SHANGHAI
from ..engine.jurisdiction_calendars import calendar_for
from ..extensions import db
from ..i18n import pick
from ..models import AccountabilityRecord, Case, GuideCorrection, Jurisdiction
from ..models.knowledge import correction_case

TOP = 10


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """The month as Shanghai wall-clock time, returned in UTC for the query."""
    start = datetime.combine(date(year, month, 1), time(0), tzinfo=SHANGHAI)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    end = datetime.combine(nxt, time(0), tzinfo=SHANGHAI)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


@dataclass
class Performance:
    """One department's figures (or the total): the national 好差评 and 12345 measures."""

    name: str
    received: int = 0
    on_time: int = 0
    overdue: int = 0
    completed: int = 0
    rated: int = 0
    satisfied: int = 0
    reply_days: list[int] = field(default_factory=list)

    @property
    def completion_rate(self) -> float | None:
        return self.completed / self.received if self.received else None

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.rated if self.rated else None

    @property
    def on_time_rate(self) -> float | None:
        decided = self.on_time + self.overdue
        return self.on_time / decided if decided else None

    @property
    def average_reply_days(self) -> float | None:
        return sum(self.reply_days) / len(self.reply_days) if self.reply_days else None


@dataclass
class Situation:
    code: str
    name: str
    count: int
    handling: str
    causes: list[str]


@dataclass
class MonthReport:
    jurisdictions: list[Jurisdiction]
    year: int
    month: int
    total: int
    matters: list[tuple[str, int]]
    windows: list[tuple[str, int]]
    channels: list[tuple[str, int]]
    situations: list[Situation]
    departments: list[Performance]
    totals: Performance
    accountability: list[AccountabilityRecord]


def _hooks(code: str):
    return current_app.extensions["portal_plugins"].for_jurisdiction(code)


def timeliness(case: Case, now: datetime) -> str:
    """'on_time', 'overdue' or 'open' from the stored stage deadlines (superseded rows skipped)."""
    rows = [d for d in case.deadlines if not d.superseded]
    if not rows:
        return "open"
    for d in rows:
        if d.met_at is not None and d.met_at > d.due_at:
            return "overdue"
        if d.met_at is None and d.active and case.paused_at is None and now > d.due_at:
            return "overdue"
    return "on_time" if all(d.met_at is not None for d in rows) else "open"


def satisfaction(case: Case) -> int | None:
    """The latest word from the person: a rating or the return visit's satisfaction."""
    marks = [(r.at, r.level) for r in case.ratings] + [(v.at, v.satisfaction) for v in case.visits]
    return max(marks)[1] if marks else None


def month_report(j: Jurisdiction, year: int, month: int, *, subtree: bool = False,
                 now: datetime | None = None) -> MonthReport:
    now = now or datetime.now(timezone.utc)
    ids = sorted(j.subtree_ids()) if subtree else [j.id]
    js = db.session.scalars(select(Jurisdiction).where(Jurisdiction.id.in_(ids)).order_by(Jurisdiction.id)).all()
    start, end = month_bounds(year, month)
    cases = db.session.scalars(
        select(Case).where(Case.jurisdiction_id.in_(ids), Case.received_at >= start, Case.received_at < end)
        .options(joinedload(Case.lead_department), joinedload(Case.window), joinedload(Case.jurisdiction),
                 selectinload(Case.deadlines), selectinload(Case.ratings), selectinload(Case.visits))
        .order_by(Case.id)
    ).all()
    workflows = {x.code: _hooks(x.code).portal_workflow() for x in js}
    calendars = {x.code: calendar_for(x) for x in js}
    categories, channels_named = {}, {}
    for x in js:
        for c in _hooks(x.code).portal_categories():
            categories.setdefault(c.code, c)
        for ch in _hooks(x.code).portal_intake_channels() or ():
            channels_named.setdefault(ch.code, pick(ch, "name"))

    totals = Performance(_("All departments"))
    by_dept: dict[str, Performance] = {}
    for case in cases:
        name = pick(case.lead_department, "name") if case.lead_department else _("Not assigned yet")
        for perf in (by_dept.setdefault(name, Performance(name)), totals):
            perf.received += 1
            t = timeliness(case, now)
            perf.on_time += t == "on_time"
            perf.overdue += t == "overdue"
            wf = workflows[case.jurisdiction.code]
            try:
                perf.completed += bool(wf.state(case.state).done)
            except KeyError:
                pass
            level = satisfaction(case)
            if level is not None:
                perf.rated += 1
                perf.satisfied += level >= 3
            if case.replied_at is not None:
                perf.reply_days.append(
                    calendars[case.jurisdiction.code].working_days_between(case.received_at, case.replied_at))

    matters = Counter(case.matter for case in cases).most_common(TOP)
    windows = Counter(pick(case.window, "name") for case in cases if case.window).most_common(TOP)
    channels = [(channels_named.get(k, k), n) for k, n in Counter(case.channel for case in cases).most_common()]
    return MonthReport(
        jurisdictions=js, year=year, month=month, total=len(cases), matters=matters, windows=windows,
        channels=channels, situations=_situations(cases, categories),
        departments=sorted(by_dept.values(), key=lambda p: (-p.received, p.name)), totals=totals,
        accountability=db.session.scalars(
            select(AccountabilityRecord).where(AccountabilityRecord.jurisdiction_id.in_(ids),
                                               AccountabilityRecord.at >= start, AccountabilityRecord.at < end)
            .options(joinedload(AccountabilityRecord.staff), joinedload(AccountabilityRecord.department))
            .order_by(AccountabilityRecord.at)).all(),
    )


def _situations(cases: list[Case], categories: dict) -> list[Situation]:
    """Categories by count, each with the causes staff recorded on corrections from those cases."""
    counts = Counter(case.category or "" for case in cases)
    causes: dict[str, Counter] = defaultdict(Counter)
    ids = {case.id: case.category or "" for case in cases}
    if ids:
        rows = db.session.execute(
            select(correction_case.c.case_id, GuideCorrection.cause)
            .join(GuideCorrection, GuideCorrection.id == correction_case.c.correction_id)
            .where(correction_case.c.case_id.in_(list(ids)))).all()
        for case_id, cause in rows:
            if cause:
                causes[ids[case_id]][cause.strip()] += 1
    out = []
    for code, n in counts.most_common():
        cat = categories.get(code)
        name = pick(cat, "name") if cat else (code or _("Not classified yet"))
        handling = (pick(cat, "handling") if cat else "") or ""
        out.append(Situation(code, name, n, handling, [c for c, _n in causes[code].most_common(3)]))
    return out
