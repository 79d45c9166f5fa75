"""Bounded load on loopback: searches, filings, tracking and staff actions for a fixed time.

A fixed number of threads (people at once), each doing one thing after another with
no pause: a bounded load, not an open flood. Filings and look-ups come from fresh
loopback addresses (different people), so per-person rate limits do not distort it.
A separate process publishes knowledge entries meanwhile, so the index has a writer
that competes with the workers' catch-up.
"""
from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from . import checks
from . import journeys as J
from .client import Browser, Recorder, new_source_ip
from .servers import ROOT, Server, Site

MIX = (("search", 40), ("filing", 20), ("track", 15), ("browse", 10), ("staff", 15))


@dataclass
class LoadResult:
    seconds: float
    workers: int
    users: int
    database: str
    recorder: Recorder
    receipts: list[str] = field(default_factory=list)
    published: list[int] = field(default_factory=list)
    publisher_errors: list[str] = field(default_factory=list)
    checks: list[checks.Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def figures(self) -> dict:
        s = self.recorder.summary()
        return {
            "seconds": round(self.seconds, 1), "workers": self.workers, "users": self.users,
            "database": self.database, "requests": s["requests"],
            "requests_per_second": round(s["requests"] / self.seconds, 1) if self.seconds else None,
            "receipts": len(self.receipts), "published": len(self.published),
            "events": s["events"], "latency_ms": s["latency_ms"], "by_kind": s["by_kind"],
        }


def run(server: Server, site: Site, *, seconds: float = 10, users: int = 6, seed: int = 1,
        publish_interval: float = 1.0, settle: float = 30.0) -> LoadResult:
    rec = Recorder()
    receipts: list[tuple[str, str]] = []
    lock = threading.Lock()
    before = checks.case_numbers(site)
    probe = Browser(server.url)
    jcodes = J.jurisdictions(probe) or ["beijing"]
    staff_names = [f"{j}-supervisor" for j in jcodes] + [f"{j}-clerk" for j in jcodes]
    stop_at = time.monotonic() + seconds

    out = site.logs / f"publisher-{seed}.json"
    publisher_log = open(site.logs / "publisher.log", "ab")
    publisher = subprocess.Popen(
        [sys.executable, "-m", "proof.publisher", "--seconds", str(seconds), "--interval", str(publish_interval),
         "--out", str(out), "--seed", str(seed)],
        cwd=ROOT, env=site.env(server.database_url), stdout=subprocess.DEVNULL,
        stderr=publisher_log)

    def person(i: int):
        rnd = random.Random(seed * 1000 + i)
        reader = Browser(server.url, source_ip=new_source_ip(), recorder=rec)
        staff = None
        while time.monotonic() < stop_at:
            op = rnd.choices([m for m, _ in MIX], [w for _, w in MIX])[0]
            if op == "search":
                J.search(reader, rnd)
            elif op == "browse":
                J.browse(reader, rnd)
            elif op == "filing":
                b = Browser(server.url, source_ip=new_source_ip(), recorder=rec)
                f = J.file_case(b, rnd.choice(jcodes), rnd=rnd, attachments=rnd.choice((0, 0, 1, 2)))
                if f.number:
                    with lock:
                        receipts.append((f.number, f.code))
                    rec.event("filings with a receipt")
                    if not f.code:
                        rec.event("receipts without a readable access code")
                elif f.screened:
                    rec.event("filings screened out (out of scope)")
                else:
                    rec.event(f"filings refused ({f.status})")
            elif op == "track":
                with lock:
                    readable = [x for x in receipts[-200:] if x[1]]
                    pick = rnd.choice(readable) if readable else None
                if pick is None:
                    continue
                b = Browser(server.url, source_ip=new_source_ip(), recorder=rec)
                r = J.track(b, *pick)
                rec.event("tracked to the case page" if r.status == 200 and pick[0] in r.path else
                          f"tracking ended {r.status}")
            elif op == "staff":
                if staff is None:
                    staff = Browser(server.url, source_ip=new_source_ip(), recorder=rec)
                    r = J.staff_login(staff, rnd.choice(staff_names))
                    if r.status not in (302, 303):
                        rec.event(f"staff login ended {r.status}")
                        staff = None
                        continue
                numbers = J.staff_case_numbers(staff)
                if numbers:
                    action, r = J.staff_act(staff, rnd.choice(numbers[:30]), rnd)
                    if action:
                        rec.event("staff actions submitted" if r.status in (302, 303) else
                                  f"staff action ended {r.status}")

    threads = [threading.Thread(target=person, args=(i,), name=f"person-{i}") for i in range(users)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    try:
        publisher.wait(timeout=max(60, settle * 2))
    except subprocess.TimeoutExpired:
        publisher.kill()
        publisher.wait()
    finally:
        publisher_log.close()
    result = LoadResult(elapsed, server.workers, users, site.database.kind, rec, [n for n, _ in receipts])
    try:
        data = json.loads(out.read_text(encoding="utf-8"))
        result.published = data["published"]
        result.publisher_errors = data["errors"]
    except (OSError, ValueError, KeyError):
        result.publisher_errors = ["the publisher wrote no result: see logs/publisher.log"]

    # Every published entry must reach the index by itself: searches trigger the catch-up.
    index_check = checks.entries_indexed(site)
    waited = 0.0
    reader = Browser(server.url, recorder=rec)
    while not index_check.ok and waited < settle:
        for _ in range(server.workers * 2):
            J.search(reader, random.Random(waited))
        time.sleep(2)
        waited += 2
        index_check = checks.entries_indexed(site)
    index_check.detail += f" (after {waited:.0f}s of searches)" if waited else " (at once)"
    index_check.figures["settle_seconds"] = waited

    result.checks = [
        checks.responses(rec),
        checks.filings(site, result.receipts, before),
        checks.case_integrity(site, checks.case_numbers(site) - before),
        index_check,
        checks.server_log(server.log_text()),
        checks.Check("publisher", not result.publisher_errors and bool(result.published),
                     f"{len(result.published)} entries published during the load, "
                     f"{len(result.publisher_errors)} errors" +
                     (f": {result.publisher_errors[0][:300]}" if result.publisher_errors else "")),
    ]
    return result


def as_result(res: LoadResult):
    """The load run in the shape the report takes."""
    from .faults import FaultResult

    figs = res.figures()
    slim = {"requests": figs["requests"], "requests/s": figs["requests_per_second"],
            "receipts": figs["receipts"], "entries published": figs["published"],
            "search p95 ms": figs["latency_ms"].get("search", {}).get("p95"),
            "filing p95 ms": figs["latency_ms"].get("filing", {}).get("p95")}
    return FaultResult("load", checks=res.checks, figures=slim,
                       how=f"{res.users} simulated people for {res.seconds:.0f}s against {res.workers} gunicorn "
                           f"workers on {res.database}; mix {dict(MIX)} (% of steps); a publisher process meanwhile")
