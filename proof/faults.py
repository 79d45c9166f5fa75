"""Faults: a worker killed mid-request, the database unreachable, the index unwritable,
a reindex killed half-way. Each returns checks that say what held."""
from __future__ import annotations

import os
import random
import secrets
import shutil
import signal
import subprocess
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import text

from . import checks
from . import journeys as J
from .client import PDF, PNG, Browser, Recorder, new_source_ip
from .servers import BIN, ROOT, Server, Site, TcpProxy


@dataclass
class FaultResult:
    name: str
    checks: list[checks.Check] = field(default_factory=list)
    figures: dict = field(default_factory=dict)
    how: str = ""

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def padded_pdf(size: int) -> bytes:
    return PDF + b"%" + b"0" * max(0, size - len(PDF) - 1)


# -- a worker killed mid-request ---------------------------------------------------------
def worker_killed(server: Server, site: Site, *, kills: int = 3, filers: int = 4, interval: float = 1.5,
                  seed: int = 3) -> FaultResult:
    """SIGKILL gunicorn workers while filings with attachments are in flight."""
    rec = Recorder()
    before = checks.case_numbers(site)
    receipts: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    jcodes = J.jurisdictions(Browser(server.url)) or ["beijing"]

    def filer(i):
        rnd = random.Random(seed * 100 + i)
        while not stop.is_set():
            b = Browser(server.url, source_ip=new_source_ip(), recorder=rec, timeout=20)
            files = [("attachments", f"证明{k}.pdf", "application/pdf", padded_pdf(rnd.randint(200, 900) * 1024))
                     for k in range(rnd.randint(1, 3))]
            f = J.file_case(b, rnd.choice(jcodes), rnd=rnd, files=files)
            if f.number:
                with lock:
                    receipts.append(f.number)

    threads = [threading.Thread(target=filer, args=(i,)) for i in range(filers)]
    for t in threads:
        t.start()
    killed = []
    try:
        time.sleep(interval)
        for _ in range(kills):
            pids = server.worker_pids()
            if pids:
                killed.append(server.kill_worker(random.Random(len(killed)).choice(pids)))
            time.sleep(interval)
    finally:
        stop.set()
        for t in threads:
            t.join()
    # gunicorn's master replaces the killed workers by itself
    deadline = time.monotonic() + 30
    while len(server.worker_pids()) < server.workers and time.monotonic() < deadline:
        time.sleep(0.2)
    after = Browser(server.url).get("/")
    cut = rec.summary()["no_response"]
    res = FaultResult("worker killed mid-request", how=f"SIGKILL {len(killed)} gunicorn workers while {filers} "
                      "people filed cases with 1-3 attachments of 0.2-0.9 MB")
    res.checks = [
        checks.Check("requests cut by the kills", cut > 0,
                     f"{cut} requests lost their connection when their worker died (the kill hit work in flight)"),
        checks.responses(rec, allow_no_response=True),
        checks.filings(site, receipts, before, allow_unreceipted=True),
        checks.case_integrity(site, checks.case_numbers(site) - before),
        checks.Check("workers replaced", len(server.worker_pids()) >= server.workers and after.status == 200,
                     f"{len(server.worker_pids())} workers after the kills; the next request answered {after.status}"),
    ]
    res.figures = {"kills": len(killed), "cut_requests": cut, "receipts": len(receipts),
                   "unreceipted_cases": res.checks[2].figures.get("unreceipted", 0)}
    return res


# -- the database unreachable --------------------------------------------------------------
def _is_503_page(r) -> bool:
    return r.status == 503 and r.header("Retry-After") is not None and "<html" in r.text.lower()


