"""Staff login with hashed passwords, expiring sessions and rate-limited attempts.

When a session ends (absolute and idle timeouts, a changed password, a logout or deactivation
elsewhere) is decided in staff/sessions.py; the per-account lockout is staff/lockout.py. The
per-address limit counts failed attempts only, so that staff sharing an address (a service
centre behind one gateway) are not locked out by each other's successful logins.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..extensions import db, limiter
from ..models import StaffUser
from .. import security_log
from ..models.staff import normalise_username
from ..safe_redirect import local_path
from . import bp, lockout
from .sessions import (AUTH_KEY, SINCE_KEY, bump_session_generation, idle_minutes,  # noqa: F401
                       session_auth_hash, start_session, update_session_auth_hash, why_ended)


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


def _safe_next(target: str | None) -> str:
    """Only back into the staff workspace, never to another site (see portal/safe_redirect.py)."""
    return local_path(target, prefix="/staff/") or url_for("staff.queue")


@bp.before_app_request
def expire_staff_session():
    """Log out a session that has ended (see staff/sessions.py), saying why."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    reason = why_ended(current_user)
    if reason is None:
        return None
    logout_user()
    session.clear()
    if request.blueprint == "staff" and request.endpoint != "staff.login":
        flash({"changed": _("Your password was changed. Please log in again."),
               "ended": _("This session has ended. Please log in again."),
               "idle": _("Your session ended after %(minutes)d minutes without activity. Please log in again.",
                         minutes=idle_minutes()),
               }.get(reason) or _("Your session has expired. Please log in again."), "info")
        return redirect(url_for("staff.login", next=request.path if request.method == "GET" else None))
    return None


# A constant-time dummy check so unknown usernames take as long as wrong passwords.
_DUMMY = StaffUser(password_hash="")


def _failed_attempt(response) -> bool:
    """Only failures use up the per-address login limit (a 429 itself does not)."""
    return response.status_code >= 400 and response.status_code != 429


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute;50 per hour", methods=["POST"], deduct_when=_failed_attempt)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        name = normalise_username(form.username.data)
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == name))
        if user is None:  # looks the same from outside as a known name: same check, count and lock
            _DUMMY.set_password("x" * 12) if not _DUMMY.password_hash else None
            _DUMMY.check_password(form.password.data)
            locked = lockout.is_locked(lockout.unknown_name(name))
            locked = locked or lockout.record_unknown_failure(name)
        else:
            right = user.check_password(form.password.data)  # checked even when locked: same timing
            locked = lockout.is_locked(user)
            if right and user.active and not locked:
                lockout.record_success(user)
                db.session.commit()
                start_session(user)
                security_log.login_succeeded(user)
                return redirect(_safe_next(request.args.get("next")))
            locked = locked or lockout.record_failure(user)
            db.session.commit()
        security_log.login_failed(form.username.data, user, locked=locked)
        flash(_("Wrong username or password."), "error")
        if locked:
            flash(_("Too many failed logins for this username. Try again later."), "error")
        return render_template("staff/login.html", form=form), 401
    return render_template("staff/login.html", form=form), 422 if request.method == "POST" else 200


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    security_log.logged_out(current_user)
    # every copy of this session's cookie (and the user's other sessions) ends with it
    bump_session_generation(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("public.index"))
