"""Security events in the audit log: logins (and failures), logouts, refused access, attachment
downloads, views of a case's personal data and failed tracking attempts.

Each is an AuditLog row whose action starts with ``security.``: who (the staff user, or NULL for
the public and for a login that did not succeed), when, and from where (``request.remote_addr``:
the proxy setting, when an operator configures one, makes that the visitor's address). No row
ever holds a complainant's name, phone, ID number or address, an access code, a password or a
query string: targets are case numbers, usernames, ids and URL paths only.

Why queued and written after the response is built, in a short transaction of its own: these
requests change nothing else (a view, a download, a refusal, a login), or their own change is
not ours to couple with; the row must survive the request's rollback (a 404 or 403 page, a
refused action), and the request's transaction is over by then, so even SQLite's single writer
is free. A failure to write is logged (the event kinds and the error's class, nothing else) and
never turns the answer into a 500.
"""
from __future__ import annotations

import hashlib
import hmac

from flask import current_app, g, has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import insert

from .extensions import db
from .keys import derived_key
from .models import AuditLog
from .models.base import utcnow

PREFIX = "security."
LOGIN, LOGIN_FAILED, LOGOUT = "security.login", "security.login_failed", "security.logout"
REFUSED, CASE_VIEW, ATTACHMENT = "security.refused", "security.case_view", "security.attachment"
TRACK_FAILED = "security.track_failed"

ACTIONS = {
    LOGIN: _l("Logged in"),
    LOGIN_FAILED: _l("Failed login"),
    LOGOUT: _l("Logged out"),
    REFUSED: _l("Access refused"),
    CASE_VIEW: _l("Viewed a case's personal data"),
    ATTACHMENT: _l("Downloaded an attachment"),
    TRACK_FAILED: _l("Failed tracking attempt"),
}

_QUEUE = "_security_events"


def _queue(action: str, *, actor_id: int | None, jurisdiction_id: int | None, target: str = "",
           target_jurisdiction_id: int | None = None, **data) -> None:
    """Keep an event for this request; ``flush`` writes it once the response is built."""
    if not has_request_context():
        return
    g.setdefault(_QUEUE, []).append(dict(
        at=utcnow(), actor_id=actor_id, jurisdiction_id=jurisdiction_id, action=action,
        target=str(target)[:120], target_jurisdiction_id=target_jurisdiction_id,
        ip=(request.remote_addr or "")[:45], data=data))


def typed_name_digest(text: str) -> str:
    """A keyed fingerprint of a username nobody has.

    The text typed may be a password entered in the wrong field, so neither it nor a part of it is
    kept. A keyed hash (HMAC under a key derived from the secret key) still shows an administrator
    that the same unknown name is tried again and again from one address or many, and cannot be
    reversed by guessing without the server's key, as a plain hash of a short password could."""
    key = derived_key(b"bancheng security log typed username v1")
    return hmac.new(key, (text or "").strip().encode(), hashlib.sha256).hexdigest()[:16]


def login_succeeded(user) -> None:
    _queue(LOGIN, actor_id=user.id, jurisdiction_id=user.jurisdiction_id, target=f"user:{user.username}")


def login_failed(typed_username: str, user, locked: bool = False) -> None:
    """A refused login: the account's username when it exists (staff usernames are not the public's
    personal data), only a keyed fingerprint when it does not; never the password. The row belongs
    to the account's jurisdiction, so its administrator sees attempts on it; an unknown name belongs
    to none (see ``portal_wide``)."""
    if user is None:
        _queue(LOGIN_FAILED, actor_id=None, jurisdiction_id=None, reason="unknown_user", locked=locked,
               typed=typed_name_digest(typed_username))
    else:
        _queue(LOGIN_FAILED, actor_id=None, jurisdiction_id=user.jurisdiction_id, target=f"user:{user.username}",
               reason="locked" if locked else "inactive" if not user.active else "wrong_password")


def logged_out(user) -> None:
    _queue(LOGOUT, actor_id=user.id, jurisdiction_id=user.jurisdiction_id, target=f"user:{user.username}")


def refused(status: int, target_jurisdiction_id: int | None = None) -> None:
    """A signed-in user refused a page (403) or another jurisdiction's record (the 404 that hides it).

    The row is the actor's jurisdiction's, so the administrator who answers for the actor sees it;
    ``target_jurisdiction_id`` lets the administrator of the record asked for see it too, since it
    concerns their record. The actor learns nothing more (they still got the 404). Only the path is
    kept: a query string may hold an access code or a search for a person's name."""
    if not current_user.is_authenticated or any(e["action"] == REFUSED for e in g.get(_QUEUE, ())):
        return
    _queue(REFUSED, actor_id=current_user.id, jurisdiction_id=current_user.jurisdiction_id,
           target=request.path, target_jurisdiction_id=target_jurisdiction_id, status=status)


def case_viewed(case) -> None:
    """The staff case page shows the complainant's contact details (unless erased)."""
    if case.contact_erased_at is None:
        _queue(CASE_VIEW, actor_id=current_user.id, jurisdiction_id=case.jurisdiction_id, target=f"case:{case.number}")


def attachment_downloaded(case, attachment) -> None:
    """By id only: the file's own name may be a person's name (e.g. 张三身份证.jpg)."""
    _queue(ATTACHMENT, actor_id=current_user.id if current_user.is_authenticated else None,
           jurisdiction_id=case.jurisdiction_id, target=f"case:{case.number}", attachment=attachment.id)


def tracking_failed(case) -> None:
    """A wrong number or access code on the public tracking page. The case's number only when it
    exists (then its jurisdiction sees the attempt); what was typed otherwise, and the code, never."""
    _queue(TRACK_FAILED, actor_id=None, jurisdiction_id=case.jurisdiction_id if case is not None else None,
           target=f"case:{case.number}" if case is not None else "")


def _insert(rows: list[dict]) -> None:
    with db.engine.begin() as conn:
        conn.execute(insert(AuditLog.__table__), rows)


def flush(response):
    """After each request: note a 403 a signed-in user met, then write what the request queued."""
    if response.status_code == 403:
        refused(403)
    rows = g.pop(_QUEUE, None)
    if rows:
        try:
            _insert(rows)
        except Exception as e:  # noqa: BLE001 - the answer must not become a 500 over its audit row
            current_app.logger.warning("security events not recorded (%s): %s",
                                       ", ".join(r["action"] for r in rows), e.__class__.__name__)
    return response


def init_app(app) -> None:
    app.after_request(flush)
