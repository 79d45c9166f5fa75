"""Administration of staff users and roles, within the administrator's jurisdiction (subtree).

Every change writes an AuditLog row. A reset password is generated and shown once, and the user
must replace it at first login (staff/passwords.py); administrators never choose or see a user's
later password. Deactivating a user or resetting their password ends their open sessions; an
account locked by failed logins can be unlocked.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from .. import password_policy
from ..extensions import db
from ..i18n import pick, role_label
from ..models import Department, Jurisdiction, StaffUser
from . import bp
from .access import (
    ADMINISTER,
    ADMINISTER_SYSTEM,
    audit,
    can,
    capability_required,
    scoped_or_404,
    visible_ids,
    visible_jurisdictions,
)
from . import lockout
from .sessions import bump_session_generation, end_other_sessions
from ..vocabulary import current as current_vocabulary
from .users import UserError, create_staff_user


def _managed_or_404(user_id: int) -> StaffUser:
    """A user of the administrator's jurisdictions; a system administrator (national data) is
    changed only by another one: a jurisdiction's administrator who could reset their password
    would hold the national calendar too."""
    user = scoped_or_404(db.session.get(StaffUser, user_id))
    if current_vocabulary().can(user.role, ADMINISTER_SYSTEM) and not can(ADMINISTER_SYSTEM):
        abort(403)
    return user


def new_password(username: str, jurisdiction: Jurisdiction | None) -> str:
    return password_policy.generate(password_policy.context_names(username, jurisdiction))


class UserForm(FlaskForm):
    display_name = StringField(_l("Name shown to colleagues"), validators=[DataRequired(), Length(max=80)])
    # a plain shape check: email_validator is not a dependency, and the address is only for notices
    email = EmailField(_l("E-mail for notifications"), validators=[
        Optional(), Length(max=120), Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter an e-mail address."))])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    jurisdiction = SelectField(_l("Jurisdiction"), coerce=int)
    department = SelectField(_l("Department"), coerce=int, validators=[Optional()])
    sees_subtree = BooleanField(_l("Also sees the jurisdictions below"))


class NewUserForm(UserForm):
    username = StringField(_l("Username"), validators=[
        DataRequired(), Length(min=3, max=64),
        Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Letters, digits, dot, dash and underscore only."))])


def _fill(form: UserForm) -> UserForm:
    js = visible_jurisdictions()
    form.role.choices = role_choices(js)
    form.jurisdiction.choices = [(j.id, pick(j, "name")) for j in js]
    depts = db.session.scalars(select(Department).where(Department.jurisdiction_id.in_([j.id for j in js]))
                               .order_by(Department.jurisdiction_id, Department.id)).all()
    names = {j.id: pick(j, "name") for j in js}
    form.department.choices = [(0, "—")] + [(d.id, f"{names[d.jurisdiction_id]} · {pick(d, 'name')}") for d in depts]
    return form


def role_choices(jurisdictions) -> list[tuple[str, str]]:
    """The core's roles, then the roles the plugins of these jurisdictions add (each once)."""
    vocabulary, codes = current_vocabulary(), []
    for j in jurisdictions:
        codes += [r for r in vocabulary.roles_for(j.code) if r not in codes]
    return [(r, role_label(r)) for r in codes]


def _check_choices(form: UserForm) -> str | None:
    """A role the chosen jurisdiction offers; department of the chosen jurisdiction; subtree
    sight only from an admin who has it."""
    if form.jurisdiction.data not in visible_ids():
        abort(404)
    j = db.session.get(Jurisdiction, form.jurisdiction.data)
    if form.role.data not in current_vocabulary().roles_for(j.code):
        return _("The role %(role)s is not used in %(jurisdiction)s.", role=role_label(form.role.data),
                 jurisdiction=pick(j, "name"))
    if form.department.data:
        d = db.session.get(Department, form.department.data)
        if d is None or d.jurisdiction_id != form.jurisdiction.data:
            return _("The department must belong to the chosen jurisdiction.")
    if form.sees_subtree.data and not current_user.sees_subtree:
        return _("You cannot give a wider view than your own.")
    return None


