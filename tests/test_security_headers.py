"""The headers a public government site needs, on every kind of page, and safe cookies.

Pages are found by crawling the public pages and the staff pages (as supervisor and as
administrator), so new pages are covered as they are added; error pages, exports, JSON,
static files and redirects are requested directly.
"""
from __future__ import annotations

import re

import pytest

from portal import create_app
from proof import hostile as H

SAFE_REFERRER = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}


def csp_directives(value: str) -> dict[str, list[str]]:
    out = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            out[words[0].lower()] = words[1:]
    return out


def header_problems(r) -> list[str]:
    problems = []
    csp = csp_directives(r.headers.get("Content-Security-Policy", ""))
    if "default-src" not in csp:
        problems.append("no CSP default-src")
    script = csp.get("script-src", csp.get("default-src", []))
    for bad in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"):
        if bad in script:
            problems.append(f"script-src allows {bad}")
    if csp.get("frame-ancestors") not in (["'none'"], ["'self'"]):
        problems.append(f"frame-ancestors {csp.get('frame-ancestors')}")
    if csp.get("object-src") != ["'none'"]:
        problems.append("object-src is not 'none'")
    if csp.get("base-uri") not in (["'none'"], ["'self'"]):
        problems.append("base-uri not restricted")
    if r.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if r.headers.get("Referrer-Policy") not in SAFE_REFERRER:
        problems.append(f"Referrer-Policy {r.headers.get('Referrer-Policy')}")
    if (r.mimetype or "").startswith("text/html"):
        html = r.get_data(as_text=True)
        found = H.active_content(html)
        if found:
            problems.append(f"inline script the CSP would block: {found[:3]}")
        if re.search(r"<style[\s>]", html) or re.search(r"\sstyle\s*=", html):
            problems.append("inline style the CSP (style-src 'self') would block")
    return problems


def cookie_problems(r, secure: bool) -> list[str]:
    problems = []
    for raw in r.headers.getlist("Set-Cookie"):
        name = raw.split("=", 1)[0]
        attrs = {a.strip().split("=", 1)[0].lower(): (a.strip().split("=", 1) + [""])[1].lower()
                 for a in raw.split(";")[1:]}
        if "httponly" not in attrs:
            problems.append(f"{name} not HttpOnly")
        if attrs.get("samesite") not in ("lax", "strict"):
            problems.append(f"{name} SameSite={attrs.get('samesite')}")
        if secure and "secure" not in attrs:
            problems.append(f"{name} not Secure over TLS")
    return problems


@pytest.fixture
def site(make_app):
    app = make_app()
    fx = H.prepare(app, content=True)
    return app, fx


def crawl_everything(app, fx, base_url="http://localhost"):
    public = app.test_client()
    # a filing of our own, so the receipt and tracking pages are in reach
    page = public.get(f"/file/{fx.jcode}", base_url=base_url)
    form = next(f for f in H.parse(page.get_data(as_text=True)).forms if f.method == "post")
    data = {}
    for k, v in form.fill():
        data.setdefault(k, []).append(v)
    filed = public.post(f"/file/{fx.jcode}", data=data, base_url=base_url)
    assert filed.status_code in (302, 303), filed.get_data(as_text=True)[:500]
    receipt = filed.headers["Location"]
    number = receipt.rsplit("/", 1)[-1]
    pages = {}
    for path in [receipt, f"/track/{number}"]:
        pages[path] = public.get(path, base_url=base_url)
    public_pages, _ = H.crawl(public, ["/", "/file", "/track", "/search?q=居住证", "/guides", "/corrections",
                                       "/transparency"], limit=60)
    for path in public_pages:
        pages[path] = public.get(path, base_url=base_url)
    for who in (fx.supervisor, fx.admin):
        staff = app.test_client()
        assert H.login(staff, who).status_code in (302, 303)
        staff_pages, _ = H.crawl(staff, ["/staff/", f"/staff/cases/{number}", "/staff/admin/"], limit=60)
        for path in staff_pages:
            pages[f"{path} ({who})"] = staff.get(path, base_url=base_url)
    return pages


def test_every_page_carries_the_security_headers(site):
    app, fx = site
    pages = crawl_everything(app, fx)
    assert any(p.startswith("/staff/cases/") for p in pages) and any(p.startswith("/receipt/") for p in pages)
    assert len(pages) >= 12, sorted(pages)
    bad = {p: header_problems(r) for p, r in pages.items() if header_problems(r)}
    assert not bad, bad


