"""Transparency pages at scale: roll-ups against the equivalent live GROUP BY, same run.

    .venv/bin/python -m bench.bench_transparency --cases 1000000
    .venv/bin/python -m bench.bench_transparency --cases 1000000 \
        --database-url postgresql://postgres@127.0.0.1:5432/test

What it does:

1. Fills a fresh database (SQLite file in --workdir, or a database of its own on the given
   PostgreSQL server) with N cases over every jurisdiction and four years, with the events,
   first deadlines and ratings a real history leaves (``bench.generate.insert_cases``, bulk
   Core inserts), then builds the roll-ups with ``portal.stats.rebuild()`` (timed).
2. Serves the portal with gunicorn on loopback and measures p50/p95 of the transparency
   page (overall and per jurisdiction) and its JSON and CSV downloads over HTTP; then the
   pages again with report reuse off (PORTAL_STATS_CACHE=False: every request builds its
   figures from the roll-ups, as the first request after each change does).
3. In the same run, times the equivalent live GROUP BY over the cases (the same figures:
   received, responded, referred, completed, on-time against the first deadline, latest
   rating; per month, per category, per department, and a reply-time histogram), and
   checks that its monthly figures equal the roll-ups'.
4. Prints a table; ``--write-readme`` puts it (with date, machine and command) into
   bench/README.md (section ``transparency-sqlite`` or ``transparency-postgresql``).

Target (issue 6): page p95 under 100 ms at 1,000,000 cases, and faster than the live query.
"""
from __future__ import annotations

import argparse
import http.client
import os
import secrets
import time
from pathlib import Path

from . import generate as G
from .common import Gunicorn, command_line, machine, pct, stamp, write_section
from .common import log as _log

TAG = "transparency"
TARGET_P95_MS = 100.0


def log(msg: str) -> None:
    _log(TAG, msg)


# -- databases ----------------------------------------------------------------------------------
def prepare_database(args) -> tuple[str, callable]:
    """(url, cleanup) of the bench database; reused when --reuse and it already has the cases."""
    if args.database_url and not args.database_url.startswith("sqlite"):
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        from portal.config import normalise_db_url

        server = normalise_db_url(args.database_url)
        name = f"bancheng_bench_transparency_{args.cases}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            exists = c.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
            if exists and not args.reuse:
                c.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
                exists = False
            if not exists:
                c.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = make_url(server).set(database=name).render_as_string(hide_password=False)

        def cleanup():
            if args.keep:
                log(f"kept database {name} (use --reuse next time)")
                return
            eng = create_engine(server, isolation_level="AUTOCOMMIT")
            with eng.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            eng.dispose()

        return url, cleanup
    path = Path(args.workdir) / f"transparency-{args.cases}.sqlite3"
    if path.exists() and not args.reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)

    def cleanup():
        if args.keep:
            log(f"kept {path} (use --reuse next time)")
            return
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)

    return f"sqlite:///{path}", cleanup


def fill(app, n: int, force_rebuild: bool = False, record: Path | None = None) -> dict:
    """Insert the cases (unless already there) and rebuild the roll-ups; returns timings.

    The insert time is kept in ``record`` (a JSON file beside the kept database) so a run
    that reuses the database can still report how long generating it took."""
    import json

    from sqlalchemy import func, select, text

    from portal import stats
    from portal.extensions import db
    from portal.models import Case
    from portal.models.stats import stats_month

    out = {}
    with app.app_context():
        have = db.session.scalar(select(func.count()).select_from(Case))
        rolled = db.session.scalar(select(func.count()).select_from(stats_month))
    if have < n:
        if have:
            raise SystemExit(f"the bench database has {have} cases, fewer than {n}: run without --reuse")
        t0 = time.perf_counter()
        G.insert_cases(app, n, history=True)
        out["insert_s"] = time.perf_counter() - t0
        rolled = 0
        if record is not None:
            record.write_text(json.dumps({"insert_s": out["insert_s"], "cases": n}))
    elif record is not None and record.exists():
        out["earlier_insert_s"] = json.loads(record.read_text())["insert_s"]
    if not rolled or force_rebuild:
        with app.app_context():
            t0 = time.perf_counter()
            summary = stats.rebuild()
            out["rebuild_s"] = time.perf_counter() - t0
            log(f"rebuild: {summary} in {out['rebuild_s']:.1f} s")
    with app.app_context():
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        out["cases"] = db.session.scalar(select(func.count()).select_from(Case))
        out["rollup_rows"] = db.session.scalar(select(func.count()).select_from(stats_month))
    return out


