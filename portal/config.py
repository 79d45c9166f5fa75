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
    "OPERATOR_NAME",
    "ICP_NUMBER",
    "SESSION_HOURS",
    "RATELIMIT_ENABLED",
    "ACCESS_CODE_KEY",
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
        # The key of complainants' personal data at rest (portal/datakeys.py): "<id>:<base64>,..."
        # newest first; when unset, read from the owner-only file `make run` writes.
        "PORTAL_DATA_KEY": "",
        "PORTAL_DATA_KEY_FILE": str(inst / "data_key"),
        # Which installed jurisdiction plugins are switched on: installed is not enabled.
        "PORTAL_JURISDICTIONS": ["kunming", "xuanwu", "beijing", "dazhou", "qingcheng"],
        "PORTAL_OPERATOR_NAME": "办成示范政务服务中心",
        "PORTAL_ICP_NUMBER": "",
        "PORTAL_SESSION_HOURS": 8,
        # The hours of a working day in which working-hour limits count, for jurisdictions that
        # declare none (portal_working_hours): a setting of this portal, not a jurisdiction's rule.
        "PORTAL_WORKING_HOURS": "09:00-12:00,13:30-17:30",
        "PORTAL_PASSWORD_METHOD": "scrypt",
        "PORTAL_MAX_ATTACHMENT_BYTES": 5 * 1024 * 1024,
        "PORTAL_ATTACHMENT_TYPES": ["pdf", "jpg", "jpeg", "png"],
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_HEADERS_ENABLED": False,
        # A rate-limit store that is down (Redis restarting) must not take the portal down:
        # fall back to per-process memory limits until it is back.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "BABEL_DEFAULT_LOCALE": "zh_Hans",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "PORTAL_LANGUAGES": ["zh_Hans", "zh_Hant", "en"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": 3600 * 8,
    }


def _parse(key: str, raw: str):
    if key == "JURISDICTIONS":
        return [p.strip() for p in raw.split(",") if p.strip()]
    if key == "SESSION_HOURS":
        return int(raw)
    if key == "RATELIMIT_ENABLED":
        return raw.strip().lower() not in ("0", "false", "no", "off")
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
        elif key in ("RATELIMIT_STORAGE_URI", "RATELIMIT_ENABLED"):
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
