"""The staff workspace: login, queue, case page and actions; one jurisdiction (subtree) each."""
from flask import Blueprint

bp = Blueprint("staff", __name__)

from . import (  # noqa: E402,F401
    accountability,
    admin,
    admin_calendar,
    admin_guides,
    admin_org,
    admin_users,
    auth,
    cases,
    corrections,
    intake,
    passwords,
    queue,
    replies,
    reports,
)
