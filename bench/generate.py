"""Realistic benchmark data: knowledge entries and cases, written into a real portal database.

Reusable from other benchmarks (``from bench.generate import ...``) and as a CLI::

    .venv/bin/python -m bench.generate --database-url sqlite:////tmp/b/portal.sqlite3 \
        --instance /tmp/b --init --entries 100000 --cases 1000000

Text: every entry is 100-300 characters assembled from real service-guide vocabulary
(bench/vocabulary.py); about 10 % of the entries are written in Traditional characters
(converted with OpenCC s2t, as Hong Kong/Taiwan-facing or older guides are), about 40 %
carry an English title and summary, and some Chinese bodies mention English terms.
The same seed always gives the same corpus.

Cases: spread over every registered jurisdiction and several years, with the states,
replies, first deadlines, ratings and events a real case history leaves (so the
transparency roll-ups can be rebuilt from them); every complainant is invented.
Rows are written with SQLAlchemy Core ``insert(...)`` executemany in batches (the
ORM's unit of work would take hours at a million cases).
"""
from __future__ import annotations

import argparse
import base64
import itertools
import os
import random
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone

from . import vocabulary as V

SEED = 20260101
TRADITIONAL_SHARE = 0.10
ENGLISH_SHARE = 0.40

# -- text ------------------------------------------------------------------------------------


def _fill(template: str, matter: str, dept: str, rng: random.Random, matter_en: str = "") -> str:
    return template.format(matter=matter, dept=dept, material=rng.choice(V.MATERIALS),
                           matter_en=matter_en, m_en=rng.choice(V.EN_MATERIALS))


def _summary(rng: random.Random, matter: str, dept: str, kind: str, target: int) -> str:
    """Sentences of a correction or practice until the text is about ``target`` characters."""
    parts = []
    who = rng.choice(V.PEOPLE)
    parts.append(f"{who}反映：{_fill(rng.choice(V.FAILURES), matter, dept, rng)}。")
    if kind == "correction":
        wrong, right = rng.choice(V.WRONG_RIGHT)
        parts.append(f"原{matter}办事指南“申请材料”一栏写作“{wrong}”，{rng.choice(V.PEOPLE)}无法判断应提交何种材料，"
                     f"原因是{rng.choice(V.CAUSES)}。现已更正为“{right}”。")
    while sum(map(len, parts)) < target:
        roll = rng.random()
        if roll < 0.45:
            parts.append(f"{_fill(rng.choice(V.SOLUTIONS), matter, dept, rng)}，{rng.choice(V.RESULTS)}。")
        elif roll < 0.65:
            mats = "、".join(rng.sample(V.MATERIALS, rng.randint(2, 4)))
            parts.append(f"办理{matter}需提交{mats}。")
        elif roll < 0.8:
            parts.append(f"{rng.choice(V.PEOPLE)}可通过{rng.choice(['政务服务网', '一网通办平台', '微信小程序', '自助终端', '12345热线'])}"
                         f"咨询{matter}的办理进度。")
        elif roll < 0.9:
            parts.append(f"{dept}{rng.choice(['已将此做法纳入办事指南', '已组织窗口人员培训', '建立了问题台账', '实行首问负责制'])}。")
        else:
            parts.append(f"支持上传{rng.choice(V.LATIN_TERMS)}格式材料，{rng.choice(V.RESULTS)}。")
    text = "".join(parts)
    limit = min(target + 20, 300)
    if len(text) > limit:  # cut at a sentence end near the target
        cut = text.rfind("。", 0, limit)
        text = text[:cut + 1] if cut >= 80 else text[:limit]
    return text


def _english(rng: random.Random, matter_en: str) -> tuple[str, str]:
    title = rng.choice([f"Practice: {matter_en} in one visit", f"Guide correction: {matter_en}",
                        f"{matter_en.capitalize()}: simpler documents", f"{matter_en.capitalize()} by video call"])
    body = " ".join(_fill(t, "", "", rng, matter_en) for t in
                    (rng.choice(V.EN_FAILURE), rng.choice(V.EN_SOLUTION), rng.choice(V.EN_SOLUTION)))
    return title, body


_S2T = None


