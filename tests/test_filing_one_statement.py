"""The one-statement filing on PostgreSQL (portal/engine/filing_pg.py) writes the same rows
as the statement-per-row path that SQLite uses: the case, its deadline, event and
attachments, its stats_case row, its number and the roll-ups. On SQLite these tests check
that path alone (the PostgreSQL run of .ci/run compares the two)."""
from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from sqlalchemy import event, inspect, select
from sqlalchemy.exc import IntegrityError

from portal.engine import cases as engine
from portal.engine import filing_db
from portal.engine import filing_pg
from portal.extensions import db
from portal.models import Attachment, Case, CaseDeadline, CaseEvent, CaseSequence
from portal.models.stats import stats_case
from portal.stats import rollup

from .conftest import shanghai
from .factories import jurisdiction

#: Differ between any two filings, whichever path wrote them.
UNIQUE = {"id", "case_id", "number", "access_code_hash", "submission_id", "stored_name"}


def _file(now, *, attachments=None, submission=None, j=None):
    return engine.file_case(
        jurisdiction=j or jurisdiction("demo"), matter="不动产登记", description="窗口要求的证明材料在办事指南里没有写。",
        channel="online", complainant={"name": "王小明", "phone": "13900001111", "address": "某路 1 号"},
        extra={"note": "材料齐全", "n": 2}, now=now, attachments=attachments, submission=submission)


def _columns(obj) -> dict:
    return {p.key: getattr(obj, p.key) for p in inspect(obj).mapper.column_attrs if p.key not in UNIQUE}


def _written(case_id: int) -> dict:
    db.session.expunge_all()
    case = db.session.get(Case, case_id)
    row = db.session.execute(select(stats_case).where(stats_case.c.case_id == case_id)).one()._asdict()
    return {"case": _columns(case), "deadlines": [_columns(d) for d in case.deadlines],
            "events": [_columns(e) for e in case.events], "attachments": [_columns(a) for a in case.attachments],
            "stats_case": {k: v for k, v in row.items() if k != "case_id"}}


def _attachments():
    at = shanghai(2026, 3, 2, 9, 59)
    return [{"stored_name": uuid.uuid4().hex + ".pdf", "original_name": "证明.pdf", "content_type": "application/pdf",
             "size": 1234, "at": at},
            {"stored_name": uuid.uuid4().hex + ".jpg", "original_name": "照片.jpg", "content_type": "image/jpeg",
             "size": 99, "at": at}]


def _roll_ups():
    return {k: {c: n for c, n in v.items() if c != "version"} for k, v in rollup.current_rows().items()}


@pytest.fixture
def on_postgresql(core_app):
    if db.engine.dialect.name not in filing_db.ONE_STATEMENT_DIALECTS:
        pytest.skip("the one-statement filing is for PostgreSQL (run with PORTAL_TEST_DATABASE_URL)")
    return core_app


def test_one_statement_writes_what_the_statement_per_row_path_writes(on_postgresql, monkeypatch):
    now = shanghai(2026, 3, 2, 10, 0)
    one = _file(now, attachments=_attachments())
    after_one = _roll_ups()
    monkeypatch.setattr(filing_db, "ONE_STATEMENT_DIALECTS", frozenset())
    other = _file(now, attachments=_attachments())
    after_both = _roll_ups()
    a, b = _written(one.case.id), _written(other.case.id)
    assert a == b
    assert len(a["deadlines"]) == 1 and len(a["events"]) == 1 and len(a["attachments"]) == 2
    assert a["case"]["extra"] == {"note": "材料齐全", "n": 2}
    # both paths added the same to every roll-up row (the second doubled the first's counts)
    assert after_both == {k: {c: 2 * n for c, n in v.items()} for k, v in after_one.items()}


def test_one_statement_filing_is_one_round_trip_before_the_commit(on_postgresql):
    j = jurisdiction("demo")
    _file(shanghai(2026, 3, 2, 9, 0), j=j)  # loads the calendar, kept per process
    assert j.code == "demo"  # reloaded after that commit, as a request loads it
    seen = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        filed = _file(shanghai(2026, 3, 2, 10, 0), j=j)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(seen) == 1 and seen[0].startswith("WITH n AS")
    assert filed.case.number == "DEMO-2026-000002"
    # loaded as written: ids and the number need no reload
    assert filed.case.events[0].case_id == filed.case.id == filed.case.deadlines[0].case_id


