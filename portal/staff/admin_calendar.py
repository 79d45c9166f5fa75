"""Administration of the working-day calendar: a new year of official data, single-day overrides.

Official holiday data is national (the State Council's notice), so an import serves every
jurisdiction: only a system administrator (or `flask portal calendar import`) imports it, in two
steps (a dry run that shows each year's changes, then a confirm), audited where every
administrator reads it. Overrides are set for one of the administrator's own jurisdictions.
"""
from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select
from wtforms import DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..engine import calendar_import as imp
from ..engine.calendar_import import CalendarImportError
from ..engine.jurisdiction_calendars import invalidate, set_override
from ..extensions import db
from ..i18n import pick
from ..models import CalendarDay, CalendarYear, Jurisdiction
from . import bp
from .access import ADMINISTER, ADMINISTER_SYSTEM, audit, capability_required, scoped_or_404, visible_ids, visible_jurisdictions

MAX_BYTES = 1024 * 1024
#: The dry run's signed data lives an hour, and stays well under Flask's 500 kB form-field limit.
TOKEN_SECONDS = 3600
MAX_TOKEN = 400_000


class YearForm(FlaskForm):
    file = FileField(_l("Official holiday data (.json)"), validators=[FileRequired()])


class OverrideForm(FlaskForm):
    jurisdiction = SelectField(_l("Jurisdiction"), coerce=int)
    day = DateField(_l("Day"), validators=[DataRequired()])
    kind = RadioField(_l("This day is"), default="off", validators=[DataRequired()])
    name = StringField(_l("Reason shown with the day"), validators=[Optional(), Length(max=120)])


class ConfirmImportForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Length(max=MAX_TOKEN)])
    reason = TextAreaField(_l("Why official holidays are removed (needed when the file removes any)"),
                           validators=[Optional(), Length(max=imp.REASON_MAX)])


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
@capability_required(ADMINISTER_SYSTEM)
def admin_calendar_import():
    """Step one: read the file and show what it would change (the dry run); nothing is written."""
    form = YearForm(prefix="year")
    if not form.validate_on_submit():
        return _page(form, _override_form(visible_jurisdictions()), _("Choose the JSON file."), 422)
    raw = form.file.data.read(MAX_BYTES + 1)
    try:
        if len(raw) > MAX_BYTES:
            raise CalendarImportError("too_big")
        p = imp.plan(imp.read_bytes(raw))
        token = _sign(p, form.file.data.filename or "")
    except CalendarImportError as e:
        db.session.rollback()
        return _page(form, _override_form(visible_jurisdictions()), _not_imported(e), 422)
    return _dry_run(p, ConfirmImportForm(token=token), form.file.data.filename or "")


@bp.route("/admin/calendar/import/confirm", methods=["POST"])
@capability_required(ADMINISTER_SYSTEM)
def admin_calendar_import_confirm():
    """Step two: the data the dry run showed (signed, for this user, for an hour) is written, if
    the national data is still what the dry run planned against."""
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        return _page(YearForm(prefix="year"), _override_form(visible_jurisdictions()),
                     _("The dry run expired or was altered: upload the file again."), 422)
    try:
        payload = _signer().loads(form.token.data, max_age=TOKEN_SECONDS)
    except BadData:
        payload = None
    if not isinstance(payload, dict) or payload.get("u") != current_user.id:
        return _page(YearForm(prefix="year"), _override_form(visible_jurisdictions()),
                     _("The dry run expired or was altered: upload the file again."), 422)
    filename = str(payload.get("n", ""))[:80]
    try:
        p = imp.plan(imp.read_data(payload.get("d")))
        if p.base != payload.get("b"):
            raise CalendarImportError("changed_meanwhile")
        reason = imp.check_reason(p, form.reason.data)
    except CalendarImportError as e:
        db.session.rollback()
        if e.code == "removal_needs_reason":
            return _dry_run(p, form, filename, _not_imported(e), 422)
        return _page(YearForm(prefix="year"), _override_form(visible_jurisdictions()), _not_imported(e), 422)
    years = imp.apply(p)
    audit("calendar.import", f"years:{','.join(map(str, years))}", national=True, file=filename,
          reason=reason, changes=imp.summary(p))
    db.session.commit()
    flash(_("Imported years: %(years)s", years=", ".join(map(str, years))), "info")
    return redirect(url_for("staff.admin_calendar"), 303)


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="portal.calendar-import")


def _sign(p, filename: str) -> str:
    """The checked data, signed: the confirm step trusts nothing the browser could have changed."""
    token = _signer().dumps({"u": current_user.id, "b": p.base, "n": filename[:80], "d": p.calendar.to_json()})
    if len(token) > MAX_TOKEN:
        raise CalendarImportError("too_big")
    return token


def _dry_run(p, form, filename, error=None, status=200):
    return render_template("staff/admin/calendar_dry_run.html", plan=p, form=form, filename=filename[:80],
                           error=error), status


def _not_imported(e: CalendarImportError) -> str:
    return _("Not imported: %(error)s", error=_import_message(e))


def _import_message(e: CalendarImportError) -> str:
    """The engine's refusal in the reader's language."""
    k = e.params
    messages = {
        "too_big": lambda: _("The file is larger than 1 MB."),
        "not_utf8": lambda: _("The file is not UTF-8 text."),
        "not_json": lambda: _("the file is not valid JSON (line %(line)s, column %(column)s).", **k),
        "too_deep": lambda: _("the JSON is nested too deeply."),
        "number_too_long": lambda: _("the file holds a number with too many digits."),
        "not_object": lambda: _("The file must hold one JSON object."),
        "no_years": lambda: _("\"years\" must be a list of at least one year."),
        "bad_year": lambda: _("%(year)s is not a year.", **k),
        "year_out_of_range": lambda: _("the year %(year)s is outside %(low)s to %(high)s.", **k),
        "no_source": lambda: _("\"source\" must name where the data comes from."),
        "too_long": lambda: _("%(what)s is longer than %(n)s characters.", **k),
        "has_overrides": lambda: _("single-day overrides are set on this page, not imported."),
        "not_day_object": lambda: _("\"%(what)s\" must map days (YYYY-MM-DD) to names.", **k),
        "bad_name": lambda: _("%(what)s: %(day)s needs a name (text).", **k),
        "too_many_days": lambda: _("the file lists more than %(n)s days.", **k),
        "invalid": lambda: _("the data is inconsistent (%(detail)s).", **k),
        "year_without_holidays": lambda: _("the year %(year)s has no holidays; every year's notice has some.", **k),
        "removal_needs_reason": lambda: _("the file removes official holidays of %(years)s: "
                                          "give the reason to confirm.", **k),
        "changed_meanwhile": lambda: _("the national calendar changed since the dry run: upload the file again."),
    }
    return messages.get(e.code, lambda: e.code)()


@bp.route("/admin/calendar/override", methods=["POST"])
@capability_required(ADMINISTER)
def admin_calendar_override():
    js = visible_jurisdictions()
    form = _override_form(js)
    if not form.validate_on_submit():
        return _page(YearForm(prefix="year"), form, _("Check the day and the jurisdiction."), 422)
    if form.jurisdiction.data not in visible_ids():
        abort(404)
    if not imp.YEAR_MIN <= form.day.data.year <= imp.YEAR_MAX:  # 9999-12-31 has no next day to count to
        return _page(YearForm(prefix="year"), form, _("Choose a day between %(low)d and %(high)d.",
                                                      low=imp.YEAR_MIN, high=imp.YEAR_MAX), 422)
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
