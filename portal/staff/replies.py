"""Canned replies per category: a starting text the staff member edits before sending.

The jurisdiction plugin's category outcome text is always offered; supervisors and
administrators add and edit their own jurisdiction's texts here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..extensions import db
from ..i18n import pick
from ..models import CannedReply, Jurisdiction
from . import bp
from .access import ADMINISTER, SUPERVISE, audit, capability_required, jurisdiction_or_404, scoped_or_404, visible_ids


@dataclass
class Reply:
    key: str
    title: str
    body: str


def replies_for(case, hooks) -> list[Reply]:
    """This category's own texts first, then the jurisdiction's general ones, then the plugin's."""
    rows = db.session.scalars(select(CannedReply).where(
        CannedReply.jurisdiction_id == case.jurisdiction_id, CannedReply.active.is_(True),
        CannedReply.category.in_([case.category or "", ""])).order_by(CannedReply.category.desc(), CannedReply.id)).all()
    out = [Reply(str(r.id), r.title, r.body) for r in rows]
    for c in hooks.portal_categories():
        if c.code == case.category:
            if c.outcome_zh:
                out.append(Reply("plugin-zh", f"{c.name_zh}（{_('standard text')}）", c.outcome_zh))
            if c.outcome_en:
                out.append(Reply("plugin-en", f"{c.name_en} ({_('standard text, English')})", c.outcome_en))
    return out


class ReplyForm(FlaskForm):
    category = SelectField(_l("Category"), coerce=str)
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=120)])
    body = TextAreaField(_l("Reply text"), validators=[DataRequired(), Length(max=4000)])
    active = BooleanField(_l("Offered on the case page"), default=True)


def _form(j, obj=None) -> ReplyForm:
    form = ReplyForm(obj=obj)
    cats = current_app.extensions["portal_plugins"].for_jurisdiction(j.code).portal_categories()
    form.category.choices = [("", _("Any category"))] + [(c.code, pick(c, "name")) for c in cats]
    return form


@bp.route("/replies", methods=["GET", "POST"])
@capability_required(SUPERVISE, ADMINISTER)
def replies():
    j = jurisdiction_or_404(request.args.get("j"))
    form = _form(j)
    if form.validate_on_submit():
        row = CannedReply(jurisdiction_id=j.id, category=form.category.data, title=form.title.data.strip(),
                          body=form.body.data.strip(), active=form.active.data, updated_by_id=current_user.id,
                          updated_at=datetime.now(timezone.utc))
        db.session.add(row)
        db.session.flush()
        audit("canned_reply.create", f"canned_reply:{row.id}", j.id, title=row.title, category=row.category)
        db.session.commit()
        flash(_("Canned reply saved."), "info")
        return redirect(url_for("staff.replies", j=j.code), 303)
    rows = db.session.scalars(select(CannedReply).where(CannedReply.jurisdiction_id.in_(visible_ids()))
                              .order_by(CannedReply.jurisdiction_id, CannedReply.category, CannedReply.id)).all()
    return render_template("staff/replies.html", rows=rows, form=form, jurisdiction=j), \
        422 if request.method == "POST" else 200


@bp.route("/replies/<int:reply_id>", methods=["GET", "POST"])
@capability_required(SUPERVISE, ADMINISTER)
def reply_edit(reply_id):
    row = scoped_or_404(db.session.get(CannedReply, reply_id))
    j = db.session.get(Jurisdiction, row.jurisdiction_id)
    form = _form(j, obj=row)
    if form.validate_on_submit():
        row.category, row.title, row.body = form.category.data, form.title.data.strip(), form.body.data.strip()
        row.active, row.updated_by_id = form.active.data, current_user.id
        row.updated_at = datetime.now(timezone.utc)
        audit("canned_reply.update", f"canned_reply:{row.id}", j.id, title=row.title, active=row.active)
        db.session.commit()
        flash(_("Canned reply saved."), "info")
        return redirect(url_for("staff.replies", j=j.code), 303)
    return render_template("staff/reply_edit.html", row=row, form=form, jurisdiction=j), \
        422 if request.method == "POST" else 200
