"""Hostile input: every form found on the live pages fuzzed with hypothesis, wrong
encodings, control characters, script and formula injection, oversize bodies and
files, path traversal in attachment names, missing and replayed CSRF tokens, and
brute force against access codes and staff passwords.

The in-process parts drive the real app through Flask's test client (fast enough to
fuzz); the rate-limit proof across workers drives gunicorn over loopback. Each
function returns a Result whose checks say what held.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote_from_bytes, urlsplit

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from . import checks
from .client import PDF, PNG, Browser, Form, encode_multipart, parse

PASSWORD = "kestrel-harbour-2026!"  # not containing a user name: the password rule refuses that
XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
FORMULAS = ('=HYPERLINK("http://evil.example/","点我")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)")
NASTY = ["", " ", XSS, '"><svg onload=alert(1)>', "' OR '1'='1' --", "\"; DROP TABLE \"case\"; --",
         FORMULAS[0], "../../../../etc/passwd", "..\\..\\windows\\win.ini", "\u202egnp.exe", "\ufeff",
         "𠀀𪚥", "A" * 5000, "\r\n\r\n", "%00", "{{7*7}}", "${7*7}", "NaN", "-1", "0", "99999999999999999999",
         "2026-02-30", "\x07bell", "\x1b[31m", "<!--", "]]>", "\\", "null", "true", "[]", "{}"]


# Stop at the first failing example of a form and report it as found: shrinking would
# resubmit hundreds of requests; the failure message carries the values anyway.
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)


@dataclass
class Result:
    name: str
    checks: list[checks.Check] = field(default_factory=list)
    figures: dict = field(default_factory=dict)
    how: str = ""

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


# -- oracles ---------------------------------------------------------------------------
class _ActiveContent(HTMLParser):
    """Finds what a browser would run: inline <script> and on* event attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = [k.lower() for k, _ in attrs]
        if tag == "script" and "src" not in names:
            self.found.append("inline <script>")
        for k, v in attrs:
            if k.lower().startswith("on"):
                self.found.append(f"<{tag} {k}=...>")
            if k.lower() in ("href", "src", "action", "formaction") and (v or "").strip().lower().startswith(
                    ("javascript:", "data:text/html")):
                self.found.append(f"<{tag} {k}={v[:20]}>")


def active_content(html: str) -> list[str]:
    p = _ActiveContent()
    try:
        p.feed(html)
        p.close()
    except Exception:  # noqa: BLE001 - HTMLParser rarely raises; treat as nothing found
        pass
    return p.found


def is_html(r) -> bool:
    return (r.mimetype or "").startswith("text/html")


def clear_error(r) -> bool:
    """A 4xx that tells the person something: an HTML page with a heading or an error summary, or JSON."""
    if r.mimetype == "application/json":
        return True
    text = r.get_data(as_text=True)
    return bool(re.search(r"<h1|error-summary|role=\"alert\"|class=\"flash", text))


# -- preparing an app ------------------------------------------------------------------
@dataclass
class Fixture:
    app: object
    jcode: str
    supervisor: str
    admin: str
    handler: str
    case_number: str
    supervisor_id: int
    admin_id: int


def prepare(app, content: bool = False) -> Fixture:
    """Staff users of our own (known password) and one case, in the first enabled jurisdiction;
    with ``content``, also a service guide and a published knowledge entry (for pages that show them)."""
    from sqlalchemy import select

    from portal.engine import cases as engine
    from portal.extensions import db
    from portal.models import Case, StaffUser
    from portal.registry import enabled_jurisdictions
    from portal.staff.users import create_staff_user

    with app.app_context():
        js = enabled_jurisdictions()
        j = next((x for x in js if x.code == "beijing"), js[0])
        names = {}
        for role in ("supervisor", "admin", "handler", "clerk"):
            name = f"proof-{role}-{j.code}"[:64]
            if db.session.scalar(select(StaffUser).where(StaffUser.username == name)) is None:
                create_staff_user(username=name, password=PASSWORD, role=role, jurisdiction_code=j.code,
                                  display_name=f"proof {role}")
            names[role] = name
        case = db.session.scalars(select(Case).where(Case.jurisdiction_id == j.id).order_by(Case.id)).first()
        if case is None:
            case = engine.file_case(jurisdiction=j, matter="居住证办理", description="按指南带了材料，窗口仍说不全，无法办理。",
                                    channel="online", complainant={"name": "李四", "phone": "13800001111"}).case
        if content:
            _add_content(j, names["supervisor"], case)
        ids = {r: db.session.scalar(select(StaffUser.id).where(StaffUser.username == n)) for r, n in names.items()}
        fx = Fixture(app, j.code, names["supervisor"], names["admin"], names["handler"], case.number,
                     ids["supervisor"], ids["admin"])
        db.session.remove()
    return fx


def _add_content(j, supervisor: str, case) -> None:
    from sqlalchemy import select

    from portal.extensions import db
    from portal.knowledge import pipeline
    from portal.models import GuideMaterial, GuideVersion, ServiceGuide, StaffUser

    if db.session.scalar(select(ServiceGuide.id).where(ServiceGuide.jurisdiction_id == j.id)) is None:
        g = ServiceGuide(jurisdiction_id=j.id, code="proof-residence", matter="居住证办理", matter_en="Residence permit")
        v = GuideVersion(number=1, conditions="在本市居住满半年。", promised_limit_days=15)
        v.materials.append(GuideMaterial(position=1, name="身份证明"))
        g.versions.append(v)
        db.session.add(g)
        db.session.commit()
    sup = db.session.scalar(select(StaffUser).where(StaffUser.username == supervisor))
    c = pipeline.propose(user=sup, case=case, guide=None, kind="practice", field="", wrong_text="",
                         corrected_text="", cause="测试", title="解决办法：居住证材料不全时先收件后补正",
                         title_en="Practice: accept first, complete later", summary="窗口先收件，材料后补，群众少跑一趟。",
                         summary_en="Accept first.")
    pipeline.confirm(c, sup)
    pipeline.record_fix(c, sup, "已按新做法办理")
    pipeline.publish(c, sup)


