"""Issue 14 (low): the session cookie is signed, not encrypted, so what it carries is readable
by whoever holds it (the next person at a centre's kiosk). The access code waiting for its
receipt is sealed in it, never readable; the cases a browser may show are forgotten after
PORTAL_TRACKED_MINUTES (default 30).

Security settings, no source report: the portal's configurable defaults.
"""
from __future__ import annotations

import json
import re

from portal.public import kept_cases

from .factories import login
from .staff_support import intake_data, quick_staff
from .test_public_support import file_online, intake_data as public_intake_data


def session_contents(app, client) -> dict:
    """The session as anyone holding the cookie can read it (it is only signed)."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if cookie is None:
        return {}  # nothing left in it: Flask deleted the cookie
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def _receipt_code(html: str) -> str:
    return re.search(r'id="access-code">([^<]+)<', html).group(1)


def test_the_public_access_code_is_not_readable_in_the_cookie(app, client):
    r = client.post("/file/kunming", data=public_intake_data(app, "kunming"))
    assert r.status_code == 303
    waiting = session_contents(app, client)  # between the filing and the receipt
    assert waiting, "the filing left a session cookie"
    number = r.headers["Location"].rsplit("/", 1)[-1]
    assert waiting["receipt"]["number"] == number
    code = _receipt_code(client.get(r.headers["Location"]).get_data(as_text=True))
    assert code and code not in json.dumps(waiting)
    assert code not in client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert "receipt" not in session_contents(app, client)  # shown once, then gone


def test_the_intake_access_code_is_not_readable_in_the_cookie(app, client):
    quick_staff("seal-clerk", "clerk", "xuanwu")
    login(client, "seal-clerk")
    r = client.post("/staff/intake", data=intake_data("xuanwu"))
    assert r.status_code == 303
    waiting = session_contents(app, client)
    receipt = client.get(r.headers["Location"]).get_data(as_text=True)
    number, code = re.findall(r'<strong class="ref">([^<]+)</strong>', receipt)
    assert waiting["staff_receipt"]["number"] == number
    assert code not in json.dumps(waiting)


def test_a_tampered_or_foreign_seal_shows_no_code(app, client):
    r = client.post("/file/kunming", data=public_intake_data(app, "kunming"))
    number = r.headers["Location"].rsplit("/", 1)[-1]
    with client.session_transaction() as s:
        s["receipt"] = {"number": number, "code": "123456"}  # a plain code: not a sealed one
    html = client.get(f"/receipt/{number}").get_data(as_text=True)
    assert 'id="access-code"' not in html and number in html


def _later(monkeypatch, seconds: float) -> None:
    start = kept_cases.now()
    monkeypatch.setattr(kept_cases, "now", lambda: start + seconds)


def test_tracked_cases_are_forgotten_after_thirty_minutes(app, client, monkeypatch):
    number, _code = file_online(client, app, "kunming")
    assert client.get(f"/track/{number}").status_code == 200
    _later(monkeypatch, 29 * 60)
    assert client.get(f"/track/{number}").status_code == 200
    _later(monkeypatch, 31 * 60)
    assert client.get(f"/track/{number}").status_code == 404
    assert client.get(f"/receipt/{number}").status_code == 404
    left = session_contents(app, client)
    assert "tracked" not in left and number not in json.dumps(left)


def test_a_visit_to_any_public_page_forgets_them(app, client, monkeypatch):
    number, _code = file_online(client, app, "kunming")
    _later(monkeypatch, 31 * 60)
    assert client.get("/guides").status_code == 200
    assert number not in json.dumps(session_contents(app, client))


def test_an_unshown_receipt_expires_with_the_list(app, client, monkeypatch):
    r = client.post("/file/kunming", data=public_intake_data(app, "kunming"))
    number = r.headers["Location"].rsplit("/", 1)[-1]
    _later(monkeypatch, 31 * 60)
    assert client.get(f"/receipt/{number}").status_code == 404
    assert "receipt" not in session_contents(app, client)


def test_tracking_again_with_the_code_gives_the_time_again(app, client, monkeypatch):
    number, code = file_online(client, app, "kunming")
    _later(monkeypatch, 31 * 60)
    assert client.get(f"/track/{number}").status_code == 404
    r = client.post("/track", data={"number": number, "code": code})
    assert r.status_code == 303
    assert client.get(f"/track/{number}").status_code == 200


def test_the_time_is_configurable(make_app, monkeypatch):
    app = make_app(PORTAL_TRACKED_MINUTES=5)
    client = app.test_client()
    number, _code = file_online(client, app, "kunming")
    _later(monkeypatch, 6 * 60)
    assert client.get(f"/track/{number}").status_code == 404


def test_the_time_comes_from_the_environment():
    from portal.config import from_environ

    assert from_environ({"PORTAL_TRACKED_MINUTES": "10"}) == {"PORTAL_TRACKED_MINUTES": 10}