@bp.route("/admin/users", methods=["GET", "POST"])
@capability_required(ADMINISTER)
def admin_users():
    form = _fill(NewUserForm())
    error, shown_password = None, None
    if not form.is_submitted():
        form.jurisdiction.data = current_user.jurisdiction_id
    if form.validate_on_submit():
        error = _check_choices(form)
        if error is None:
            j = db.session.get(Jurisdiction, form.jurisdiction.data)
            d = db.session.get(Department, form.department.data) if form.department.data else None
            shown_password = new_password(form.username.data.strip(), j)
            try:
                user = create_staff_user(username=form.username.data.strip(), password=shown_password,
                                         role=form.role.data, jurisdiction_code=j.code,
                                         department_code=d.code if d else None,
                                         display_name=form.display_name.data.strip(),
                                         sees_subtree=form.sees_subtree.data, email=form.email.data or "",
                                         commit=False, must_change_password=True)
                db.session.flush()
            except UserError as e:
                db.session.rollback()
                error, shown_password = str(e), None
            else:
                audit("user.create", f"user:{user.username}", j.id, role=user.role,
                      department=d.code if d else None, sees_subtree=user.sees_subtree)
                db.session.commit()
                return render_template("staff/admin/password.html", user=user, password=shown_password)
    users = db.session.scalars(select(StaffUser).where(StaffUser.jurisdiction_id.in_(visible_ids()))
                               .options(joinedload(StaffUser.jurisdiction), joinedload(StaffUser.department))
                               .order_by(StaffUser.jurisdiction_id, StaffUser.role, StaffUser.username)).all()
    status = 422 if request.method == "POST" else 200
    return render_template("staff/admin/users.html", users=users, form=form, error=error), status


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@capability_required(ADMINISTER)
def admin_user(user_id):
    user = _managed_or_404(user_id)
    form = _fill(UserForm(obj=user))
    if not form.is_submitted():
        form.jurisdiction.data = user.jurisdiction_id
        form.department.data = user.department_id or 0
    error = None
    if form.validate_on_submit():
        error = _check_choices(form)
        if error is None and user.id == current_user.id and not current_vocabulary().can(form.role.data, ADMINISTER):
            error = _("You cannot take the administrator role from yourself.")
        if error is None:
            before = {"role": user.role, "jurisdiction_id": user.jurisdiction_id,
                      "department_id": user.department_id, "sees_subtree": user.sees_subtree}
            user.display_name, user.email = form.display_name.data.strip(), form.email.data or ""
            user.role, user.jurisdiction_id = form.role.data, form.jurisdiction.data
            user.department_id = form.department.data or None
            user.sees_subtree = form.sees_subtree.data
            after = {"role": user.role, "jurisdiction_id": user.jurisdiction_id,
                     "department_id": user.department_id, "sees_subtree": user.sees_subtree}
            audit("user.update", f"user:{user.username}", user.jurisdiction_id,
                  changed={k: [before[k], after[k]] for k in before if before[k] != after[k]})
            db.session.commit()
            flash(_("Saved."), "info")
            return redirect(url_for("staff.admin_users"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("staff/admin/user.html", user=user, form=form, error=error,
                           locked=lockout.is_locked(user)), status


class ConfirmForm(FlaskForm):
    """CSRF only."""


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@capability_required(ADMINISTER)
def admin_user_active(user_id):
    user = _managed_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if user.id == current_user.id:
        flash(_("You cannot deactivate yourself."), "error")
        return redirect(url_for("staff.admin_user", user_id=user.id), 303)
    user.active = request.form.get("active") == "1"
    # a deactivated user's open sessions end at once (the user loader refuses inactive users),
    # and stay ended when the user is activated again
    if not user.active:
        bump_session_generation(user)
    audit("user.activate" if user.active else "user.deactivate", f"user:{user.username}", user.jurisdiction_id)
    db.session.commit()
    flash(_("Activated.") if user.active else _("Deactivated."), "info")
    return redirect(url_for("staff.admin_user", user_id=user.id), 303)


@bp.route("/admin/users/<int:user_id>/password", methods=["POST"])
@capability_required(ADMINISTER)
def admin_user_password(user_id):
    user = _managed_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    password = new_password(user.username, user.jurisdiction)
    user.set_password(password)
    user.must_change_password = True
    # The user's other sessions end on their next request (see staff/sessions.py); an
    # administrator resetting their own password stays logged in here.
    end_other_sessions(user)
    audit("user.reset_password", f"user:{user.username}", user.jurisdiction_id)
    db.session.commit()
    return render_template("staff/admin/password.html", user=user, password=password)


@bp.route("/admin/users/<int:user_id>/unlock", methods=["POST"])
@capability_required(ADMINISTER)
def admin_user_unlock(user_id):
    """Lift a lockout after failed logins (staff/lockout.py) before its back-off runs out."""
    user = scoped_or_404(db.session.get(StaffUser, user_id))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    audit("user.unlock", f"user:{user.username}", user.jurisdiction_id, failed_logins=user.failed_logins)
    lockout.unlock(user)
    db.session.commit()
    flash(_("Unlocked."), "info")
    return redirect(url_for("staff.admin_user", user_id=user.id), 303)
