"""Accountability records (Xuanwu, seed 001): a staff member's attitude failure, a department
that did not cooperate or overran the time limit.

What follows is the jurisdiction's rule, asked of its plugin with the occurrence count
(Xuanwu: the 1st and 2nd attitude failure a talk and a bonus deduction, the 3rd dismissal).
The kinds are the core's four plus those the jurisdiction's plugin adds (portal_vocabulary).
"""
from __future__ import annotations


from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..extensions import db
from ..i18n import pick, role_label
from ..models import AccountabilityRecord, Case, Department, StaffUser
from . import bp
from ..vocabulary import current as current_vocabulary
from .access import (ADMINISTER, SUPERVISE, audit, can, capability_required, in_scope, may_see_case, visible_ids,
                     visible_jurisdictions)

from ..accountability import (  # noqa: F401  (what the page uses and shows)
    KINDS,
    concerns,
    kind_choices,
    kind_label,
    kind_labels,
    previous_count,
    record,
)


class RecordForm(FlaskForm):
    kind = SelectField(_l("What happened"), validators=[DataRequired()])
    staff = SelectField(_l("Staff member"), coerce=int, validators=[Optional()])
    department = SelectField(_l("Department"), coerce=int, validators=[Optional()])
    case_number = StringField(_l("Case number (optional)"), validators=[Optional(), Length(max=40)])
    note = TextAreaField(_l("What was found"), validators=[DataRequired(), Length(max=2000)])


def _form() -> RecordForm:
    ids = visible_ids()
    form = RecordForm()
    form.kind.choices = kind_choices(j.code for j in visible_jurisdictions())
    users = db.session.scalars(select(StaffUser).where(StaffUser.jurisdiction_id.in_(ids))
                               .order_by(StaffUser.jurisdiction_id, StaffUser.display_name)).all()
    depts = db.session.scalars(select(Department).where(Department.jurisdiction_id.in_(ids))
                               .order_by(Department.jurisdiction_id, Department.id)).all()
    form.staff.choices = [(0, "—")] + [(u.id, f"{u.display_name} · {role_label(u.role)}") for u in users]
    form.department.choices = [(0, "—")] + [(d.id, pick(d, "name")) for d in depts]
    return form


@bp.route("/accountability", methods=["GET", "POST"])
@capability_required(SUPERVISE, ADMINISTER)
def accountability():
    form = _form()
    error = None
    if request.method == "POST" and not can(SUPERVISE):
        abort(403)  # administrators read the records; supervisors keep them
    if form.validate_on_submit():
        staff = db.session.get(StaffUser, form.staff.data) if form.staff.data else None
        dept = db.session.get(Department, form.department.data) if form.department.data else None
        case = None
        if form.case_number.data:
            case = db.session.scalar(select(Case).where(Case.number == form.case_number.data.strip().upper()))
            if not may_see_case(case):
                error = _("No such case in your jurisdiction.")
        for obj in (staff, dept):
            if obj is not None and not in_scope(obj.jurisdiction_id):
                abort(404)
        concerns_staff = concerns(form.kind.data) == "staff"
        if concerns_staff and staff is None:
            error = _("Choose the staff member.")
        elif not concerns_staff and dept is None:
            error = _("Choose the department.")
        elif form.kind.data not in current_vocabulary().kinds_for((staff if concerns_staff else dept).jurisdiction.code):
            error = _("That kind of record is not used in the jurisdiction of the one concerned.")
        if error is None:
            row = record(form.kind.data, staff=staff if concerns_staff else None,
                         department=dept if not concerns_staff else None, case=case,
                         note=form.note.data, by=current_user)
            db.session.flush()
            audit("accountability.record", f"accountability:{row.id}", row.jurisdiction_id, kind=row.kind,
                  occurrence=row.occurrence, outcome=row.outcome)
            db.session.commit()
            flash(_("Recorded: occurrence %(n)d, outcome: %(outcome)s", n=row.occurrence, outcome=row.outcome), "info")
            return redirect(url_for("staff.accountability"), 303)
    rows = db.session.scalars(
        select(AccountabilityRecord).where(AccountabilityRecord.jurisdiction_id.in_(visible_ids()))
        .options(joinedload(AccountabilityRecord.staff), joinedload(AccountabilityRecord.department))
        .order_by(AccountabilityRecord.at.desc()).limit(200)).all()
    status = 422 if request.method == "POST" else 200
    return render_template("staff/accountability.html", form=form, rows=rows, kinds=kind_labels(), error=error), status
