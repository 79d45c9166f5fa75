"""Keeping the roll-ups: one call from the engine per action, a listener for screenings,
and ``rebuild()`` to recompute everything from the cases.

Concurrency: every change is an atomic ``n = n + delta`` inside the engine's transaction:
on PostgreSQL and SQLite one ``INSERT ... ON CONFLICT DO UPDATE`` for all the rows a change
touches; elsewhere ``UPDATE ... SET n = n + delta`` with a missing row inserted inside a
SAVEPOINT and the UPDATE repeated after an IntegrityError (the pattern of
``portal/engine/numbering.py``). Rows are taken in sorted key order, so two transactions
cannot deadlock on PostgreSQL. Two actions on the same case are already serialised by the
case's version column: the engine's flush happens first (``record_event`` flushes), so the
loser fails before reading the case's old contribution, and its whole transaction rolls back.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from functools import lru_cache

from flask import current_app
from sqlalchemy import delete, event, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Case, CaseDeadline, CaseEvent, Jurisdiction, Rating, ScreeningRecord
from ..models.base import utcnow
from ..models.stats import COUNTERS as _COUNTER_NAMES
from ..models.stats import stats_case, stats_month
from . import facts as F

_UPSERTS = frozenset({"postgresql", "sqlite"})  # both have INSERT ... ON CONFLICT DO UPDATE

#: Used for cases of a jurisdiction no enabled plugin owns any more (rebuild only).
_FALLBACK_DONE = frozenset({"closed", "referred", "archived", "improved"})


# -- the workflow's "done" states and the calendar, per jurisdiction -------------------------
def done_states(jurisdiction_code: str) -> frozenset[str]:
    from ..plugins import PluginError

    try:
        wf = current_app.extensions["portal_plugins"].for_jurisdiction(jurisdiction_code).portal_workflow()
    except PluginError:
        return _FALLBACK_DONE
    return frozenset(s.code for s in wf.states if s.done)


def _calendar(jurisdiction: Jurisdiction):
    from ..engine.jurisdiction_calendars import calendar_for

    return calendar_for(jurisdiction)


def facts_for_case(case: Case, just_filed: bool = False) -> F.Facts:
    """The case's contribution from its ORM state (after the engine's changes, flushed).
    ``just_filed``: the case was created in this transaction, so it has no rating to load."""
    first_response = min((e.at for e in case.events if e.action in F.RESPONSE_ACTIONS), default=None)
    return F.compute(
        jurisdiction_id=case.jurisdiction_id,
        received_at=case.received_at,
        category=case.category,
        department_id=case.lead_department_id,
        state=case.state,
        outcome=case.outcome,
        done_states=done_states(case.jurisdiction.code),
        first_response_at=first_response,
        clocks=F.clocks_outcome(case.deadlines),
        ratings=() if just_filed else [r.level for r in sorted(case.ratings, key=lambda r: r.id)],
        calendar=_calendar(case.jurisdiction),
    )


# -- applying deltas --------------------------------------------------------------------------
def _bump(execute, begin_nested, key: F.Bucket, counts: dict[str, int]) -> None:
    """Add ``counts`` to one stats_month row, creating it if needed (concurrency-safe)."""
    jid, period, dim, bucket = key
    c = stats_month.c
    where = (c.jurisdiction_id == jid, c.dim == dim, c.bucket == bucket, c.period == period)
    stmt = update(stats_month).where(*where).values({c[k]: c[k] + v for k, v in counts.items()})
    for _ in range(3):
        if execute(stmt).rowcount:
            return
        try:
            with begin_nested():
                execute(insert(stats_month).values(jurisdiction_id=jid, period=period, dim=dim,
                                                   bucket=bucket, **counts))
            return
        except IntegrityError:
            continue  # another transaction created the row first: add to it
    raise RuntimeError(f"could not update stats_month row {key}")


def stamp_key(jurisdiction_id: int) -> F.Bucket:
    """The row whose ``version`` says whether anything of this jurisdiction changed."""
    return (jurisdiction_id, F.ALL_TIME, "all", "")


_UPSERT_CACHE: dict[tuple, object] = {}
_STATS_CASE_INSERT = insert(stats_case)
_UPSERT_KEY = ("jurisdiction_id", "dim", "period", "bucket")


def _upsert_statement(dialect, n_rows: int, columns: tuple[str, ...], shape: tuple[int, ...]):
    """``INSERT INTO stats_month (key, columns) VALUES (...), ... ON CONFLICT (key) DO UPDATE
    SET n = stats_month.n + excluded.n`` for ``n_rows`` rows: the same SQL on PostgreSQL and
    SQLite 3.24+. ``shape`` says which parameter goes in each place, row after row: equal values
    share one parameter (a filing's nine rows hold about ten distinct values in 54 places; psycopg
    caches its parsing of a statement only up to 50 parameters). Written once per dialect, shape
    and column set (a filing always has the same shape), so neither SQLAlchemy nor the driver
    compiles it again; the counters a change does not touch are left to their server default (0)
    in new rows. (Built with SQLAlchemy's insert(), the statement carried a Python-side default
    parameter for each of the 50 other counters of every row, and was compiled anew on every
    filing.)"""
    key = (dialect.name, n_rows, columns, shape)
    stmt = _UPSERT_CACHE.get(key)
    if stmt is None:
        q = dialect.identifier_preparer.quote
        width = len(_UPSERT_KEY) + len(columns)
        values = ", ".join("(" + ", ".join(f":p{shape[r * width + i]}" for i in range(width)) + ")"
                           for r in range(n_rows))
        updates = ", ".join(f"{q(c)} = stats_month.{q(c)} + excluded.{q(c)}" for c in columns)
        stmt = text(f"INSERT INTO stats_month ({', '.join(q(n) for n in (*_UPSERT_KEY, *columns))}) "
                    f"VALUES {values} "
                    f"ON CONFLICT ({', '.join(q(n) for n in _UPSERT_KEY)}) "
                    f"DO UPDATE SET {updates}")
        if len(_UPSERT_CACHE) > 256:
            _UPSERT_CACHE.clear()
        _UPSERT_CACHE[key] = stmt
    return stmt


def _with_stamps(deltas: dict[F.Bucket, Counter]) -> dict[F.Bucket, Counter]:
    """The non-zero deltas plus a ``version`` bump on the stamp row of every jurisdiction changed."""
    deltas = {k: Counter(v) for k, v in deltas.items() if any(v.values())}
    for jid in {k[0] for k in deltas}:
        deltas.setdefault(stamp_key(jid), Counter())["version"] += 1
    return deltas


def upsert_parts(deltas: dict[F.Bucket, Counter], dialect):
    """``(statement, parameters)`` of the one ``INSERT ... ON CONFLICT DO UPDATE`` that applies
    ``deltas`` (stamp rows included), or None when nothing changes. For PostgreSQL and SQLite;
    the engine also puts it inside its one-statement filing (portal/engine/filing_pg.py)."""
    deltas = _with_stamps(deltas)
    if not deltas:
        return None
    columns = tuple(sorted({k for counts in deltas.values() for k, v in counts.items() if v}))
    params: dict[str, object] = {}
    seen: dict[tuple, int] = {}
    shape = []
    for key in sorted(deltas):
        jid, period, dim, bucket = key
        counts = deltas[key]
        for value in (jid, dim, period, bucket, *(counts.get(c, 0) for c in columns)):
            n = seen.get((type(value), value))
            if n is None:
                n = seen[(type(value), value)] = len(seen)
                params[f"p{n}"] = value
            shape.append(n)
    return _upsert_statement(dialect, len(deltas), columns, tuple(shape)), params


def apply_delta(deltas: dict[F.Bucket, Counter], connection=None, portable: bool = False) -> None:
    """Add bucket deltas to stats_month, on the session or on ``connection``, and raise the
    ``version`` of every jurisdiction that changed (on a row most changes update anyway).

    On PostgreSQL and SQLite (3.24+) this is one ``INSERT ... ON CONFLICT DO UPDATE SET
    n = n + excluded.n`` for all the buckets: atomic, no SAVEPOINT, one round trip (a filing
    touches ten rows). Elsewhere, or with ``portable``, each row gets ``UPDATE ... SET n = n + d``
    and a missing row is inserted in a SAVEPOINT, retrying the UPDATE after an IntegrityError
    (the pattern of portal/engine/numbering.py). Rows go in sorted key order either way, so
    concurrent transactions lock them in the same order and cannot deadlock."""
    bind = connection if connection is not None else db.session
    dialect = connection.dialect if connection is not None else db.engine.dialect
    if not portable and dialect.name in _UPSERTS:
        parts = upsert_parts(deltas, dialect)
        if parts is not None:
            bind.execute(*parts)
        return
    deltas = _with_stamps(deltas)
    begin_nested = connection.begin_nested if connection is not None else db.session.begin_nested
    for key in sorted(deltas):
        counts = {k: v for k, v in deltas[key].items() if v}
        if counts:
            _bump(bind.execute, begin_nested, key, counts)


def filing_contribution(case: Case, dialect) -> tuple[dict, tuple | None]:
    """A case being filed: its ``stats_case`` row (without ``case_id``) and the roll-up upsert
    (``upsert_parts``: statement and parameters, or None), from its ORM state, before anything
    is written (for the one-statement filing)."""
    row, upsert = _new_case_rows(dialect, facts_for_case(case, just_filed=True))
    return dict(row), upsert


@lru_cache(maxsize=1024)
def _new_case_rows(dialect, new: F.Facts) -> tuple[dict, tuple | None]:
    """Per Facts (frozen, hashable): filings repeat the same few (one per jurisdiction, month,
    category and department), so the deltas and the upsert are built once. Callers copy the row;
    the upsert's parameters are only read."""
    row = new.as_row(None)
    row.pop("case_id")
    return row, upsert_parts(F.delta(None, new), dialect)


