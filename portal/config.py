"""Configuration: embedded defaults that run alone, overridden by env vars or a mapping.

Why a small loader instead of Flask's from_prefixed_env: we need a few values parsed
(lists, paths relative to the instance folder) and one clear refusal for the default key.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

DEFAULT_SECRET_KEY = "dev-only-change-me"

#: Keys read from the environment as ``PORTAL_<KEY>``.
ENV_KEYS = (
    "DATABASE_URL",
    "SECRET_KEY",
    "INDEX_DIR",
    "JURISDICTIONS",
    "UPLOAD_DIR",
    "RATELIMIT_STORAGE_URI",
    "MAIL_FILE",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_TLS",
    "SMTP_USER",
    "SMTP_PASSWORD",
    "SMTP_SENDER",
    "OPERATOR_NAME",
    "ICP_NUMBER",
    "SESSION_HOURS",
    "RATELIMIT_ENABLED",
    "ACCESS_CODE_KEY",
    "SECURE_COOKIES",
    "HSTS_SECONDS",
    "TRACKED_MINUTES",
    "PROXY_HOPS",
    "TRACK_CASE_LIMIT",
    "WORKERS",
    "ALLOW_PER_WORKER_LIMITS",
    "RATELIMIT_KEY_PREFIX",
    "SESSION_IDLE_MINUTES",
    "LOGIN_LOCKOUT_FAILURES",
    "LOGIN_LOCKOUT_MINUTES",
    "LOGIN_LOCKOUT_MAX_MINUTES",
    "PASSWORD_MIN_LENGTH",
    "PASSWORD_MIN_SCORE",
    "DATA_KEY",
    "DATA_KEY_FILE",
)


#: Seconds a pooled connection may sit unused before it is tested (one round trip) on checkout.
POOL_PING_AFTER_IDLE = 2.0


def _note_checkin(dbapi_connection, record) -> None:
    record.info["portal_idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection, record, proxy) -> None:
    """``pool_pre_ping``, but only for a connection that has been idle a while.

    ``pool_pre_ping`` cost a round trip (and the database server's work for it) on every request
    that touched the database, a filing included, although a connection a worker used a moment ago
    is almost always still good. A connection idle for POOL_PING_AFTER_IDLE seconds or more (the
    database may have restarted meanwhile, or a firewall dropped it) is tested as pre-ping tests it;
    if the test fails, every pooled connection older than now is discarded and a fresh one is made,
    so the request does not fail. A connection that breaks without having been idle fails its
    request, and SQLAlchemy, seeing a disconnect error, discards the pool the same way: that request
    gets the 503 page, the next ones a new connection."""
    since = record.info.get("portal_idle_since")
    if since is None or time.monotonic() - since < POOL_PING_AFTER_IDLE:
        return  # new, or in use a moment ago
    pool = getattr(proxy, "_pool", None)
    dialect = getattr(pool, "_dialect", None)
    try:
        if dialect is not None and hasattr(dialect, "do_ping"):
            dialect.do_ping(dbapi_connection)
        else:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
    except Exception as e:
        from sqlalchemy.exc import InvalidatePoolError

        raise InvalidatePoolError(f"pooled connection failed its test after being idle: {e}") from e


def defaults(instance_path: str) -> dict:
    """Embedded defaults: SQLite file, local index and uploads in the instance folder."""
    inst = Path(instance_path)
    return {
        "SECRET_KEY": DEFAULT_SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{inst / 'portal.sqlite3'}",
        # Pooled connections are tested before use only after sitting idle (see _ping_if_idle).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_events": [(_note_checkin, "checkin"), (_ping_if_idle, "checkout")]},
        "PORTAL_INDEX_DIR": str(inst / "index"),
        "PORTAL_UPLOAD_DIR": str(inst / "uploads"),
        "PORTAL_MAIL_FILE": str(inst / "outbox.log"),
        "PORTAL_SMTP_HOST": "",
        # Mail to staff goes over STARTTLS (or implicit TLS, "ssl") with login when a user is set;
        # "none" only to a relay on loopback (notify.SMTPBackend refuses otherwise).
        "PORTAL_SMTP_PORT": 587,
        "PORTAL_SMTP_TLS": "starttls",
        "PORTAL_SMTP_USER": "",
        "PORTAL_SMTP_PASSWORD": "",
        "PORTAL_SMTP_SENDER": "noreply@localhost",
        # The key of complainants' personal data at rest (portal/datakeys.py): "<id>:<base64>,..."
        # newest first; when unset, read from the owner-only file `make run` writes.
        "PORTAL_DATA_KEY": "",
        "PORTAL_DATA_KEY_FILE": str(inst / "data_key"),
        # Which installed jurisdiction plugins are switched on: installed is not enabled.
        "PORTAL_JURISDICTIONS": ["kunming", "xuanwu", "beijing", "dazhou", "qingcheng"],
        "PORTAL_OPERATOR_NAME": "办成示范政务服务中心",
        "PORTAL_ICP_NUMBER": "",
        "PORTAL_SESSION_HOURS": 8,
        # How long a browser (a centre's kiosk) may show the cases filed or tracked in it.
        "PORTAL_TRACKED_MINUTES": 30,
        # Staff sessions also end after this long without a request, and an account locks after
        # this many failed logins in a row, first for the minutes given, each further lockout
        # twice as long up to the maximum (staff/sessions.py, staff/lockout.py). Settings of this
        # portal, not a source report's rules.
        "PORTAL_SESSION_IDLE_MINUTES": 30,
        "PORTAL_LOGIN_LOCKOUT_FAILURES": 5,
        "PORTAL_LOGIN_LOCKOUT_MINUTES": 1,
        "PORTAL_LOGIN_LOCKOUT_MAX_MINUTES": 60,
        # The hours of a working day in which working-hour limits count, for jurisdictions that
        # declare none (portal_working_hours): a setting of this portal, not a jurisdiction's rule.
        "PORTAL_WORKING_HOURS": "09:00-12:00,13:30-17:30",
        "PORTAL_PASSWORD_METHOD": "scrypt",
        # Staff passwords (portal/password_policy.py): the portal's own defaults, no report speaks.
        "PORTAL_PASSWORD_MIN_LENGTH": 10,
        "PORTAL_PASSWORD_MIN_SCORE": 3,
        "PORTAL_MAX_ATTACHMENT_BYTES": 5 * 1024 * 1024,
        "PORTAL_ATTACHMENT_TYPES": ["pdf", "jpg", "jpeg", "png"],
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        "RATELIMIT_STORAGE_URI": "memory://",
        # Reverse proxies in front of the portal whose X-Forwarded-* headers are believed (0: none).
        "PORTAL_PROXY_HOPS": 0,
        # Wrong access codes one case number takes, from all addresses together (Flask-Limiter syntax).
        "PORTAL_TRACK_CASE_LIMIT": "10 per hour",
        # Processes serving the portal on all nodes together (0: gunicorn's worker count); with more
        # than one, an in-memory rate-limit store is refused unless per-process limits are allowed.
        "PORTAL_WORKERS": 0,
        "PORTAL_ALLOW_PER_WORKER_LIMITS": False,
        "RATELIMIT_HEADERS_ENABLED": False,
        # A rate-limit store that is down (Redis restarting) must not take the portal down:
        # fall back to per-process memory limits until it is back.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "BABEL_DEFAULT_LOCALE": "zh_Hans",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "PORTAL_LANGUAGES": ["zh_Hans", "zh_Hant", "en"],
        "SESSION_COOKIE_HTTPONLY": True,
        # Plain http by default (make run); on behind TLS: Secure cookies, __Host-session, HSTS
        # (portal/cookies.py). HSTS's max-age, sent over TLS or with secure cookies on; 0 sends none.
        "PORTAL_SECURE_COOKIES": False,
        "PORTAL_HSTS_SECONDS": 3600 * 24 * 365,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": 3600 * 8,
    }


def _parse(key: str, raw: str):
    if key == "JURISDICTIONS":
        return [p.strip() for p in raw.split(",") if p.strip()]
    if key in ("SESSION_HOURS", "SESSION_IDLE_MINUTES", "LOGIN_LOCKOUT_FAILURES", "LOGIN_LOCKOUT_MINUTES",
               "LOGIN_LOCKOUT_MAX_MINUTES", "PASSWORD_MIN_LENGTH", "PASSWORD_MIN_SCORE"):
        return int(raw)
    if key == "ALLOW_PER_WORKER_LIMITS":
        return raw.strip().lower() not in ("", "0", "false", "no", "off")
    if key == "PROXY_HOPS":
        return raw.strip()  # checked (a whole number >= 0) with a clear message in portal.proxy
    if key in ("RATELIMIT_ENABLED", "SECURE_COOKIES"):
        return raw.strip().lower() not in ("0", "false", "no", "off")
    if key in ("HSTS_SECONDS", "TRACKED_MINUTES", "SMTP_PORT"):
        return int(raw)
    return raw


def from_environ(environ=None) -> dict:
    """Read ``PORTAL_*`` variables into Flask config keys."""
    environ = os.environ if environ is None else environ
    out: dict = {}
    for key in ENV_KEYS:
        raw = environ.get(f"PORTAL_{key}")
        if raw is None:
            continue
        value = _parse(key, raw)
        if key == "DATABASE_URL":
            out["SQLALCHEMY_DATABASE_URI"] = normalise_db_url(value)
        elif key == "SECRET_KEY":
            out["SECRET_KEY"] = value
        elif key in ("RATELIMIT_STORAGE_URI", "RATELIMIT_ENABLED", "RATELIMIT_KEY_PREFIX"):
            out[key] = value
        else:
            out[f"PORTAL_{key}"] = value
    return out


def normalise_db_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs (psycopg2 is not a dependency)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class InsecureSecretKey(RuntimeError):
    """Raised when a production app would start with the published default key."""


def check_secret_key(app) -> None:
    """Refuse to serve outside debug/testing with the default secret key."""
    if app.debug or app.testing:
        return
    if app.config.get("SECRET_KEY") in (None, "", DEFAULT_SECRET_KEY):
        raise InsecureSecretKey(
            "Refusing to start: PORTAL_SECRET_KEY is not set (the built-in development key "
            "is public). Set PORTAL_SECRET_KEY to a long random value, e.g. "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`."
        )
