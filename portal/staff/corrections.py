"""From one case to one class of cases: the pages over the correction pipeline.

Staff propose a guide correction (or a solution practice) from a case; the responsible
department confirms and records the fix; a supervisor publishes, which writes the new
guide version, the public knowledge entry and the index (``knowledge.pipeline``).
"""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..engine.errors import EngineError
from ..extensions import db
from ..i18n import pick
from ..knowledge import pipeline
from ..models import Department, GuideCorrection, KnowledgeEntry, ServiceGuide
from . import bp
from .access import ACT, READ, audit, capability_required, scoped_or_404, visible_case_or_404, visible_ids

FIELD_LABELS = {
    "materials": _l("Materials"),
    "conditions": _l("Conditions"),
    "fees": _l("Fees"),
    "contact": _l("Contact"),
    "place": _l("Place and hours"),
    "time_limit": _l("Time limit"),
}
STATE_LABELS = {
    "proposed": _l("Proposed"),
    "confirmed": _l("Confirmed by the department"),
    "fixed": _l("Fix recorded"),
    "published": _l("Published"),
    "rejected": _l("Rejected"),
}
KIND_CHOICES = [("correction", _l("Guide correction")), ("practice", _l("Solution practice"))]


class ProposeForm(FlaskForm):
    # choices are set per form (WTForms 3.3 deprecates tuple choices in declarations)
    kind = RadioField(_l("What is it?"), default="correction", validators=[DataRequired()])
    guide = SelectField(_l("Service guide"), coerce=int, validators=[Optional()])
    field = SelectField(_l("Field of the guide"), validators=[Optional()])
    wrong_text = TextAreaField(_l("Wrong text (as the guide says it now)"), validators=[Optional(), Length(max=2000)])
    corrected_text = TextAreaField(_l("Corrected text"), validators=[Optional(), Length(max=2000)])
    cause = TextAreaField(_l("Cause"), validators=[DataRequired(), Length(max=2000)],
                          description=_l("Why the person could not get it done, e.g. the one-time notice was inaccurate."))
    department = SelectField(_l("Responsible department"), coerce=int, validators=[Optional()])
    title = StringField(_l("Title (Chinese)"), validators=[DataRequired(), Length(max=200)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=240)])
    summary = TextAreaField(_l("Summary for the public (Chinese)"), validators=[Optional(), Length(max=4000)])
    summary_en = TextAreaField(_l("Summary for the public (English)"), validators=[Optional(), Length(max=4000)])


class StepForm(FlaskForm):
    """CSRF only; the note comes from the same POST."""


def _propose_form(case) -> ProposeForm:
    form = ProposeForm()
    form.kind.choices = KIND_CHOICES
    form.field.choices = list(FIELD_LABELS.items())
    guides = db.session.scalars(select(ServiceGuide).where(ServiceGuide.jurisdiction_id == case.jurisdiction_id)
                                .order_by(ServiceGuide.matter)).all()
    form.guide.choices = [(0, _("No guide (solution practice)"))] + [(g.id, g.matter) for g in guides]
    form.department.choices = [(0, _("The guide's department"))] + \
        [(d.id, pick(d, "name")) for d in case.jurisdiction.departments]
    if not form.is_submitted():
        form.guide.data = case.guide_id or 0
        form.department.data = case.lead_department_id or 0
    return form