# -- the live GROUP BY ------------------------------------------------------------------------
def _month_sql(dialect: str, column: str) -> str:
    if dialect == "postgresql":
        return f"CAST(to_char({column} AT TIME ZONE 'Asia/Shanghai', 'YYYYMM') AS INTEGER)"
    return f"CAST(strftime('%Y%m', {column}, '+8 hours') AS INTEGER)"


def _days_sql(dialect: str) -> str:
    if dialect == "postgresql":
        return "CAST(date_part('day', c.replied_at - c.received_at) AS INTEGER)"
    return "CAST(julianday(c.replied_at) - julianday(c.received_at) AS INTEGER)"


def live_queries(app, jurisdiction_ids: list[int]) -> dict[str, str]:
    """The figures of one page computed from the cases: the SQL a page would run without roll-ups."""
    from portal.extensions import db
    from portal.models import Jurisdiction
    from portal.stats.rollup import done_states

    with app.app_context():
        dialect = db.engine.dialect.name
        js = db.session.query(Jurisdiction).filter(Jurisdiction.id.in_(jurisdiction_ids)).all()
        by_done: dict[frozenset, list[int]] = {}
        for j in js:
            by_done.setdefault(done_states(j.code), []).append(j.id)
    done = " OR ".join(
        f"(c.jurisdiction_id IN ({','.join(map(str, ids))}) "
        f"AND c.state IN ({','.join(repr(s) for s in sorted(states))}))"
        for states, ids in by_done.items()) or "1 = 0"
    ids = ",".join(map(str, jurisdiction_ids))
    month = _month_sql(dialect, "c.received_at")
    not_superseded = "d2.superseded = false" if dialect == "postgresql" else "d2.superseded = 0"
    figures = f"""
        COUNT(*) AS received,
        SUM(CASE WHEN c.replied_at IS NOT NULL THEN 1 ELSE 0 END) AS responded,
        SUM(CASE WHEN c.outcome = 'referred' THEN 1 ELSE 0 END) AS referred,
        SUM(CASE WHEN {done} THEN 1 ELSE 0 END) AS completed,
        SUM(CASE WHEN d.met_at IS NOT NULL THEN 1 ELSE 0 END) AS deadline_closed,
        SUM(CASE WHEN d.met_at <= d.due_at THEN 1 ELSE 0 END) AS on_time,
        COUNT(r.level) AS rated,
        SUM(CASE WHEN r.level >= 3 THEN 1 ELSE 0 END) AS satisfied,
        SUM(r.level) AS rating_sum"""
    joins = f"""
        FROM "case" c
        LEFT JOIN case_deadline d ON d.id = (SELECT MIN(d2.id) FROM case_deadline d2
                                            WHERE d2.case_id = c.id AND {not_superseded})
        LEFT JOIN rating r ON r.id = (SELECT MAX(r2.id) FROM rating r2 WHERE r2.case_id = c.id)
        WHERE c.jurisdiction_id IN ({ids})"""
    return {
        "monthly": f"SELECT {month} AS month, {figures} {joins} GROUP BY 1 ORDER BY 1",
        "category": f"SELECT c.category, {figures} {joins} GROUP BY c.category",
        "department": f"SELECT c.lead_department_id, {figures} {joins} GROUP BY c.lead_department_id",
        "reply_days": (f'SELECT {month} AS month, {_days_sql(dialect)} AS days, COUNT(*) FROM "case" c '
                       f"WHERE c.jurisdiction_id IN ({ids}) AND c.replied_at IS NOT NULL GROUP BY 1, 2"),
        "screened": (f"SELECT {_month_sql(dialect, 's.at')} AS month, COUNT(*) FROM screening_record s "
                     f"WHERE s.jurisdiction_id IN ({ids}) GROUP BY 1"),
    }