def close(app) -> None:
    """Close what the app keeps open between requests (the shared index searcher)."""
    ix = app.extensions.get("portal_search")
    if ix is not None:
        ix.close()


def login(client, username: str, password: str = PASSWORD):
    page = client.get("/staff/login")
    data = {"username": username, "password": password}
    token = _csrf_token(page.get_data(as_text=True))
    if token:
        data["csrf_token"] = token
    return client.post("/staff/login", data=data)


def _csrf_token(html: str) -> str | None:
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    return m.group(1) if m else None


def case_count(app) -> int:
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import Case

    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(Case))
        db.session.remove()
        return n


# -- crawling for forms ----------------------------------------------------------------
SKIP_ACTIONS = re.compile(r"/logout|/large-text")


def crawl(client, seeds: list[str], *, limit: int = 80, skip: Callable[[str], bool] = lambda p: False):
    """Pages reachable from ``seeds`` (same site, GET), and every form on them."""
    seen, pages, found = set(), [], {}
    queue = list(seeds)
    while queue and len(seen) < limit:
        path = queue.pop(0)
        key = path.split("#")[0]
        if key in seen or skip(key):
            continue
        seen.add(key)
        r = client.get(key)
        if r.status_code != 200 or not is_html(r):
            continue
        pages.append(key)
        p = parse(r.get_data(as_text=True))
        for f in p.forms:
            action = f.action or key.split("?")[0]
            action = urlsplit(action).path or key.split("?")[0]
            if SKIP_ACTIONS.search(action):
                continue
            f.page = key
            found.setdefault((f.method, _shape(action), tuple(sorted(set(f.names())))), (action, f))
        for href in p.links:
            if href.startswith("/") and not href.startswith("//") and "/static/" not in href \
                    and "lang=" not in href and not SKIP_ACTIONS.search(href) and not href.endswith((".csv", ".json")):
                queue.append(href.split("#")[0])
    return pages, [v for v in found.values()]


def _shape(path: str) -> str:
    """/staff/cases/BJ-2026-000001/act -> /staff/cases/*/act (one fuzz target per kind of form)."""
    return re.sub(r"/(?=[^/]*\d)[^/]+", "/*", path)


# -- fuzzing every form ----------------------------------------------------------------
def _value_strategy(f):
    text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)
    choices = [st.sampled_from(NASTY), text]
    if f.tag == "select" and f.options:
        choices.insert(0, st.sampled_from([v for v, _ in f.options] or [""]))
    if f.tag == "input" and f.type in ("radio", "checkbox", "hidden") and f.value:
        choices.insert(0, st.just(f.value))
    if f.type == "number" or f.type == "date":
        choices.append(st.integers(min_value=-2**70, max_value=2**70).map(str))
    return st.one_of(*choices)


HOSTILE_FILES = [
    ("../../../../escape-{t}.png", PNG), ("..\\..\\escape-{t}.pdf", PDF), ("/etc/escape-{t}.png", PNG),
    ("%2e%2e%2fescape-{t}.png", PNG), ("....//....//escape-{t}.pdf", PDF), ("evil-{t}.png\u202egpj.exe", PNG),
    ("<script>alert(1)</script>-{t}.png", PNG), ("fake-{t}.pdf", b"MZ\x90\x00 not a pdf"), ("empty-{t}.png", b""),
    ("long-{t}-" + "名" * 300 + ".png", PNG), ("nul-{t}.png\x00.exe", PNG),
]


def fuzz_forms(app, fx: Fixture, *, examples: int = 15, seed: int = 0) -> Result:
    """Every form reachable from the public and staff pages, with hypothesis-chosen values."""
    res = Result("fuzzing every form", how=f"hypothesis, {examples} examples per form, forms found by crawling "
                 "the public pages and the staff pages as supervisor and admin")
    public = app.test_client()
    staff = {fx.supervisor: app.test_client(), fx.admin: app.test_client()}
    for name, c in staff.items():
        login(c, name)
    seeds_public = ["/", "/file", "/track", "/search?q=身份证", "/guides", "/corrections", "/transparency"]
    own_ids = {fx.supervisor_id, fx.admin_id}

    def skip_staff(path):
        return any(re.search(rf"/users/{i}(/|$)", path) for i in own_ids)

    _, public_forms = crawl(public, seeds_public)
    targets = [(public, None, a, f) for a, f in public_forms]
    for name, c in staff.items():
        _, staff_forms = crawl(c, ["/staff/", f"/staff/cases/{fx.case_number}", "/staff/admin/"], skip=skip_staff)
        targets += [(c, name, a, f) for a, f in staff_forms if a.startswith("/staff")]
    failures: list[str] = []
    failing_forms: set[str] = set()
    stats = {"forms": len(targets), "requests": 0, "4xx": 0, "2xx/3xx": 0, "5xx": 0}
    lock = threading.Lock()
    token = secrets.token_hex(3)

    for client, who, action, form in targets:
        fields = [f for f in form.fields if f.name and f.tag in ("input", "select", "textarea")
                  and f.type not in ("submit", "button", "reset", "image")]
        names = sorted({f.name for f in fields if f.type != "file"})
        has_file = any(f.type == "file" for f in fields)
        by_name = {n: next(f for f in fields if f.name == n) for n in names}
        strategy = st.fixed_dictionaries({}, optional={n: _value_strategy(by_name[n]) for n in names})
        file_strategy = st.lists(st.sampled_from(HOSTILE_FILES), max_size=3) if has_file else st.just([])
        is_intake = bool(re.match(r"^/file/[^/]+$", action)) and form.method == "post"

        @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck), phases=NO_SHRINK)
        @given(values=strategy, files=file_strategy)
        def one(values, files):
            if who:
                here = client.get("/staff/")
                if here.status_code in (301, 302, 303):
                    login(client, who)
            before = case_count(app) if is_intake else None
            if form.method == "get":
                r = client.get(action, query_string=values)
            else:
                data = {k: v for k, v in values.items()}
                if files:
                    data["attachments"] = [(io.BytesIO(b), n.format(t=token)) for n, b in files]
                r = client.post(action, data=data, content_type="multipart/form-data" if files else None)
            problems = []
            if r.status_code >= 500:
                problems.append(f"{r.status_code}")
            if is_html(r):
                found = active_content(r.get_data(as_text=True))
                if found:
                    problems.append(f"active content {found[:2]}")
            if 400 <= r.status_code < 500 and r.status_code not in (404, 405) and not clear_error(r):
                problems.append(f"{r.status_code} without a message")
            if is_intake:
                after = case_count(app)
                receipt = r.status_code in (302, 303) and "/receipt/" in (r.headers.get("Location") or "")
                if after - before != (1 if receipt else 0):
                    problems.append(f"cases {before}->{after} but receipt={receipt}")
            with lock:
                stats["requests"] += 1
                stats["5xx" if r.status_code >= 500 else "4xx" if r.status_code >= 400 else "2xx/3xx"] += 1
            if problems:
                failing_forms.add(f"{form.method.upper()} {_shape(action)}")
                failures.append(f"{form.method.upper()} {action} ({who or 'public'}): {'; '.join(problems)} "
                                f"with {({k: v[:60] for k, v in values.items()})!r}"[:400])
            assert not problems

        try:
            one()
        except AssertionError:
            pass  # recorded in failures (hypothesis shrinks to the minimal example first)
        except Exception as exc:  # noqa: BLE001 - an error in the app under test is a finding
            failures.append(f"{form.method.upper()} {action}: {type(exc).__name__}: {exc}"[:400])
    escaped = [p for p in Path(app.config["PORTAL_UPLOAD_DIR"]).parent.rglob(f"escape-{token}*")]
    res.checks = [
        checks.Check("every form answers without a 5xx or active content", not failures,
                     f"{stats['forms']} forms, {stats['requests']} submissions ({stats['4xx']} refused with a "
                     f"message, {stats['2xx/3xx']} accepted, {stats['5xx']} 5xx)" +
                     (f"; failing forms {sorted(failing_forms)}, first: {failures[0]}" if failures else ""), stats),
        checks.Check("no file written outside the upload folder", not escaped,
                     f"{len(escaped)} files named escape-* found beside the upload folder"),
    ]
    res.figures = dict(stats, failures=failures[:20],
                       forms=sorted({f"{f.method.upper()} {_shape(a)}" for _, _, a, f in targets}))
    return res


