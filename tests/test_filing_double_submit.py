"""A double-click files once: two requests of the same public form at the same instant
(same session, same one-time submission id) against a real threaded server, on whichever
database the suite runs (SQLite, or PostgreSQL with PORTAL_TEST_DATABASE_URL).

The case stores the submission id's keyed hash under a unique index (migration 0004); the
second insert fails, is rolled back, and that request is sent to the first one's receipt
with the same access code. Never a 500, never a second case. Also: access codes are
HMAC-SHA256 with a server key, and hashes written earlier with PBKDF2 still verify."""
from __future__ import annotations

import re
import threading
import time
import urllib.parse

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from proof.client import Browser as ProofBrowser
from portal.engine import filing_db
from portal.engine import numbering
from portal.extensions import db
from portal.models import Case, CaseEvent
from portal.public import filing

from .test_public_support import english, intake_data

CODE = "kunming"


class Browser(ProofBrowser):
    """proof's loopback browser (a cookie jar, nothing followed automatically), in English,
    answering ``(status, location, text)``."""

    def __init__(self, port: int, cookies: dict | None = None):
        super().__init__(f"http://127.0.0.1:{port}", timeout=60, language="en")
        self.cookies.update(cookies or {})

    def send(self, method: str, path: str, data: dict | None = None):
        r = self.get(path) if method == "GET" else self.post(path, data or {})
        return r.status, r.location or "", r.text


@pytest.fixture
def server(make_app):
    """The portal with CSRF on, served by a real threaded WSGI server on loopback."""
    app = make_app(WTF_CSRF_ENABLED=True)
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield app, srv.server_port
    finally:
        srv.shutdown()
        t.join(10)


def _open_form(app, port):
    browser = Browser(port)
    status, _, html = browser.send("GET", f"/file/{CODE}")
    assert status == 200
    tokens = dict(re.findall(r'name="(csrf_token|submission)"[^>]*value="([^"]+)"', html))
    assert set(tokens) == {"csrf_token", "submission"}
    return browser, {**intake_data(app, CODE), **tokens}


def _cases(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Case))


def _receipt_code(browser: Browser, location: str) -> str | None:
    status, _, html = browser.send("GET", urllib.parse.urlsplit(location).path)
    assert status == 200
    m = re.search(r'id="access-code">([^<]+)<', html)
    return m.group(1) if m else None


def _double_click(port, browser, data, hold=None):
    """Two POSTs of the same form with the same cookies. With ``hold`` (an Event set while the
    first request's case is inserted but not yet committed) the second starts only then."""
    clicks = [Browser(port, browser.cookies), Browser(port, browser.cookies)]
    results: list = [None, None]
    barrier = threading.Barrier(2)

    def click(i):
        if hold is None:
            barrier.wait(10)
        elif i == 1:
            assert hold.wait(30), "the first request never reached its transaction"
        results[i] = clicks[i].send("POST", f"/file/{CODE}", data)

    threads = [threading.Thread(target=click, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return clicks, results


def _check_one_case(app, clicks, results):
    statuses = [r[0] for r in results]
    assert statuses == [303, 303], [(r[0], r[2][:300]) for r in results]
    locations = {r[1] for r in results}
    assert len(locations) == 1, locations  # both sent to the same receipt
    number = urllib.parse.urlsplit(locations.pop()).path.rsplit("/", 1)[-1]
    with app.app_context():
        case = db.session.scalar(select(Case).where(Case.number == number))
        assert case is not None and case.submission_id
        events = db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id))
        assert events == 1
        stored = case.access_code_hash
    codes = {_receipt_code(b, f"/receipt/{number}") for b in clicks}
    assert len(codes) == 1 and None not in codes  # whichever answer the browser shows has the code
    code = codes.pop()
    with app.app_context():
        assert numbering.check_access_code(stored, code)
    return number


def test_double_click_at_the_same_instant_files_once(server):
    app, port = server
    for round_ in range(3):
        browser, data = _open_form(app, port)
        clicks, results = _double_click(port, browser, data)
        _check_one_case(app, clicks, results)
        assert _cases(app) == round_ + 1


