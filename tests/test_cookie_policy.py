"""Issue 14 (low): Secure cookies, a ``__Host-`` session cookie and HSTS, set by configuration.

Off by default, because ``make run`` serves plain http on loopback; an operator behind a
TLS-terminating proxy turns PORTAL_SECURE_COOKIES on. Security settings, no source report:
the portal's configurable defaults.
"""
from __future__ import annotations

from portal.config import from_environ
from proof import hostile as H


def _cookies(responses) -> dict[str, dict[str, str]]:
    out = {}
    for r in responses:
        for raw in r.headers.getlist("Set-Cookie"):
            name = raw.split("=", 1)[0]
            out[name] = {a.strip().split("=", 1)[0].lower(): (a.strip().split("=", 1) + [""])[1]
                         for a in raw.split(";")[1:]}
    return out


def _visit(app, fx, base_url):
    c = app.test_client()
    return [
        c.get(f"/file/{fx.jcode}", base_url=base_url),  # the session (an open submission)
        c.get("/?lang=en", base_url=base_url),
        c.get("/large-text?next=/", base_url=base_url),
    ]


def test_by_default_plain_http_gets_plain_cookies_and_no_hsts(make_app):
    app = make_app()
    fx = H.prepare(app)
    responses = _visit(app, fx, "http://localhost")
    cookies = _cookies(responses)
    assert {"session", "lang", "large"} <= set(cookies), cookies
    assert not any("secure" in attrs for attrs in cookies.values()), cookies
    assert not any(r.headers.get("Strict-Transport-Security") for r in responses)


def test_secure_cookies_on_behind_a_tls_proxy(make_app):
    """The proxy talks plain http to the portal; the browser sees https: every cookie is Secure,
    the session cookie is ``__Host-session`` (Secure, Path=/, no Domain), HSTS on every answer."""
    app = make_app(PORTAL_SECURE_COOKIES=True, PORTAL_HSTS_SECONDS=600)
    fx = H.prepare(app)
    responses = _visit(app, fx, "http://localhost")
    cookies = _cookies(responses)
    assert {"__Host-session", "lang", "large"} <= set(cookies), cookies
    assert "session" not in cookies
    assert all("secure" in attrs for attrs in cookies.values()), cookies
    host = cookies["__Host-session"]
    assert host.get("path") == "/" and "domain" not in host, host
    assert all(r.headers.get("Strict-Transport-Security") == "max-age=600" for r in responses)


def test_a_staff_login_works_with_the_host_cookie(make_app):
    app = make_app(PORTAL_SECURE_COOKIES=True)
    fx = H.prepare(app)
    c = app.test_client()
    r = c.post("/staff/login", data={"username": fx.supervisor, "password": H.PASSWORD},
               base_url="https://localhost")
    assert r.status_code in (302, 303) and "__Host-session=" in r.headers["Set-Cookie"]
    assert c.get("/staff/", base_url="https://localhost").status_code == 200


def test_hsts_seconds_zero_sends_none_even_over_tls(make_app):
    app = make_app(PORTAL_HSTS_SECONDS=0)
    r = app.test_client().get("/", base_url="https://localhost")
    assert r.status_code == 200 and "Strict-Transport-Security" not in r.headers


def test_hsts_over_tls_by_default(make_app):
    r = make_app().test_client().get("/", base_url="https://localhost")
    assert r.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_settings_come_from_the_environment():
    got = from_environ({"PORTAL_SECURE_COOKIES": "on", "PORTAL_HSTS_SECONDS": "86400"})
    assert got == {"PORTAL_SECURE_COOKIES": True, "PORTAL_HSTS_SECONDS": 86400}
    assert from_environ({"PORTAL_SECURE_COOKIES": "0"}) == {"PORTAL_SECURE_COOKIES": False}