def database_down_http(site: Site, *, workers: int = 2, outage: float = 6.0, recover_within: float = 30.0) -> FaultResult:
    """PostgreSQL through a TCP proxy we cut: 503 pages while it is down, recovery without a restart."""
    assert site.database.kind == "postgresql", "the HTTP variant needs PostgreSQL (SQLite has no network to cut)"
    rec = Recorder()
    proxy = TcpProxy(site.database.address())
    server = Server(site, workers=workers, database_url=site.database.with_port(proxy.port), name="dbdown")
    res = FaultResult("database unreachable", how=f"PostgreSQL behind a TCP proxy cut for {outage:.0f}s "
                      f"under {workers} gunicorn workers")
    try:
        server.start()
        server.warm_up(2)
        jcode = (J.jurisdictions(Browser(server.url)) or ["beijing"])[0]
        staff = Browser(server.url, recorder=rec)
        J.staff_login(staff, f"{jcode}-supervisor")
        # each person submits once while it is down (their form was opened before), as people would
        people = [Browser(server.url, source_ip=new_source_ip(), recorder=rec) for _ in range(int(outage * 2) + 3)]
        waiting = [(p, J.intake_form(p, jcode)[1]) for p in people]
        before = checks.case_numbers(site)
        files_before = set(os.listdir(site.upload_dir))
        pids = server.worker_pids()

        proxy.cut()
        t0 = time.monotonic()
        during = []
        while time.monotonic() - t0 < outage:
            during.append(Browser(server.url, recorder=rec).get("/", kind="outage"))
            during.append(Browser(server.url, recorder=rec).get("/transparency", kind="outage"))
            during.append(staff.get("/staff/", kind="outage"))
            if waiting:
                p, form = waiting.pop()
                if form is not None:
                    during.append(p.submit(form, files=[("attachments", "a.png", "image/png", PNG)],
                                           kind="outage", retry_errors=False))
            time.sleep(0.3)
        proxy.restore()
        t1 = time.monotonic()
        recovered = None
        while time.monotonic() - t1 < recover_within:
            r = Browser(server.url, recorder=rec).get("/", kind="recovery")
            if r.status == 200:
                recovered = time.monotonic() - t1
                break
            time.sleep(0.2)
        # a filing and a staff page work again, with the same processes
        f = J.file_case(Browser(server.url, source_ip=new_source_ip(), recorder=rec), jcode, attachments=1)
        staff_after = staff.get("/staff/", kind="recovery")
        after = checks.case_numbers(site)
        stray = set(os.listdir(site.upload_dir)) - files_before
        statuses = {}
        for r in during:
            statuses[r.status] = statuses.get(r.status, 0) + 1
        bad = [r for r in during if r.status not in (503,) and not (r.status == 200 and r.path != "/staff/")]
        wrong_pages = [r for r in during if r.status == 503 and not _is_503_page(r)]
        res.checks = [
            checks.Check("clear 503 while down", not bad and not wrong_pages and statuses.get(503, 0) > 0,
                         f"responses while down: {statuses}; {len(wrong_pages)} 503s without the page or Retry-After" +
                         (f"; unexpected: {[f'{r.status} {r.method} {r.path}' for r in bad[:5]]}" if bad else "")),
            checks.Check("recovers by itself", recovered is not None and pids == server.worker_pids(),
                         f"first 200 {recovered:.1f}s after the database came back, same worker processes"
                         if recovered is not None else f"no 200 within {recover_within:.0f}s"),
            checks.Check("works after recovery", bool(f.number) and staff_after.status == 200,
                         f"a filing got receipt {f.number}; the staff queue answered {staff_after.status}"),
            checks.Check("nothing half-saved", after - before == ({f.number} if f.number else set()) and
                         len(stray) == (1 if f.number else 0),
                         f"{len(after - before)} new cases (only the one filed after recovery); "
                         f"{len(stray)} new upload files (only its attachment)"),
            checks.server_log(server.log_text()),
        ]
        res.figures = {"outage_seconds": outage, "responses_while_down": statuses,
                       "recovery_seconds": round(recovered, 2) if recovered is not None else None}
    finally:
        server.stop()
        proxy.close()
    return res


def database_down_inprocess(site: Site, *, outage_requests: int = 3) -> FaultResult:
    """SQLite: the database folder disappears (renamed away) and comes back.

    No pooled connection may keep the old file open, so this app uses NullPool; it
    runs in-process (the Flask test client) because gunicorn cannot be given that pool.
    """
    from sqlalchemy.pool import NullPool

    assert site.database.kind == "sqlite"
    res = FaultResult("database unreachable", how="SQLite folder renamed away and back (in-process, NullPool)")
    folder = Path(site.database.path).parent
    away = folder.with_name(folder.name + ".away")
    app = site.app(SQLALCHEMY_ENGINE_OPTIONS={"poolclass": NullPool})
    client = app.test_client()
    jcode = "beijing" if "beijing" in site.jurisdictions else site.jurisdictions[0]
    page = client.get(f"/file/{jcode}")
    before = checks.case_numbers(site)
    files_before = set(os.listdir(site.upload_dir))
    ok_before = client.get("/").status_code
    os.rename(folder, away)
    try:
        from .client import Form, FormParser

        p = FormParser()
        p.feed(page.get_data(as_text=True))
        form: Form | None = next((f for f in p.forms if f.method == "post"), None)
        during = []
        for _ in range(outage_requests):
            during.append(client.get("/"))
            during.append(client.get("/transparency"))
            if form is not None:
                data = {}
                for k, v in form.fill():
                    data.setdefault(k, []).append(v)
                data["attachments"] = [(__import__("io").BytesIO(PNG), "a.png")]
                during.append(client.post(f"/file/{jcode}", data=data, content_type="multipart/form-data"))
    finally:
        os.rename(away, folder)
    after_first = client.get("/")
    after = checks.case_numbers(site)
    stray = set(os.listdir(site.upload_dir)) - files_before
    statuses = {}
    for r in during:
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
    wrong = [r for r in during if r.status_code != 503 or r.headers.get("Retry-After") is None]
    res.checks = [
        checks.Check("clear 503 while down", ok_before == 200 and not wrong,
                     f"before {ok_before}; while down {statuses}"),
        checks.Check("recovers by itself", after_first.status_code == 200,
                     f"first request after the folder came back: {after_first.status_code}"),
        checks.Check("nothing half-saved", after == before and not stray,
                     f"{len(after - before)} new cases, {len(stray)} stray upload files"),
    ]
    res.figures = {"responses_while_down": statuses}
    with app.app_context():
        from portal.extensions import db

        db.engine.dispose()
    return res


