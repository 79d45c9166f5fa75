"""Staff login with hashed passwords, expiring sessions and rate-limited attempts."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required, login_user, logout_user
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
            return redirect(url_for("staff.queue"))
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