def test_first_filing_of_a_year_creates_the_sequence_row_and_numbers_follow(on_postgresql):
    assert _file(shanghai(2026, 12, 31, 15, 0)).case.number == "DEMO-2026-000001"
    assert _file(shanghai(2027, 1, 4, 9, 0)).case.number == "DEMO-2027-000001"
    assert _file(shanghai(2027, 1, 4, 9, 30)).case.number == "DEMO-2027-000002"
    assert db.session.get(CaseSequence, ("DEMO", 2027)).value == 2


def test_failed_one_statement_filing_leaves_nothing_and_uses_no_number(on_postgresql):
    submission = "sub-" + uuid.uuid4().hex
    first = _file(shanghai(2026, 3, 2, 10, 0), submission=submission)
    rows = _roll_ups()
    with pytest.raises(IntegrityError):
        _file(shanghai(2026, 3, 2, 10, 5), attachments=_attachments(), submission=submission)
    assert db.session.scalar(select(db.func.count()).select_from(Case)) == 1
    for model in (CaseDeadline, CaseEvent):
        assert db.session.scalar(select(db.func.count()).select_from(model)) == 1
    assert db.session.scalar(select(db.func.count()).select_from(Attachment)) == 0
    assert db.session.scalar(select(db.func.count()).select_from(stats_case)) == 1
    assert _roll_ups() == rows
    assert _file(shanghai(2026, 3, 2, 10, 9)).case.number == first.case.number[:-1] + "2"  # no gap


def test_filing_rows_refuse_a_naive_datetime():
    with pytest.raises(ValueError):
        filing_pg._row({"at": datetime(2026, 3, 2, 10, 0)})
    assert filing_pg._row({"at": shanghai(2026, 3, 2, 10, 0), "n": None}) == \
        '{"at":"2026-03-02T10:00:00+08:00","n":null}'


def _visible_elsewhere(number_like: str) -> int:
    """Cases whose number starts so, seen from another connection (committed rows only)."""
    with db.engine.connect() as other:
        return other.execute(select(db.func.count()).select_from(Case)
                             .where(Case.number.like(number_like + "%"))).scalar_one()


def test_nothing_pending_the_statement_commits_by_itself(make_app, monkeypatch):
    """The public form's case (its jurisdiction kept per process, nothing else read or written
    by the request): the one statement runs in autocommit mode (no BEGIN/COMMIT round trips), so
    its rows are committed before the session's own commit."""
    from .test_public_support import english, intake_data

    app = make_app(PORTAL_JURISDICTIONS=[])
    with app.app_context():
        if db.engine.dialect.name not in filing_db.ONE_STATEMENT_DIALECTS:
            pytest.skip("the one-statement filing is for PostgreSQL (run with PORTAL_TEST_DATABASE_URL)")
    seen = []
    original = filing_db.commit_keeping
    monkeypatch.setattr(filing_db, "commit_keeping", lambda written: (seen.append(_visible_elsewhere("DEMO-")),
                                                                    original(written)))
    client = english(app.test_client())
    data = intake_data(app, "demo")
    for _ in range(2):  # the first request loads the jurisdiction (a transaction of its own)
        assert client.post("/file/demo", data=data).status_code == 303
    assert seen[1] == 2  # the second filing was committed by its statement


def test_pending_changes_and_the_filing_commit_together_or_not_at_all(on_postgresql, monkeypatch):
    from portal.models import ScreeningRecord

    j = jurisdiction("demo")
    seen = []
    original = filing_db.commit_keeping
    monkeypatch.setattr(filing_db, "commit_keeping", lambda written: (seen.append(_visible_elsewhere("DEMO-")),
                                                                    original(written)))
    db.session.add(ScreeningRecord(jurisdiction_id=j.id, code="law", matter="涉诉事项", reason="涉诉", channel="法院"))
    _file(shanghai(2026, 3, 2, 10, 0), j=j)
    assert seen == [0]  # joined the session's transaction: committed with the pending row
    assert db.session.scalar(select(db.func.count()).select_from(ScreeningRecord)) == 1
    # a failing filing takes the pending row down with it
    submission = "sub-" + uuid.uuid4().hex
    _file(shanghai(2026, 3, 2, 11, 0), j=j, submission=submission)
    db.session.add(ScreeningRecord(jurisdiction_id=j.id, code="law", matter="涉诉事项", reason="涉诉", channel="法院"))
    with pytest.raises(IntegrityError):
        _file(shanghai(2026, 3, 2, 11, 5), j=j, submission=submission)
    assert db.session.scalar(select(db.func.count()).select_from(ScreeningRecord)) == 1
    assert db.session.scalar(select(db.func.count()).select_from(Case)) == 2