def _to_traditional(text: str) -> str:
    global _S2T
    if _S2T is None:
        import opencc

        _S2T = opencc.OpenCC("s2t")
    return _S2T.convert(text)


def entry_texts(n: int, seed: int = SEED) -> Iterator[dict]:
    """``n`` knowledge-entry texts: kind, department key, matter, title(s), wrong/right, summary(s)."""
    rng = random.Random(seed)
    depts = {k: (zh, en) for k, zh, en in V.DEPARTMENTS}
    for i in range(n):
        dkey, matter, matter_en = rng.choice(V.MATTERS)
        dept = depts[dkey][0]
        kind = "correction" if rng.random() < 0.5 else "practice"
        target = rng.randint(100, 300)
        summary = _summary(rng, matter, dept, kind, target)
        wrong = right = ""
        if kind == "correction":
            wrong, right = rng.choice(V.WRONG_RIGHT)
            title = f"{matter}办事指南更正：“{wrong}”改为“{right}”"
        else:
            title = rng.choice([f"{matter}：{rng.choice(V.SOLUTIONS)}", f"解决办法：{matter}一次办结",
                                f"{matter}可{rng.choice(['网上办理', '容缺受理', '视频核验', '上门办理', '跨省通办'])}"])
            title = _fill(title, matter, dept, rng)[:120]
        title_en = summary_en = ""
        if rng.random() < ENGLISH_SHARE:
            title_en, summary_en = _english(rng, matter_en)
        if rng.random() < TRADITIONAL_SHARE:
            matter, title, summary, wrong, right = (_to_traditional(x) for x in (matter, title, summary, wrong, right))
        yield {"n": i, "kind": kind, "department": dkey, "matter": matter, "title": title,
               "title_en": title_en, "wrong_text": wrong, "right_text": right,
               "summary": summary, "summary_en": summary_en,
               "published_at": datetime(2021, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=rng.randint(0, 5 * 525_600))}


def search_documents(n: int, seed: int = SEED) -> Iterator[dict]:
    """The same entries as search documents, shaped like portal.knowledge.indexing.entry_doc
    builds them (for the bare Whoosh and FTS5 comparisons without a database)."""
    depts = {k: zh for k, zh, _en in V.DEPARTMENTS}
    juris = ["kunming", "kunming-wuhua", "xuanwu", "beijing", "beijing-dongcheng", "dazhou", "qingcheng"]
    rng = random.Random(seed + 1)
    for e in entry_texts(n, seed):
        body = "\n".join(x for x in (f"{e['wrong_text']} → {e['right_text']}" if e["wrong_text"] else "",
                                     e["summary"]) if x)
        yield {"doc_id": f"entry:{e['n'] + 1}", "kind": e["kind"], "jurisdiction": rng.choice(juris),
               "department": e["department"], "department_name": depts[e["department"]],
               "matter": e["matter"], "title": e["title"], "body": body,
               "title_en": e["title_en"], "body_en": e["summary_en"],
               "published": e["published_at"].replace(tzinfo=None), "url": f"/knowledge/{e['n'] + 1}"}


def queries(n: int = 300, seed: int = SEED) -> list[str]:
    """``n`` queries of one to three words as people type them (some Traditional, some English)."""
    rng = random.Random(seed + 2)
    out = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.12:
            out.append(rng.choice(V.EN_QUERIES))
        elif roll < 0.35:
            out.append(rng.choice(V.QUERY_PHRASES))
        else:
            words = rng.sample(V.QUERY_WORDS, rng.choice((1, 1, 2, 2, 3)))
            q = " ".join(words)
            out.append(_to_traditional(q) if rng.random() < 0.1 else q)
    return out


# -- people ----------------------------------------------------------------------------------
FAMILY = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅鹏飞宇浩然欣怡子涵俊杰佳琪思远嘉欣"


def invented_person(rng: random.Random) -> dict:
    """An invented complainant: name, a 139 0000 mobile, an ID-shaped number with a wrong checksum."""
    name = rng.choice(FAMILY) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    born = date(1940, 1, 1) + timedelta(days=rng.randint(0, 30000))
    return {"name": name, "phone": f"1390000{rng.randint(0, 9999):04d}",
            "id_number": f"110101{born:%Y%m%d}{rng.randint(0, 999):03d}0",
            "address": f"{rng.choice(['幸福', '和平', '建设', '人民', '解放'])}路{rng.randint(1, 300)}号"}


