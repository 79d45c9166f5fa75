"""What one case contributes to the transparency figures, as a pure function of its state.

Both paths use these rules: the engine (one case, from the ORM objects it has just
changed) and ``rebuild()`` (every case, from bulk queries). Everything a case counts
for is attributed to the Asia/Shanghai calendar month in which it was received.

* responded: the case has had a reply or a referral (the actions that answer the person).
* reply days: working days (the jurisdiction's calendar) from receipt to the first answer.
* on time: every clock that ran on the case (each named deadline: first response, reply,
  rectification...; every run of it, in its final form after pauses, extensions and
  classification) that has closed was met with ``met_at <= due_at``; a case counts once one
  of its clock runs has closed, and a clock still running counts when it closes (so a case
  met in time so far drops out of "on time" if a later clock, e.g. a rectification, is late).
* completed: the case is now in a state its jurisdiction's workflow marks ``done``.
* rating: the latest rating of the case (5..1); bad ratings (2 and 1) are also counted
  one by one, so that a rectified and re-rated case does not hide them.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from ..workdays import SHANGHAI
from ..models.stats import REPLY_DAY_BUCKETS

#: Actions that answer the person (the engine sets ``replied_at`` for exactly these).
RESPONSE_ACTIONS = ("reply", "refer")
SATISFIED_LEVELS = (5, 4, 3)  # 非常满意, 满意, 基本满意
BAD_LEVELS = (2, 1)

Bucket = tuple[int, int, str, str]  # (jurisdiction_id, period, dim, bucket)
ALL_TIME = 0


def periods_of(month: int) -> tuple[int, int, int]:
    """The periods a month counts in: itself (yyyymm), its year (yyyy00) and all time (0)."""
    return (month, month // 100 * 100, ALL_TIME)


def month_of(at: datetime) -> int:
    """yyyymm of the Asia/Shanghai calendar month of an aware datetime."""
    local = at.astimezone(SHANGHAI)
    return local.year * 100 + local.month


def reply_bucket(days: int) -> int:
    return min(max(days, 0), REPLY_DAY_BUCKETS - 1)


def buckets_of(jurisdiction_id: int, month: int, category: str, department_id: int | None) -> tuple[Bucket, ...]:
    """Every stats_month row a case with these keys counts in (3 periods x 3 breakdowns)."""
    dims = (("all", ""), ("category", category or ""),
            ("department", str(department_id) if department_id else ""))
    return tuple((jurisdiction_id, p, dim, key) for p in periods_of(month) for dim, key in dims)


@dataclass(frozen=True)
class Facts:
    """One case's contribution. No personal data: nothing here identifies anyone."""

    jurisdiction_id: int
    month: int
    category: str = ""
    department_id: int | None = None
    responded: bool = False
    referred: bool = False
    completed: bool = False
    deadline_closed: bool = False
    on_time: bool = False
    rating: int = 0
    bad_ratings: int = 0
    reply_days: int | None = None

    def buckets(self) -> tuple[Bucket, ...]:
        return buckets_of(self.jurisdiction_id, self.month, self.category, self.department_id)

    def counters(self) -> dict[str, int]:
        c = {"received": 1}
        for name in ("responded", "referred", "completed", "deadline_closed", "on_time"):
            if getattr(self, name):
                c[name] = 1
        if self.rating:
            c["rated"] = 1
            c[f"rating_{self.rating}"] = 1
        if self.bad_ratings:
            c["bad_ratings"] = self.bad_ratings
        if self.reply_days is not None:
            c[f"reply_days_{reply_bucket(self.reply_days)}"] = 1
        return c

    def as_row(self, case_id: int) -> dict:
        return {"case_id": case_id, "jurisdiction_id": self.jurisdiction_id, "month": self.month,
                "category": self.category or "", "department_id": self.department_id,
                "responded": self.responded, "referred": self.referred, "completed": self.completed,
                "deadline_closed": self.deadline_closed, "on_time": self.on_time,
                "rating": self.rating, "bad_ratings": self.bad_ratings, "reply_days": self.reply_days}

    @classmethod
    def from_row(cls, row) -> "Facts":
        m = row._mapping
        return cls(jurisdiction_id=m["jurisdiction_id"], month=m["month"], category=m["category"] or "",
                   department_id=m["department_id"], responded=bool(m["responded"]),
                   referred=bool(m["referred"]), completed=bool(m["completed"]),
                   deadline_closed=bool(m["deadline_closed"]), on_time=bool(m["on_time"]),
                   rating=m["rating"] or 0, bad_ratings=m["bad_ratings"] or 0, reply_days=m["reply_days"])


def compute(*, jurisdiction_id: int, received_at: datetime, category: str | None,
            department_id: int | None, state: str, outcome: str | None, done_states: frozenset[str],
            first_response_at: datetime | None, clocks: tuple[bool, bool] | None,
            ratings: Iterable[int], calendar) -> Facts:
    """The one rule both paths share. ``clocks`` is ``(all closed, all met in time)`` from
    ``clocks_outcome``; ``ratings`` are the case's rating levels in the order they were given."""
    levels = list(ratings)
    closed, in_time = clocks if clocks else (False, False)
    reply_days = None
    if first_response_at is not None:
        reply_days = calendar.working_days_between(received_at, first_response_at)
    return Facts(
        jurisdiction_id=jurisdiction_id,
        month=month_of(received_at),
        category=category or "",
        department_id=department_id or None,
        responded=first_response_at is not None,
        referred=(outcome or "") == "referred",
        completed=state in done_states,
        deadline_closed=closed,
        on_time=closed and in_time,
        rating=levels[-1] if levels else 0,
        bad_ratings=sum(1 for lvl in levels if lvl in BAD_LEVELS),
        reply_days=reply_days,
    )


def clocks_outcome(rows: Iterable) -> tuple[bool, bool] | None:
    """(a clock run has closed, every closed run was met in time) over the final form of each
    clock run (superseded rows ignored); None when no clock ever ran.

    ``rows`` have ``superseded``, ``met_at`` and ``due_at``."""
    live = [d for d in rows if not d.superseded]
    if not live:
        return None
    closed = any(d.met_at is not None for d in live)
    return (closed, all(d.met_at <= d.due_at for d in live if d.met_at is not None))


def delta(old: Facts | None, new: Facts | None) -> dict[Bucket, Counter]:
    """What to add to each bucket to move a case from ``old`` to ``new`` (zeros dropped)."""
    out: dict[Bucket, Counter] = {}
    for facts, sign in ((old, -1), (new, 1)):
        if facts is None:
            continue
        counters = facts.counters()
        for b in facts.buckets():
            acc = out.setdefault(b, Counter())
            for name, n in counters.items():
                acc[name] += sign * n
    return {b: Counter({k: v for k, v in c.items() if v}) for b, c in out.items()
            if any(c.values())}