def time_live(app, queries: dict[str, str], runs: int) -> tuple[list[float], list[float], dict]:
    """(ms of the monthly query alone, ms of all the page's queries, monthly rows of the last run)."""
    from sqlalchemy import text

    from portal.extensions import db

    monthly_ms, page_ms, monthly = [], [], {}
    with app.app_context():
        for _ in range(runs):
            t0 = time.perf_counter()
            rows = db.session.execute(text(queries["monthly"])).all()
            t1 = time.perf_counter()
            for name in ("category", "department", "reply_days", "screened"):
                db.session.execute(text(queries[name])).all()
            t2 = time.perf_counter()
            db.session.rollback()
            monthly_ms.append((t1 - t0) * 1000)
            page_ms.append((t2 - t0) * 1000)
            monthly = {r.month: r for r in rows}
    return monthly_ms, page_ms, monthly


def check_agreement(app, monthly_live: dict, root_code: str | None) -> bool:
    """The live monthly figures equal the roll-ups' (what the page shows)."""
    from portal.registry import enabled_jurisdictions
    from portal.stats.figures import build_report

    with app.app_context():
        enabled = enabled_jurisdictions()
        root = next(j for j in enabled if j.code == root_code) if root_code else None
        report = build_report(root, enabled)
    rolled = {m: t for m, t in report.months if t.received}
    if set(rolled) != set(monthly_live):
        log(f"months differ: {sorted(set(rolled) ^ set(monthly_live))[:5]}")
        return False
    for m, t in rolled.items():
        live = monthly_live[m]
        mine = (t.received, t.responded, t.referred, t.completed, t.deadline_closed, t.counts["on_time"], t.rated)
        theirs = (live.received, live.responded, live.referred, live.completed, live.deadline_closed,
                  live.on_time, live.rated)
        if mine != tuple(int(x or 0) for x in theirs):
            log(f"{m}: roll-up {mine} != live {theirs}")
            return False
    return True


def time_rollup_reads(app, root_code: str | None, runs: int) -> list[float]:
    """In-process cost of the roll-up queries and arithmetic of one page (no HTTP, no template)."""
    from portal.extensions import db
    from portal.registry import enabled_jurisdictions
    from portal.stats.figures import build_report

    out = []
    with app.app_context():
        for _ in range(runs):
            t0 = time.perf_counter()
            enabled = enabled_jurisdictions()
            root = next(j for j in enabled if j.code == root_code) if root_code else None
            build_report(root, enabled)
            out.append((time.perf_counter() - t0) * 1000)
            db.session.rollback()
    return out


# -- the real server --------------------------------------------------------------------------------
def fetch(port: int, path: str) -> tuple[int, bytes, float]:
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Accept-Language": "zh-CN"})
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    return resp.status, body, (time.perf_counter() - t0) * 1000


def time_http(port: int, path: str, runs: int, warmup: int = 5) -> tuple[list[float], int]:
    for _ in range(warmup):
        fetch(port, path)
    out, size = [], 0
    for _ in range(runs):
        status, body, ms = fetch(port, path)
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status}")
        out.append(ms)
        size = len(body)
    return out, size


