"""Staff login with hashed passwords, expiring sessions and rate-limited attempts.

Sessions expire PORTAL_SESSION_HOURS after login however busy the user is: the cookie's
own lifetime slides with every request, so the login time is kept and checked too.
"""
from __future__ import annotations

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
from ..models import StaffUser
from . import bp


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


SINCE_KEY = "staff_since"


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
    if isinstance(since, int) and 0 <= time.time() - since < limit:
        return None
    logout_user()
    session.clear()
    if request.blueprint == "staff" and request.endpoint != "staff.login":
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
            return redirect(_safe_next(request.args.get("next")))
        flash(_("Wrong username or password."), "error")
        return render_template("staff/login.html", form=form), 401
    return render_template("staff/login.html", form=form), 422 if request.method == "POST" else 200


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("public.index"))
