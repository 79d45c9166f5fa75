"""When a staff session ends: absolute and idle timeouts, and a per-user session generation.

The session cookie is signed, not stored on the server, so a copy of it outlives a logout
unless the server can tell it is stale. Each session carries a keyed fingerprint of the user's
password hash (Django's session auth hash) and the user's ``session_generation``: a new password
or a bumped generation makes every earlier cookie of that user stop matching, and it is logged
out on its next request. The generation is bumped on logout (all of the user's sessions end, on
every device), on deactivation and on a password change or reset.

Sessions also end PORTAL_SESSION_HOURS after login however busy the user is, and after
PORTAL_SESSION_IDLE_MINUTES without a request. The last-seen time is written to the session at
most once a minute, so an idle session may last up to a minute longer than the setting.
"""
from __future__ import annotations

import hashlib
import hmac
import time

from flask import current_app, session
from flask_login import current_user, login_user
from sqlalchemy import update

from ..extensions import db
from ..keys import derived_key
from ..models import StaffUser

SINCE_KEY = "staff_since"
AUTH_KEY = "staff_auth"
GENERATION_KEY = "staff_generation"
SEEN_KEY = "staff_seen"
SEEN_GRANULARITY = 60  # seconds: the last-seen time is rewritten at most this often


def clock() -> float:
    """Seconds since the epoch (a seam for tests)."""
    return time.time()


def session_auth_hash(user: StaffUser) -> str:
    """A keyed fingerprint of the user's password hash: changes whenever the password does,
    and reveals nothing of the hash (the session cookie is signed, not encrypted)."""
    return hmac.new(derived_key(b"bancheng staff session auth v1"), (user.password_hash or "").encode(),
                    hashlib.sha256).hexdigest()


def start_session(user: StaffUser) -> None:
    """A fresh session for a user who just proved who they are."""
    session.clear()
    session.permanent = True
    login_user(user)
    now = int(clock())
    session[SINCE_KEY] = now
    session[SEEN_KEY] = now
    session[AUTH_KEY] = session_auth_hash(user)
    session[GENERATION_KEY] = user.session_generation or 0


def update_session_auth_hash(user: StaffUser) -> None:
    """Keep this session logged in after its own user's password or generation changed."""
    if current_user.is_authenticated and current_user.id == user.id:
        session[AUTH_KEY] = session_auth_hash(user)
        session[GENERATION_KEY] = user.session_generation or 0


def bump_session_generation(user: StaffUser) -> None:
    """End every session of ``user`` on its next request. The caller commits.

    Incremented in SQL, so two bumps at once (two workers) both count."""
    user = getattr(user, "_get_current_object", lambda: user)()  # current_user works too
    if user.id is not None:
        db.session.execute(update(StaffUser).where(StaffUser.id == user.id)
                           .values(session_generation=StaffUser.session_generation + 1))
        db.session.refresh(user, ["session_generation"])
    else:
        user.session_generation = (user.session_generation or 0) + 1


def end_other_sessions(user: StaffUser) -> None:
    """After a password change: every other session of ``user`` ends, this one (if it is the
    user's own) stays logged in. The caller commits."""
    bump_session_generation(user)
    update_session_auth_hash(user)


def why_ended(user: StaffUser) -> str | None:
    """None while this session of ``user`` may go on; otherwise why not: "expired" (too old,
    or from before these checks), "changed" (the password), "ended" (the generation: a logout,
    a deactivation) or "idle". Refreshes the last-seen time of a session that goes on."""
    now = clock()
    since, seen = session.get(SINCE_KEY), session.get(SEEN_KEY)
    if not (isinstance(since, int) and 0 <= now - since < int(current_app.config["PORTAL_SESSION_HOURS"]) * 3600):
        return "expired"
    if not hmac.compare_digest(str(session.get(AUTH_KEY, "")), session_auth_hash(user)):
        return "changed"
    if session.get(GENERATION_KEY) != (user.session_generation or 0):
        return "ended"
    if not isinstance(seen, int) or now - seen >= idle_minutes() * 60:
        return "idle"
    if now - seen >= SEEN_GRANULARITY:
        session[SEEN_KEY] = int(now)
    return None


def idle_minutes() -> int:
    return int(current_app.config["PORTAL_SESSION_IDLE_MINUTES"])