# -- database --------------------------------------------------------------------------------


#: The data key of the benchmarks' databases (invented people only; the servers get it too).
DATA_KEY = "bench:" + base64.b64encode(b"bench-data-key-invented-people!!").decode()


def make_app(database_url: str, instance: str, index_dir: str | None = None, jurisdictions: str | None = None,
             extra: dict | None = None):
    """A portal app on ``database_url`` (env-free, so it works inside other scripts)."""
    from portal import create_app

    config = {"PORTAL_DATABASE_URL": database_url, "INSTANCE_PATH": instance,
              "SECRET_KEY": "bench-" + "x" * 32, "PORTAL_DATA_KEY": DATA_KEY,
              "PORTAL_INDEX_DIR": index_dir or os.path.join(instance, "index")}
    if jurisdictions is not None:
        config["PORTAL_JURISDICTIONS"] = [j for j in jurisdictions.split(",") if j]
    config.update(extra or {})
    return create_app(config)


def init_database(app) -> int:
    """Migrate to the newest schema and register the enabled jurisdictions (= `portal init-db`)."""
    from portal.registry import sync_jurisdictions
    from portal.schema import upgrade_all

    with app.app_context():
        upgrade_all()
        return len(sync_jurisdictions())


def _departments_by_key(session) -> dict[int, dict[str, int]]:
    """{jurisdiction_id: {vocabulary department key: department id}}, creating missing departments
    (the plugins declare only a few per jurisdiction)."""
    from sqlalchemy import select

    from portal.models import Department, Jurisdiction

    out: dict[int, dict[str, int]] = {}
    for j in session.scalars(select(Jurisdiction).order_by(Jurisdiction.id)).all():
        have = {d.code: d for d in j.departments}
        mapping = {}
        for key, zh, en in V.DEPARTMENTS:
            match = next((d for d in j.departments if zh in d.name_zh), None)
            if match is None:
                code = f"bench-{key}"
                match = have.get(code)
                if match is None:
                    match = Department(jurisdiction=j, code=code, name_zh=j.name_zh + zh, name_en=f"{j.name_en} {en}")
                    session.add(match)
                    session.flush()
            mapping[key] = match.id
        out[j.id] = mapping
    session.commit()
    return out


