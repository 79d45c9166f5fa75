"""Transparency figures per jurisdiction (live counts; see portal/stats for the roll-ups)."""
from __future__ import annotations

from flask import render_template
from sqlalchemy import func, select

from ..extensions import db
from ..models import Case
from ..registry import enabled_jurisdictions
from . import bp


@bp.route("/transparency")
def transparency():
    js = enabled_jurisdictions()
    counts = dict(db.session.execute(select(Case.jurisdiction_id, func.count()).group_by(Case.jurisdiction_id)).all())
    return render_template("public/transparency.html", rows=[(j, counts.get(j.id, 0)) for j in js])
