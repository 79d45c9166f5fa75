"""The administration home and the audit log of staff actions in the administrator's jurisdictions
(and of changes to national data, which every jurisdiction counts with)."""
from __future__ import annotations

from flask import render_template, request
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import AuditLog
from . import bp
from .access import ADMINISTER, audit_visible, capability_required

PAGE = 100


@bp.route("/admin/")
@capability_required(ADMINISTER)
def admin_home():
    return render_template("staff/admin/index.html")


@bp.route("/admin/audit")
@capability_required(ADMINISTER)
def admin_audit():
    cond = audit_visible()
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    total = db.session.scalar(select(func.count(AuditLog.id)).where(cond))
    page = min(page, max(1, -(-total // PAGE)))  # past the last page: the last page (no huge OFFSET)
    rows = db.session.scalars(select(AuditLog).where(cond).options(joinedload(AuditLog.actor))
                              .order_by(AuditLog.at.desc(), AuditLog.id.desc())
                              .offset((page - 1) * PAGE).limit(PAGE)).all()
    return render_template("staff/admin/audit.html", rows=rows, total=total, page=page, per_page=PAGE)
