"""Administration of service guides: the list and the CSV/JSON import with its dry run."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectField

from ..extensions import db
from ..i18n import pick
from ..knowledge.indexing import catch_up
from ..models import ServiceGuide
from . import bp
from .access import ADMINISTER, audit, capability_required, visible_ids, visible_jurisdictions
from .guides_import import COLUMNS, GuideFileError, apply, plan, read_file

MAX_BYTES = 5 * 1024 * 1024


class ImportForm(FlaskForm):
    jurisdiction = SelectField(_l("Jurisdiction"), coerce=int)
    file = FileField(_l("Guides file (.csv or .json)"), validators=[FileRequired()])


@bp.route("/admin/guides", methods=["GET", "POST"])
@capability_required(ADMINISTER)
def admin_guides():
    js = visible_jurisdictions()
    form = ImportForm()
    form.jurisdiction.choices = [(j.id, pick(j, "name")) for j in js]
    result, error, applied = None, None, False
    if form.validate_on_submit():
        j = next((x for x in js if x.id == form.jurisdiction.data), None)
        upload = form.file.data
        raw = upload.read(MAX_BYTES + 1)
        try:
            if len(raw) > MAX_BYTES:
                raise GuideFileError(_("The file is larger than 5 MB."))
            rows = read_file(upload.filename, raw)
            result = plan(j, rows)
            if request.form.get("apply") and result.ok:
                apply(j, result, note=_("Imported from %(file)s", file=upload.filename[:80]))
                audit("guides.import", f"file:{upload.filename[:80]}", j.id, new=len(result.new),
                      new_versions=len(result.changed), unchanged=len(result.unchanged))
                db.session.commit()
                catch_up()
                applied = True
        except GuideFileError as e:
            db.session.rollback()
            error = str(e)
    guides = db.session.scalars(select(ServiceGuide).where(ServiceGuide.jurisdiction_id.in_(visible_ids()))
                                .options(selectinload(ServiceGuide.versions), selectinload(ServiceGuide.department))
                                .order_by(ServiceGuide.jurisdiction_id, ServiceGuide.code).limit(500)).all()
    status = 422 if request.method == "POST" and (error or form.errors or (result and not result.ok)) else 200
    return render_template("staff/admin/guides.html", form=form, guides=guides, result=result, error=error,
                           applied=applied, columns=COLUMNS), status