# -- wrong encodings and control characters ------------------------------------------------
def encodings(app, fx: Fixture, *, examples: int = 30) -> Result:
    """Invalid UTF-8 and control characters in bodies, query strings and paths."""
    res = Result("wrong encodings and control characters",
                 how="raw bytes (invalid UTF-8, NUL, C0 controls) in form bodies, multipart fields, "
                     "query strings and paths; hypothesis-generated bytes")
    c = app.test_client()
    staff = app.test_client()
    login(staff, fx.supervisor)
    failures = []
    n = {"requests": 0}
    before = case_count(app)

    def check(r, what):
        n["requests"] += 1
        if r.status_code >= 500:
            failures.append(f"{r.status_code} {what}")

    fixed = [b"\xff\xfe\xfd", b"\xc3\x28", b"\xed\xa0\x80", b"\x00", b"%00", b"%FF%FE", b"\xe4\xb8", b"\x1b[2J",
             b"\x07\x08\x0b\x0c", "居住证".encode("gb18030"), "居住证".encode("utf-16")]
    targets = [f"/file/{fx.jcode}", "/track", "/staff/login", f"/track/{fx.case_number}/rate"]
    for raw in fixed:
        for path in targets:
            body = b"matter=" + raw + b"&description=" + raw * 20 + b"&name=" + raw + b"&phone=13800001111" + \
                b"&number=" + raw + b"&code=" + raw + b"&username=" + raw + b"&password=" + raw
            check(c.post(path, data=body, content_type="application/x-www-form-urlencoded"), f"POST {path} {raw!r}")
        for qs in (b"q=" + raw, b"q=x&j=" + raw + b"&page=" + raw + b"&d=" + raw):
            check(_get_raw(c, "/search", qs), f"GET /search?{qs!r}")
            check(c.get("/search?" + quote_from_bytes(qs, safe="=&")), f"GET /search?{qs!r} (percent-encoded)")
        qs = b"state=" + raw + b"&department=" + raw + b"&page=" + raw + b"&due=" + raw
        check(_get_raw(staff, "/staff/", qs), f"GET /staff/?{qs!r}")
        mp = (b"--b\r\nContent-Disposition: form-data; name=\"matter\"\r\n\r\n" + raw +
              b"\r\n--b\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"" + raw +
              b".png\"\r\nContent-Type: image/png\r\n\r\n" + PNG + b"\r\n--b--\r\n")
        check(c.post(f"/file/{fx.jcode}", data=mp, content_type="multipart/form-data; boundary=b"),
              f"multipart {raw!r}")
    for path in ("/track/%FF%FE", "/knowledge/%00", "/guides/%C3%28", "/file/%ED%A0%80", "/staff/cases/%00"):
        check(staff.get(path), f"GET {path}")

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=NO_SHRINK)
    @given(body=st.binary(max_size=400), query=st.binary(max_size=100))
    def raw_bytes(body, query):
        for r in (c.post(f"/file/{fx.jcode}", data=body, content_type="application/x-www-form-urlencoded"),
                  c.post("/track", data=body, content_type="application/x-www-form-urlencoded"),
                  _get_raw(c, "/search", b"q=" + query)):
            check(r, f"bytes {body[:40]!r} / {query[:40]!r}")

    raw_bytes()
    after = case_count(app)
    controls = app.test_client()
    r = controls.post(f"/file/{fx.jcode}", data={"matter": "居住证\x07办理", "description": "说明\x1b[31m" * 5,
                                                  "name": "张三\x00", "phone": "13800001111"})
    res.checks = [
        checks.Check("no 5xx for bad bytes", not failures,
                     f"{n['requests'] + examples * 3} requests" + (f"; {len(failures)} 5xx, first: {failures[0]}"
                                                                  if failures else "")),
        checks.Check("control characters refused with a message", r.status_code in (400, 422) and clear_error(r),
                     f"a filing with BEL/ESC/NUL answered {r.status_code}"),
        checks.Check("nothing saved from garbage", after == before, f"cases {before} -> {after}"),
    ]
    return res


