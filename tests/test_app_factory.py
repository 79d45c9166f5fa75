"""create_app: configuration sources, the secret-key refusal, headers, errors."""
from __future__ import annotations

import pytest

from portal import create_app
from portal.datakeys import generate
from portal.config import DEFAULT_SECRET_KEY, InsecureSecretKey, from_environ, normalise_db_url


def test_refuses_to_start_in_production_with_the_default_secret_key(tmp_path):
    with pytest.raises(InsecureSecretKey, match="PORTAL_SECRET_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path), "PORTAL_JURISDICTIONS": []})
    with pytest.raises(InsecureSecretKey):
        create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": DEFAULT_SECRET_KEY, "PORTAL_JURISDICTIONS": []})
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x" * 40, "PORTAL_JURISDICTIONS": [],
                      "PORTAL_DATA_KEY": generate()})
    assert not app.testing


def test_testing_and_debug_may_use_the_default_key(tmp_path):
    assert create_app({"INSTANCE_PATH": str(tmp_path), "TESTING": True, "PORTAL_JURISDICTIONS": []}).testing


def test_environment_variables_are_read(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("PORTAL_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("PORTAL_DATA_KEY", generate())
    monkeypatch.setenv("PORTAL_INDEX_DIR", str(tmp_path / "ix"))
    monkeypatch.setenv("PORTAL_JURISDICTIONS", "beijing, kunming")
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert app.config["PORTAL_INDEX_DIR"] == str(tmp_path / "ix")
    assert app.config["PORTAL_JURISDICTIONS"] == ["beijing", "kunming"]
    assert [n for n, _ in app.extensions["portal_plugins"].pm.list_name_plugin()] == ["core", "core-notifications", "beijing", "kunming"]


def test_mapping_beats_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_JURISDICTIONS", "beijing")
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), "PORTAL_JURISDICTIONS": ["xuanwu"]})
    assert app.config["PORTAL_JURISDICTIONS"] == ["xuanwu"]


def test_embedded_defaults_are_sqlite_and_a_local_index(tmp_path):
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    assert app.config["PORTAL_INDEX_DIR"] == str(tmp_path / "index")
    assert from_environ({}) == {}
    # the access codes' HMAC key is read from the environment like every other setting
    assert from_environ({"PORTAL_ACCESS_CODE_KEY": "k"}) == {"PORTAL_ACCESS_CODE_KEY": "k"}
    assert normalise_db_url("postgres://a/b") == "postgresql+psycopg://a/b"


def test_security_headers_and_cookie_flags(client):
    r = client.get("/?lang=en")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    r = client.get("/?lang=en", base_url="https://localhost")
    assert "Secure" in r.headers["Set-Cookie"] and "Strict-Transport-Security" in r.headers


def test_unknown_page_is_a_clear_404_in_the_users_language(client):
    r = client.get("/no/such/page", headers={"Accept-Language": "en"})
    assert r.status_code == 404 and "Page not found" in r.get_data(as_text=True)