# -- the index directory unwritable ---------------------------------------------------------
@contextmanager
def unwritable(path: Path):
    """Make ``path`` (a folder tree) refuse new files, by whatever works for this user.

    Yields how: "chmod" (not root), "chattr +i" (root, where the file system allows it),
    or None when neither blocks writes (the caller then injects the fault in-process).
    """
    path = Path(path)
    dirs = [path] + [p for p in path.rglob("*") if p.is_dir()]
    how = None
    undo = []
    if os.geteuid() != 0:
        for d in dirs:
            mode = d.stat().st_mode
            d.chmod(mode & ~0o222)
            undo.append(lambda d=d, mode=mode: d.chmod(mode))
        how = "chmod a-w"
    elif shutil.which("chattr"):
        done = []
        for d in dirs:
            if subprocess.run(["chattr", "+i", str(d)], capture_output=True).returncode == 0:
                done.append(d)
        undo.extend(lambda d=d: subprocess.run(["chattr", "-i", str(d)], capture_output=True) for d in done)
        how = "chattr +i (root ignores chmod)" if done else None
    try:
        probe = path / ".proof-probe"
        try:
            probe.write_text("x")
            probe.unlink()
            how = None  # writes still succeed: the caller must simulate
        except OSError:
            pass
        yield how
    finally:
        for f in reversed(undo):
            f()


def _publish_one(app, title: str) -> int:
    from sqlalchemy import select

    from portal.extensions import db
    from portal.knowledge import pipeline
    from portal.models import Case, StaffUser

    with app.app_context():
        sup = db.session.scalars(select(StaffUser).where(StaffUser.role == "supervisor")
                                 .order_by(StaffUser.id)).first()
        case = db.session.scalars(select(Case).where(Case.jurisdiction_id.in_(sup.visible_jurisdiction_ids()))
                                  .order_by(Case.id)).first()
        if case is None:
            from portal.engine import cases as engine

            case = engine.file_case(jurisdiction=sup.jurisdiction, matter="居住证办理",
                                    description="材料清单与窗口要求不一致，无法办理。", channel="online",
                                    complainant={"name": "测试", "phone": "13800000000"}).case
        c = pipeline.propose(user=sup, case=case, guide=None, kind="practice", field="", wrong_text="",
                             corrected_text="", cause="故障测试", title=title, summary=f"{title}：窗口先收件后补正。")
        pipeline.confirm(c, sup)
        pipeline.record_fix(c, sup, "已按新做法办理")
        entry_id = pipeline.publish(c, sup).id
        db.session.remove()
        return entry_id


def _publish_in_process_of_its_own(site: Site, title: str) -> int:
    import json
    import sys

    out = site.logs / f"publish-{secrets.token_hex(3)}.json"
    subprocess.run([sys.executable, "-m", "proof.publisher", "--count", "1", "--seconds", "60", "--title", title,
                    "--out", str(out)], cwd=ROOT, env=site.env(), capture_output=True, timeout=120)
    data = json.loads(out.read_text(encoding="utf-8"))
    if not data["published"]:
        raise RuntimeError(f"publishing failed: {data['errors'][:1]}")
    return data["published"][0]


