"""How a new case reaches the database: the filing's fast path, kept apart from the rules.

portal/engine/cases.py decides what a filing is (its workflow, state, deadline and first event);
this module writes it. On SQLite each row is one Core INSERT (no unit of work), the roll-ups are
written through ``stats.record_event`` and the number is taken last; on PostgreSQL everything is
one statement (portal/engine/filing_pg.py). The session listeners that tell whether a session has
a database transaction of its own live here too. This is the only engine module that writes the
roll-ups of a filing. Entry points: ``write_new_case`` and ``commit_keeping``.
"""
from __future__ import annotations

from sqlalchemy import bindparam, event, insert, text, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import MANYTOONE, Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from .. import stats
from ..extensions import db
from ..models import Case
from ..models.encrypted import EncryptedText
from . import filing_pg
from .numbering import next_case_number


def write_new_case(case: Case, event_row, children: list, prefix: str, year: int) -> None:
    """Write a new case (built outside the session), its first event and its other rows
    (``children``: deadlines, the event, attachments), its roll-ups and its number, inside the
    session's transaction or, on PostgreSQL with nothing else pending, as one atomic statement.
    The objects end up in the session as persistent, loaded as written."""
    if db.session.get_bind().dialect.name in ONE_STATEMENT_DIALECTS:
        _file_in_one_statement(case, children, prefix, year)
    else:
        _insert_new(case, children)
        stats.record_event(case, event_row, before_rollups=lambda: _take_number(case, prefix, year))


#: Databases on which a filing is written in one statement (portal/engine/filing_pg.py).
ONE_STATEMENT_DIALECTS = frozenset({"postgresql"})

#: Per mapper: (INSERT statement, [(attribute, column key, default)], many-to-one foreign keys,
#: primary key attribute, version attribute). See _insert_new.
_INSERT_PLANS: dict = {}


def _insert_plan(mapper):
    plan = _INSERT_PLANS.get(mapper)
    if plan is None:
        table = mapper.local_table
        columns = [(prop.key, prop.columns[0].key, prop.columns[0].default) for prop in mapper.column_attrs
                   if prop.columns[0].table is table and not prop.columns[0].primary_key]
        foreign = [(rel.key, [(mapper.get_property_by_column(local).key, rel.mapper.get_property_by_column(remote).key)
                              for local, remote in rel.local_remote_pairs])
                   for rel in mapper.relationships if rel.direction is MANYTOONE]
        version = mapper.version_id_col
        plan = (insert(table), columns, foreign, mapper.get_property_by_column(mapper.primary_key[0]).key,
                mapper.get_property_by_column(version).key if version is not None else None)
        _INSERT_PLANS[mapper] = plan
    return plan


def _row_values(obj) -> dict:
    """A new (transient) object's row, every column given: unset ones get the column's default,
    set on the object too, and many-to-one foreign keys are taken from the related objects."""
    _stmt, columns, foreign, _pk_attr, version_attr = _insert_plan(sa_inspect(obj).mapper)
    d = obj.__dict__
    for rel_key, pairs in foreign:
        target = d.get(rel_key)
        if target is not None:
            for local, remote in pairs:
                setattr(obj, local, getattr(target, remote))
    if version_attr is not None and d.get(version_attr) is None:
        setattr(obj, version_attr, 1)  # what the mapper's version counter starts at
    values = {}
    for key, column_key, default in columns:
        if key in d:
            value = d[key]
        else:
            value = None if default is None else default.arg if default.is_scalar else default.arg(None)
            setattr(obj, key, value)
        values[column_key] = value
    return values


def _insert_row(connection, obj) -> None:
    """INSERT one new (transient) object's row with Core and give the object its primary key."""
    stmt, _columns, _foreign, pk_attr, _version = _insert_plan(sa_inspect(obj).mapper)
    setattr(obj, pk_attr, connection.execute(stmt, _row_values(obj)).inserted_primary_key[0])


def _insert_new(case: Case, children: list) -> None:
    """Write a new case and its rows (deadline, event, attachments) with one Core INSERT each, then
    put them in the session as persistent objects, loaded as written.

    What the ORM's flush of the same objects did, without its unit of work (dependency sorting,
    cascades, per-object bookkeeping: about a fifth of a filing's CPU): the objects are built
    outside the session, so nothing is pending; each child's ``case`` is set, so its ``case_id``
    follows from the case's new id. The mapper's version counter starts at 1, as on a flush.
    CaseEvent stays append-only: its listeners guard updates and deletes, and this only inserts."""
    connection = db.session.connection()
    _insert_row(connection, case)
    for obj in children:
        _insert_row(connection, obj)
    _to_session(case, children)


def _to_session(case: Case, children: list) -> None:
    """Put a case and its rows, just written, in the session as persistent objects."""
    for obj in (case, *children):
        make_transient_to_detached(obj)
    db.session.add(case)  # cascades to its children (already carrying their identity)


#: Session.info key: the session's transaction has a database connection (it may have written,
#: flushed or locked rows), set and cleared by the two listeners below.
_IN_DB_TRANSACTION = "portal_in_db_transaction"


