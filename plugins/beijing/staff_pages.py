"""Beijing's own staff page: the monthly fault-finding day (找茬日, seed 003). A team walks every
window on one random working day of the month; the supervisor records who walked, how many
windows were checked and what was found, once a month per jurisdiction. Staff read the record."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange

from sqlalchemy import select

from portal.toolkit import (
    StaffLink,
    StaffPages,
    audit,
    local_today,
    pick,
    session,
    staff_jurisdiction_choices,
    staff_jurisdictions,
    staff_page,
)

from .models import SupervisionRecord

blueprint = Blueprint("beijing_staff", __name__, template_folder="templates")


class FaultFindingForm(FlaskForm):
    jurisdiction = SelectField(_l("Jurisdiction"), validators=[DataRequired()])
    held_on = DateField(_l("Day of the walk"), validators=[DataRequired(_l("Give the day of the walk."))])
    team = TextAreaField(_l("Who walked the windows"), validators=[DataRequired(_l("Name the team.")),
                                                                    Length(max=500)])
    windows_checked = IntegerField(_l("Windows checked"), validators=[
        DataRequired(_l("Give the number of windows checked.")),
        NumberRange(min=1, max=2000, message=_l("Give the number of windows checked."))])
    findings = TextAreaField(_l("What was found"), validators=[Length(max=4000)])


@blueprint.route("/fault-finding", methods=["GET", "POST"])
@staff_page(capability="read", post_capability="supervise")
def fault_finding():
    from . import FAULT_FINDING, record_fault_finding_day

    js = staff_jurisdictions()
    form = FaultFindingForm()
    form.jurisdiction.choices = staff_jurisdiction_choices()
    error = None
    if form.validate_on_submit():
        j = next(j for j in js if j.code == form.jurisdiction.data)
        if form.held_on.data > local_today():
            error = _("The day of the walk cannot be in the future.")
        else:
            held_on = form.held_on.data
            # pending until the record's own commit: both are saved, or neither
            audit("supervision.fault_finding", f"supervision:{j.code}:{held_on:%Y-%m}", j.id,
                  held_on=held_on.isoformat(), windows_checked=form.windows_checked.data)
            try:
                record_fault_finding_day(j, held_on, team=form.team.data, findings=form.findings.data or "",
                                         windows_checked=form.windows_checked.data)
            except ValueError:  # the month already has its walk (the form checked everything else)
                session().rollback()
                error = _("%(name)s already has its fault-finding day for that month.", name=pick(j, "name"))
            else:
                flash(_("Fault-finding day recorded."), "info")
                return redirect(url_for(".fault_finding"), 303)
    rows = session().scalars(
        select(SupervisionRecord).where(SupervisionRecord.jurisdiction_id.in_([j.id for j in js]),
                                           SupervisionRecord.kind == FAULT_FINDING)
        .order_by(SupervisionRecord.held_on.desc()).limit(120)).all()
    names = {j.id: j for j in js}
    status = 422 if request.method == "POST" else 200
    return render_template("beijing_staff/fault_finding.html", form=form, error=error, rows=rows, names=names), status


pages = StaffPages(blueprint, links=(StaffLink("fault_finding", "找茬日", "Fault-finding day", capability="read"),))
