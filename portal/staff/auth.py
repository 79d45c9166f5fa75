"""Staff login with hashed passwords, expiring sessions and rate-limited attempts.

Sessions expire PORTAL_SESSION_HOURS after login however busy the user is: the cookie's
own lifetime slides with every request, so the login time is kept and checked too.

A session also carries a fingerprint of the user's password hash (Django's session auth
hash): when the password is reset, every other session of that user stops matching and is
logged out on its next request, without a column or a session store. The session that
changed its own password gets the new fingerprint (``update_session_auth_hash``).
"""
from __future__ import annotations

import hashlib
import hmac
import time

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..extensions import db, limiter
from ..keys import derived_key
from ..models import StaffUser
from .. import security_log
from . import bp


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


SINCE_KEY = "staff_since"
AUTH_KEY = "staff_auth"


def session_auth_hash(user: StaffUser) -> str:
    """A keyed fingerprint of the user's password hash: changes whenever the password does,
    and reveals nothing of the hash (the session cookie is signed, not encrypted)."""
    return hmac.new(derived_key(b"bancheng staff session auth v1"), (user.password_hash or "").encode(), hashlib.sha256).hexdigest()


def update_session_auth_hash(user: StaffUser) -> None:
    """Keep this session logged in after its own user's password changed."""
    if current_user.is_authenticated and current_user.id == user.id:
        session[AUTH_KEY] = session_auth_hash(user)


def _safe_next(target: str | None) -> str:
    """Only back into the staff workspace, never to another site."""
    if target and target.startswith("/staff/") and not target.startswith("//"):
        return target
    return url_for("staff.queue")


@bp.before_app_request
def expire_staff_session():
    """Log out a session older than PORTAL_SESSION_HOURS (or from before this check existed)."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    since = session.get(SINCE_KEY)
    limit = int(current_app.config["PORTAL_SESSION_HOURS"]) * 3600
    fresh = isinstance(since, int) and 0 <= time.time() - since < limit
    # A session from before the fingerprint existed has none and ends too.
    same_password = hmac.compare_digest(str(session.get(AUTH_KEY, "")), session_auth_hash(current_user))
    if fresh and same_password:
        return None
    logout_user()
    session.clear()
    if request.blueprint == "staff" and request.endpoint != "staff.login":
        if fresh:
            flash(_("Your password was changed. Please log in again."), "info")
        else:
            flash(_("Your session has expired. Please log in again."), "info")
        return redirect(url_for("staff.login", next=request.path if request.method == "GET" else None))
    return None


# A constant-time dummy check so unknown usernames take as long as wrong passwords.
_DUMMY = StaffUser(password_hash="")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute;50 per hour", methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == form.username.data.strip()))
        if user is None:
            _DUMMY.set_password("x" * 12) if not _DUMMY.password_hash else None
            _DUMMY.check_password(form.password.data)
        elif user.active and user.check_password(form.password.data):
            session.clear()
            session.permanent = True
            login_user(user)
            session[SINCE_KEY] = int(time.time())
            session[AUTH_KEY] = session_auth_hash(user)
            security_log.login_succeeded(user)
            return redirect(_safe_next(request.args.get("next")))
        security_log.login_failed(form.username.data, user)
        flash(_("Wrong username or password."), "error")
        return render_template("staff/login.html", form=form), 401
    return render_template("staff/login.html", form=form), 422 if request.method == "POST" else 200


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    security_log.logged_out(current_user)
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("public.index"))
