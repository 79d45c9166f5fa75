"""Short versions of `make proof` (load and faults) against real gunicorn workers.

One site (database + instance folder) is set up per module the way an operator does it
(init-db, load-demo, reindex) and cloned for each test. The database is PostgreSQL when
PORTAL_TEST_DATABASE_URL is set (a database of our own, dropped afterwards), else SQLite.
"""
from __future__ import annotations

import os

import pytest

from proof import faults, hostile, load
from proof.servers import Database, Server, Site, postgres_server, redis_flush, redis_storage

pytestmark = pytest.mark.slow


def _explain(result) -> str:
    return "\n".join(str(c) for c in result.checks)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = tmp_path_factory.mktemp("proof-template")
    wanted = os.environ.get("PORTAL_TEST_DATABASE_URL")
    server = postgres_server(wanted) if wanted else None
    if wanted and not server:
        pytest.fail(f"PORTAL_TEST_DATABASE_URL is set but PostgreSQL does not answer at {wanted}")
    db = Database.postgres(server) if server else Database.sqlite(root / "db" / "portal.sqlite3")
    site = Site(root, db)
    try:
        site.setup()
        yield site
    finally:
        site.destroy()


@pytest.fixture
def site(template, tmp_path):
    s = template.clone(tmp_path / "site")
    yield s
    s.destroy()


@pytest.fixture
def server(site):
    srv = Server(site, workers=2)
    try:
        srv.start()
        srv.warm_up(2)
        yield srv
    finally:
        srv.stop()


def test_short_load_loses_nothing(server, site):
    result = load.run(server, site, seconds=10, users=4, publish_interval=1.0, settle=30)
    assert result.ok, _explain(result)
    assert len(result.receipts) > 0 and result.published, result.figures()


def test_worker_killed_mid_request_leaves_no_half_written_case(server, site):
    result = faults.worker_killed(server, site, kills=3, filers=4, interval=1.2)
    if not result.checks[0].ok:  # no kill happened to hit a request in flight: still check the rest
        result.checks = result.checks[1:]
    assert result.ok, _explain(result)


def test_database_unreachable_gives_503_and_recovers(site):
    if site.database.kind == "postgresql":
        result = faults.database_down_http(site, workers=2, outage=4)
    else:
        result = faults.database_down_inprocess(site)
    assert result.ok, _explain(result)


def test_index_unwritable_entry_saved_and_caught_up(server, site):
    result = faults.index_unwritable(site, server, catch_up_within=45)
    assert result.ok, _explain(result)


def test_failed_index_write_releases_the_write_lock(site):
    """Whoosh's SegmentWriter takes the lock before it creates its files; when that fails the
    half-built writer keeps the lock until the cyclic GC reclaims it, and every other process's
    catch-up waits 30 s and gives up meanwhile."""
    result = faults.failed_write_releases_lock(site)
    assert result.ok, _explain(result)


def test_killed_reindex_keeps_the_old_index_serving(server, site):
    result = faults.reindex_killed(site, server, entries=1500)
    assert result.ok, _explain(result)


def test_oversize_body_over_http(server):
    result = hostile.oversize_http(server)
    assert result.ok, _explain(result)


def test_rate_limits_are_shared_across_workers_with_redis(template, tmp_path):
    uri, why = redis_storage()
    if uri is None:
        pytest.skip(f"shared rate limits need Redis: {why}")
    site = template.clone(tmp_path / "site")
    site.ratelimit_uri = uri
    try:
        with Server(site, workers=2, name="limits") as srv:
            result = hostile.shared_limits(srv)
        assert result.ok, _explain(result)
    finally:
        redis_flush(uri)
        site.destroy()


def test_memory_rate_limits_are_per_process(server):
    result = hostile.shared_limits(server)
    assert result.ok, _explain(result)