def record_event(case: Case, ev: object | None = None, before_rollups=None) -> F.Facts:
    """Bring the roll-ups up to date with ``case`` inside the engine's transaction.

    Called by the engine just before its commit (after filing and after every action).
    ``ev`` is the CaseEvent just written; the figures depend only on the case's state (so a
    case changed outside the engine is put right by its next action), so it is not needed
    for the arithmetic. Returns the case's new contribution.

    The case's own ``stats_case`` row is written first and the shared ``stats_month`` rows
    last: every filing of a jurisdiction adds to the same few rows, which stay locked until
    the commit, so the less work after them the more filings go through at once.
    ``before_rollups`` (optional) runs just before them: the engine takes the case number
    there, the other row every filing shares.
    """
    db.session.flush()  # the case's version check (and row lock) happen here, first
    just_filed = getattr(ev, "action", None) == "file"  # created in this transaction: no row yet
    new = facts_for_case(case, just_filed=just_filed)
    row = None if just_filed else db.session.execute(
        select(stats_case).where(stats_case.c.case_id == case.id).with_for_update()
    ).first()
    old = F.Facts.from_row(row) if row is not None else None
    if old != new:
        values = new.as_row(case.id)
        if row is None:
            # parameters beside a plain INSERT: one compiled statement for every filing
            db.session.execute(_STATS_CASE_INSERT, values)
        else:
            values.pop("case_id")
            db.session.execute(update(stats_case).where(stats_case.c.case_id == case.id).values(**values))
    if before_rollups is not None:
        before_rollups()
    if old != new:
        apply_delta(F.delta(old, new))
    return new


