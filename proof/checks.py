"""What "nothing lost" means, checked in the database, the upload folder, the index and the logs."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from .servers import Site


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""
    figures: dict = field(default_factory=dict)

    def __str__(self):
        return f"[{'ok' if self.ok else 'FAIL'}] {self.name}: {self.detail}"


def case_numbers(site: Site) -> set[str]:
    with site.database.engine().connect() as c:
        return {r[0] for r in c.execute(text('SELECT number FROM "case"'))}


def filings(site: Site, receipts: list[str], before: set[str], *, allow_unreceipted: bool = False) -> Check:
    """Every receipt is exactly one case; numbers unique; (optionally) no case without a receipt."""
    with site.database.engine().connect() as c:
        rows = c.execute(text('SELECT number, COUNT(*) FROM "case" GROUP BY number')).all()
    counts = dict(rows)
    dupes = [n for n, k in counts.items() if k > 1]
    missing = [n for n in receipts if counts.get(n, 0) != 1]
    repeated_receipts = len(receipts) - len(set(receipts))
    new = set(counts) - before
    unreceipted = sorted(new - set(receipts))
    ok = not dupes and not missing and not repeated_receipts and (allow_unreceipted or not unreceipted)
    detail = (f"{len(receipts)} receipts, {len(set(receipts) & set(counts))} found exactly once; "
              f"{len(dupes)} duplicate numbers; {len(unreceipted)} new cases without a receipt")
    if missing:
        detail += f"; missing: {missing[:5]}"
    return Check("filings kept", ok, detail, {"receipts": len(receipts), "missing": len(missing),
                                              "duplicates": len(dupes), "unreceipted": len(unreceipted)})


def case_integrity(site: Site, numbers: set[str] | None = None) -> Check:
    """No half-written case: each has its 'file' event first and a stage deadline;
    each attachment row has its file, of its size, in the upload folder."""
    with site.database.engine().connect() as c:
        cases = c.execute(text('SELECT id, number FROM "case"')).all()
        first = dict(c.execute(text(
            "SELECT e.case_id, e.action FROM case_event e WHERE e.id IN "
            "(SELECT MIN(id) FROM case_event GROUP BY case_id)")).all())
        with_deadline = {r[0] for r in c.execute(text("SELECT DISTINCT case_id FROM case_deadline"))}
        attachments = c.execute(text("SELECT case_id, stored_name, size FROM attachment")).all()
    if numbers is not None:
        cases = [r for r in cases if r[1] in numbers]
    ids = {r[0] for r in cases}
    no_event = [n for i, n in cases if first.get(i) != "file"]
    no_deadline = [n for i, n in cases if i not in with_deadline]
    upload = Path(site.upload_dir)
    lost_files = []
    for case_id, stored, size in attachments:
        if case_id not in ids:
            continue
        p = upload / stored
        if not p.is_file() or p.stat().st_size != size:
            lost_files.append(stored)
    stored_names = {a[1] for a in attachments}
    orphans = [p.name for p in upload.iterdir() if p.is_file() and p.name not in stored_names] if upload.is_dir() else []
    ok = not no_event and not no_deadline and not lost_files
    detail = (f"{len(cases)} cases: {len(no_event)} without their filing event, {len(no_deadline)} without a "
              f"deadline; {sum(1 for a in attachments if a[0] in ids)} attachment rows, {len(lost_files)} without "
              f"their file; {len(orphans)} stray files without a row")
    return Check("no half-written case", ok, detail,
                 {"cases": len(cases), "no_event": len(no_event), "no_deadline": len(no_deadline),
                  "lost_files": len(lost_files), "orphan_files": len(orphans)})


def entries_indexed(site: Site, ids: list[int] | None = None) -> Check:
    """Every published knowledge entry is a document of the index being served."""
    from portal.search import SearchIndex

    with site.database.engine().connect() as c:
        all_ids = [r[0] for r in c.execute(text("SELECT id FROM knowledge_entry"))]
    ids = all_ids if ids is None else ids
    ix = SearchIndex(site.index_dir)
    try:
        missing = [i for i in ids if not ix.contains(f"entry:{i}")]
    finally:
        ix.close()
    return Check("published entries in the index", not missing,
                 f"{len(ids) - len(missing)} of {len(ids)} entries are in the index" +
                 (f"; missing {missing[:10]}" if missing else ""),
                 {"entries": len(ids), "missing": len(missing)})


LOG_LOCK = re.compile(r"LockError|IndexBusy")


def server_log(log: str) -> Check:
    """No unhandled error (a 500) and no Whoosh lock error escaping to a response."""
    unhandled = log.count("unhandled error")
    tracebacks = log.count("Traceback (most recent call last)")
    lock_in_traceback = 0
    for block in log.split("Traceback (most recent call last)")[1:]:
        tail = block.split("\n[")[0]
        if LOG_LOCK.search(tail):
            lock_in_traceback += 1
    warnings = len(re.findall(r"search index not updated now", log))
    ok = unhandled == 0 and lock_in_traceback == 0
    return Check("server log", ok,
                 f"{unhandled} unhandled errors, {tracebacks} tracebacks, {lock_in_traceback} with a lock error; "
                 f"{warnings} index updates deferred ('will catch up later')",
                 {"unhandled": unhandled, "tracebacks": tracebacks, "lock_tracebacks": lock_in_traceback,
                  "deferred_index_updates": warnings})


def responses(recorder, *, allow_no_response: bool = False) -> Check:
    s = recorder.summary()
    ok = s["server_errors"] == 0 and s["leaks"] == 0 and s["lock_errors"] == 0 and \
        (allow_no_response or s["no_response"] == 0)
    detail = (f"{s['requests']} requests: {s['server_errors']} 5xx, {s['no_response']} without a response, "
              f"{s['leaks']} showing internals, {s['lock_errors']} showing a lock error")
    if recorder.server_errors:
        detail += f"; first 5xx: {recorder.server_errors[0]}"
    return Check("responses", ok, detail, s)
