"""JSON endpoints: plugin listing for administrators (Datasette's /-/plugins.json idea)."""
from dataclasses import asdict

from flask import Blueprint, abort, current_app, jsonify
from flask_login import current_user, login_required

bp = Blueprint("api", __name__)


@bp.route("/plugins.json")
@login_required
def plugins_json():
    if current_user.role != "admin":
        abort(403)
    host = current_app.extensions["portal_plugins"]
    return jsonify([asdict(p) for p in host.describe()])
