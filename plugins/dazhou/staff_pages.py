"""Dazhou's own staff page: the rota of chief representatives at the window (seed 002: 首席代表
轮值). Everyone on the staff sees who is on duty today and in the coming weeks; a supervisor
plans a period (one representative per working day, in turn, replacing what was planned)."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from sqlalchemy import select

from portal.toolkit import (
    StaffLink,
    StaffPages,
    audit,
    local_today,
    model,
    session,
    staff_jurisdiction_choices,
    staff_jurisdictions,
    staff_page,
)

from .models import RotaEntry

Department = model("Department")

blueprint = Blueprint("dazhou_staff", __name__, template_folder="templates")

#: How far ahead the page lists the rota, and the longest period planned at once.
SHOWN_DAYS = 31
MAX_PERIOD_DAYS = 366
MAX_REPRESENTATIVES = 50
#: Days a rota can be planned for (the portal's default): 9999-12-31 has no next day to count to.
FIRST_YEAR, LAST_YEAR = 2000, 2100


class RotaForm(FlaskForm):
    jurisdiction = SelectField(_l("Jurisdiction"), validators=[DataRequired()])
    start = DateField(_l("From"), validators=[DataRequired(_l("Give the first day."))])
    end = DateField(_l("To"), validators=[DataRequired(_l("Give the last day."))])
    representatives = TextAreaField(
        _l("Chief representatives in turn, one per line: a name, or a name | department code"),
        validators=[DataRequired(_l("Name at least one representative.")), Length(max=4000)])


def _representatives(text: str, jurisdiction) -> tuple[list, str | None]:
    """``[(name, department or None)]`` from the form's lines, or an error message."""
    departments = {d.code: d for d in session().scalars(
        select(Department).where(Department.jurisdiction_id == jurisdiction.id))}
    out = []
    for line in text.splitlines():
        name, _sep, code = (part.strip() for part in line.partition("|"))
        if not name:
            continue
        if len(name) > 80:
            return [], _("A name is longer than 80 characters.")
        if code and code not in departments:
            return [], _("No department %(code)s in this jurisdiction.", code=code)
        out.append((name, departments.get(code)))
    if not out:
        return [], _("Name at least one representative.")
    if len(out) > MAX_REPRESENTATIVES:
        return [], _("At most %(n)d representatives.", n=MAX_REPRESENTATIVES)
    return out, None


@blueprint.route("/rota", methods=["GET", "POST"])
# every staff member reads the rota, the chief representatives themselves too (seed 002: they take
# turns at the window); the supervisors plan it
@staff_page(capability="read", post_capability="supervise")
def rota():
    from . import plan_rota

    js = staff_jurisdictions()
    form = RotaForm()
    form.jurisdiction.choices = staff_jurisdiction_choices()
    error = None
    if form.validate_on_submit():
        j = next(j for j in js if j.code == form.jurisdiction.data)
        start, end = form.start.data, form.end.data
        reps, error = _representatives(form.representatives.data, j)
        if error is None and not (FIRST_YEAR <= start.year <= LAST_YEAR and FIRST_YEAR <= end.year <= LAST_YEAR):
            error = _("Plan days between %(first)d and %(last)d.", first=FIRST_YEAR, last=LAST_YEAR)
        elif error is None and end < start:
            error = _("The last day is before the first.")
        elif error is None and (end - start).days >= MAX_PERIOD_DAYS:
            error = _("Plan at most %(n)d days at once.", n=MAX_PERIOD_DAYS)
        if error is None:
            audit("rota.plan", f"rota:{j.code}", j.id, start=start.isoformat(), end=end.isoformat(),
                  representatives=[name for name, _d in reps])
            entries = plan_rota(j, start, end, reps)  # commits, with the audit row
            flash(_("Rota planned: %(n)d working days.", n=len(entries)), "info")
            return redirect(url_for(".rota"), 303)
    today = local_today()
    ids = [j.id for j in js]
    rows = session().scalars(
        select(RotaEntry).where(RotaEntry.jurisdiction_id.in_(ids), RotaEntry.day >= today,
                                   RotaEntry.day < today + timedelta(days=SHOWN_DAYS))
        .order_by(RotaEntry.day, RotaEntry.jurisdiction_id)).all()
    names = {j.id: j for j in js}
    departments = {d.id: d for d in session().scalars(select(Department).where(Department.id.in_(
        {r.department_id for r in rows if r.department_id})))} if rows else {}
    on_duty = {j.id: next((r for r in rows if r.jurisdiction_id == j.id and r.day == today), None) for j in js}
    status = 422 if request.method == "POST" else 200
    return render_template("dazhou_staff/rota.html", form=form, error=error, rows=rows, jurisdictions=js,
                           names=names, departments=departments, on_duty=on_duty, today=today), status


pages = StaffPages(blueprint, links=(StaffLink("rota", "首席代表轮值", "Chief representatives' rota",
                                                      capability="read"),))
