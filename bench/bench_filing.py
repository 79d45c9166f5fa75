"""Filing throughput: the real public form under gunicorn on PostgreSQL, against a bare
Flask + SQLAlchemy insert endpoint, in the same run.

    .venv/bin/python -m bench.bench_filing --seconds 30 --write-readme

What it does:

1. Creates a database of its own on the PostgreSQL server (default
   postgresql://postgres@127.0.0.1:5432/), builds it with `flask --app portal db
   upgrade` and `flask --app portal portal init-db` in the core-only configuration
   (PORTAL_JURISDICTIONS empty: jurisdiction ``demo``), and drops it at the end.
2. Serves the portal (bench/wsgi_portal.py: ``create_app`` with rate limiting off,
   since every filing comes from 127.0.0.1) and bench/bare_app.py (one INSERT of a
   comparable row per POST) with gunicorn, both at once with the same settings (worker
   count and type), on the same database server. The bare table is created once before
   its workers boot (they raced to create it, and the loser took the server down).
3. Drives them in alternating rounds (portal then bare, bare then portal, ...; ``--rounds``,
   the seconds split evenly) so both see the same background load on a shared machine:
   C client threads, each with its own cookie session: GET the form, fill it in (the
   fields are read with an HTML parser on a client's first GET, the hidden CSRF token and
   one-time submission id with a regular expression on every GET, the same for both
   endpoints), POST; a filing counts when the answer is the 303 to its receipt.
   The gunicorn workers' CPU time (user + system, psutil) is read before and after every
   round: the report gives each endpoint's worker CPU per filing.
4. Checks that every receipt's case is in the database exactly once, and measures one
   filing in-process (Flask test client): wall and CPU time, SQL statements per GET and
   per POST, and the access-code hash (HMAC-SHA256; PBKDF2 of the earlier scheme beside).

Target (issue 6): the portal at least half of the bare figure.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import html as html_lib
import http.client
import os
import random
import re
import subprocess
import threading
import time
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

from .common import Gunicorn, ROOT, VENV_BIN, command_line, log, machine, pct, publish, stamp

TAG = "filing"
SECRET = "bench-filing-" + "s" * 40


# -- a small browser ----------------------------------------------------------------------
class FormParser(HTMLParser):
    """The fields of the first POST form: inputs, selects (first non-empty option), textareas."""

    def __init__(self):
        super().__init__()
        self.in_form = False
        self.done = False
        self.fields: dict[str, str] = {}
        self.kinds: dict[str, str] = {}
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self.done and (a.get("method") or "").lower() == "post":
            self.in_form = True
        if not self.in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if name not in self.fields and kind == "radio":
                    self.fields[name] = a.get("value", "")
            elif kind not in ("file", "submit", "button"):
                self.fields[name] = a.get("value", "")
            self.kinds[name] = kind
        elif tag == "select" and name:
            self._select = name
            self.kinds[name] = "select"
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if value and not self.fields.get(self._select):
                self.fields[self._select] = value
            self.fields.setdefault(self._select, value)
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""
            self.kinds[name] = "textarea"

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self.in_form:
            self.in_form = False
            self.done = True


VALUES = {
    "matter": ["户口迁移", "居住证办理", "社会保险费补缴", "房屋租赁备案", "职工退休审批", "养犬登记"],
    "description": ["按照网上公示的办事指南准备了材料，窗口却要求补充居民身份证原件，跑了两次没办成。",
                    "在外地无法到现场，窗口要求本人到场办理，希望能够视频核验。"],
    "name": ["王晓明", "李丽华", "张建国"],
    "phone": ["13900001234", "13900005678"],
}


def fill(fields: dict[str, str], kinds: dict[str, str], rng: random.Random) -> dict[str, str]:
    out = dict(fields)
    for name, kind in kinds.items():
        if name in VALUES:
            out[name] = rng.choice(VALUES[name])
        elif kind in ("text", "textarea", "tel", "email") and not out.get(name):
            if name in ("id_number", "address", "email"):
                out[name] = ""  # optional contact details stay empty
            else:
                out[name] = "测试内容"
    return out


class Client:
    """One person: keeps cookies, follows nothing automatically."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.form = None  # (fields, kinds) of the form, read on the first GET

    def request(self, method: str, path: str, body: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        for header, value in resp.getheaders():
            if header.lower() == "set-cookie":
                k, _, v = value.split(";", 1)[0].partition("=")
                self.cookies[k.strip()] = v.strip()
        conn.close()
        return resp.status, resp.getheader("Location") or "", text


HIDDEN_RE = re.compile(r'<input\b[^>]*\btype="hidden"[^>]*>')
NAME_RE = re.compile(r'\bname="([^"]*)"')
VALUE_RE = re.compile(r'\bvalue="([^"]*)"')


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden inputs of a page (CSRF token, one-time submission id), by regular expression."""
    out = {}
    for tag in HIDDEN_RE.findall(page):
        name, value = NAME_RE.search(tag), VALUE_RE.search(tag)
        if name:
            out[name.group(1)] = html_lib.unescape(value.group(1)) if value else ""
    return out


def file_once(client: Client, path: str, rng: random.Random) -> str | None:
    """GET the form, fill it, POST it; the receipt path on success, else None.

    The form's fields are read with the HTML parser on the client's first GET only: they are
    the same on every rendering, only the hidden values (CSRF token, submission id) change, and
    those are read with a regular expression. Parsing every page in Python cost the client
    (which shares the 2 cores with the servers) more for the portal's form than for the bare
    one-line form, which charged the client's work to the portal."""
    status, _loc, page = client.request("GET", path)
    if status != 200:
        return None
    if client.form is None:
        parser = FormParser()
        parser.feed(page)
        client.form = (parser.fields, parser.kinds)
    fields, kinds = client.form
    data = fill(fields, kinds, rng)
    data.update(hidden_fields(page))
    status, location, _ = client.request("POST", path, data)
    return location if status == 303 else None


def drive(port: int, path: str, seconds: float, threads: int) -> dict:
    stop = time.monotonic() + seconds
    results: list[list] = [[] for _ in range(threads)]
    failures = [0] * threads

    def worker(i: int) -> None:
        rng = random.Random(i)
        client = Client(port)
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            try:
                receipt = file_once(client, path, rng)
            except OSError:
                receipt = None
            if receipt:
                results[i].append((time.perf_counter() - t0, receipt))
            else:
                failures[i] += 1

    t0 = time.perf_counter()
    ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    elapsed = time.perf_counter() - t0
    done = [r for rs in results for r in rs]
    return {"filings": len(done), "failures": sum(failures), "elapsed": elapsed,
            "latencies": [d * 1000 for d, _ in done], "receipts": [r for _, r in done]}


def _cpu_seconds(processes) -> float:
    """User + system CPU seconds used so far by ``processes`` (psutil), skipping any that ended."""
    import psutil

    total = 0.0
    for proc in processes:
        try:
            t = proc.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def workers_cpu(server) -> float:
    """CPU seconds used so far by the server's gunicorn workers (not the master)."""
    import psutil

    return _cpu_seconds(psutil.Process(server.proc.pid).children())


def database_cpu() -> float:
    """CPU seconds used so far by the PostgreSQL server's processes on this machine (every
    backend and helper; the server is shared by both endpoints, which run one at a time)."""
    import psutil

    return _cpu_seconds(p for p in psutil.process_iter(["name"]) if p.info["name"] in ("postgres", "postmaster"))


def summarise(parts: list[dict]) -> dict:
    filings = sum(p["filings"] for p in parts)
    elapsed = sum(p["elapsed"] for p in parts)
    lat = [x for p in parts for x in p["latencies"]]
    return {"filings": filings, "failures": sum(p["failures"] for p in parts), "seconds": round(elapsed, 1),
            "per_second": round(filings / elapsed, 1) if elapsed else 0.0,
            "median_ms": round(pct(lat, 50), 1) if lat else None, "p95_ms": round(pct(lat, 95), 1) if lat else None,
            "rounds": [round(p["filings"] / p["elapsed"], 1) for p in parts],
            # all workers' CPU time over the endpoint's rounds, per filing (GET + POST; a worker
            # that died and was replaced during a round would be missed)
            "worker_cpu_ms": round(sum(p.get("worker_cpu", 0) for p in parts) / filings * 1000, 2) if filings else None,
            # the same per filing for the database server and for the load generator (this process)
            "database_cpu_ms": round(sum(p.get("database_cpu", 0) for p in parts) / filings * 1000, 2) if filings else None,
            "client_cpu_ms": round(sum(p.get("client_cpu", 0) for p in parts) / filings * 1000, 2) if filings else None,
            "receipts": [r for p in parts for r in p["receipts"]]}


# -- databases ----------------------------------------------------------------------------
def create_database(server: str) -> tuple[str, callable]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from portal.config import normalise_db_url

    name = f"bancheng_bench_filing_{os.getpid()}"
    admin = create_engine(normalise_db_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(normalise_db_url(server)).set(database=name).render_as_string(hide_password=False)

    def drop():
        eng = create_engine(normalise_db_url(server), isolation_level="AUTOCOMMIT")
        with eng.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        eng.dispose()

    return url, drop


def portal_env(url: str, workdir: Path) -> dict:
    return {"PORTAL_DATABASE_URL": url, "PORTAL_JURISDICTIONS": "", "PORTAL_SECRET_KEY": SECRET,
            "PORTAL_DATA_KEY": "bench:" + base64.b64encode(b"bench-filing-data-key-invented!!").decode(),
            "PORTAL_INSTANCE_PATH": str(workdir), "PORTAL_INDEX_DIR": str(workdir / "index"),
            "PORTAL_MAIL_FILE": str(workdir / "outbox.log")}


def build_database(env: dict) -> None:
    full = {**os.environ, **env}
    for args in (["db", "upgrade"], ["portal", "init-db"]):
        subprocess.run([str(VENV_BIN / "flask"), "--app", "portal", *args], cwd=ROOT, env=full, check=True,
                       capture_output=True)


def check_receipts(url: str, receipts: list[str]) -> dict:
    from sqlalchemy import create_engine, text

    numbers = [r.rsplit("/", 1)[-1] for r in receipts]
    eng = create_engine(url)
    with eng.connect() as c:
        rows = c.execute(text('SELECT number, count(*) FROM "case" GROUP BY number')).all()
    eng.dispose()
    counts = dict(rows)
    return {"receipts": len(numbers), "distinct_receipts": len(set(numbers)),
            "all_in_database_once": all(counts.get(n) == 1 for n in numbers),
            "cases_in_database": sum(counts.values())}


def breakdown(url: str, workdir: Path) -> dict:
    """Where one filing's time goes, in-process (the Flask test client, same database): wall
    and CPU time per GET + POST, SQL statements per GET and per POST (a SQLAlchemy event
    listener), and the access-code hash (HMAC-SHA256 now; PBKDF2 at 20,000 iterations before)."""
    from sqlalchemy import event

    from portal import create_app
    from portal.engine.numbering import PBKDF2_ITERATIONS, hash_access_code, hash_access_code_pbkdf2
    from portal.extensions import db

    n = 40
    os.environ.update(portal_env(url, workdir))
    app = create_app({"RATELIMIT_ENABLED": False})
    with app.app_context():
        hash_ms = _time(lambda: hash_access_code("ABCDEFGHJK"), 200)
        engine = db.engine
    pbkdf2_ms = _time(lambda: hash_access_code_pbkdf2("ABCDEFGHJK"), 10)
    counts = {"GET": 0, "POST": 0, "other": 0}
    phase = ["other"]

    def count(*_args):
        counts[phase[0]] += 1

    event.listen(engine, "before_cursor_execute", count)
    rng = random.Random(7)
    with app.test_client() as tc:
        form = []

        def one():
            phase[0] = "GET"
            page = tc.get("/file/demo").get_data(as_text=True)
            if not form:
                parser = FormParser()
                parser.feed(page)
                form.append((parser.fields, parser.kinds))
            data = fill(*form[0], rng)
            data.update(hidden_fields(page))
            phase[0] = "POST"
            resp = tc.post("/file/demo", data=data)
            phase[0] = "other"
            assert resp.status_code == 303, resp.status_code

        one()
        one()
        counts.update(GET=0, POST=0)
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(n):
            one()
        request_ms = (time.perf_counter() - t0) / n * 1000
        cpu_ms = (time.process_time() - c0) / n * 1000
        sql = {"get": counts["GET"] / n, "post": counts["POST"] / n}
        t0 = time.perf_counter()
        for _ in range(n):
            tc.get("/file/demo")
        get_ms = (time.perf_counter() - t0) / n * 1000
    event.remove(engine, "before_cursor_execute", count)
    with app.app_context():
        db.engine.dispose()
    return {"pbkdf2_iterations": PBKDF2_ITERATIONS, "hash_ms": round(hash_ms, 3), "pbkdf2_ms": round(pbkdf2_ms, 1),
            "get_post_ms": round(request_ms, 1), "get_post_cpu_ms": round(cpu_ms, 1), "get_ms": round(get_ms, 1),
            "post_ms": round(request_ms - get_ms, 1), "sql_get": round(sql["get"], 1),
            "sql_post": round(sql["post"], 1),
            "sha256_1_ms": round(_time(lambda: hashlib.sha256(b"x").digest(), 1000), 4)}


def _time(fn, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n * 1000


# -- report -------------------------------------------------------------------------------
def report(args, r: dict) -> str:
    p, b, bd = r["portal"], r["bare"], r["breakdown"]
    ratio = p["per_second"] / b["per_second"] if b["per_second"] else 0
    ok = "met" if ratio >= 0.5 else "**not met**"
    return "\n".join([
        f"### Filing through the real form ({stamp()})",
        "",
        f"Machine: {machine()}; PostgreSQL {r['pg_version']} on loopback.",
        "",
        f"Command: `{command_line()}`",
        "",
        f"gunicorn {args.workers} sync workers for each endpoint (the same settings for both), "
        f"{args.threads} client threads, {args.seconds} s per endpoint in {args.rounds} alternating rounds "
        "(a filing = GET the form + POST it; counted on the 303 to its receipt). "
        f"Per round, portal: {', '.join(map(str, p['rounds']))}; bare: {', '.join(map(str, b['rounds']))} filings/s.",
        "",
        "| endpoint | filings/s | median | p95 | failed |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| portal `/file/demo` (CSRF, submission id, numbering, access-code hash, deadline, event, roll-ups) | "
        f"{p['per_second']} | {p['median_ms']} ms | {p['p95_ms']} ms | {p['failures']} |",
        f"| bare Flask + SQLAlchemy insert (bench/bare_app.py) | {b['per_second']} | {b['median_ms']} ms | "
        f"{b['p95_ms']} ms | {b['failures']} |",
        "",
        f"Worker CPU per filing (all gunicorn workers' user + system time over the endpoint's rounds, GET + "
        f"POST): portal {p['worker_cpu_ms']} ms, bare {b['worker_cpu_ms']} ms. The database server's CPU "
        f"per filing (every PostgreSQL process): portal {p['database_cpu_ms']} ms, bare {b['database_cpu_ms']} ms; "
        f"the load generator's (this process, 2 requests): portal {p['client_cpu_ms']} ms, bare "
        f"{b['client_cpu_ms']} ms. All three share the machine's cores, so together they bound the rate.",
        "",
        f"Ratio portal/bare: **{ratio:.2f}** (target ≥ 0.5: {ok}). Every receipt's case in the database "
        f"exactly once: {r['check']['all_in_database_once']} ({r['check']['receipts']} receipts, "
        f"{r['check']['cases_in_database']} cases).",
        "",
        f"One filing in-process (Flask test client, same database, client included): GET + POST "
        f"{bd['get_post_ms']} ms wall, {bd['get_post_cpu_ms']} ms CPU (GET {bd['get_ms']} ms, POST "
        f"{bd['post_ms']} ms); SQL statements per filing {bd['sql_get'] + bd['sql_post']:g} (GET "
        f"{bd['sql_get']:g}, POST {bd['sql_post']:g}); the access-code hash (HMAC-SHA256) {bd['hash_ms']} ms "
        f"(PBKDF2-SHA256 at {bd['pbkdf2_iterations']:,} iterations, the earlier scheme: {bd['pbkdf2_ms']} ms).",
    ])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.bench_filing", description=__doc__.split("\n\n")[0])
    p.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/", help="PostgreSQL server")
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--rounds", type=int, default=4, help="alternating rounds per endpoint (seconds split evenly)")
    p.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    p.add_argument("--workdir", default="/tmp/bancheng-bench-filing")
    p.add_argument("--write-readme", action="store_true")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)

    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    url, drop = create_database(args.server)
    results: dict = {}
    try:
        env = portal_env(url, workdir)
        build_database(env)
        from sqlalchemy import create_engine, text

        eng = create_engine(url)
        with eng.connect() as c:
            results["pg_version"] = c.execute(text("SHOW server_version")).scalar()
        eng.dispose()
        log(TAG, f"database ready: {url}")
        # bare_app creates its table at import; importing it once here first keeps the workers
        # from racing to CREATE TABLE at boot (one lost that race and the bare server died)
        subprocess.run([str(VENV_BIN / "python"), "-c", "import bench.bare_app"], cwd=ROOT, check=True,
                       env={**os.environ, "BENCH_BARE_DATABASE_URL": url}, capture_output=True)
        # Both servers up at once (an idle one costs nothing) and driven in alternating rounds
        # (portal, bare; bare, portal; ...): on a shared machine both then see the same
        # background load, instead of one endpoint getting a quiet half-minute and the other a busy one.
        with Gunicorn("bench.wsgi_portal:app", env, workers=args.workers, tag=TAG,
                      log_path=workdir / "gunicorn-portal.log") as portal_server, \
                Gunicorn("bench.bare_app:app", {"BENCH_BARE_DATABASE_URL": url}, workers=args.workers, tag=TAG,
                         log_path=workdir / "gunicorn-bare.log") as bare_server:
            targets = {"portal": (portal_server.port, "/file/demo"), "bare": (bare_server.port, "/file")}
            servers = {"portal": portal_server, "bare": bare_server}
            for port, path in targets.values():
                for i in range(2 * args.workers):  # warm every worker's imports and pools
                    file_once(Client(port), path, random.Random(i))
            parts: dict[str, list] = {"portal": [], "bare": []}
            per_round = args.seconds / args.rounds
            for r in range(args.rounds):
                order = ("portal", "bare") if r % 2 == 0 else ("bare", "portal")
                for name in order:
                    port, path = targets[name]
                    cpu0, db0, client0 = workers_cpu(servers[name]), database_cpu(), time.process_time()
                    parts[name].append(drive(port, path, per_round, args.threads))
                    parts[name][-1].update(worker_cpu=workers_cpu(servers[name]) - cpu0,
                                           database_cpu=database_cpu() - db0,
                                           client_cpu=time.process_time() - client0)
                    log(TAG, f"round {r + 1} {name}: {parts[name][-1]['filings']} filings")
        portal, bare = summarise(parts["portal"]), summarise(parts["bare"])
        log(TAG, f"portal: {portal['per_second']} filings/s ({portal['filings']} in {portal['seconds']} s, "
                 f"{portal['failures']} failed)")
        results["check"] = check_receipts(url, portal.pop("receipts"))
        bare.pop("receipts")
        log(TAG, f"bare: {bare['per_second']} filings/s ({bare['filings']} in {bare['seconds']} s)")
        results["portal"], results["bare"] = portal, bare
        results["breakdown"] = breakdown(url, workdir)
        log(TAG, f"breakdown: {results['breakdown']}")
    finally:
        drop()
    text_ = report(args, results)
    publish("filing", text_, results, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
