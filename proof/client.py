"""A small HTTP client that behaves like a person with a browser, and keeps count.

It reads the forms from the live HTML (field names, CSRF token, select and radio
options, which fields are required) and fills them generically, so the proofs keep
working while the forms change. When a submission comes back with an error summary
(links to ``#field``), it fills those fields too and tries once more, like a person.

Standard library only (http.client), one connection per request (gunicorn's sync
workers close it anyway). Each Browser may bind its own loopback source address
(127.x.y.z) so rate limits see different people.
"""
from __future__ import annotations

import http.client
import itertools
import random
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import quote, urlencode, urljoin, urlsplit

LEAK_MARKERS = ("Traceback (most recent call last)", "LockError", "whoosh.", "sqlalchemy.exc",
                "psycopg.", "OperationalError", "werkzeug.exceptions")
LOCK_MARKERS = ("LockError", "IndexBusy", "WRITELOCK", "is locked")

# A small PNG and PDF with the right first bytes (the portal checks magic bytes).
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7V\xbd\xfa\x00\x00\x00\x00IEND\xaeB`\x82")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

_ips = itertools.count(1)
_ips_lock = threading.Lock()


def new_source_ip() -> str:
    """A fresh loopback address (the whole of 127.0.0.0/8 reaches the server on Linux)."""
    with _ips_lock:
        n = next(_ips)
    return f"127.{(n >> 16) % 250 + 1}.{(n >> 8) & 255}.{n & 255 or 1}"


@dataclass
class Response:
    method: str
    path: str
    status: int  # 0: no response (connection refused, reset, timed out)
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    error: str = ""
    elapsed: float = 0.0
    kind: str = ""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def header(self, name: str, default: str | None = None) -> str | None:
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def headers_all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def location(self) -> str | None:
        loc = self.header("Location")
        return urlsplit(loc).path + (("?" + urlsplit(loc).query) if urlsplit(loc).query else "") if loc else None


class Recorder:
    """Thread-safe tally of every response: statuses by kind, latencies, 5xx and leaks."""

    def __init__(self):
        self._lock = threading.Lock()
        self.counts: dict[str, dict[int, int]] = {}
        self.latency: dict[str, list[float]] = {}
        self.server_errors: list[str] = []
        self.leaks: list[str] = []
        self.lock_errors: list[str] = []
        self.no_response: list[str] = []
        self.events: dict[str, int] = {}

    def record(self, r: Response) -> None:
        kind = r.kind or "other"
        text = r.text if r.body else ""
        with self._lock:
            self.counts.setdefault(kind, {}).setdefault(r.status, 0)
            self.counts[kind][r.status] += 1
            if r.status:
                self.latency.setdefault(kind, []).append(r.elapsed)
            else:
                self.no_response.append(f"{r.method} {r.path}: {r.error}")
            if r.status >= 500:
                self.server_errors.append(f"{r.status} {r.method} {r.path}: {_title(text)}")
            if any(m in text for m in LEAK_MARKERS):
                self.leaks.append(f"{r.status} {r.method} {r.path}")
            if any(m in text for m in LOCK_MARKERS):
                self.lock_errors.append(f"{r.status} {r.method} {r.path}")

    def event(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.events[name] = self.events.get(name, 0) + n

    def total(self, status_min: int = 0, status_max: int = 999) -> int:
        return sum(n for c in self.counts.values() for s, n in c.items() if status_min <= s <= status_max)

    def summary(self) -> dict:
        def pct(values, p):
            if not values:
                return None
            s = sorted(values)
            return round(s[min(len(s) - 1, int(p * len(s)))] * 1000, 1)

        return {
            "requests": self.total(),
            "by_kind": {k: {str(s): n for s, n in sorted(v.items())} for k, v in sorted(self.counts.items())},
            "latency_ms": {k: {"median": pct(v, 0.5), "p95": pct(v, 0.95), "n": len(v)}
                           for k, v in sorted(self.latency.items())},
            "server_errors": len(self.server_errors),
            "no_response": len(self.no_response),
            "leaks": len(self.leaks),
            "lock_errors": len(self.lock_errors),
            "events": dict(sorted(self.events.items())),
        }


def _title(text: str) -> str:
    m = re.search(r"<title>(.*?)</title>", text, re.S)
    return (m.group(1).strip() if m else text[:120]).replace("\n", " ")


# -- forms ---------------------------------------------------------------------------
@dataclass
class Field:
    name: str
    tag: str  # input | select | textarea
    type: str = "text"
    value: str = ""
    required: bool = False
    checked: bool = False
    options: list[tuple[str, bool]] = field(default_factory=list)  # (value, selected)
    multiple: bool = False
    attrs: dict = field(default_factory=dict)


@dataclass
class Form:
    action: str
    method: str = "get"
    enctype: str = "application/x-www-form-urlencoded"
    fields: list[Field] = field(default_factory=list)
    page: str = ""  # the URL the form was read from

    def names(self) -> list[str]:
        seen = []
        for f in self.fields:
            if f.name not in seen:
                seen.append(f.name)
        return seen

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def hidden(self, name: str) -> str | None:
        f = self.field(name)
        return f.value if f else None

    def text_fields(self) -> list[str]:
        """Names of fields a person types into (text inputs and textareas)."""
        return [f.name for f in self.fields
                if f.tag == "textarea" or (f.tag == "input" and f.type in ("text", "search", "tel", "email", ""))]

    def fill(self, overrides: dict | None = None, fill_optional: bool = False,
             must: set[str] | frozenset = frozenset(), rnd: random.Random | None = None) -> list[tuple[str, str]]:
        """Pairs to submit: defaults kept, required (and ``must``) fields filled plausibly."""
        rnd = rnd or random
        overrides = dict(overrides or {})
        pairs: list[tuple[str, str]] = []
        radios_done: set[str] = set()
        for f in self.fields:
            if f.name in overrides:
                if f.tag == "input" and f.type in ("radio", "checkbox"):
                    if f.name in radios_done:
                        continue
                    radios_done.add(f.name)
                value = overrides[f.name]
                if isinstance(value, (list, tuple)):
                    pairs.extend((f.name, str(v)) for v in value)
                elif value is not None:
                    pairs.append((f.name, str(value)))
                continue
            wanted = f.required or fill_optional or f.name in must
            if f.tag == "input" and f.type in ("submit", "button", "reset", "image", "file"):
                continue
            if f.tag == "input" and f.type == "radio":
                if f.name in radios_done:
                    continue
                group = [g for g in self.fields if g.name == f.name and g.type == "radio"]
                chosen = next((g for g in group if g.checked), None)
                if chosen is None and (wanted or any(g.required for g in group)):
                    chosen = group[0]
                if chosen is not None:
                    pairs.append((f.name, chosen.value or "on"))
                radios_done.add(f.name)
                continue
            if f.tag == "input" and f.type == "checkbox":
                if f.checked or f.required or f.name in must:
                    pairs.append((f.name, f.value or "y"))
                continue
            if f.tag == "select":
                selected = [v for v, s in f.options if s]
                if not selected:
                    nonempty = [v for v, _ in f.options if v]
                    if wanted and nonempty:
                        selected = [nonempty[0]]
                    elif f.options:
                        selected = [f.options[0][0]]
                for v in selected[: None if f.multiple else 1]:
                    pairs.append((f.name, v))
                continue
            if f.value or f.type == "hidden":
                pairs.append((f.name, f.value))
                continue
            pairs.append((f.name, plausible(f, rnd) if wanted else ""))
        return pairs


MATTERS = ["居住证办理", "职工退休审批", "房屋租赁备案", "养犬登记", "社会保险费追缴", "营业执照变更", "不动产登记",
           "医保关系转移", "公积金提取", "出生医学证明补办", "residence permit", "business licence"]
STORY = ["按照网上公示的办事指南准备了材料，", "窗口工作人员说材料不全，", "第二次去又被告知需要另外的证明，",
         "来回跑了三趟还是没有办成，", "希望能明确需要哪些材料。", "电话咨询和现场答复不一致，",
         "线上系统提交后一直显示审核中，", "The counter asked for a document the guide does not list. "]


def plausible(f: Field, rnd) -> str:
    """A value a person might type into this field, guessed from its name and type."""
    n = f.name.lower()
    t = f.type
    if t == "date" or n.endswith("date") or "visit" in n and t == "date":
        return (date.today() - timedelta(days=rnd.randint(3, 60))).isoformat()
    if t == "number" or n in ("visits", "days", "count"):
        lo = f.attrs.get("min")
        return str(int(lo) if lo and lo.lstrip("-").isdigit() else 1)
    if t == "email" or "email" in n:
        return f"person{rnd.randint(1, 9999)}@example.org"
    if t == "tel" or "phone" in n or "mobile" in n or n == "tel":
        return f"13{rnd.randint(0, 9)}{rnd.randint(10000000, 99999999)}"
    if n in ("name", "display_name", "contact_name") or n.endswith("_name") and "company" not in n:
        return rnd.choice("赵钱孙李周吴郑王") + rnd.choice(["晓明", "丽华", "建国", "秀英", "志强"])
    if "company" in n:
        return "某某科技有限公司"
    if n == "matter" or "matter" in n:
        return rnd.choice(MATTERS)
    if n in ("q", "query", "search"):
        return rnd.choice(MATTERS)
    if "password" in n:
        return secrets.token_urlsafe(12)
    if f.tag == "textarea" or n in ("description", "note", "reason", "wish", "comment"):
        return "".join(rnd.sample(STORY, 3))
    maxlength = f.attrs.get("maxlength")
    text = "窗口说需要补充材料，已经跑了两次"
    if maxlength and maxlength.isdigit():
        text = text[: int(maxlength)]
    return text


class FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._option: list | None = None
        self._textarea: Field | None = None
        self.error_links: list[str] = []
        self._in_summary = 0
        self.refs: list[str] = []
        self._ref: list[str] | None = None
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
            if a["href"].startswith("#") and self._in_summary:
                self.error_links.append(a["href"][1:])
        if tag == "div" and "error-summary" in a.get("class", ""):
            self._in_summary += 1
        if tag == "strong" and "ref" in a.get("class", "").split():
            self._ref = []
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").lower(),
                              enctype=a.get("enctype", "application/x-www-form-urlencoded"))
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        if tag == "input" and a.get("name"):
            self._form.fields.append(Field(a["name"], "input", a.get("type", "text").lower(), a.get("value", ""),
                                           "required" in a, "checked" in a, attrs=a))
        elif tag == "select" and a.get("name"):
            self._select = Field(a["name"], "select", "select", "", "required" in a, multiple="multiple" in a, attrs=a)
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value"), "selected" in a, ""]
        elif tag == "textarea" and a.get("name"):
            self._textarea = Field(a["name"], "textarea", "textarea", "", "required" in a, attrs=a)
            self._form.fields.append(self._textarea)

    def handle_data(self, data):
        if self._option is not None:
            self._option[2] += data
        if self._textarea is not None:
            self._textarea.value += data
        if self._ref is not None:
            self._ref.append(data)

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None and self._select is not None:
            value = self._option[0] if self._option[0] is not None else self._option[2].strip()
            self._select.options.append((value, self._option[1]))
            self._option = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            if self._textarea is not None:
                # HTML drops one newline right after <textarea>
                v = self._textarea.value
                self._textarea.value = v[2:] if v.startswith("\r\n") else v[1:] if v.startswith("\n") else v
            self._textarea = None
        elif tag == "form":
            self._form = None
        elif tag == "div" and self._in_summary:
            self._in_summary -= 1
        elif tag == "strong" and self._ref is not None:
            self.refs.append("".join(self._ref).strip())
            self._ref = None


def parse(html: str) -> FormParser:
    p = FormParser()
    p.feed(html)
    p.close()
    return p


def forms(r: Response) -> list[Form]:
    found = parse(r.text).forms
    for f in found:
        f.page = r.path
    return found


# -- the browser ---------------------------------------------------------------------
class Browser:
    """One person: a cookie jar, a source address, and a recorder to report to."""

    def __init__(self, base_url: str, *, source_ip: str | None = None, timeout: float = 30,
                 recorder: Recorder | None = None, language: str = "zh-CN,zh;q=0.9", scheme_host: str | None = None):
        u = urlsplit(base_url)
        self.host = u.hostname or "127.0.0.1"
        self.port = u.port or 80
        self.base = base_url.rstrip("/")
        self.source_ip = source_ip
        self.timeout = timeout
        self.recorder = recorder
        self.cookies: dict[str, str] = {}
        self.language = language
        self.last: Response | None = None

    # low level
    def request(self, method: str, path: str, *, body: bytes | None = None, content_type: str | None = None,
                headers: dict | None = None, kind: str = "", record: bool = True) -> Response:
        if path.startswith("http"):
            u = urlsplit(path)
            path = u.path + (f"?{u.query}" if u.query else "")
        if not path.isascii():
            path = quote(path, safe="".join(chr(c) for c in range(33, 127)))
        hdrs = {"Accept-Language": self.language, "User-Agent": "bancheng-proof/1", "Accept": "text/html"}
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            hdrs["Content-Type"] = content_type or "application/x-www-form-urlencoded"
            hdrs["Content-Length"] = str(len(body))
        hdrs.update(headers or {})
        started = time.monotonic()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout,
                                          source_address=(self.source_ip, 0) if self.source_ip else None)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            raw = conn.getresponse()
            data = raw.read()
            r = Response(method, path, raw.status, list(raw.getheaders()), data, elapsed=time.monotonic() - started,
                         kind=kind)
        except (OSError, http.client.HTTPException) as exc:
            r = Response(method, path, 0, error=f"{type(exc).__name__}: {exc}", elapsed=time.monotonic() - started,
                         kind=kind)
        finally:
            conn.close()
        if r.status:
            self._store_cookies(r)
        if record and self.recorder is not None:
            self.recorder.record(r)
        self.last = r
        return r

    def _store_cookies(self, r: Response) -> None:
        for raw in r.headers_all("Set-Cookie"):
            c = SimpleCookie()
            try:
                c.load(raw)
            except Exception:  # noqa: BLE001 - an odd cookie is not ours to judge here
                continue
            for name, morsel in c.items():
                expired = morsel["max-age"] in ("0",) or (morsel["expires"] and "1970" in morsel["expires"])
                if expired or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def get(self, path: str, kind: str = "", **kw) -> Response:
        return self.request("GET", path, kind=kind, **kw)

    def post(self, path: str, pairs, *, files=None, kind: str = "", multipart: bool | None = None,
             headers: dict | None = None) -> Response:
        pairs = list(pairs.items()) if isinstance(pairs, dict) else list(pairs)
        if files or multipart:
            body, ctype = encode_multipart(pairs, files or [])
        else:
            body, ctype = urlencode(pairs).encode(), "application/x-www-form-urlencoded"
        return self.request("POST", path, body=body, content_type=ctype, kind=kind, headers=headers)

    def follow(self, r: Response, kind: str = "", limit: int = 5) -> Response:
        while r.status in (301, 302, 303, 307, 308) and r.location and limit:
            r = self.get(r.location, kind=kind)
            limit -= 1
        return r

    # form level
    def submit(self, form: Form, *, overrides: dict | None = None, files=None, kind: str = "",
               retry_errors: bool = True, rnd=None, must: set[str] | frozenset = frozenset()) -> Response:
        """Fill and submit a form like a person: once more if the page names fields in error."""
        action = urljoin(form.page or "/", form.action) if form.action else (form.page or "/")
        multipart = "multipart" in form.enctype
        pairs = form.fill(overrides, rnd=rnd, must=must)
        if form.method == "get":
            r = self.get(action.split("?")[0] + "?" + urlencode(pairs), kind=kind)
        else:
            r = self.post(action, pairs, files=files, kind=kind, multipart=multipart)
        if retry_errors and r.status == 422:
            p = parse(r.text)
            missing = set(p.error_links) - set(overrides or {})
            again = next((f for f in p.forms if f.method == form.method), None)
            if missing and again is not None:
                again.page = form.page
                if self.recorder:
                    self.recorder.event("forms refilled after an error summary")
                pairs = again.fill(overrides, must=set(must) | missing, rnd=rnd)
                if form.method == "get":
                    r = self.get(action.split("?")[0] + "?" + urlencode(pairs), kind=kind)
                else:
                    r = self.post(action, pairs, files=files, kind=kind, multipart=multipart)
        return r


def encode_multipart(pairs, files) -> tuple[bytes, str]:
    """multipart/form-data: ``files`` are (field, filename, content type, bytes)."""
    boundary = "----proof" + secrets.token_hex(12)
    out = bytearray()
    for name, value in pairs:
        out += f"--{boundary}\r\nContent-Disposition: form-data; name=\"{_q(name)}\"\r\n\r\n".encode()
        out += value.encode("utf-8") if isinstance(value, str) else bytes(value)
        out += b"\r\n"
    for name, filename, ctype, data in files:
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{_q(name)}\"; filename=\"{_q(filename)}\"\r\n"
                f"Content-Type: {ctype}\r\n\r\n").encode("utf-8")
        out += data
        out += b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def _q(s: str) -> str:
    return s.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def search_path(q: str, **extra) -> str:
    return "/search?" + urlencode({"q": q, **extra}, quote_via=quote)