def _batched(it, size):
    it = iter(it)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def _log(msg: str) -> None:
    print(f"[generate {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def insert_entries(app, n: int, seed: int = SEED, batch: int = 5000) -> int:
    """Insert ``n`` published knowledge entries (bulk, not indexed: ``indexed_at`` NULL)."""
    from sqlalchemy import insert, select

    from portal.extensions import db
    from portal.models import Jurisdiction, KnowledgeEntry

    with app.app_context():
        depts = _departments_by_key(db.session)
        jids = list(db.session.scalars(select(Jurisdiction.id).order_by(Jurisdiction.id)))
        rng = random.Random(seed + 3)
        now = datetime.now(timezone.utc)
        done = 0
        t0 = time.perf_counter()
        for chunk in _batched(entry_texts(n, seed), batch):
            rows = []
            for e in chunk:
                jid = rng.choice(jids)
                rows.append({"kind": e["kind"], "jurisdiction_id": jid, "department_id": depts[jid][e["department"]],
                             "matter": e["matter"], "title": e["title"][:200], "title_en": e["title_en"][:240],
                             "wrong_text": e["wrong_text"], "right_text": e["right_text"],
                             "summary": e["summary"], "summary_en": e["summary_en"],
                             "since": e["published_at"].date(), "published_at": e["published_at"],
                             "updated_at": now, "indexed_at": None})
            db.session.execute(insert(KnowledgeEntry), rows)
            db.session.commit()
            done += len(rows)
            if done % 50_000 < batch:
                _log(f"entries {done}/{n} ({done / (time.perf_counter() - t0):.0f}/s)")
        return done


CATEGORIES = ("guide", "process", "multi_dept", "attitude", "hard", "business", "not_yet", "ordinary")
CHANNELS = ("window", "online", "phone", "12345")


def _workflows(app) -> dict[str, tuple[str, list[str], list[str], list[str]]]:
    """{jurisdiction code: (initial, workflow name, open states, done states, first stage)} from the plugins."""
    host = app.extensions["portal_plugins"]
    out = {}
    for spec in host.jurisdiction_specs():
        wf = host.for_jurisdiction(spec.code).portal_workflow()
        done = [s.code for s in wf.states if s.done]
        open_ = [s.code for s in wf.states if not s.done]
        stage = wf.state(wf.initial).stage or "accept"
        out[spec.code] = (wf.initial, wf.name, open_, done or open_[-1:], stage)
    return out


def insert_cases(app, n: int, seed: int = SEED, years: tuple[int, ...] = (2023, 2024, 2025, 2026),
                 batch: int = 5000, history: bool = True, rebuild_stats: bool = False) -> int:
    """Insert ``n`` cases spread over every registered jurisdiction and ``years``.

    With ``history`` each case also gets its filing event, its first stage deadline and,
    for answered cases, a reply event; about half of those a rating (好差评). Case numbers
    are ``BENCH<prefix>-<year>-<n>`` so they never collide with numbers the portal allocates.
    ``rebuild_stats`` recomputes the transparency roll-ups afterwards (portal.stats.rebuild).
    """
    from sqlalchemy import func, insert, select

    from portal.extensions import db
    from portal.models import Case, CaseDeadline, CaseEvent, Jurisdiction, Rating

    wfs = _workflows(app)
    with app.app_context():
        js = [j for j in db.session.scalars(select(Jurisdiction).order_by(Jurisdiction.id)).all() if j.code in wfs]
        depts = _departments_by_key(db.session)
        start_id = (db.session.scalar(select(func.max(Case.id))) or 0) + 1
        rng = random.Random(seed + 4)
        matters = [m for _k, m, _e in V.MATTERS]
        dept_keys = [k for k, _m, _e in V.MATTERS]
        hash_ = "pbkdf2_sha256$20000$bench$" + "0" * 64  # no code opens a generated case
        t0 = time.perf_counter()
        done = 0
        now = datetime.now(timezone.utc)
        span_days = {y: (date(y, 12, 31) - date(y, 1, 1)).days for y in years}
        for chunk_start in range(0, n, batch):
            cases, events, deadlines, ratings = [], [], [], []
            for k in range(chunk_start, min(n, chunk_start + batch)):
                cid = start_id + k
                j = js[k % len(js)] if rng.random() < 0.7 else rng.choice(js)
                initial, wf_name, open_states, done_states, stage = wfs[j.code]
                year = rng.choice(years)
                received = datetime(year, 1, 1, 1, tzinfo=timezone.utc) + timedelta(
                    days=rng.randint(0, span_days[year]), minutes=rng.randint(0, 600))
                if received > now - timedelta(days=2):  # nothing is received in the future
                    received = now - timedelta(days=rng.randint(2, 300), minutes=rng.randint(0, 600))
                mi = rng.randrange(len(matters))
                finished = rng.random() < 0.8
                state = rng.choice(done_states) if finished else rng.choice(open_states)
                replied = received + timedelta(days=rng.randint(0, 25), hours=rng.randint(0, 8)) if finished else None
                if replied and replied > now:
                    replied = received + (now - received) / 2
                due = received + timedelta(days=rng.choice((5, 7, 10, 14)))
                person = invented_person(rng)
                cases.append({
                    "id": cid, "number": f"BENCH{j.case_prefix}-{year}-{cid:07d}", "access_code_hash": hash_,
                    "version": 1, "jurisdiction_id": j.id, "channel": rng.choice(CHANNELS),
                    "complainant_name": person["name"], "complainant_phone": person["phone"],
                    "complainant_id_number": person["id_number"], "complainant_address": person["address"],
                    "matter": matters[mi], "description": f"办理{matters[mi]}时{rng.choice(V.FAILURES)}".format(
                        matter=matters[mi], dept="相关部门", material=rng.choice(V.MATERIALS)),
                    "public_summary": "", "category": rng.choice(CATEGORIES) if rng.random() < 0.9 else "",
                    "complexity": rng.choice(("general", "general", "general", "complex")), "extra": {},
                    "state": state, "workflow": wf_name, "escalation_tier": "",
                    "lead_department_id": depts[j.id][dept_keys[mi]] if rng.random() < 0.9 else None,
                    "received_at": received, "updated_at": replied or received, "overdue_flagged": False,
                    "reply": "已答复：" + rng.choice(V.RESULTS) if replied else "", "replied_at": replied,
                    "outcome": ("referred" if rng.random() < 0.1 else "resolved") if finished else "",
                    "closed_at": replied, "due_at": None if finished else due,
                })
                if not history:
                    continue
                events.append({"case_id": cid, "at": received, "actor_role": "public", "action": "file",
                               "from_state": "", "to_state": initial, "note": "", "public": True, "data": {}})
                deadlines.append({"case_id": cid, "stage": stage, "started_at": received, "days": 5,
                                  "rule": "bench", "due_date": due.date(), "due_at": due, "unknown_years": "",
                                  "explanation": {}, "paused_days": 0, "extended_days": 0, "extension_reason": "",
                                  "active": not finished, "met_at": replied, "superseded": False})
                if replied:
                    events.append({"case_id": cid, "at": replied, "actor_role": "handler", "action": "reply",
                                   "from_state": initial, "to_state": state, "note": "", "public": True, "data": {}})
                    if rng.random() < 0.5:
                        ratings.append({"case_id": cid, "level": rng.choice((5, 5, 5, 4, 4, 3, 2, 1)), "comment": "",
                                        "at": replied + timedelta(days=1), "source": "public"})
            db.session.execute(insert(Case), cases)
            for model, rows in ((CaseEvent, events), (CaseDeadline, deadlines), (Rating, ratings)):
                if rows:
                    db.session.execute(insert(model), rows)
            db.session.commit()
            done += len(cases)
            if done % 100_000 < batch:
                _log(f"cases {done}/{n} ({done / (time.perf_counter() - t0):.0f}/s)")
        if db.engine.dialect.name == "postgresql":
            # explicit ids were inserted: move the sequence past them
            db.session.execute(db.text("SELECT setval(pg_get_serial_sequence('\"case\"', 'id'), "
                                       "(SELECT max(id) FROM \"case\"))"))
            db.session.commit()
        if rebuild_stats:
            from portal import stats

            _log(f"stats rebuilt: {stats.rebuild()}")
        return done


def index_entries(app) -> tuple[int, float]:
    """Full rebuild of the app's search index from the database; returns (documents, seconds)."""
    from portal.knowledge.indexing import rebuild_index

    with app.app_context():
        t0 = time.perf_counter()
        count = rebuild_index()
        return count, time.perf_counter() - t0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", required=True, help="e.g. sqlite:////tmp/bench/portal.sqlite3")
    p.add_argument("--instance", required=True, help="instance folder (index, uploads)")
    p.add_argument("--index-dir", default=None)
    p.add_argument("--jurisdictions", default=None, help="comma-separated plugins (default: the portal's)")
    p.add_argument("--init", action="store_true", help="migrate and register jurisdictions first")
    p.add_argument("--entries", type=int, default=0)
    p.add_argument("--cases", type=int, default=0)
    p.add_argument("--no-history", action="store_true", help="cases without events, deadlines or ratings")
    p.add_argument("--rebuild-stats", action="store_true", help="recompute the transparency roll-ups after")
    p.add_argument("--reindex", action="store_true", help="rebuild the search index after")
    p.add_argument("--seed", type=int, default=SEED)
    a = p.parse_args(argv)
    app = make_app(a.database_url, a.instance, a.index_dir, a.jurisdictions)
    if a.init:
        _log(f"{init_database(app)} jurisdictions registered")
    if a.entries:
        t0 = time.perf_counter()
        insert_entries(app, a.entries, a.seed)
        _log(f"{a.entries} entries in {time.perf_counter() - t0:.1f} s")
    if a.cases:
        t0 = time.perf_counter()
        insert_cases(app, a.cases, a.seed, history=not a.no_history, rebuild_stats=a.rebuild_stats)
        _log(f"{a.cases} cases in {time.perf_counter() - t0:.1f} s")
    if a.reindex:
        count, secs = index_entries(app)
        _log(f"index rebuilt: {count} documents in {secs:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
