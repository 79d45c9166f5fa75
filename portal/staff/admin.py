"""The administration home and the audit log (staff actions and security events) of the administrator's
jurisdictions (and changes to national data, which every jurisdiction counts with), filtered by
kind, user, dates and address."""
from __future__ import annotations

from flask import render_template, request
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from .. import security_log
from ..models import AuditLog
from . import audit_filter, bp
from .access import ADMINISTER, capability_required

PAGE = 100


@bp.route("/admin/")
@capability_required(ADMINISTER)
def admin_home():
    return render_template("staff/admin/index.html")


@bp.route("/admin/audit")
@capability_required(ADMINISTER)
def admin_audit():
    cond = audit_filter.visible()
    chosen = audit_filter.parse(request.args)
    where = [cond, *chosen.conditions]
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    total = db.session.scalar(select(func.count(AuditLog.id)).where(*where))
    page = min(page, max(1, -(-total // PAGE)))  # past the last page: the last page (no huge OFFSET)
    rows = db.session.scalars(select(AuditLog).where(*where)
                              .options(joinedload(AuditLog.actor), joinedload(AuditLog.target_jurisdiction))
                              .order_by(AuditLog.at.desc(), AuditLog.id.desc())
                              .offset((page - 1) * PAGE).limit(PAGE)).all()
    actions = db.session.scalars(select(AuditLog.action).where(cond).distinct().order_by(AuditLog.action)).all()
    labels = {code: str(label) for code, label in security_log.ACTIONS.items()}
    return render_template("staff/admin/audit.html", rows=rows, total=total, page=page, per_page=PAGE,
                           args=chosen.args, errors=chosen.errors, labels=labels,
                           actions=sorted(set(actions) | set(labels))), 422 if chosen.errors else 200