def test_second_click_while_the_first_is_uncommitted_waits_and_gets_the_receipt(server, monkeypatch):
    """The first request is held inside its transaction (case inserted, not committed) until the
    second has certainly started: the second blocks on the unique index (PostgreSQL) or the write
    lock (SQLite), then fails on it and is rolled back."""
    app, port = server
    inside = threading.Event()
    original = filing_db.commit_keeping
    calls = []

    def held(written):
        # every row of the filing is written (one statement on PostgreSQL, several on SQLite)
        calls.append(written[0].number)
        if len(calls) == 1:
            inside.set()
            time.sleep(0.5)  # only to make the overlap certain; nothing is timed
        return original(written)

    found = []
    filed_by = filing._filed_by

    def spy(submission):
        found.append(filed_by(submission))
        return found[-1]

    monkeypatch.setattr(filing_db, "commit_keeping", held)
    monkeypatch.setattr(filing, "_filed_by", spy)
    browser, data = _open_form(app, port)
    clicks, results = _double_click(port, browser, data, hold=inside)
    number = _check_one_case(app, clicks, results)
    assert found == [number]  # the second insert hit the unique index and found the first case
    assert _cases(app) == 1
    # the sequence increment of the rolled-back filing is undone too: no gap in the numbers
    with app.app_context():
        prefix, year, seq = number.rsplit("-", 2)
        assert numbering.current_sequence(prefix, int(year)) == int(seq)


def test_replay_after_the_receipt_is_still_refused(server):
    """The sequential case keeps its answer: once the browser holds the first answer's cookie,
    the same form again is a 400 pointing to the receipt (never a second case)."""
    app, port = server
    browser, data = _open_form(app, port)
    status, location, _ = browser.send("POST", f"/file/{CODE}", data)
    assert status == 303
    status, _, html = browser.send("POST", f"/file/{CODE}", data)
    number = location.rsplit("/", 1)[-1]
    assert status == 400 and number in html
    assert _cases(app) == 1


def test_a_chosen_submission_id_never_leads_to_another_case(make_app):
    """Without CSRF (tests, API-like clients) a submission id the session was not given is not
    used to find an earlier case: a second person posting the same made-up id files their own."""
    app = make_app()
    a, b = english(app.test_client()), english(app.test_client())
    data = {**intake_data(app, CODE), "submission": "made-up"}
    first = a.post(f"/file/{CODE}", data=data)
    second = b.post(f"/file/{CODE}", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] != second.headers["Location"]
    assert _cases(app) == 2


# -- access codes --------------------------------------------------------------------------------
def test_new_access_codes_are_hmac_and_old_pbkdf2_hashes_still_verify(app):
    new = numbering.hash_access_code("abcde-23456")
    assert new.startswith("hmac-sha256$") and "ABCDE23456" not in new
    assert numbering.check_access_code(new, "ABCDE23456")
    assert numbering.check_access_code(new, "abcde 23456")  # normalised as before
    assert not numbering.check_access_code(new, "ABCDE23457")
    old = numbering.hash_access_code_pbkdf2("ABCDE23456", iterations=1000)
    assert old.startswith("pbkdf2_sha256$1000$")
    assert numbering.check_access_code(old, "abcde23456")
    assert not numbering.check_access_code(old, "ABCDE23457")
    # a row written by the earlier code (20,000 iterations, same format)
    legacy = numbering.hash_access_code_pbkdf2("ABCDE23456")
    assert legacy.startswith("pbkdf2_sha256$20000$") and numbering.check_access_code(legacy, "ABCDE23456")
    for broken in ("", "x", "hmac-sha256$only", "pbkdf2_sha256$lots$salt$00", "md5$salt$00"):
        assert not numbering.check_access_code(broken, "ABCDE23456")


def test_the_hmac_key_is_a_server_secret_not_in_the_database(make_app):
    one = make_app(SECRET_KEY="first-secret")
    with one.app_context():
        stored = numbering.hash_access_code("ABCDE23456")
        assert numbering.check_access_code(stored, "ABCDE23456")
    other = make_app(SECRET_KEY="another-secret")
    with other.app_context():
        assert not numbering.check_access_code(stored, "ABCDE23456")
    dedicated = make_app(SECRET_KEY="first-secret", PORTAL_ACCESS_CODE_KEY="codes-key")
    with dedicated.app_context():
        assert not numbering.check_access_code(stored, "ABCDE23456")
        kept = numbering.hash_access_code("ABCDE23456")
    rotated = make_app(SECRET_KEY="rotated-session-secret", PORTAL_ACCESS_CODE_KEY="codes-key")
    with rotated.app_context():
        assert numbering.check_access_code(kept, "ABCDE23456")  # a dedicated key survives rotation


def test_code_derived_from_a_submission_is_a_valid_code_and_depends_on_the_key(app):
    key_a, key_b = b"a" * 32, b"b" * 32
    code = numbering.access_code_for_submission("tok", key_a)
    assert len(code) == numbering.CODE_LENGTH and set(code) <= set(numbering.CODE_ALPHABET)
    assert code == numbering.access_code_for_submission("tok", key_a)
    assert code != numbering.access_code_for_submission("tok", key_b)
    assert code != numbering.access_code_for_submission("tok2", key_a)
    stored = numbering.submission_key("tok", key_a)
    assert len(stored) == 64 and "tok" not in stored