def failed_write_releases_lock(site: Site) -> FaultResult:
    """After an index write fails (folder unwritable), the write lock must be free for the other
    processes at once, not only when the garbage collector happens to reclaim the failed writer."""
    import gc
    import json
    import sys

    from portal.search import SearchIndex

    res = FaultResult("index write lock after a failed write",
                      how="an index write fails on an unwritable folder in this process (cyclic GC paused, as "
                          "between two collections of a busy worker); then another process writes")
    ix = SearchIndex(site.index_dir, write_timeout=1)
    doc = {"doc_id": "proof:lock", "kind": "practice", "jurisdiction": "proof", "title": "锁测试", "body": "锁测试",
           "url": "/knowledge/0"}
    gc.disable()
    try:
        with unwritable(Path(site.index_dir)) as how:
            if how is None:
                res.checks = [checks.Check("failed write releases the lock", True,
                                           "not tried: writes cannot be blocked for this user")]
                return res
            try:
                ix.add_or_update([doc])
                failed = False
            except OSError:
                failed = True
        code = ("import json,sys; from portal.search import SearchIndex, IndexBusy\n"
                f"ix = SearchIndex({str(site.index_dir)!r}, write_timeout=2)\n"
                "try:\n    ix.add_or_update([json.loads(sys.argv[1])]); print('written')\n"
                "except IndexBusy: print('busy')\n")
        other = subprocess.run([sys.executable, "-c", code, json.dumps(doc)], capture_output=True, text=True,
                               timeout=60, cwd=ROOT).stdout.strip()
    finally:
        gc.enable()
        gc.collect()
        ix.close()
    res.checks = [checks.Check("failed write releases the lock", failed and other == "written",
                               f"the write failed: {failed}; another process then: {other or 'no answer'}"
                               + ("" if other == "written" else " (the half-built Whoosh writer keeps the lock "
                                  "until it is garbage-collected)"))]
    return res


def index_unwritable(site: Site, server: Server | None = None, *, catch_up_within: float = 45.0) -> FaultResult:
    """Publish while the index folder refuses writes: the entry is saved, search keeps
    answering, and once the folder is writable again the index catches up by itself."""
    from unittest import mock

    from portal.search import SearchIndex

    res = FaultResult("index folder unwritable")
    app = site.app(PORTAL_CATCH_UP_SECONDS=0 if server is None else 20)
    client = app.test_client()
    marker = f"索引故障{random.randint(1000, 9999)}"
    ix_dir = Path(site.index_dir)
    with unwritable(ix_dir) as how:
        patch = None
        if how is None:
            how = "simulated in-process (writes were not blocked for this user)"
            patch = mock.patch.object(SearchIndex, "add_or_update",
                                      side_effect=PermissionError(13, "Permission denied", str(ix_dir)))
            patch.start()
        try:
            # published by a process of its own that then exits, as a CLI or a worker would
            entry_id = _publish_in_process_of_its_own(site, f"{marker} 解决办法") if patch is None \
                else _publish_one(app, f"{marker} 解决办法")
            filed = J.file_case(Browser(server.url, source_ip=new_source_ip()), "beijing") if server else None
            with app.app_context():
                from portal.extensions import db
                from portal.models import KnowledgeEntry

                saved = db.session.get(KnowledgeEntry, entry_id) is not None
                db.session.remove()
            searched_during = (Browser(server.url).get(f"/search?q={marker}").status if server
                               else client.get(f"/search?q={marker}").status_code)
            in_index_during = checks.entries_indexed(site, [entry_id]).ok
        finally:
            if patch:
                patch.stop()
    res.how = f"index folder made unwritable by {how}"
    t0 = time.monotonic()
    found = False
    while time.monotonic() - t0 < catch_up_within:
        if server:
            for _ in range(server.workers * 2):
                Browser(server.url).get(f"/search?q={marker}")
        else:
            client.get(f"/search?q={marker}")
        if checks.entries_indexed(site, [entry_id]).ok:
            found = True
            break
        time.sleep(1)
    caught_up = time.monotonic() - t0
    res.checks = [
        checks.Check("entry saved", saved and not in_index_during,
                     f"entry {entry_id} in the database: {saved}; in the index while unwritable: {in_index_during}"),
        checks.Check("search answers meanwhile", searched_during == 200, f"search status {searched_during}"),
        checks.Check("index catches up by itself", found,
                     f"in the index {caught_up:.1f}s after the folder became writable (searches trigger it)"
                     if found else f"not indexed within {catch_up_within:.0f}s"),
    ]
    if server is not None:
        res.checks.insert(1, checks.Check("a case can be filed meanwhile", bool(filed and filed.number),
                                          f"receipt {filed.number if filed else None}"))
    res.figures = {"catch_up_seconds": round(caught_up, 1) if found else None}
    with app.app_context():
        from portal.extensions import db

        db.engine.dispose()
    return res


