"""The blank filing form is served from a per-process rendering: every GET still gets its own
CSRF token and one-time submission id, the page is otherwise the one a fresh rendering gives,
and anything else that changes a page (language, address, a flashed message) is not mixed up."""
from __future__ import annotations

import re

from sqlalchemy import event, func, select

from portal.extensions import db
from portal.models import Case

from .test_public_support import english, intake_data

TOKENS = re.compile(r'name="(csrf_token|submission)"[^>]*value="([^"]+)"')


def _tokens(html: str) -> dict:
    return dict(TOKENS.findall(html))


def _without_tokens(html: str) -> str:
    return TOKENS.sub("", html)


def test_every_get_has_its_own_tokens_and_each_files(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    c = english(app.test_client())
    pages = [c.get("/file/kunming").get_data(as_text=True) for _ in range(3)]
    tokens = [_tokens(p) for p in pages]
    assert all(set(t) == {"csrf_token", "submission"} for t in tokens)
    assert len({t["submission"] for t in tokens}) == 3
    assert len({_without_tokens(p) for p in pages}) == 1  # otherwise the same page
    for t in tokens:  # every form handed out is open in the session and files once
        r = c.post("/file/kunming", data={**intake_data(app, "kunming"), **t})
        assert r.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Case)) == 3


def test_a_cached_get_does_no_database_work(make_app):
    app = make_app()
    c = english(app.test_client())
    c.get("/file/kunming")
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert c.get("/file/kunming").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert statements == []


def test_language_address_and_jurisdiction_are_kept_apart(make_app):
    app = make_app()
    en = english(app.test_client())
    zh = app.test_client()
    zh.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    first_en = en.get("/file/kunming").get_data(as_text=True)
    first_zh = zh.get("/file/kunming").get_data(as_text=True)
    assert _without_tokens(en.get("/file/kunming").get_data(as_text=True)) == _without_tokens(first_en)
    assert _without_tokens(zh.get("/file/kunming").get_data(as_text=True)) == _without_tokens(first_zh)
    assert 'lang="en"' in first_en and 'lang="zh' in first_zh and first_en != first_zh
    other = en.get("/file/beijing").get_data(as_text=True)
    assert _without_tokens(other) != _without_tokens(first_en)
    # the language links keep the page's own query arguments: another address, another page
    with_args = en.get("/file/kunming?ref=poster").get_data(as_text=True)
    assert "ref=poster" in with_args and "ref=poster" not in en.get("/file/kunming").get_data(as_text=True)


def test_a_flashed_message_is_shown_and_not_kept(make_app):
    app = make_app()
    c = english(app.test_client())
    c.get("/file/kunming")
    with c.session_transaction() as s:
        s["_flashes"] = [("info", "A one-off notice")]
    assert "A one-off notice" in c.get("/file/kunming").get_data(as_text=True)
    assert "A one-off notice" not in c.get("/file/kunming").get_data(as_text=True)
    other = english(app.test_client())
    assert "A one-off notice" not in other.get("/file/kunming").get_data(as_text=True)


def test_unknown_or_disabled_jurisdiction_is_still_404(make_app):
    app = make_app(PORTAL_JURISDICTIONS=["kunming"])
    c = english(app.test_client())
    assert c.get("/file/kunming").status_code == 200
    assert c.get("/file/beijing").status_code == 404
    assert c.get("/file/nowhere").status_code == 404