@event.listens_for(Session, "after_begin")
def _note_db_transaction(session, transaction, connection) -> None:
    session.info[_IN_DB_TRANSACTION] = True


@event.listens_for(Session, "after_transaction_end")
def _end_db_transaction(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_IN_DB_TRANSACTION, None)


def _encrypted(obj, values: dict) -> dict:
    """The row with its encrypted columns (the complainant's personal data) as they are stored:
    the one-statement path sends the row as JSON, past SQLAlchemy's bind processing."""
    table = sa_inspect(obj).mapper.local_table
    return {key: table.c[key].type.process_bind_param(value, db.engine.dialect)
            if isinstance(table.c[key].type, EncryptedText) else value for key, value in values.items()}


def _file_in_one_statement(case: Case, children: list, prefix: str, year: int) -> None:
    """PostgreSQL: the case, its rows, its ``stats_case`` row, its number and the roll-ups in one
    statement (portal/engine/filing_pg.py) instead of _insert_new, record_event and _take_number:
    the same rows, six round trips fewer.

    The statement is atomic by itself, so when the session has nothing of its own to commit with
    it (the public form's case: nothing pending, no database transaction begun) it runs on a
    connection in autocommit mode: no ``BEGIN`` and ``COMMIT`` round trips around it, and the rows
    every filing shares are locked only while it runs. Otherwise it joins the session's
    transaction and commits with it: a separate connection would also wait for the locks that
    transaction may hold (a flushed screening record's roll-up rows, say) and never get them."""
    case_values = _encrypted(case, _row_values(case))
    case_values.pop("number")
    rows = []
    for obj in children:
        values = _encrypted(obj, _row_values(obj))
        values.pop("case_id", None)
        rows.append((sa_inspect(obj).mapper.local_table.name, values))
    stats_values, rollup = stats.filing_contribution(case, db.engine.dialect)
    session = db.session()
    if session.info.get(_IN_DB_TRANSACTION) or session.new or session.dirty or session.deleted:
        written = filing_pg.write_filing(session.connection(), case_values, rows, stats_values, rollup,
                                         prefix=prefix, year=year)
    else:
        with db.engine.connect() as connection:
            written = filing_pg.write_filing(connection.execution_options(isolation_level="AUTOCOMMIT"), case_values,
                                             rows, stats_values, rollup, prefix=prefix, year=year)
    case_id, number, ids = written
    case.id = case_id
    set_committed_value(case, "number", number)
    for obj, child_id in zip(children, ids):
        obj.id = child_id
        obj.case_id = case_id
    _to_session(case, children)


#: A case's number until its transaction takes the real one (never committed, never shown).
PROVISIONAL_PREFIX = "~"


def _take_number(case: Case, prefix: str, year: int) -> None:
    """Give the new case its public number, as late in the filing's transaction as possible.

    Every filing of a jurisdiction increments the same sequence row, and that row stays locked
    until the commit: taken first, it made all filings wait for each other's inserts, flushes
    and roll-up work (and for each other's CPU time on a busy machine). Taken here, after the
    case, its deadline, its event and its stats row are written, only the number's UPDATE, the
    shared roll-ups and the commit follow. The number is still allocated inside the
    transaction, so a filing that fails leaves no gap and two filings never share a number."""
    connection = db.session.connection()
    number = None
    if connection.dialect.name == "postgresql":
        # one round trip: the sequence's UPDATE in a CTE, the case's number set from what it returns
        # (no row when the sequence row does not exist yet: next_case_number creates it)
        number = connection.execute(_NUMBER_CASE_PG, {"prefix": prefix, "year": year, "head": f"{prefix}-{year}-",
                                                      "id": case.id}).scalar_one_or_none()
    if number is None:
        number = next_case_number(prefix, year)
        connection.execute(_SET_NUMBER, {"number": number, "case_id": case.id})
    set_committed_value(case, "number", number)


_SET_NUMBER = update(Case.__table__).where(Case.__table__.c.id == bindparam("case_id")).values(
    number=bindparam("number"))
#: PostgreSQL: the sequence's increment and the case's number in one statement; the same
#: PREFIX-YEAR-NNNNNN (at least six digits) as numbering.next_case_number.
_NUMBER_CASE_PG = text(
    'WITH s AS (UPDATE case_sequence SET value = value + 1 WHERE prefix = :prefix AND year = :year '
    'RETURNING value) '
    'UPDATE "case" SET number = :head || lpad(s.value::text, greatest(6, length(s.value::text)), \'0\') '
    'FROM s WHERE "case".id = :id RETURNING "case".number')


def commit_keeping(written: list) -> None:
    """Commit, expiring every object of the session as a commit does, except ``written``: what
    this transaction has just inserted is what the database now holds, so reading the new case
    afterwards (its number for the receipt, its event for the notifiers) need not reload it
    (two SELECTs per filing)."""
    session = db.session()
    keep = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep
    kept = {id(obj) for obj in written}
    for obj in list(session.identity_map.values()):
        if id(obj) not in kept:
            session.expire(obj)