# -- killed during a reindex ----------------------------------------------------------------
def add_entries(site: Site, n: int, word: str) -> None:
    """Bulk knowledge entries straight into the database (already 'indexed', so only a rebuild adds them)."""
    from portal.models import KnowledgeEntry

    now = datetime.now(timezone.utc)
    with site.database.engine().begin() as c:
        jid = c.execute(text("SELECT id FROM jurisdiction ORDER BY id LIMIT 1")).scalar_one()
        rows = [dict(kind="practice", jurisdiction_id=jid, matter="居住证办理",
                     title=f"{word}批量条目{i}", title_en=f"bulk entry {i}", wrong_text="", right_text="",
                     summary=f"{word}：第{i}条做法，材料不全时先收件后补正，居住证、社保、公积金业务适用。",
                     summary_en="Accept first, complete later.", since=date.today(),
                     published_at=now - timedelta(minutes=i), updated_at=now, indexed_at=now)
                for i in range(n)]
        for k in range(0, n, 1000):
            c.execute(KnowledgeEntry.__table__.insert(), rows[k:k + 1000])


def _current(site: Site) -> str | None:
    try:
        return (Path(site.index_dir) / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return None


def reindex_killed(site: Site, server: Server | None = None, *, entries: int = 2000, attempts: int = 4) -> FaultResult:
    """SIGKILL `flask portal reindex` after it started the new generation and before it switched."""
    from portal.search import SearchIndex

    word = f"重建{random.randint(1000, 9999)}"
    add_entries(site, entries, word)
    res = FaultResult("killed during a reindex", how=f"SIGKILL `flask portal reindex` of {entries}+ entries "
                      "after it began writing the new generation")
    old = _current(site)
    killed_at = None
    statuses: dict[int, int] = {}
    for attempt in range(attempts):
        with SearchIndex(site.index_dir) as ix:
            old_count, old_hits = ix.doc_count(), ix.search(word).total
        existing = {p.name for p in Path(site.index_dir).iterdir()}
        proc = subprocess.Popen([str(BIN / "flask"), "--app", "portal", "portal", "reindex"], cwd=ROOT,
                                env=site.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        t0 = time.monotonic()
        started = None
        while proc.poll() is None and time.monotonic() - t0 < 120:
            new = {p.name for p in Path(site.index_dir).iterdir()} - existing
            if any(n.startswith("gen-") for n in new):
                started = time.monotonic()
                break
            time.sleep(0.02)
        if started is not None:
            time.sleep(0.2 + 0.3 * attempt)
        if proc.poll() is None and _current(site) == old and started is not None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            killed_at = time.monotonic() - started
            break
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        if _current(site) != old:  # it finished first: make it longer and try again
            old = _current(site)
            add_entries(site, entries, word)
    still = _current(site)
    leftovers = sorted(p.name for p in Path(site.index_dir).iterdir() if p.name.startswith("gen-") and p.name != still)
    with SearchIndex(site.index_dir) as ix:
        served_count = ix.doc_count()
        hits_during = ix.search(word).total
    if server:
        for _ in range(server.workers * 2):
            r = Browser(server.url).get(f"/search?q={word}")
            statuses[r.status] = statuses.get(r.status, 0) + 1
    t = time.monotonic()
    done = site.flask("portal", "reindex", check=False)
    rebuild_seconds = time.monotonic() - t
    with SearchIndex(site.index_dir) as ix:
        new_count = ix.doc_count()
        hits_after = ix.search(word).total
    gens_after = sorted(p.name for p in Path(site.index_dir).iterdir() if p.name.startswith("gen-"))
    with site.database.engine().connect() as c:
        expected = c.execute(text("SELECT (SELECT COUNT(*) FROM knowledge_entry) + "
                                  "(SELECT COUNT(*) FROM service_guide)")).scalar_one()
    res.checks = [
        checks.Check("killed mid-way", killed_at is not None,
                     f"killed {killed_at:.2f}s after the new generation appeared, before the switch"
                     if killed_at is not None else "the rebuild always finished before it could be killed"),
        checks.Check("old index keeps serving", still == old and served_count == old_count and hits_during == old_hits and
                     all(s == 200 for s in statuses),
                     f"CURRENT still {still}; {served_count} documents served as before ({old_count}); "
                     f"HTTP searches {statuses or 'not run (no server)'}; partial generation left: {leftovers}"),
        checks.Check("next rebuild completes", done.returncode == 0 and new_count == expected and hits_after > 0
                     and len(gens_after) <= 2,
                     f"rebuilt {new_count} of {expected} documents in {rebuild_seconds:.1f}s; generations now "
                     f"{gens_after}"),
    ]
    res.figures = {"entries": expected, "killed_after_seconds": round(killed_at, 2) if killed_at else None,
                   "rebuild_seconds": round(rebuild_seconds, 1)}
    return res
