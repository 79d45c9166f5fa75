"""The portal's cookies and HSTS: Secure when the site is served over TLS, by configuration.

``make run`` serves plain http on loopback, so nothing is forced by default: a cookie is
Secure when its request came over TLS. Behind a TLS-terminating proxy the portal may see plain
http, so the operator sets PORTAL_SECURE_COOKIES: then every cookie is Secure, the session
cookie is called ``__Host-session`` (browsers accept that name only from a secure origin,
with Path=/ and no Domain, so no other host or path can set or shadow it), and
Strict-Transport-Security is sent on every answer. PORTAL_HSTS_SECONDS is its max-age
(0 sends none).
"""
from __future__ import annotations

from flask import current_app, has_request_context, request

HOST_SESSION_COOKIE = "__Host-session"
#: A display preference (language, text size) is remembered for a year.
PREFERENCE_SECONDS = 3600 * 24 * 365


def init_app(app) -> None:
    """Fix the session cookie's name and attributes once, from the configuration."""
    if app.config.get("PORTAL_SECURE_COOKIES"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["SESSION_COOKIE_NAME"] = HOST_SESSION_COOKIE
        app.config["SESSION_COOKIE_DOMAIN"] = None  # a __Host- cookie must not name a domain
        app.config["SESSION_COOKIE_PATH"] = "/"


def secure(app=None) -> bool:
    """Whether cookies set now carry Secure: always when configured, else when over TLS."""
    app = app or current_app
    return bool(app.config.get("PORTAL_SECURE_COOKIES")) or (has_request_context() and request.is_secure)


def set_preference(resp, name: str, value: str) -> None:
    """Remember a display preference in the browser (never read by JavaScript)."""
    resp.set_cookie(name, value, max_age=PREFERENCE_SECONDS, samesite="Lax", httponly=True, secure=secure())


def hsts(resp) -> None:
    """Strict-Transport-Security where the browser will honour it (over TLS) or the operator
    said the site is served only over TLS."""
    seconds = int(current_app.config.get("PORTAL_HSTS_SECONDS") or 0)
    if seconds > 0 and secure():
        resp.headers.setdefault("Strict-Transport-Security", f"max-age={seconds}")
