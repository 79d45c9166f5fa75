"""Per-account lockout with back-off, held in the database so it holds across workers and nodes.

The per-address rate limit slows one guesser; a guesser spread over many addresses is slowed by
the account: after PORTAL_LOGIN_LOCKOUT_FAILURES failed logins in a row (0 switches this off) it
is locked for PORTAL_LOGIN_LOCKOUT_MINUTES, each further lockout twice as long, up to
PORTAL_LOGIN_LOCKOUT_MAX_MINUTES. While locked even the right password is refused. A successful
login, or an administrator's unlock, starts the count again.

A name without an account locks the same way (``LoginThrottle``, keyed by a keyed hash of the
name), so that being told "try again later" does not reveal that a name exists. Counts are
incremented in SQL, so failures arriving at once on two workers all count.

These are the portal's configurable defaults: no source report sets them.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..keys import derived_key
from ..models import LoginThrottle, StaffUser
from ..models.base import utcnow
from ..models.staff import normalise_username

FORGET_UNKNOWN_AFTER = timedelta(days=1)  # names without an account: rows pruned after a quiet day


def now() -> datetime:
    """The current time (a seam for tests)."""
    return utcnow()


def is_locked(row: StaffUser | LoginThrottle | None) -> bool:
    return row is not None and row.locked_until is not None and row.locked_until > now()


def backoff(lockout_number: int) -> timedelta:
    """The first lockout lasts PORTAL_LOGIN_LOCKOUT_MINUTES, each further one twice as long, capped."""
    cfg = current_app.config
    first, cap = int(cfg["PORTAL_LOGIN_LOCKOUT_MINUTES"]), int(cfg["PORTAL_LOGIN_LOCKOUT_MAX_MINUTES"])
    return timedelta(minutes=min(cap, first * 2 ** min(max(lockout_number - 1, 0), 30)))


def _count_failure(model, where) -> bool:
    """Add one failure to the row ``where`` picks; every Nth failure locks it for the back-off.
    True when this failure locked it."""
    n_locking = int(current_app.config["PORTAL_LOGIN_LOCKOUT_FAILURES"])
    db.session.execute(update(model).where(where).values(failed_logins=model.failed_logins + 1))
    failures = db.session.scalar(select(model.failed_logins).where(where)) or 0
    if n_locking > 0 and failures % n_locking == 0:
        db.session.execute(update(model).where(where)
                           .values(locked_until=now() + backoff(failures // n_locking)))
        return True
    return False


def record_failure(user: StaffUser) -> bool:
    """A wrong password (or an inactive account) for ``user``; True when it locked the account.
    The caller commits."""
    return _count_failure(StaffUser, StaffUser.id == user.id)


def record_success(user: StaffUser) -> None:
    """A successful login: the count starts again. The caller commits."""
    if user.failed_logins or user.locked_until is not None:
        user.failed_logins, user.locked_until = 0, None


def unlock(user: StaffUser) -> None:
    """An administrator lifts the lock (and forgets the failures). The caller commits and audits."""
    user.failed_logins, user.locked_until = 0, None


def name_key(username: str) -> str:
    """A keyed hash of a name without an account: the table keeps no typed name (it may be a
    password typed into the wrong field)."""
    return hmac.new(derived_key(b"bancheng login throttle v1"), (normalise_username(username) or "").encode(),
                    hashlib.sha256).hexdigest()


def unknown_name(username: str) -> LoginThrottle | None:
    return db.session.get(LoginThrottle, name_key(username))


def record_unknown_failure(username: str) -> bool:
    """A login for a name without an account: counted and locked like an account; True when it
    locked the name. Commits."""
    key, at = name_key(username), now()
    where = LoginThrottle.name_key == key
    if db.session.execute(update(LoginThrottle).where(where).values(updated_at=at)).rowcount == 0:
        db.session.add(LoginThrottle(name_key=key, failed_logins=0, updated_at=at))
        try:
            db.session.flush()
        except IntegrityError:  # the same name failed at the same moment on another worker
            db.session.rollback()
    locked = _count_failure(LoginThrottle, where)
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.updated_at < at - FORGET_UNKNOWN_AFTER))
    db.session.commit()
    return locked
