"""JSON endpoints: plugin listing for administrators (Datasette's /-/plugins.json idea)."""
from dataclasses import asdict

from flask import Blueprint, abort, current_app, jsonify
from flask_login import current_user, login_required

from ..vocabulary import can

bp = Blueprint("api", __name__)


@bp.route("/plugins.json")
@login_required
def plugins_json():
    if not can(current_user.role, "administer"):
        abort(403)
    host = current_app.extensions["portal_plugins"]
    return jsonify([asdict(p) for p in host.describe()])
