"""The public side: filing, receipts, tracking, rating (search and figures in sibling modules)."""
from flask import Blueprint

bp = Blueprint("public", __name__)

from . import filing, pages, transparency  # noqa: E402,F401