@event.listens_for(ScreeningRecord, "after_insert")
def _count_screening(mapper, connection, target) -> None:
    """A matter screened out at intake counts in its month, in the same transaction."""
    at = target.at or utcnow()
    apply_delta({(target.jurisdiction_id, p, "all", ""): Counter(screened=1)
                 for p in F.periods_of(F.month_of(at))}, connection=connection)


# -- rebuild ----------------------------------------------------------------------------------
CHUNK = 5000


def rebuild(chunk: int = CHUNK) -> dict:
    """Recompute every roll-up from the cases and screening records, in one transaction.

    For after an import, a schema change or a change of rules. Writers are held off while
    it runs (PostgreSQL: a table lock that conflicts with the engine's updates; SQLite: the
    write lock taken by the first DELETE), so no action is lost or counted twice; readers
    keep seeing the old figures until it commits. Returns a small summary.
    """
    session = db.session
    try:
        if db.engine.dialect.name == "postgresql":
            session.execute(text("LOCK TABLE stats_case, stats_month IN EXCLUSIVE MODE"))
        session.execute(delete(stats_case))
        old_versions = dict(session.execute(
            select(stats_month.c.jurisdiction_id, stats_month.c.version)
            .where(stats_month.c.dim == "all", stats_month.c.period == F.ALL_TIME, stats_month.c.bucket == "")
        ).all())
        session.execute(delete(stats_month))

        jurisdictions = {j.id: j for j in session.scalars(select(Jurisdiction)).all()}
        done = {jid: done_states(j.code) for jid, j in jurisdictions.items()}
        calendars = {jid: _calendar(j) for jid, j in jurisdictions.items()}
        # summed first per (jurisdiction, month, category, department), spread to buckets at the end
        fine: dict[tuple, dict] = defaultdict(dict)
        n_cases = 0
        last_id = 0
        while True:
            cases = session.execute(
                select(Case.id, Case.jurisdiction_id, Case.received_at, Case.category,
                       Case.lead_department_id, Case.state, Case.outcome)
                .where(Case.id > last_id).order_by(Case.id).limit(chunk)
            ).all()
            if not cases:
                break
            lo, hi = cases[0].id, cases[-1].id
            last_id = hi
            first_response = dict(session.execute(
                select(CaseEvent.case_id, func.min(CaseEvent.at))
                .where(CaseEvent.case_id.between(lo, hi), CaseEvent.action.in_(F.RESPONSE_ACTIONS))
                .group_by(CaseEvent.case_id)
            ).all())
            deadlines = defaultdict(list)
            for d in session.execute(
                select(CaseDeadline.case_id, CaseDeadline.id, CaseDeadline.started_at,
                       CaseDeadline.superseded, CaseDeadline.met_at, CaseDeadline.due_at)
                .where(CaseDeadline.case_id.between(lo, hi), CaseDeadline.superseded.is_(False))
            ).all():
                deadlines[d.case_id].append(d)
            ratings = defaultdict(list)
            for r in session.execute(
                select(Rating.case_id, Rating.level).where(Rating.case_id.between(lo, hi)).order_by(Rating.id)
            ).all():
                ratings[r.case_id].append(r.level)
            rows = []
            for c in cases:
                f = F.compute(
                    jurisdiction_id=c.jurisdiction_id, received_at=c.received_at, category=c.category,
                    department_id=c.lead_department_id, state=c.state, outcome=c.outcome,
                    done_states=done.get(c.jurisdiction_id, _FALLBACK_DONE),
                    first_response_at=first_response.get(c.id),
                    clocks=F.clocks_outcome(deadlines.get(c.id, ())),
                    ratings=ratings.get(c.id, ()), calendar=calendars[c.jurisdiction_id],
                )
                rows.append(f.as_row(c.id))
                _add(fine[(f.jurisdiction_id, f.month, f.category, f.department_id)], f.counters())
            session.execute(insert(stats_case), rows)
            n_cases += len(cases)

        totals: dict[F.Bucket, dict] = defaultdict(dict)
        for key, counts in fine.items():
            for b in F.buckets_of(*key):
                _add(totals[b], counts)
        n_screened = 0
        for s in session.execute(select(ScreeningRecord.jurisdiction_id, ScreeningRecord.at)).all():
            for p in F.periods_of(F.month_of(s.at)):
                _add(totals[(s.jurisdiction_id, p, "all", "")], {"screened": 1})
            n_screened += 1
        # versions only ever rise, so figures cached before the rebuild are never served again
        for jid in {k[0] for k in totals} | set(old_versions):
            totals[stamp_key(jid)]["version"] = old_versions.get(jid, 0) + 1
        write_month_rows(totals)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return {"cases": n_cases, "screened": n_screened, "rows": len(totals)}