@bp.route("/cases/<number>/propose", methods=["GET", "POST"])
@capability_required(ACT)
def propose(number):
    case = visible_case_or_404(number)
    form = _propose_form(case)
    error = None
    if form.validate_on_submit():
        guide = db.session.get(ServiceGuide, form.guide.data) if form.guide.data else None
        if guide is not None and guide.jurisdiction_id != case.jurisdiction_id:
            abort(400)
        dept = db.session.get(Department, form.department.data) if form.department.data else None
        if dept is not None and dept.jurisdiction_id != case.jurisdiction_id:
            abort(400)
        try:
            c = pipeline.propose(
                user=current_user, case=case, guide=guide, kind=form.kind.data, field=form.field.data or "",
                wrong_text=form.wrong_text.data or "", corrected_text=form.corrected_text.data or "",
                cause=form.cause.data or "", title=form.title.data or "", title_en=form.title_en.data or "",
                summary=form.summary.data or "", summary_en=form.summary_en.data or "",
                department_id=dept.id if dept else None,
            )
        except EngineError as e:
            db.session.rollback()
            error = str(e.message)
        else:
            audit("correction.propose", f"correction:{c.id}", c.jurisdiction_id, case=case.number, kind=c.kind)
            db.session.commit()
            flash(_("Proposed. The responsible department is asked to confirm it."), "info")
            return redirect(url_for("staff.correction_page", correction_id=c.id), 303)
    guide = db.session.get(ServiceGuide, case.guide_id) if case.guide_id else None
    status = 422 if request.method == "POST" else 200
    return render_template("staff/propose.html", case=case, form=form, guide=guide, error=error,
                           field_labels=FIELD_LABELS), status


@bp.route("/corrections")
@capability_required(READ)
def corrections():
    q = select(GuideCorrection).where(GuideCorrection.jurisdiction_id.in_(visible_ids()))
    state = request.args.get("state")
    if state in STATE_LABELS:
        q = q.where(GuideCorrection.state == state)
    rows = db.session.scalars(q.options(selectinload(GuideCorrection.department),
                                        selectinload(GuideCorrection.jurisdiction))
                              .order_by(GuideCorrection.id.desc()).limit(200)).all()
    return render_template("staff/corrections.html", rows=rows, state=state, state_labels=STATE_LABELS)


def _steps_for(c: GuideCorrection) -> list[str]:
    """The steps to offer this user now; the pipeline checks them again on POST."""
    return pipeline.steps_open(c, current_user)


@bp.route("/corrections/<int:correction_id>")
@capability_required(READ)
def correction_page(correction_id):
    c = scoped_or_404(db.session.get(GuideCorrection, correction_id))
    guide = db.session.get(ServiceGuide, c.guide_id) if c.guide_id else None
    entry = db.session.scalar(select(KnowledgeEntry).where(KnowledgeEntry.correction_id == c.id))
    return render_template("staff/correction.html", c=c, guide=guide, entry=entry, steps=_steps_for(c),
                           form=StepForm(), field_labels=FIELD_LABELS, state_labels=STATE_LABELS)


STEPS = {
    "confirm": lambda c, note: pipeline.confirm(c, current_user),
    "fix": lambda c, note: pipeline.record_fix(c, current_user, note),
    "publish": lambda c, note: pipeline.publish(c, current_user),
    "reject": lambda c, note: pipeline.reject(c, current_user, note),
}


@bp.route("/corrections/<int:correction_id>/<step>", methods=["POST"])
@capability_required(READ)
def correction_step(correction_id, step):
    c = scoped_or_404(db.session.get(GuideCorrection, correction_id))
    if step not in STEPS:
        abort(404)
    if not StepForm().validate_on_submit():
        abort(400)
    note = (request.form.get("note") or "").strip()
    if step == "reject" and not note:
        flash(_("Say why the proposal is rejected."), "error")
        return redirect(url_for("staff.correction_page", correction_id=c.id), 303)
    try:
        STEPS[step](c, note)
    except EngineError as e:
        db.session.rollback()
        flash(str(e.message), "error")
        return redirect(url_for("staff.correction_page", correction_id=c.id), 303)
    audit(f"correction.{step}", f"correction:{c.id}", c.jurisdiction_id, note=note[:200])
    db.session.commit()
    current_app.logger.info("correction %s: %s by %s", c.id, step, current_user.username)
    flash({"confirm": _("Confirmed."), "fix": _("Fix recorded."), "publish": _("Published: the guide, the knowledge base and the search index are updated."),
           "reject": _("Rejected.")}[step], "info")
    return redirect(url_for("staff.correction_page", correction_id=c.id), 303)
