"""Administration of the working-day calendar: a new year of official data, single-day overrides.

Official holiday data is national (the State Council's notice), so an import serves every
jurisdiction; overrides are set for one of the administrator's own jurisdictions.
"""
from __future__ import annotations

import json
from datetime import date

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import DateField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..engine.jurisdiction_calendars import import_year_file, invalidate, set_override
from ..extensions import db
from ..i18n import pick
from ..models import CalendarDay, CalendarYear, Jurisdiction
from . import bp
from .access import ADMINISTER, audit, capability_required, scoped_or_404, visible_ids, visible_jurisdictions

MAX_BYTES = 1024 * 1024


class YearForm(FlaskForm):
    file = FileField(_l("Official holiday data (.json)"), validators=[FileRequired()])


class OverrideForm(FlaskForm):
    jurisdiction = SelectField(_l("Jurisdiction"), coerce=int)
    day = DateField(_l("Day"), validators=[DataRequired()])
    kind = RadioField(_l("This day is"), default="off", validators=[DataRequired()])
    name = StringField(_l("Reason shown with the day"), validators=[Optional(), Length(max=120)])


class DeleteForm(FlaskForm):
    """CSRF only."""


def _override_form(js) -> OverrideForm:
    f = OverrideForm(prefix="ov")
    f.jurisdiction.choices = [(j.id, pick(j, "name")) for j in js]
    f.kind.choices = [("off", _l("a day off")), ("working", _l("a working day"))]
    return f


def _page(year_form, override_form, error=None, status=200):
    years = db.session.scalars(select(CalendarYear).order_by(CalendarYear.year)).all()
    overrides = db.session.scalars(select(CalendarDay).where(
        CalendarDay.jurisdiction_id.in_(visible_ids()), CalendarDay.kind == "override")
        .order_by(CalendarDay.day.desc())).all()
    names = {j.id: pick(j, "name") for j in visible_jurisdictions()}
    return render_template("staff/admin/calendar.html", years=years, overrides=overrides, names=names,
                           year_form=year_form, override_form=override_form, delete_form=DeleteForm(),
                           error=error), status


@bp.route("/admin/calendar", methods=["GET"])
@capability_required(ADMINISTER)
def admin_calendar():
    return _page(YearForm(prefix="year"), _override_form(visible_jurisdictions()))


@bp.route("/admin/calendar/import", methods=["POST"])
@capability_required(ADMINISTER)
def admin_calendar_import():
    form = YearForm(prefix="year")
    if not form.validate_on_submit():
        return _page(form, _override_form(visible_jurisdictions()), _("Choose the JSON file."), 422)
    raw = form.file.data.read(MAX_BYTES + 1)
    try:
        if len(raw) > MAX_BYTES:
            raise ValueError(_("The file is larger than 1 MB."))
        data = json.loads(raw.decode("utf-8-sig"))
        if not isinstance(data, dict):
            raise ValueError(_("The file must hold one JSON object."))
        years = import_year_file(data)  # same checks as `flask portal calendar import`
    except (ValueError, UnicodeDecodeError) as e:
        db.session.rollback()
        return _page(form, _override_form(visible_jurisdictions()), _("Not imported: %(error)s", error=str(e)), 422)
    audit("calendar.import", f"years:{','.join(map(str, years))}", None, years=years,
          file=form.file.data.filename[:80])
    db.session.commit()
    flash(_("Imported years: %(years)s", years=", ".join(map(str, years))), "info")
    return redirect(url_for("staff.admin_calendar"), 303)


@bp.route("/admin/calendar/override", methods=["POST"])
@capability_required(ADMINISTER)
def admin_calendar_override():
    js = visible_jurisdictions()
    form = _override_form(js)
    if not form.validate_on_submit():
        return _page(YearForm(prefix="year"), form, _("Check the day and the jurisdiction."), 422)
    if form.jurisdiction.data not in visible_ids():
        abort(404)
    j = db.session.get(Jurisdiction, form.jurisdiction.data)
    day: date = form.day.data
    set_override(j, day, form.kind.data == "working", (form.name.data or "").strip())
    audit("calendar.override", f"{j.code}:{day.isoformat()}", j.id, working=form.kind.data == "working",
          name=form.name.data or "")
    db.session.commit()
    flash(_("Saved. New deadlines count with this day; deadlines already set keep their date."), "info")
    return redirect(url_for("staff.admin_calendar"), 303)


@bp.route("/admin/calendar/override/<int:row_id>/delete", methods=["POST"])
@capability_required(ADMINISTER)
def admin_calendar_override_delete(row_id):
    row = scoped_or_404(db.session.get(CalendarDay, row_id))
    if row.kind != "override" or not DeleteForm().validate_on_submit():
        abort(400)
    audit("calendar.override_delete", f"{row.day.isoformat()}", row.jurisdiction_id, working=row.working)
    db.session.delete(row)
    db.session.commit()
    invalidate()
    flash(_("Override removed."), "info")
    return redirect(url_for("staff.admin_calendar"), 303)
