"""The staff workspace: login, queue, case page and actions; one jurisdiction (subtree) each."""
from flask import Blueprint

bp = Blueprint("staff", __name__)

from . import auth, cases  # noqa: E402,F401
