"""File a complaint on the jurisdiction's own form, get a receipt, track it, rate it."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..engine import cases as engine
from ..engine.errors import EngineError
from ..engine.numbering import check_access_code
from ..extensions import db, limiter
from ..forms import IntakeForm, RateForm, TrackForm, extra_data
from ..i18n import pick
from ..models import Case, Jurisdiction, ScreeningRecord
from ..privacy import redact
from ..registry import enabled_jurisdictions
from ..web import render_for
from . import bp
from .attachments import AttachmentError, discard_files, validate_attachments, write_files
from .views import public_case_view


def _jurisdiction_or_404(code: str) -> Jurisdiction:
    j = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == code))
    if j is None or j not in enabled_jurisdictions():
        abort(404)
    return j


def intake_form_for(j: Jurisdiction, staff=False):
    """The jurisdiction's own form class (hook) with centre and channel choices filled in."""
    hooks = current_app.extensions["portal_plugins"].for_jurisdiction(j.code)
    form_cls = hooks.portal_intake_form(base=IntakeForm)
    form = form_cls()
    form.centre.choices = [("", _("Not sure"))] + [(c.code, pick(c, "name")) for c in j.centres]
    channels = hooks.portal_intake_channels()
    if staff:
        form.channel.choices = [(c.code, pick(c, "name")) for c in channels]
    else:
        form.channel.choices = [(c.code, pick(c, "name")) for c in channels if c.code in ("online",)] or \
            [("online", _("Online"))]
    return form


@bp.route("/file")
def choose_jurisdiction():
    js = enabled_jurisdictions()
    return render_template("public/choose.html", jurisdictions=js)


def screen(j: Jurisdiction, form):
    """Run the jurisdiction's scope screening; the first refusal wins."""
    hooks = current_app.extensions["portal_plugins"].for_jurisdiction(j.code)
    results = hooks.portal_screen_case(matter=form.matter.data or "", description=form.description.data or "",
                                       data=extra_data(form))
    return next((r for r in results if r is not None), None)


@bp.route("/file/<code>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def file_case(code):
    j = _jurisdiction_or_404(code)
    form = intake_form_for(j)
    attachment_errors: list[str] = []
    if form.validate_on_submit():
        refusal = screen(j, form)
        if refusal is not None:
            db.session.add(ScreeningRecord(jurisdiction_id=j.id, code=refusal.code,
                                           matter=redact(form.matter.data)[:200],
                                           reason=refusal.reason_zh, channel=refusal.channel_zh))
            db.session.commit()
            return render_for(j.code, "public/screened.html", jurisdiction=j, refusal=refusal), 200
        files = request.files.getlist(form.attachments.name)
        try:
            files = validate_attachments(files)
        except AttachmentError as e:
            attachment_errors.append(str(e))
        else:
            centre = next((c for c in j.centres if c.code == form.centre.data), None)
            written = write_files(files)
            try:
                filed = engine.file_case(
                    jurisdiction=j, matter=form.matter.data, description=form.description.data,
                    channel=form.channel.data, centre_id=centre.id if centre else None,
                    complainant={"name": form.name.data, "phone": form.phone.data,
                                 "id_number": form.id_number.data, "address": form.address.data},
                    extra=extra_data(form), attachments=written,
                )
            except Exception:
                discard_files(written)
                raise
            session["receipt"] = {"number": filed.case.number, "code": filed.access_code}
            session.setdefault("tracked", [])
            session["tracked"] = (session["tracked"] + [filed.case.number])[-20:]
            return redirect(url_for("public.receipt", number=filed.case.number))
    status = 422 if request.method == "POST" else 200
    return render_for(j.code, "public/file.html", jurisdiction=j, form=form,
                      attachment_errors=attachment_errors), status


@bp.route("/receipt/<number>")
def receipt(number):
    if number not in session.get("tracked", []):
        abort(404)
    case = db.session.scalar(select(Case).where(Case.number == number))
    if case is None:
        abort(404)
    shown = session.pop("receipt", None)
    code = shown["code"] if shown and shown.get("number") == number else None
    return render_for(case.jurisdiction.code, "public/receipt.html", case=case, code=code,
                      view=public_case_view(case))


@bp.route("/track", methods=["GET", "POST"])
@limiter.limit("10 per minute;60 per hour", methods=["POST"])
def track():
    form = TrackForm()
    if form.validate_on_submit():
        number = form.number.data.strip().upper()
        case = db.session.scalar(select(Case).where(Case.number == number))
        # One message for a wrong number and a wrong code: nothing is revealed.
        if case is None or not check_access_code(case.access_code_hash, form.code.data):
            flash(_("The case number and access code do not match. Check both and try again."), "error")
            return render_template("public/track.html", form=form), 404
        session["tracked"] = (session.get("tracked", []) + [case.number])[-20:]
        return redirect(url_for("public.track_case", number=case.number))
    return render_template("public/track.html", form=form), 422 if request.method == "POST" else 200


def _tracked_case_or_404(number: str) -> Case:
    if number not in session.get("tracked", []):
        abort(404)
    case = db.session.scalar(select(Case).where(Case.number == number))
    if case is None:
        abort(404)
    return case


@bp.route("/track/<number>")
def track_case(number):
    case = _tracked_case_or_404(number)
    return render_for(case.jurisdiction.code, "public/case.html", case=case, view=public_case_view(case),
                      rate_form=RateForm(), can_rate=_can_rate(case))


def _can_rate(case: Case) -> bool:
    return engine.can_rate(case)


@bp.route("/track/<number>/rate", methods=["POST"])
@limiter.limit("10 per hour")
def rate(number):
    case = _tracked_case_or_404(number)
    form = RateForm()
    if not _can_rate(case):
        flash(_("This case cannot be rated now."), "error")
        return redirect(url_for("public.track_case", number=number))
    if not form.validate_on_submit():
        return render_for(case.jurisdiction.code, "public/case.html", case=case, view=public_case_view(case),
                          rate_form=form, can_rate=True), 422
    try:
        engine.rate(case, int(form.level.data), form.comment.data or "")
    except EngineError as e:
        flash(str(e.message), "error")
        return redirect(url_for("public.track_case", number=number))
    if int(form.level.data) <= 2:
        flash(_("Thank you. Your case goes back to be verified and put right; we will contact you again."), "info")
    else:
        flash(_("Thank you for your rating."), "info")
    return redirect(url_for("public.track_case", number=number))