def _add(acc: dict, counts: dict) -> None:
    for k, v in counts.items():
        acc[k] = acc.get(k, 0) + v


def write_month_rows(totals: dict[F.Bucket, dict], batch: int = 2000) -> None:
    """Bulk-insert summed counters (into empty stats_month rows)."""
    rows = []
    for (jid, period, dim, bucket), counts in sorted(totals.items()):
        rows.append({"jurisdiction_id": jid, "period": period, "dim": dim, "bucket": bucket,
                     **{k: counts.get(k, 0) for k in _COUNTER_NAMES}, "version": counts.get("version", 0)})
        if len(rows) >= batch:
            db.session.execute(insert(stats_month), rows)
            rows = []
    if rows:
        db.session.execute(insert(stats_month), rows)


def current_rows() -> dict[F.Bucket, dict[str, int]]:
    """Every stats_month row as {bucket: {counter: n}} with zero counters left out (for tests)."""
    out = {}
    for row in db.session.execute(select(stats_month)).all():
        m = row._mapping
        key = (m["jurisdiction_id"], m["period"], m["dim"], m["bucket"])
        counts = {k: m[k] for k in _COUNTER_NAMES if m[k]}
        if counts:
            out[key] = counts
    return out


def current_cases() -> dict[int, F.Facts]:
    return {row.case_id: F.Facts.from_row(row) for row in db.session.execute(select(stats_case)).all()}

