"""Roll-ups behind the transparency pages, maintained as cases change (see portal/stats).

``stats_case`` holds what each case currently contributes to the figures (no personal
data: month, category, department and a few flags), so that every engine action can
move a case's contribution from its old buckets to its new ones.

``stats_month`` holds the sums: one row per own jurisdiction (subtrees are summed when
read), period and breakdown bucket. ``period`` is the Asia/Shanghai calendar month of
receipt as ``yyyymm``, and the same counters are also kept per year (``yyyy00``) and for
all time (``0``), so that a page reads a few hundred rows whatever the number of cases.
``dim`` is ``all`` (bucket ``''``), ``category`` (bucket = category code, ``''`` = not
classified) or ``department`` (bucket = lead department id, ``''`` = not assigned).
Counters only, so a change is an atomic ``n = n + delta`` on both databases. The primary
key's order (jurisdiction, dim, period, bucket) lets every read of a page use its prefix.
"""
from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table

from ..extensions import db

#: Working days to reply are kept as a histogram 0..30, the last bucket meaning 31 or more.
REPLY_DAY_BUCKETS = 32
RATING_LEVELS = (1, 2, 3, 4, 5)

#: Every counter of ``stats_month``, in display order.
COUNTERS: tuple[str, ...] = (
    "received",
    "screened",
    "responded",
    "referred",
    "completed",
    "deadline_closed",
    "on_time",
    "rated",
    *(f"rating_{lvl}" for lvl in RATING_LEVELS),
    "bad_ratings",
    *(f"reply_days_{i}" for i in range(REPLY_DAY_BUCKETS)),
)


def _counter(name: str) -> Column:
    return Column(name, Integer, nullable=False, default=0, server_default="0")


stats_month = Table(
    "stats_month",
    db.metadata,
    Column("jurisdiction_id", ForeignKey("jurisdiction.id"), primary_key=True),
    Column("dim", String(12), primary_key=True),
    Column("period", Integer, primary_key=True),  # yyyymm (month), yyyy00 (year) or 0 (all time)
    Column("bucket", String(64), primary_key=True),
    *(_counter(name) for name in COUNTERS),
    # Raised on the jurisdiction's all-time "all" row by every change to any of its rows (and
    # by rebuild), so a page can tell cheaply whether figures it built earlier are still current.
    _counter("version"),
)

stats_case = Table(
    "stats_case",
    db.metadata,
    Column("case_id", ForeignKey("case.id"), primary_key=True),
    Column("jurisdiction_id", ForeignKey("jurisdiction.id"), nullable=False, index=True),
    Column("month", Integer, nullable=False),
    Column("category", String(40), nullable=False, default=""),
    Column("department_id", Integer, nullable=True),
    Column("responded", Boolean, nullable=False, default=False),
    Column("referred", Boolean, nullable=False, default=False),
    Column("completed", Boolean, nullable=False, default=False),
    Column("deadline_closed", Boolean, nullable=False, default=False),
    Column("on_time", Boolean, nullable=False, default=False),
    Column("rating", Integer, nullable=False, default=0),  # latest rating level, 0 = not rated
    Column("bad_ratings", Integer, nullable=False, default=0),
    Column("reply_days", Integer, nullable=True),  # working days from receipt to first response
)


class StatsMonth(db.Model):
    """Summed counters per jurisdiction, month and breakdown bucket."""

    __table__ = stats_month


class StatsCase(db.Model):
    """One case's current contribution to ``stats_month``."""

    __table__ = stats_case
