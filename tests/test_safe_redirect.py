"""Issue 14, finding 1 (open redirect): a ``next`` target is followed only when it is a local
path after the normalisation browsers apply (WHATWG URL: tabs and newlines removed anywhere,
leading C0 controls and spaces stripped, a backslash read as a slash), so nothing a browser
reads as another host gets through, and nothing makes the header itself fail (CR/LF was a 500).

Security setting, no source report: the portal's own rule.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from portal.safe_redirect import local_path
from proof import hostile as H

#: Targets a browser would follow to another site or another scheme, or that broke the header.
HOSTILE = [
    "/\t/evil.example",          # Werkzeug/browsers drop the tab: //evil.example
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/\r\nX:1",                  # header injection attempt: a 500 before
    "\t//evil.example",
    " //evil.example",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "/%09/evil.example",         # the literal text; the client sends it percent-encoded once more
    "/%2F%2Fevil.example",       # decoded by some proxies before routing: refused (see local_path)
    "/%2f/evil.example",
    "/%5Cevil.example",
    "https:evil.example",
    "https://evil.example/",
    "http:/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/\u3000/evil.example",      # ideographic space
    "/\u00a0/evil.example",      # no-break space
    "/\u2028/evil.example",      # line separator
    "/\u200b/evil.example",      # zero-width space (format character)
    "/\x00/evil.example",
    "/\x7f/evil.example",
    "evil.example",
    "",
]


def _location_is_local(r) -> bool:
    location = r.headers.get("Location", "")
    parts = urlsplit(location)
    return (parts.scheme in ("", "http") and parts.netloc in ("", "localhost")
            and parts.path.startswith("/") and not parts.path.startswith("//")
            and "\\" not in location and not any(ord(ch) < 0x21 or ord(ch) == 0x7f for ch in location))


@pytest.mark.parametrize("target", HOSTILE)
def test_large_text_switch_refuses_hostile_targets(client, target):
    r = client.get("/large-text", query_string={"next": target})
    if "\x00" in target:
        assert r.status_code == 400  # NUL is refused before any view (web.refuse_nul_bytes)
        return
    assert r.status_code == 303, (target, r.status_code)
    assert _location_is_local(r), (target, r.headers.get("Location"))
    assert urlsplit(r.headers["Location"]).path == "/", (target, r.headers.get("Location"))


@pytest.mark.parametrize("target", HOSTILE + [
    "/guides", "/\t/staff/", "/staff/\r\nX:1", "/staff/\t/x", "/staff/\\/evil.example", "/staff/../evil",
    "/staff/%2e%2e/x", "/staff/\u3000"])
def test_staff_login_refuses_hostile_targets(make_app, target):
    app = make_app()
    fx = H.prepare(app)
    c = app.test_client()
    page = c.get("/staff/login")
    assert page.status_code == 200
    r = c.post("/staff/login", query_string={"next": target},
               data={"username": fx.supervisor, "password": H.PASSWORD})
    if "\x00" in target:
        assert r.status_code == 400  # NUL is refused before any view (web.refuse_nul_bytes)
        return
    assert r.status_code in (302, 303), (target, r.status_code)
    assert _location_is_local(r), (target, r.headers.get("Location"))
    assert urlsplit(r.headers["Location"]).path == "/staff/", (target, r.headers.get("Location"))


def test_large_text_keeps_a_local_target_with_its_query(client):
    r = client.get("/large-text", query_string={"next": "/search?q=%E7%A7%9F%E8%B5%81&j=kunming"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/search?q=%E7%A7%9F%E8%B5%81&j=kunming")


def test_staff_login_keeps_a_staff_target(make_app):
    app = make_app()
    fx = H.prepare(app)
    c = app.test_client()
    r = c.post("/staff/login", query_string={"next": "/staff/reports?month=2026-03"},
               data={"username": fx.supervisor, "password": H.PASSWORD})
    assert r.status_code in (302, 303) and r.headers["Location"].endswith("/staff/reports?month=2026-03")


@pytest.mark.parametrize("target,prefix,expected", [
    ("/", "/", "/"),
    ("/guides?j=kunming#top", "/", "/guides?j=kunming#top"),
    ("/search?q=a%09b", "/", "/search?q=a%09b"),  # an encoded tab in the query is data, not a host
    ("/staff/cases/X-2026-000001", "/staff/", "/staff/cases/X-2026-000001"),
    ("/guides", "/staff/", None),
    ("/staffroom", "/staff/", None),
    ("/staff/./x", "/staff/", None),
    (None, "/", None),
    ("/" + "a" * 3000, "/", None),
] + [(t, "/", None) for t in HOSTILE])
def test_local_path(target, prefix, expected):
    assert local_path(target, prefix=prefix) == expected