# -- report -----------------------------------------------------------------------------------------
def versions(url: str) -> str:
    import sqlite3

    if url.startswith("sqlite"):
        return f"SQLite {sqlite3.sqlite_version}"
    from sqlalchemy import create_engine, text

    eng = create_engine(url)
    with eng.connect() as c:
        v = c.execute(text("SHOW server_version")).scalar()
    eng.dispose()
    return f"PostgreSQL {v}"


def table(rows: list[tuple]) -> str:
    head = "| measured | runs | p50 ms | p95 ms |\n|---|---:|---:|---:|"
    return "\n".join([head] + [f"| {name} | {n} | {p50:.1f} | {p95:.1f} |" for name, n, p50, p95 in rows])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.bench_transparency", description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", type=int, default=1_000_000)
    p.add_argument("--database-url", default=None, help="PostgreSQL server (a database of its own is created)")
    p.add_argument("--workdir", default="/tmp/bancheng-bench-transparency")
    p.add_argument("--requests", type=int, default=200, help="HTTP requests per page measured")
    p.add_argument("--live-runs", type=int, default=5, help="runs of the live GROUP BY")
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    p.add_argument("--reuse", action="store_true", help="reuse a kept bench database with the cases")
    p.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    p.add_argument("--rebuild", action="store_true", help="time portal.stats.rebuild() even on a reused database")
    p.add_argument("--write-readme", action="store_true", help="record the figures in bench/README.md")
    a = p.parse_args(argv)
    os.makedirs(a.workdir, exist_ok=True)
    command = command_line()

    url, cleanup = prepare_database(a)
    instance = os.path.join(a.workdir, "instance")
    os.makedirs(instance, exist_ok=True)
    try:
        app = G.make_app(url, instance)
        G.init_database(app)
        record = Path(a.workdir) / f"generated-{'sqlite' if url.startswith('sqlite') else 'postgresql'}-{a.cases}.json"
        filled = fill(app, a.cases, force_rebuild=a.rebuild, record=record)
        log(f"{filled['cases']} cases, {filled['rollup_rows']} roll-up rows")

        from portal.extensions import db
        from portal.registry import enabled_jurisdictions
        from portal.stats.figures import subtree_codes

        with app.app_context():
            enabled = enabled_jurisdictions()
            all_ids = [j.id for j in enabled]
            root = next(j for j in enabled if j.code == "kunming")
            kunming_ids = [j.id for j in subtree_codes(root, enabled)]
            db.session.remove()

        rows = []
        load_before = os.getloadavg()
        env = {"PORTAL_DATABASE_URL": url, "PORTAL_INSTANCE_PATH": instance,
               "PORTAL_SECRET_KEY": secrets.token_hex(32), "PORTAL_DATA_KEY": G.DATA_KEY, "PYTHONWARNINGS": "ignore",
               # the transparency pages have no limits; several workers would need a shared store
               "PORTAL_RATELIMIT_ENABLED": "0"}
        with Gunicorn("portal:create_app()", env, workers=a.workers, tag=TAG,
                      log_path=Path(a.workdir) / "gunicorn.log") as server:
            for name, path in (("page /transparency (HTTP, gunicorn)", "/transparency"),
                               ("page /transparency/kunming (HTTP)", "/transparency/kunming"),
                               ("page /transparency?year=2025 (HTTP)", "/transparency?year=2025"),
                               ("download /transparency.json (HTTP)", "/transparency.json"),
                               ("download /transparency/kunming.csv (HTTP)", "/transparency/kunming.csv")):
                ms, size = time_http(server.port, path, a.requests)
                rows.append((name, len(ms), pct(ms, 50), pct(ms, 95)))
                log(f"{name}: p50 {pct(ms, 50):.1f} ms, p95 {pct(ms, 95):.1f} ms, {size} bytes")
            load_after = os.getloadavg()
        # the worst case: every request builds its report from the roll-ups (as after each change)
        with Gunicorn("portal:create_app({'PORTAL_STATS_CACHE': False})", env, workers=a.workers, tag=TAG,
                      log_path=Path(a.workdir) / "gunicorn.log") as server:
            for name, path in (("page /transparency, report reuse off (HTTP)", "/transparency"),
                               ("page /transparency/kunming, report reuse off (HTTP)", "/transparency/kunming")):
                ms, size = time_http(server.port, path, a.requests)
                rows.append((name, len(ms), pct(ms, 50), pct(ms, 95)))
                log(f"{name}: p50 {pct(ms, 50):.1f} ms, p95 {pct(ms, 95):.1f} ms, {size} bytes")

        reads = time_rollup_reads(app, None, a.requests)
        rows.append(("roll-up queries of /transparency, no reuse (in process)", len(reads), pct(reads, 50),
                     pct(reads, 95)))

        agree = True
        for label, ids, code in (("all jurisdictions", all_ids, None), ("kunming subtree", kunming_ids, "kunming")):
            monthly_ms, page_ms, monthly = time_live(app, live_queries(app, ids), a.live_runs)
            rows.append((f"live GROUP BY, monthly query only ({label})", len(monthly_ms),
                         pct(monthly_ms, 50), pct(monthly_ms, 95)))
            rows.append((f"live GROUP BY, all the page's figures ({label})", len(page_ms),
                         pct(page_ms, 50), pct(page_ms, 95)))
            log(f"live ({label}): monthly p50 {pct(monthly_ms, 50):.0f} ms, page p50 {pct(page_ms, 50):.0f} ms")
            agree = check_agreement(app, monthly, code) and agree

        page_p95 = max(rows[0][3], next(r[3] for r in rows if r[0].startswith("page /transparency, report reuse off")))
        live_monthly_p50 = next(r[2] for r in rows if r[0].startswith("live GROUP BY, monthly query only (all"))
        verdict = (f"page p95 (the worse of with and without report reuse) {page_p95:.1f} ms "
                   f"{'<' if page_p95 < TARGET_P95_MS else '>='} "
                   f"{TARGET_P95_MS:.0f} ms target; {'faster' if page_p95 < live_monthly_p50 else 'NOT faster'} "
                   f"than the live monthly GROUP BY alone (p50 {live_monthly_p50:.0f} ms, "
                   f"{live_monthly_p50 / page_p95:.1f}x the page's p95); live and roll-up monthly figures "
                   f"{'agree' if agree else 'DISAGREE'}")
        when = stamp()
        names = {"insert_s": "bulk insert", "earlier_insert_s": "bulk insert (earlier run, database reused)",
                 "rebuild_s": "portal.stats.rebuild()"}
        timings = ", ".join(f"{names[k]} {v:.0f} s" for k, v in filled.items() if k in names)
        dialect = "sqlite" if url.startswith("sqlite") else "postgresql"
        block = "\n".join([
            f"## Transparency pages ({filled['cases']:,} cases, {versions(url).split(' ')[0]})",
            "",
            f"- Date: {when}; machine: {machine()}; database: {versions(url)}; gunicorn {a.workers} sync workers on "
            f"loopback; 1-minute load average {load_before[0]:.1f} before and {load_after[0]:.1f} after the "
            "HTTP runs (the machine is shared: other work running at the same time inflates the tails).",
            f"- Command: `{command}`",
            f"- Data: {filled['cases']:,} cases over every enabled jurisdiction and 2023-2026, "
            f"{filled['rollup_rows']:,} roll-up rows{'; ' + timings if timings else ' (reused database)'}.",
            f"- Result: {verdict}.",
            "",
            table(rows),
        ])
        print(block)
        if a.write_readme:
            write_section(f"{TAG}-{dialect}", block)
            log("recorded in bench/README.md")
        return 0 if (page_p95 < TARGET_P95_MS and page_p95 < live_monthly_p50 and agree) else 1
    finally:
        cleanup()


if __name__ == "__main__":
    raise SystemExit(main())
