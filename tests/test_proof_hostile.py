"""Hostile input, in-process through the Flask test client (short versions of `make proof`).

Each check ends with a clear error and nothing lost; see proof/hostile.py for the oracles.
Every app here is built just before it is used: Flask-Limiter keeps one configuration
per process (the last app built wins), so two apps with different limits cannot coexist.
"""
from __future__ import annotations

import time

import pytest
from sqlalchemy import update

from proof import hostile as H


def _explain(result) -> str:
    return "\n".join(str(c) for c in result.checks) + f"\n{result.figures}"


@pytest.fixture
def fuzz_app(make_app):
    app = make_app()
    return app, H.prepare(app, content=True)


def test_every_form_fuzzed(fuzz_app):
    app, fx = fuzz_app
    result = H.fuzz_forms(app, fx, examples=4)
    assert result.figures["forms"], "no form found to fuzz"
    assert result.ok, _explain(result)


def test_wrong_encodings_and_control_characters(fuzz_app):
    app, fx = fuzz_app
    result = H.encodings(app, fx, examples=20)
    assert result.ok, _explain(result)


def test_oversize_bodies_and_files(fuzz_app):
    app, fx = fuzz_app
    result = H.oversize(app, fx)
    assert result.ok, _explain(result)


def test_path_traversal_in_attachment_names(fuzz_app):
    app, fx = fuzz_app
    result = H.traversal(app, fx)
    assert result.ok, _explain(result)


def test_script_and_formula_injection_escaped_everywhere(fuzz_app):
    app, fx = fuzz_app
    result = H.injection(app, fx)
    assert result.ok, _explain(result)


def test_missing_and_replayed_csrf_tokens(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    result = H.csrf(app, H.prepare(app))
    assert result.ok, _explain(result)


def test_brute_force_of_codes_and_passwords_is_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    result = H.brute_force_inprocess(app, H.prepare(app))
    assert result.ok, _explain(result)


def test_the_findings_of_issue_14_stay_closed(make_app):
    """Open redirect, logout, national calendar, lockout, per-case limit, handler scope, data at rest."""
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    fx = H.prepare(app)
    H.brute_force_inprocess(app, fx)  # as in `make proof`: it locks fx.supervisor in the database first
    result = H.security_findings(app, fx)
    assert len(result.checks) == 7
    assert result.ok, _explain(result)


def test_unreachable_rate_limit_store_does_not_break_the_portal(make_app):
    """Redis down must not turn tracking and staff login into 500s (limits may lapse to
    per-process memory meanwhile)."""
    result = H.limiter_storage_down(lambda **c: make_app(**c), H.prepare)
    assert result.ok, _explain(result)


@pytest.mark.parametrize("query", ["window=99999999999999999999", "department=99999999999999999999",
                                   "page=99999999999999999999", "window=-99999999999999999999"])
def test_staff_queue_filters_with_huge_numbers(make_app, query):
    """Numbers beyond a database integer in the queue filters: a clear answer, not a 500
    (SQLite raises OverflowError in the driver; PostgreSQL a DataError)."""
    app = make_app()
    fx = H.prepare(app)
    c = app.test_client()
    H.login(c, fx.supervisor)
    r = c.get(f"/staff/?{query}")
    assert r.status_code < 500, r.status_code


@pytest.mark.parametrize("path", ["/guides/99999999999999999999999", "/knowledge/99999999999999999999999",
                                  "/staff/admin/users/99999999999999999999999"])
def test_huge_ids_in_urls_are_not_found(make_app, path):
    app = make_app()
    fx = H.prepare(app)
    c = app.test_client()
    H.login(c, fx.admin)
    assert c.get(path).status_code == 404


@pytest.mark.parametrize("field", ["number", "code"])
def test_nul_bytes_are_a_bad_request_not_an_outage(make_app, field):
    """PostgreSQL refuses NUL in text: that must read as a bad request (400), not 503."""
    app = make_app()
    fx = H.prepare(app)
    c = app.test_client()
    data = {"number": fx.case_number, "code": "ABCDEFGHJK"}
    data[field] += "\x00"
    r = c.post("/track", data=data)
    assert r.status_code == 400 and H.clear_error(r)
    login = c.post("/staff/login", data={"username": fx.supervisor + "\x00", "password": "x" * 12})
    assert login.status_code == 400


@pytest.mark.slow
def test_search_does_not_wait_for_a_busy_index_lock(make_app):
    """While another process holds the index write lock (a rebuild holds it for its whole run),
    a search that triggers the lazy catch-up must still answer at once; today it waits for
    the writer's 30 s timeout."""
    from portal.extensions import db
    from portal.knowledge.indexing import search_index
    from portal.models import KnowledgeEntry

    app = make_app(PORTAL_CATCH_UP_SECONDS=0)
    H.prepare(app, content=True)
    c = app.test_client()
    assert c.get("/search?q=居住证").status_code == 200  # index exists and is caught up
    with app.app_context():
        db.session.execute(update(KnowledgeEntry).values(indexed_at=None))  # an entry waiting for the index
        db.session.commit()
        ix = search_index()
        lock = ix._open(ix._current()).lock("WRITELOCK")
        assert lock.acquire(blocking=False)
    try:
        t = time.monotonic()
        r = c.get("/search?q=居住证")
        took = time.monotonic() - t
    finally:
        lock.release()
    assert r.status_code == 200
    assert took < 5, f"the search waited {took:.1f}s for the index write lock"
