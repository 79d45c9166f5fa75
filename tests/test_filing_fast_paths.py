"""The filing's short cuts write and read exactly what the ORM did (both databases):
the case, deadline and event written with Core INSERTs, the PostgreSQL one-statement
case number, the shared-parameter roll-up upsert, and the session cookie serializer
that skips Flask's tagging walk for plain values."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from flask.json.tag import TaggedJSONSerializer
from markupsafe import Markup
from sqlalchemy import event, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal import stats
from portal.stats import rollup
from portal.engine import cases as engine
from portal.engine import filing_db
from portal.extensions import db
from portal.models import Case, CaseDeadline, CaseEvent, CaseSequence
from portal.web import _SESSION_SERIALIZER

from .conftest import shanghai
from .factories import jurisdiction


def file(jcode: str, *, now=None, submission=None):
    return engine.file_case(jurisdiction=jurisdiction(jcode), matter="退休审批",
                            description="退休材料上的年龄与身份证不一致，窗口说办不了。", channel="online",
                            complainant={"name": "李小青", "phone": "13800001234"}, now=now,
                            submission=submission)


def _columns(obj) -> dict:
    mapper = inspect(obj).mapper
    return {p.key: getattr(obj, p.key) for p in mapper.column_attrs}


class _Statements:
    def __init__(self):
        self.n = 0

    def __call__(self, *_args):
        self.n += 1


def test_filed_case_objects_equal_the_rows_and_need_no_reload(core_app):
    jurisdiction("demo")
    filed = file("demo", now=shanghai(2026, 3, 2, 10, 0), submission="sub-" + uuid.uuid4().hex)
    case = filed.case
    counter = _Statements()
    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        seen = (_columns(case), [_columns(d) for d in case.deadlines], [_columns(e) for e in case.events])
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    assert counter.n == 0  # everything the filing wrote is loaded as written
    assert case.version == 1 and case.number == "DEMO-2026-000001"
    assert len(case.deadlines) == 1 and len(case.events) == 1 and case.events[0].action == "file"
    assert case.due_at == case.deadlines[0].due_at
    ids = (case.id, [d.id for d in case.deadlines], [e.id for e in case.events])
    db.session.expunge_all()
    fresh = db.session.get(Case, ids[0])
    assert _columns(fresh) == seen[0]
    assert [_columns(db.session.get(CaseDeadline, i)) for i in ids[1]] == seen[1]
    assert [_columns(db.session.get(CaseEvent, i)) for i in ids[2]] == seen[2]
    # the version counter works on the case as written: it rises, and a stale copy conflicts
    fresh.category = "x"
    db.session.commit()
    assert fresh.version == 2
    t = Case.__table__
    db.session.connection().execute(update(t).where(t.c.id == fresh.id).values(version=t.c.version + 1))
    fresh.category = "y"
    with pytest.raises(StaleDataError):
        db.session.commit()
    db.session.rollback()


def test_failed_filing_leaves_nothing_in_the_session_or_the_database(core_app):
    jurisdiction("demo")
    submission = "sub-" + uuid.uuid4().hex
    file("demo", submission=submission)
    before = db.session.scalar(select(db.func.count()).select_from(Case))
    with pytest.raises(IntegrityError):
        file("demo", submission=submission)
    assert not [o for o in db.session.identity_map.values()
                if isinstance(o, Case) and o.number.startswith(filing_db.PROVISIONAL_PREFIX)]
    assert db.session.scalar(select(db.func.count()).select_from(Case)) == before
    assert rollup.current_cases().keys() == {c.id for c in db.session.scalars(select(Case))}


@pytest.mark.parametrize("start,expected", [(1, "000002"), (41, "000042"), (999_999, "1000000")])
def test_case_number_format_matches_next_case_number(core_app, start, expected):
    jurisdiction("demo")
    file("demo", now=shanghai(2026, 5, 1, 10, 0))  # creates the sequence row
    db.session.execute(update(CaseSequence).where(CaseSequence.prefix == "DEMO", CaseSequence.year == 2026)
                       .values(value=start))
    db.session.commit()
    assert file("demo", now=shanghai(2026, 5, 1, 11, 0)).case.number == f"DEMO-2026-{expected}"


def test_roll_ups_of_filings_equal_a_rebuild(core_app):
    jurisdiction("demo")
    for day in (2, 3, 4):
        file("demo", now=shanghai(2026, 3, day, 10, 0))
    file("demo", now=shanghai(2026, 4, 1, 10, 0))
    strip = lambda rows: {k: {c: n for c, n in v.items() if c != "version"} for k, v in rows.items()}  # noqa: E731
    live = strip(rollup.current_rows())
    stats.rebuild()
    assert live == strip(rollup.current_rows())
    assert live[(core_app_jid(), 202603, "all", "")]["received"] == 3


def core_app_jid() -> int:
    return jurisdiction("demo").id


SAMPLES = [
    {},
    {"csrf_token": "abc", "open_submissions": ["a", "b"], "filed_submissions": {"a": "DEMO-2026-000001"},
     "tracked": ["DEMO-2026-000001"], "receipt": {"number": "N", "code": "C"}, "_fresh": True, "n": 3, "x": None,
     "f": 1.5, "text": '{" t": not a tag'},
    {"t": (1, 2), "b": b"\x00bytes", "m": Markup("<b>x</b>"), "u": uuid.UUID(int=5),
     "d": datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)},
    {"looks_like_a_tag": {" t": [1, 2]}, "nested": [{" di": 1}], "int_keys": {1: "a"}},
    {"_flashes": [("info", "Thank you.")]},
]


@pytest.mark.parametrize("value", SAMPLES)
def test_session_serializer_reads_and_writes_flasks_format(value):
    flask = TaggedJSONSerializer()
    ours = _SESSION_SERIALIZER
    assert flask.loads(ours.dumps(value)) == flask.loads(flask.dumps(value))
    assert ours.loads(flask.dumps(value)) == flask.loads(flask.dumps(value))
    assert ours.loads(ours.dumps(value)) == flask.loads(flask.dumps(value))


def test_pooled_connection_is_tested_only_after_idling_and_replaced_if_dead(core_app, monkeypatch):
    from sqlalchemy import text

    from portal import config

    engine = db.engine
    db.session.remove()
    pings = []
    real_ping = engine.dialect.do_ping

    def ping(conn):
        pings.append(conn)
        return real_ping(conn)

    monkeypatch.setattr(engine.dialect, "do_ping", ping)
    with engine.connect() as c:
        first = c.connection.dbapi_connection
    with engine.connect() as c:  # used a moment ago: no round trip
        assert c.connection.dbapi_connection is first
    assert pings == []
    monkeypatch.setattr(config, "POOL_PING_AFTER_IDLE", 0.0)
    with engine.connect() as c:  # idle long enough: tested, still good
        assert c.connection.dbapi_connection is first
    assert pings == [first]

    def dead(conn):
        pings.append(conn)
        raise RuntimeError("server closed the connection")

    monkeypatch.setattr(engine.dialect, "do_ping", dead)
    with engine.connect() as c:  # failed its test: replaced, the caller never sees an error
        assert c.execute(text("SELECT 1")).scalar() == 1
        assert c.connection.dbapi_connection is not first
    assert pings == [first, first]