def _get_raw(client, path: str, query: bytes):
    """A GET whose query string reaches the app as the raw bytes a server would pass (latin-1 in WSGI)."""
    return client.get(path, environ_overrides={"QUERY_STRING": query.decode("latin-1")})


# -- script and formula injection ----------------------------------------------------------
def _intake_values(form: Form, payload: str) -> dict:
    """Every free-text field of the form carries the payload (shaped to pass the validators)."""
    values = {}
    for k, v in form.fill():
        values.setdefault(k, []).append(v)
    for f in form.fields:
        if f.tag == "textarea" or (f.tag == "input" and f.type in ("text", "")):
            if f.name in ("phone", "id_number", "credit_code", "visits"):
                continue
            if "company" in f.name:
                continue
            limit = int(f.attrs.get("maxlength") or 4000)
            values[f.name] = [(payload + " 窗口说材料不全，来回跑了三趟。")[:limit]]
    return values


def injection(app, fx: Fixture) -> Result:
    """Script and formula payloads in every field, then every page and export that shows them."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.knowledge import pipeline
    from portal.models import Case, StaffUser

    res = Result("script and formula injection",
                 how="payloads starting with = + - @ and carrying <script>/onerror in every free-text field of "
                     "the intake form, a staff reply and a published entry; every page and CSV that shows them")
    public = app.test_client()
    page = public.get(f"/file/{fx.jcode}")
    form = next(f for f in parse(page.get_data(as_text=True)).forms if f.method == "post")
    numbers = []
    for lead in FORMULAS:
        payload = f"{lead}{XSS}"
        r = public.post(f"/file/{fx.jcode}", data=_intake_values(form, payload))
        loc = r.headers.get("Location") or ""
        if "/receipt/" in loc:
            numbers.append(loc.rsplit("/", 1)[-1])
    staff = app.test_client()
    login(staff, fx.supervisor)
    shown: dict[str, int] = {}
    problems: list[str] = []

    def look(client, path):
        r = client.get(path)
        if r.status_code >= 500:
            problems.append(f"{r.status_code} on {path}")
            return r
        text = r.get_data(as_text=True)
        if is_html(r):
            if active_content(text):
                problems.append(f"active content on {path}: {active_content(text)[:2]}")
            if "&lt;script&gt;" in text or "&lt;img" in text:
                shown[path] = shown.get(path, 0) + 1
        return r

    # the staff reply (a note with the payload) shows on the public tracking page
    with app.app_context():
        from portal.engine import cases as engine

        sup = db.session.scalar(select(StaffUser).where(StaffUser.username == fx.supervisor))
        for number in numbers:
            case = db.session.scalar(select(Case).where(Case.number == number))
            for _ in range(6):
                acts = {t.action for t in engine.allowed_actions(case, engine.Actor.staff(sup))}
                try:
                    if "reply" in acts:
                        engine.perform(case, "reply", engine.Actor.staff(sup), note=f"{FORMULAS[0]}{XSS} 已答复")
                        break
                    step = next((a for a in ("accept", "classify", "assign", "note") if a in acts), None)
                    if step is None:
                        break
                    params = {}
                    if step == "assign":
                        params["lead_department_id"] = case.jurisdiction.departments[0].id
                    engine.perform(case, step, engine.Actor.staff(sup), note=f"{XSS} 处理中", params=params)
                except Exception as exc:  # noqa: BLE001 - a workflow refusal just ends the walk
                    db.session.rollback()
                    problems.append(f"walking {number} to a reply: {type(exc).__name__}: {exc}"[:200]) \
                        if not type(exc).__name__.endswith(("NotAllowed", "Invalid", "Conflict")) else None
                    break
        # a published knowledge entry carrying the payload
        try:
            case = db.session.scalar(select(Case).where(Case.number == numbers[0])) if numbers else None
            c = pipeline.propose(user=sup, case=case, guide=None, kind="practice", field="", wrong_text="",
                                 corrected_text="", cause=XSS, title=f"{FORMULAS[0]}{XSS}注入测试",
                                 title_en=f"{XSS} injection", summary=f"{FORMULAS[1]}{XSS} 做法说明",
                                 summary_en=XSS)
            pipeline.confirm(c, sup)
            pipeline.record_fix(c, sup, XSS)
            entry_id = pipeline.publish(c, sup).id
        except Exception as exc:  # noqa: BLE001
            db.session.rollback()
            entry_id = None
            problems.append(f"publishing the payload entry: {type(exc).__name__}: {exc}"[:200])
        db.session.remove()

    for number in numbers:
        tracker = app.test_client()
        with tracker.session_transaction() as s:
            s["tracked"] = [number]
        look(tracker, f"/track/{number}")
        look(staff, f"/staff/cases/{number}")
    look(staff, "/staff/")
    look(staff, "/staff/corrections")
    if entry_id:
        look(public, f"/knowledge/{entry_id}")
        look(public, "/corrections")
        look(public, "/search?q=注入测试")
        look(public, "/")
    # every CSV the portal offers: public and staff
    exports = sorted({r.rule for r in app.url_map.iter_rules() if r.rule.endswith(".csv") or "export" in r.rule})
    csv_cells = dangerous = 0
    csv_seen = []
    for rule in exports:
        path = rule.replace("<code>", fx.jcode)
        if "<" in path:
            continue
        for who, client in (("public", public), ("supervisor", staff)):
            r = client.get(path)
            if r.status_code != 200 or "csv" not in (r.mimetype or ""):
                continue
            csv_seen.append(f"{path} ({who})")
            for row in csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))):
                for cell in row:
                    csv_cells += 1
                    if cell.startswith(("=", "+", "@", "\t", "\r")) or (
                            cell.startswith("-") and not re.fullmatch(r"-?\d+(\.\d+)?", cell)):
                        dangerous += 1
                        problems.append(f"formula cell in {path}: {cell[:40]!r}")
    res.checks = [
        checks.Check("payloads accepted and kept as text", len(numbers) == len(FORMULAS),
                     f"{len(numbers)} of {len(FORMULAS)} filings with payloads in every text field got a receipt"),
        checks.Check("escaped everywhere shown", not [p for p in problems if "active content" in p or "5" in p[:1]]
                     and len(shown) >= 2,
                     f"payload shown escaped on {len(shown)} pages: {sorted(shown)[:8]}" +
                     (f"; problems: {problems[:3]}" if problems else "")),
        checks.Check("CSV formula injection neutralised", dangerous == 0,
                     f"{len(csv_seen)} CSV exports read ({', '.join(csv_seen) or 'none offered'}), "
                     f"{csv_cells} cells, {dangerous} starting like a formula"),
    ]
    res.figures = {"pages_escaped": sorted(shown), "csv_exports": csv_seen, "problems": problems[:10]}
    return res


# -- oversize ---------------------------------------------------------------------------
def oversize(app, fx: Fixture) -> Result:
    res = Result("oversize bodies and files", how="a 13 MB body, a 6 MB attachment, six attachments, a 5000-char "
                 "field, a 100 KB query string")
    c = app.test_client()
    upload = Path(app.config["PORTAL_UPLOAD_DIR"])
    files_before = set(os.listdir(upload)) if upload.is_dir() else set()
    before = case_count(app)
    page = c.get(f"/file/{fx.jcode}")
    form = next(f for f in parse(page.get_data(as_text=True)).forms if f.method == "post")
    base = {}
    for k, v in form.fill():
        base.setdefault(k, []).append(v)

    def post(files=None, **extra):
        data = {k: list(v) for k, v in base.items()}
        data.update(extra)
        pairs = [(k, v) for k, vs in data.items() for v in vs]
        parts = [("attachments", name, "application/octet-stream", stream.getvalue()) for stream, name in files or []]
        # encoded here, as raw bytes: the test client would spool a big body into a file it never closes
        body, ctype = encode_multipart(pairs, parts)
        return c.post(f"/file/{fx.jcode}", data=body, content_type=ctype)

    limit = app.config.get("MAX_CONTENT_LENGTH") or 12 * 1024 * 1024
    big = c.post(f"/file/{fx.jcode}", data=oversize_body(limit + 1024 * 1024),
                 content_type="multipart/form-data; boundary=b")
    six_mb = post([(io.BytesIO(PDF + b"0" * (6 * 1024 * 1024)), "six.pdf")])
    six_files = post([(io.BytesIO(PNG), f"p{i}.png") for i in range(6)])
    long_field = post(description=["长" * 5000], matter=["事" * 500])
    long_query = c.get("/search", query_string={"q": "身份证" * 35000})
    after = case_count(app)
    stray = (set(os.listdir(upload)) if upload.is_dir() else set()) - files_before
    outcomes = {"13 MB body": big.status_code, "6 MB file": six_mb.status_code, "6 files": six_files.status_code,
                "5000-char field": long_field.status_code, "100 KB query": long_query.status_code}
    res.checks = [
        checks.Check("413 for an oversize body", big.status_code == 413 and clear_error(big),
                     f"13 MB body answered {big.status_code}"),
        checks.Check("oversize files refused with a message",
                     all(r.status_code in (413, 422) and clear_error(r) for r in (six_mb, six_files, long_field)),
                     f"6 MB file {six_mb.status_code}, six files {six_files.status_code}, "
                     f"over-long fields {long_field.status_code}"),
        checks.Check("long query answered", long_query.status_code < 500, f"{long_query.status_code}"),
        checks.Check("nothing saved, no stray file", after == before and not stray,
                     f"cases {before} -> {after}; {len(stray)} new files in the upload folder"),
    ]
    res.figures = outcomes
    return res


def oversize_body(size: int) -> bytes:
    """A raw multipart body with one file of ``size`` bytes (raw bytes: the test client then does
    not spool it into a temporary file it never closes)."""
    return (b"--b\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"big.pdf\"\r\n"
            b"Content-Type: application/pdf\r\n\r\n" + PDF + b"0" * size + b"\r\n--b--\r\n")


def oversize_http(server) -> Result:
    """The same over a real socket: gunicorn + Flask answer 413 before reading 13 MB."""
    res = Result("oversize body over HTTP")
    b = Browser(server.url, timeout=30)
    body = b"--b\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"x.pdf\"\r\n\r\n" + \
        PDF + b"0" * (13 * 1024 * 1024) + b"\r\n--b--\r\n"
    r = b.request("POST", "/file/beijing", body=body, content_type="multipart/form-data; boundary=b")
    after = b.get("/")
    res.checks = [checks.Check("413 over HTTP", r.status in (413, 0) and after.status == 200,
                               f"13 MB upload answered {r.status or r.error}; the next request {after.status}")]
    res.figures = {"status": r.status}
    return res


# -- path traversal in attachment names ----------------------------------------------------
def traversal(app, fx: Fixture) -> Result:
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import Attachment, Case

    res = Result("path traversal in attachment names",
                 how="filenames with ../, ..\\, absolute paths, encoded dots, NUL and RTL override, script tags")
    token = secrets.token_hex(4)
    c = app.test_client()
    upload = Path(app.config["PORTAL_UPLOAD_DIR"]).resolve()
    page = c.get(f"/file/{fx.jcode}")
    form = next(f for f in parse(page.get_data(as_text=True)).forms if f.method == "post")
    receipts, statuses = [], []
    for i in range(0, len(HOSTILE_FILES), 4):
        data = {}
        for k, v in form.fill():
            data.setdefault(k, []).append(v)
        chosen = [(n, b) for n, b in HOSTILE_FILES[i:i + 4] if b.startswith((b"%PDF", b"\x89PNG"))]
        data["attachments"] = [(io.BytesIO(b), n.format(t=token)) for n, b in chosen]
        r = c.post(f"/file/{fx.jcode}", data=data, content_type="multipart/form-data")
        statuses.append(r.status_code)
        loc = r.headers.get("Location") or ""
        if "/receipt/" in loc:
            receipts.append(loc.rsplit("/", 1)[-1])
    with app.app_context():
        rows = db.session.execute(select(Attachment.stored_name, Attachment.original_name).join(Case)
                                  .where(Case.number.in_(receipts))).all()
        db.session.remove()
    outside = [p for p in upload.parent.parent.rglob(f"*escape-{token}*")] + \
        [p for p in Path("/etc").glob(f"escape-{token}*")] + [p for p in Path("/tmp").glob(f"escape-{token}*")]
    bad_stored = [s for s, _ in rows if "/" in s or "\\" in s or ".." in s or not (upload / s).is_file()]
    bad_names = [o for _, o in rows if re.search(r"[/\\\x00-\x1f\u202e]", o) or o.startswith(".")]
    staff = app.test_client()
    login(staff, fx.supervisor)
    active = []
    for n in receipts:
        active += active_content(staff.get(f"/staff/cases/{n}").get_data(as_text=True))
    res.checks = [
        checks.Check("stored under generated names inside the upload folder", rows and not bad_stored and not outside,
                     f"{len(rows)} attachments from {len(receipts)} filings (statuses {statuses}); "
                     f"{len(bad_stored)} stored names outside or missing; {len(outside)} files escaped"),
        checks.Check("names kept only as clean labels", not bad_names and not active,
                     f"labels: {[o[:30] for _, o in rows][:6]}" + (f"; unsafe: {bad_names[:3]}" if bad_names else "")),
    ]
    return res


# -- CSRF -----------------------------------------------------------------------------------
def csrf(app, fx: Fixture) -> Result:
    """``app`` must have WTF_CSRF_ENABLED. Missing, foreign and replayed tokens are refused."""
    res = Result("missing and replayed CSRF tokens")
    before = case_count(app)
    a, b = app.test_client(), app.test_client()
    page_a = a.get(f"/file/{fx.jcode}").get_data(as_text=True)
    b.get(f"/file/{fx.jcode}")
    form = next(f for f in parse(page_a).forms if f.method == "post")
    data = {}
    for k, v in form.fill():
        data.setdefault(k, []).append(v)
    missing = a.post(f"/file/{fx.jcode}", data={k: v for k, v in data.items() if k != "csrf_token"})
    foreign = b.post(f"/file/{fx.jcode}", data=data)
    first = a.post(f"/file/{fx.jcode}", data=data)
    replay = a.post(f"/file/{fx.jcode}", data=data)
    after = case_count(app)
    staff = app.test_client()
    login(staff, fx.supervisor)
    act_missing = staff.post(f"/staff/cases/{fx.case_number}/act", data={"action": "note", "version": "1",
                                                                        "note": "no token"})
    login_missing = app.test_client().post("/staff/login", data={"username": fx.supervisor, "password": PASSWORD})
    case_page = staff.get(f"/staff/cases/{fx.case_number}").get_data(as_text=True)
    token = _csrf_token(case_page)
    staff.post("/staff/logout", data={"csrf_token": token})
    login(staff, fx.supervisor)  # a new session: the old page's token must not work
    stale = staff.post(f"/staff/cases/{fx.case_number}/act", data={"csrf_token": token, "action": "note",
                                                                   "version": "1", "note": "old token"})
    refused = {"missing (public form)": missing.status_code, "other session's token": foreign.status_code,
               "replayed filing": replay.status_code, "missing (staff action)": act_missing.status_code,
               "missing (staff login)": login_missing.status_code, "token from before logout": stale.status_code}
    res.checks = [
        checks.Check("refused with a clear message", all(s == 400 for s in refused.values()) and
                     all(clear_error(r) for r in (missing, foreign, replay, act_missing, login_missing, stale)),
                     ", ".join(f"{k} {v}" for k, v in refused.items())),
        checks.Check("the genuine submission counts once", first.status_code in (302, 303) and after == before + 1,
                     f"first submission {first.status_code}; cases {before} -> {after} after submit + replay"),
    ]
    res.figures = refused
    return res


# -- brute force --------------------------------------------------------------------------
def brute_force_inprocess(app, fx: Fixture, tries: int = 15) -> Result:
    """``app`` must have RATELIMIT_ENABLED: wrong access codes and passwords end in 429."""
    res = Result("brute force (one process)")
    c = app.test_client()
    track = [c.post("/track", data={"number": fx.case_number, "code": f"WRONG{i:05d}"}).status_code
             for i in range(tries)]
    c2 = app.test_client()
    logins = [c2.post("/staff/login", data={"username": fx.supervisor, "password": f"wrong-{i}-xxxx"}).status_code
              for i in range(tries)]
    last = c2.post("/staff/login", data={"username": fx.supervisor, "password": PASSWORD})
    res.checks = [
        checks.Check("access-code guessing limited", 429 in track and track.index(429) <= 10,
                     f"first 429 after {track.index(429) if 429 in track else 'never'} wrong codes"),
        checks.Check("password guessing limited", 429 in logins and logins.index(429) <= 10 and last.status_code == 429
                     and clear_error(last),
                     f"first 429 after {logins.index(429) if 429 in logins else 'never'} wrong passwords; "
                     f"the right password is then refused too ({last.status_code})"),
    ]
    res.figures = {"track_statuses": track, "login_statuses": logins}
    return res


def shared_limits(server, *, attempts: int = 24, threads: int = 4, rounds: int = 3) -> Result:
    """Wrong codes from one address, spread over the workers: how many get through before 429.

    The kernel decides which worker accepts a connection; on a busy machine one worker may
    take them all, which proves nothing about sharing, so such a round is repeated (fresh
    address) up to ``rounds`` times.
    """
    for _ in range(rounds):
        res = _shared_limits_round(server, attempts=attempts, threads=threads)
        if res.figures["workers_seen"] >= 2:
            break
    return res


def _shared_limits_round(server, *, attempts: int, threads: int) -> Result:
    from .client import new_source_ip

    ip = new_source_ip()
    # a number of its own per round: wrong codes are also counted per case number (from any address),
    # which would otherwise lock a repeated round's number from its first guess
    number = f"BJ-2026-{secrets.randbelow(900000) + 100000:06d}"
    statuses: list[int] = []
    lock = threading.Lock()
    per_thread = attempts // threads

    def guess(k):
        b = Browser(server.url, source_ip=ip)
        form = next((f for f in parse(b.get("/track").text).forms if f.method == "post"), None)
        token = form.hidden("csrf_token") if form else None
        for i in range(per_thread):
            pairs = {"number": number, "code": f"WRONG{k}{i:04d}"}
            if token:
                pairs["csrf_token"] = token
            r = b.post("/track", pairs)
            with lock:
                statuses.append(r.status)

    ts = [threading.Thread(target=guess, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    served_by = {pid for pid, host, req, _ in server.access_lines() if host == ip and req.startswith("POST /track")}
    passed = sum(1 for s in statuses if s != 429)
    wrong = [s for s in statuses if s not in (404, 429)]  # 404: "number and code do not match"
    storage = server.site.ratelimit_uri.split(":")[0]
    res = Result(f"brute force across {server.workers} workers ({storage} storage)")
    if storage == "redis":
        # Wrong codes are counted once they are known to be wrong (after the look-up), so guesses
        # already in flight when the 10th is counted may still be answered: at most threads - 1 more.
        # Per-process counting would let up to 10 per worker through.
        res.checks = [checks.Check("limit shared across workers",
                                   10 <= passed <= 10 + threads - 1 and len(served_by) >= 2 and not wrong,
                                   f"{passed} of {len(statuses)} wrong codes answered before 429 (limit 10/minute; "
                                   f"up to {threads - 1} in flight may pass), served by {len(served_by)} worker processes")]
    else:
        res.checks = [checks.Check("limit per process (memory storage)", 10 <= passed <= 10 * server.workers and not wrong,
                                   f"{passed} of {len(statuses)} wrong codes answered before 429: each of "
                                   f"{len(served_by)} workers keeps its own count (limit 10/minute per process)")]
    res.figures = {"answered": passed, "attempts": len(statuses), "workers_seen": len(served_by),
                   "other statuses": wrong[:5]}
    return res


def limiter_storage_down(make_app: Callable, fx_factory: Callable) -> Result:
    """Redis (the shared rate-limit store) unreachable: the portal must still answer."""
    from .servers import free_port

    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}")
    fx = fx_factory(app)
    c = app.test_client()
    r = c.post("/track", data={"number": fx.case_number, "code": "WRONG00000"})
    login = c.post("/staff/login", data={"username": fx.supervisor, "password": "wrong-password-x"})
    res = Result("rate-limit store unreachable")
    res.checks = [checks.Check("answers without a 5xx", r.status_code < 500 and login.status_code < 500,
                               f"tracking answered {r.status_code}, staff login {login.status_code} "
                               "with Redis unreachable")]
    res.figures = {"track": r.status_code, "login": login.status_code}
    return res


# -- the findings of issue 14 --------------------------------------------------------------
CALENDAR_ERASER = {"source": "attack", "years": list(range(1900, 2101)), "holidays": {}, "workdays": {}}
FINDING_PHONE = "13987654321"
LOCKED_MSG = "Too many failed logins for this username. Try again later."
WRONG_MSG = "Wrong username or password."


def _bad_location(r) -> bool:
    loc = r.headers.get("Location", "")
    return loc.startswith("//") or "evil.example" in loc or any(ord(ch) < 0x21 or ord(ch) == 0x7f for ch in loc)


def _official_calendar(j) -> tuple:
    """The national calendar as the database holds it, and whether National Day 2026 is off in ``j``."""
    from datetime import date

    from sqlalchemy import select

    from portal.engine.jurisdiction_calendars import calendar_for, invalidate
    from portal.extensions import db
    from portal.models import CalendarDay, CalendarYear

    invalidate()
    days = db.session.execute(select(CalendarDay.day, CalendarDay.working, CalendarDay.name, CalendarDay.kind)
                              .where(CalendarDay.jurisdiction_id.is_(None)).order_by(CalendarDay.day)).all()
    years = db.session.execute(select(CalendarYear.year, CalendarYear.source).order_by(CalendarYear.year)).all()
    return [tuple(d) for d in days], [tuple(y) for y in years], not calendar_for(j).is_working_day(date(2026, 10, 1))


def security_findings(app, fx: Fixture) -> Result:
    """Issue 14's findings, each attack replayed against the real app. ``app`` must have
    RATELIMIT_ENABLED (memory storage will do) and CSRF off. Every request comes from an address
    of its own (``REMOTE_ADDR``) so that the per-address limits of other checks do not interfere,
    and every login is by a staff user made here: the per-account lockout is held in the database,
    and brute_force_inprocess has just locked ``fx.supervisor`` there. The requests run outside
    any app context (flask-login caches the user in ``g``)."""
    from sqlalchemy import select, text

    from portal.engine import cases as engine
    from portal.extensions import db
    from portal.models import Case, Department, Jurisdiction
    from portal.staff.users import create_staff_user

    res = Result("issue 14 findings", how="each finding's attack through the test client, rate limits on (memory)")
    tag = secrets.token_hex(3)

    def addr(n: int) -> dict:
        return {"REMOTE_ADDR": f"198.51.{100 + n // 250}.{n % 250 + 1}"}

    def client(n: int):
        c = app.test_client()
        c.environ_base.update(addr(n))
        c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        return c

    # set-up: two departments with a handler each, a case led by the first (with a known phone), a fresh user
    with app.app_context():
        j = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == fx.jcode))
        depts = list(db.session.scalars(select(Department).where(Department.jurisdiction_id == j.id)
                                        .order_by(Department.id)).all())
        while len(depts) < 2:
            d = Department(jurisdiction=j, code=f"proof-dept-{len(depts)}-{tag}", name_zh="证明部门",
                           name_en="Proof department")
            db.session.add(d)
            db.session.commit()
            depts.append(d)
        a, b = depts[0], depts[1]
        users = {"own": f"proof-h-own-{tag}", "other": f"proof-h-other-{tag}", "lock": f"proof-lock-{tag}",
                 "supervisor": f"proof-sup-{tag}", "admin": f"proof-adm-{tag}"}
        for role in ("supervisor", "admin"):
            create_staff_user(username=users[role], password=PASSWORD, role=role, jurisdiction_code=j.code)
        create_staff_user(username=users["own"], password=PASSWORD, role="handler", jurisdiction_code=j.code,
                          department_code=a.code)
        create_staff_user(username=users["other"], password=PASSWORD, role="handler", jurisdiction_code=j.code,
                          department_code=b.code)
        create_staff_user(username=users["lock"], password=PASSWORD, role="clerk", jurisdiction_code=j.code)
        case = engine.file_case(jurisdiction=j, matter="居住证办理", description="按指南带了材料，窗口仍说不全。",
                                channel="online", complainant={"name": "赵测试", "phone": FINDING_PHONE}).case
        case.lead_department = a
        case.co_departments = []
        db.session.commit()
        number, case_id = case.number, case.id
        calendar_before = _official_calendar(j)
        db.session.remove()

    # 1. open redirect: the tab Werkzeug strips after the check; CR/LF in the header (a 500 before)
    big = client(1).get("/large-text?next=/%09/evil.example")
    staff_login = client(2).post("/staff/login?next=/%0d%0aX:1", data={"username": users["supervisor"], "password": PASSWORD})
    answers = [big, staff_login]
    res.checks.append(checks.Check(
        "open redirect closed", all(r.status_code < 500 and not _bad_location(r) for r in answers)
        and staff_login.status_code in (302, 303),
        f"/large-text?next=/%09/evil.example -> {big.status_code} {big.headers.get('Location', '')!r}; "
        f"staff login with next=/%0d%0aX:1 -> {staff_login.status_code} {staff_login.headers.get('Location', '')!r}"))

    # 2. logout ends the session: a cookie copied before it no longer opens the queue
    c = client(3)
    logged = login(c, users["supervisor"])
    cookie_name = app.config.get("SESSION_COOKIE_NAME", "session")
    copied = getattr(c.get_cookie(cookie_name), "value", "")
    before = client(3)
    before.set_cookie(cookie_name, copied)
    worked = before.get("/staff/").status_code
    out = c.post("/staff/logout")
    replay = client(4)
    replay.set_cookie(cookie_name, copied)
    after = replay.get("/staff/")
    res.checks.append(checks.Check(
        "logout ends the session", logged.status_code in (302, 303) and bool(copied) and worked == 200 and out.status_code < 400
        and after.status_code in (302, 303) and "/staff/login" in after.headers.get("Location", ""),
        f"login {logged.status_code}; copy worked before logout ({worked}); logout {out.status_code}; the copy after it: {after.status_code} "
        f"-> {after.headers.get('Location', '')!r}"))

    # 3. national calendar: a jurisdiction admin's import is refused and the official holidays stay
    c = client(5)
    login(c, users["admin"])
    up = c.post("/staff/admin/calendar/import", content_type="multipart/form-data",
                data={"year-file": (io.BytesIO(json.dumps(CALENDAR_ERASER).encode()), "cal.json")})
    confirm = c.post("/staff/admin/calendar/import/confirm", data={"token": "x"})
    with app.app_context():
        calendar_after = _official_calendar(db.session.get(Jurisdiction, j.id))
        db.session.remove()
    res.checks.append(checks.Check(
        "national calendar only for a system role", up.status_code == 403 and confirm.status_code == 403
        and calendar_after == calendar_before and calendar_after[2],
        f"admin import {up.status_code}, confirm {confirm.status_code}; official rows "
        f"{len(calendar_before[0])} -> {len(calendar_after[0])}, unchanged={calendar_after == calendar_before}, "
        f"National Day 2026 off={calendar_after[2]}"))

    # 4. per-account lockout: five wrong passwords, then the right one is refused; an unknown name looks the same
    def attempts(c, username):
        seen = []
        for password in ["wrong-password-x"] * 5 + [PASSWORD]:
            r = c.post("/staff/login?lang=en", data={"username": username, "password": password})
            body = r.get_data(as_text=True)
            seen.append((r.status_code, [m for m in (WRONG_MSG, LOCKED_MSG) if m in body]))
        return seen

    known = attempts(client(6), users["lock"])
    unknown = attempts(client(7), f"proof-nobody-{tag}")
    res.checks.append(checks.Check(
        "per-account lockout", known[-1][0] == 401 and LOCKED_MSG in known[-1][1] and known == unknown,
        f"right password after 5 wrong: {known[-1]}; unknown username the same: {known == unknown}"))

    # 5. per-case tracking limit: wrong codes for one number from 11 addresses
    track = [app.test_client().post("/track", data={"number": number, "code": f"WRONG{i:05d}"},
                                    environ_base=addr(20 + i)).status_code for i in range(11)]
    res.checks.append(checks.Check(
        "per-case tracking limit", track == [404] * 10 + [429],
        f"statuses from 11 addresses: {track}"))

    # 6. handler scope: another department's case is not found
    own, other = client(40), client(41)
    login(own, users["own"])
    login(other, users["other"])
    seen_own = own.get(f"/staff/cases/{number}").status_code
    seen_other = other.get(f"/staff/cases/{number}").status_code
    res.checks.append(checks.Check(
        "handler sees only their department's cases", seen_other == 404 and seen_own == 200,
        f"handler of another department {seen_other}; of the leading department {seen_own}"))

    # 7. personal data at rest: the raw column holds no phone digits
    with app.app_context():
        with db.engine.connect() as conn:
            raw = conn.execute(text('SELECT complainant_phone FROM "case" WHERE id = :id'), {"id": case_id}).scalar()
        decrypted = db.session.get(Case, case_id).complainant_phone
        db.session.remove()
    raw = str(raw or "")
    res.checks.append(checks.Check(
        "phone encrypted at rest", bool(raw) and FINDING_PHONE not in raw and FINDING_PHONE[-7:] not in raw
        and decrypted == FINDING_PHONE,
        f"raw column {raw[:24]!r}... ({len(raw)} chars); the model reads it back: {decrypted == FINDING_PHONE}"))
    res.figures = {"track": track, "lockout": known, "calendar_rows": len(calendar_before[0])}
    return res
