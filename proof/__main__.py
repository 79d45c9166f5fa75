"""`python -m proof` (what `make proof` runs): the full load, fault and hostile-input runs,
then docs/reliability.md.

PostgreSQL comes from --database (default: $PROOF_DATABASE_URL, then
postgresql://postgres@127.0.0.1:5432/test); the run creates databases of its own on that
server and drops them at the end. Redis on 127.0.0.1:6379 holds the shared rate limits.
Without PostgreSQL it falls back to SQLite and says so in the report.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
import traceback
from pathlib import Path

from . import faults, hostile, load, report
from .checks import Check
from .faults import FaultResult
from .servers import ROOT, Database, Server, Site, postgres_server, redis_flush, redis_storage

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m proof", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database", default=None, help="PostgreSQL server URL (a maintenance database on it)")
    ap.add_argument("--seconds", type=float, default=60, help="length of the load run")
    ap.add_argument("--users", type=int, default=8, help="simulated people at once")
    ap.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    ap.add_argument("--examples", type=int, default=40, help="hypothesis examples per form")
    ap.add_argument("--reindex-entries", type=int, default=4000)
    ap.add_argument("--workdir", default=str(ROOT / "test-artifacts" / "proof"))
    ap.add_argument("--report", default=str(ROOT / "docs" / "reliability.md"))
    ap.add_argument("--only", default="", help="comma-separated: load,faults,hostile")
    args = ap.parse_args(argv)
    only = set(filter(None, args.only.split(",")))

    work = Path(args.workdir)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    import os

    server_url = postgres_server(args.database or os.environ.get("PROOF_DATABASE_URL") or DEFAULT_PG)
    redis_uri, redis_why = redis_storage()
    context = {"database": "PostgreSQL (databases of its own, dropped afterwards)" if server_url else
               "SQLite (no PostgreSQL answered: the database-outage proof runs in-process)",
               "rate-limit storage": redis_uri.rsplit("/", 1)[0] if redis_uri else f"memory ({redis_why})",
               "gunicorn workers": args.workers, **report.versions()}
    print(f"proof: {context}", flush=True)
    sites: list[Site] = []
    sections: list[tuple[str, object]] = []

    def new_site(name: str, template: Site, **kw) -> Site:
        s = template.clone(work / name)
        for k, v in kw.items():
            setattr(s, k, v)
        sites.append(s)
        return s

    def step(area: str, fn):
        t = time.monotonic()
        print(f"proof: {area} ...", flush=True)
        try:
            res = fn()
        except Exception as exc:  # noqa: BLE001 - a crashed step is a failed step, reported
            traceback.print_exc()
            res = FaultResult(area, checks=[Check("ran to the end", False, f"{type(exc).__name__}: {exc}"[:300])])
        for r in res if isinstance(res, list) else [res]:
            sections.append((area, r))
            for c in r.checks:
                print(f"  {c}", flush=True)
        print(f"proof: {area} took {time.monotonic() - t:.0f}s", flush=True)

    try:
        db = Database.postgres(server_url) if server_url else Database.sqlite(work / "template" / "db" / "portal.sqlite3")
        template = Site(work / "template", db, ratelimit_uri=redis_uri or "memory://")
        sites.append(template)
        print("proof: setting up (init-db, load-demo, reindex) ...", flush=True)
        template.setup()

        if not only or "load" in only:
            def run_load():
                site = new_site("load", template)
                with Server(site, workers=args.workers, name="load") as srv:
                    srv.warm_up()
                    return load.as_result(load.run(srv, site, seconds=args.seconds, users=args.users))
            step("Load", run_load)

        if not only or "faults" in only:
            def killed():
                site = new_site("kill", template)
                with Server(site, workers=2, name="kill") as srv:
                    srv.warm_up(2)
                    return faults.worker_killed(srv, site, kills=5, filers=4)
            step("Faults", killed)

            def db_down():
                site = new_site("dbdown", template)
                if site.database.kind == "postgresql":
                    return faults.database_down_http(site, workers=2, outage=10)
                return faults.database_down_inprocess(site)
            step("Faults", db_down)

            def index_and_reindex():
                site = new_site("index", template)
                with Server(site, workers=2, name="index") as srv:
                    srv.warm_up(2)
                    return [faults.index_unwritable(site, srv),
                            faults.failed_write_releases_lock(site),
                            faults.reindex_killed(site, srv, entries=args.reindex_entries)]
            step("Faults", index_and_reindex)

        if not only or "hostile" in only:
            hsite = new_site("hostile", template)

            def inprocess():
                out = []
                app = hsite.app(WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
                fx = hostile.prepare(app)
                out.append(hostile.fuzz_forms(app, fx, examples=args.examples))
                for fn in (hostile.encodings, hostile.oversize, hostile.traversal, hostile.injection):
                    out.append(fn(app, fx))
                # Flask-Limiter keeps one configuration per process: build each app just before its use.
                app = hsite.app(WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=False)
                out.append(hostile.csrf(app, hostile.prepare(app)))
                app = hsite.app(WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
                out.append(hostile.brute_force_inprocess(app, hostile.prepare(app)))
                app = hsite.app(WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
                out.append(hostile.security_findings(app, hostile.prepare(app)))
                out.append(hostile.limiter_storage_down(
                    lambda **c: hsite.app(WTF_CSRF_ENABLED=False, **c), hostile.prepare))
                return out
            step("Hostile input", inprocess)

            def over_http():
                out = []
                for uri in ([redis_uri] if redis_uri else []) + ["memory://"]:
                    site = new_site(f"limits-{uri.split(':')[0]}", template, ratelimit_uri=uri)
                    with Server(site, workers=2, name="limits") as srv:
                        out.append(hostile.shared_limits(srv))
                        if uri == "memory://":
                            out.append(hostile.oversize_http(srv))
                    if uri.startswith("redis"):
                        redis_flush(uri)
                if not redis_uri:
                    out.append(FaultResult("brute force across workers (Redis)", checks=[
                        Check("limit shared across workers", False, f"not proven: {redis_why}")]))
                return out
            step("Hostile input", over_http)
    finally:
        for s in reversed(sites):
            try:
                s.destroy()
            except Exception as exc:  # noqa: BLE001
                print(f"proof: could not drop {s.database.url}: {exc}", file=sys.stderr)
        if redis_uri:
            try:
                redis_flush(redis_uri)
            except Exception:  # noqa: BLE001
                pass

    only_note = f" --only {args.only}" if only else ""
    path = report.write(sections, context=context, command=f"make proof{only_note}", path=Path(args.report),
                        json_path=work / "proof.json")
    failed = [(a, r.name, c.name) for a, r in sections for c in r.checks if not c.ok]
    print(f"proof: wrote {path}; {len(failed)} checks did not hold" + (f": {json.dumps(failed, ensure_ascii=False)}"
                                                                        if failed else ""), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
