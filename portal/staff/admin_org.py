"""Administration of departments, service centres and windows of the administrator's jurisdictions.

Plugins declare the standing organisation (synced at start-up, names refreshed from the
plugin); administrators add what the plugin does not know and may rename.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from ..extensions import db
from ..i18n import pick
from ..models import Department, Jurisdiction, ServiceCentre, Window
from ..public.filing import forget_kept_forms
from . import bp
from .access import ADMINISTER, audit, capability_required, scoped_or_404, visible_ids, visible_jurisdictions

CODE = Regexp(r"^[a-z0-9][a-z0-9-]*$", message=_l("Lower-case letters, digits and dashes only."))
LEVELS = ("province", "city", "district", "street", "community")


class NamedForm(FlaskForm):
    parent = SelectField(_l("Belongs to"), coerce=int)
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=64), CODE])
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=160)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    level = SelectField(_l("Level (centres)"), default="district")


class RenameForm(FlaskForm):
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=160)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])


def _centres(ids):
    return db.session.scalars(select(ServiceCentre).where(ServiceCentre.jurisdiction_id.in_(ids))
                              .order_by(ServiceCentre.jurisdiction_id, ServiceCentre.id)).all()


def _forms(js, centres):
    forms = {}
    for what in ("department", "centre", "window"):
        f = NamedForm(prefix=what)
        f.level.choices = [(x, x) for x in LEVELS]
        if what == "window":
            f.parent.choices = [(c.id, pick(c, "name")) for c in centres]
        else:
            f.parent.choices = [(j.id, pick(j, "name")) for j in js]
        forms[what] = f
    return forms


def _create(what: str, f: NamedForm) -> str | None:
    """Add one department, centre or window; returns an error message or None."""
    code = f.code.data.strip()
    if what == "window":
        centre = scoped_or_404(db.session.get(ServiceCentre, f.parent.data))
        if db.session.scalar(select(Window.id).where(Window.code == code)):
            return _("That code is already used.")
        row = Window(centre=centre, code=code, name_zh=f.name_zh.data.strip(), name_en=f.name_en.data.strip(),
                     kind="banbucheng")
        jid = centre.jurisdiction_id
    else:
        if f.parent.data not in visible_ids():
            abort(404)
        j = db.session.get(Jurisdiction, f.parent.data)
        jid = j.id
        if what == "department":
            if db.session.scalar(select(Department.id).where(Department.jurisdiction_id == j.id, Department.code == code)):
                return _("That code is already used.")
            row = Department(jurisdiction=j, code=code, name_zh=f.name_zh.data.strip(), name_en=f.name_en.data.strip())
        else:
            if db.session.scalar(select(ServiceCentre.id).where(ServiceCentre.code == code)):
                return _("That code is already used.")
            row = ServiceCentre(jurisdiction=j, code=code, name_zh=f.name_zh.data.strip(),
                                name_en=f.name_en.data.strip(), level=f.level.data)
    db.session.add(row)
    db.session.flush()
    audit(f"{what}.create", f"{what}:{code}", jid, name_zh=row.name_zh, name_en=row.name_en)
    db.session.commit()
    forget_kept_forms()
    return None


@bp.route("/admin/organisation", methods=["GET", "POST"])
@capability_required(ADMINISTER)
def admin_org():
    js = visible_jurisdictions()
    ids = [j.id for j in js]
    centres = _centres(ids)
    forms = _forms(js, centres)
    error = None
    if request.method == "POST":
        what = request.args.get("add", "")
        f = forms.get(what)
        if f is None:
            abort(400)
        if f.validate_on_submit():
            error = _create(what, f)
            if error is None:
                flash(_("Saved."), "info")
                return redirect(url_for("staff.admin_org"), 303)
        else:
            error = _("Check the form: every field is needed, codes in lower case.")
    departments = db.session.scalars(select(Department).where(Department.jurisdiction_id.in_(ids))
                                     .order_by(Department.jurisdiction_id, Department.id)).all()
    return render_template("staff/admin/org.html", jurisdictions=js, departments=departments, centres=centres,
                           forms=forms, error=error), 422 if error else 200


_KINDS = {"department": Department, "centre": ServiceCentre, "window": Window}


def _scope_of(row) -> int:
    return row.centre.jurisdiction_id if isinstance(row, Window) else row.jurisdiction_id


@bp.route("/admin/organisation/<what>/<int:row_id>", methods=["GET", "POST"])
@capability_required(ADMINISTER)
def admin_rename(what, row_id):
    model = _KINDS.get(what)
    if model is None:
        abort(404)
    row = db.session.get(model, row_id)
    if row is None or _scope_of(row) not in visible_ids():
        abort(404)
    form = RenameForm(obj=row)
    if form.validate_on_submit():
        old = (row.name_zh, row.name_en)
        row.name_zh, row.name_en = form.name_zh.data.strip(), form.name_en.data.strip()
        audit(f"{what}.rename", f"{what}:{row.code}", _scope_of(row), before=list(old),
              after=[row.name_zh, row.name_en])
        db.session.commit()
        forget_kept_forms()
        flash(_("Saved."), "info")
        return redirect(url_for("staff.admin_org"), 303)
    return render_template("staff/admin/rename.html", row=row, what=what, form=form), \
        422 if request.method == "POST" else 200
