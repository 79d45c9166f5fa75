"""Staff change their own password; a password someone else chose or generated must be changed first.

An administrator (or the CLI) knows the password they hand over, so the account is flagged
``must_change_password`` and every staff page sends its user here (303) until they have chosen
their own. Changing it keeps this session and ends the user's others (see staff/auth.py:
the session carries a fingerprint of the password hash). The audit row names who and when, never
a password.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from .. import password_policy
from ..extensions import db, limiter
from . import bp
from .access import audit
from .sessions import end_other_sessions

#: What a user who must change their password can still reach (everything else redirects here).
OPEN_WHILE_FLAGGED = frozenset({"staff.change_password", "staff.logout", "static"})
#: The pages that redirect: the staff workspace (plugins' pages are mounted under it too) and the API.
GUARDED_PREFIXES = ("/staff", "/api")


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=password_policy.MAX_LENGTH)])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=password_policy.MAX_LENGTH)])
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))])


@bp.before_app_request
def require_password_change():
    """Until a flagged user has chosen their own password, the workspace is only this page."""
    if request.endpoint in OPEN_WHILE_FLAGGED or not request.path.startswith(GUARDED_PREFIXES):
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("staff.change_password"), 303)
    return None


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute;50 per hour", methods=["POST"])  # the current password is guessable here
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if not user.check_password(form.current.data):
            form.current.errors.append(_("The current password is wrong."))
        elif form.new.data == form.current.data:
            form.new.errors.append(_("The new password must differ from the current one."))
        else:
            reason = password_policy.refusal(form.new.data, password_policy.context_names(
                user.username, user.jurisdiction, user.display_name))
            if reason:
                form.new.errors.append(reason)
            else:
                user.set_password(form.new.data)
                user.must_change_password = False
                end_other_sessions(user)  # this session stays; the others end
                audit("user.change_password", f"user:{user.username}", user.jurisdiction_id)
                db.session.commit()
                flash(_("Your password has been changed. Your other sessions have ended."), "info")
                return redirect(url_for("staff.queue"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("staff/password.html", form=form,
                           min_length=password_policy.min_length()), status