def test_staff_and_tracking_pages_are_not_cached(site):
    app, fx = site
    pages = crawl_everything(app, fx)
    private = {p: r for p, r in pages.items() if p.startswith(("/staff", "/track/", "/receipt/"))}
    assert private
    cached = [p for p, r in private.items() if "no-store" not in (r.headers.get("Cache-Control") or "")]
    assert not cached, cached


def test_error_pages_exports_json_static_and_redirects_carry_them(make_app):
    app = make_app()
    fx = H.prepare(app, content=True)
    c = app.test_client()
    admin = app.test_client()
    H.login(admin, fx.admin)
    responses = {
        "404": c.get("/no-such-page"),
        "404 (knowledge)": c.get("/knowledge/999999"),
        "405": c.get("/staff/logout"),
        "413": c.post(f"/file/{fx.jcode}", data=H.oversize_body(13 << 20), content_type="multipart/form-data; boundary=b"),
        "redirect to login": c.get("/staff/"),
        "static css": c.get("/static/portal.css"),
        "transparency csv": c.get("/transparency.csv"),
        "transparency json": c.get("/transparency.json"),
        "api json (admin)": admin.get("/api/plugins.json"),
        "api json (anonymous)": c.get("/api/plugins.json", headers={"Accept": "application/json"}),
        "large-text redirect": c.get("/large-text?next=/"),
    }
    try:
        assert responses["413"].status_code == 413
        assert responses["redirect to login"].status_code in (302, 303)
        bad = {k: header_problems(r) for k, r in responses.items() if header_problems(r)}
        assert not bad, bad
    finally:
        for r in responses.values():
            r.close()  # the static file is streamed from an open file


def test_csrf_rate_limit_and_outage_pages_carry_them(make_app, tmp_path):
    app = make_app(WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=True)
    fx = H.prepare(app)
    c = app.test_client()
    csrf = c.post("/track", data={"number": "X", "code": "Y"})
    assert csrf.status_code == 400
    token = H._csrf_token(c.get("/staff/login").get_data(as_text=True))
    tries = [c.post("/staff/login", data={"username": "x", "password": "y" * 12, "csrf_token": token})
             for _ in range(12)]
    assert tries[-1].status_code == 429
    down = create_app({"TESTING": True, "SECRET_KEY": "k", "INSTANCE_PATH": str(tmp_path / "inst"),
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/x.sqlite3",
                       "PORTAL_INDEX_DIR": str(tmp_path / "ix"), "PORTAL_UPLOAD_DIR": str(tmp_path / "up"),
                       "RATELIMIT_ENABLED": False})
    outage = down.test_client().get("/")
    assert outage.status_code == 503 and outage.headers.get("Retry-After")
    assert fx.case_number
    for name, r in (("400 csrf", csrf), ("429", tries[-1]), ("503", outage)):
        assert not header_problems(r), (name, header_problems(r))


@pytest.mark.parametrize("base_url,secure", [("http://localhost", False), ("https://localhost", True)])
def test_cookies_are_httponly_samesite_and_secure_over_tls(make_app, base_url, secure):
    app = make_app()
    fx = H.prepare(app)
    c = app.test_client()
    responses = [
        c.get(f"/file/{fx.jcode}", base_url=base_url),  # the session (open submission)
        c.get("/?lang=en", base_url=base_url),  # the remembered language
        c.get("/large-text?next=/", base_url=base_url),  # the elderly-friendly mode
        H.login(c, fx.supervisor) if not secure else c.post(
            "/staff/login", data={"username": fx.supervisor, "password": H.PASSWORD}, base_url=base_url),
    ]
    cookies = [raw.split("=", 1)[0] for r in responses for raw in r.headers.getlist("Set-Cookie")]
    assert {"session", "lang", "large"} <= set(cookies), cookies
    problems = [p for r in responses for p in cookie_problems(r, secure)]
    assert not problems, problems
    if secure:
        assert all("max-age" in (r.headers.get("Strict-Transport-Security") or "") for r in responses)


def test_secure_flag_follows_each_request_not_the_last_one(make_app):
    """An http request in between must not strip Secure from the next https response's cookie."""
    app = make_app()
    fx = H.prepare(app)
    tls, plain = app.test_client(), app.test_client()
    plain.get(f"/file/{fx.jcode}", base_url="http://localhost")
    r = tls.get(f"/file/{fx.jcode}", base_url="https://localhost")
    plain.get(f"/file/{fx.jcode}", base_url="http://localhost")
    assert not cookie_problems(r, secure=True)
    assert app.config.get("SESSION_COOKIE_SECURE") in (None, False)  # not flipped per request
