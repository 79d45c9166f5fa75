"""The bare reference for the filing benchmark: Flask + Flask-SQLAlchemy inserting a row
comparable to a case, nothing else (no CSRF, sessions, templates, numbering, hashing,
deadlines, events or roll-ups).

    BENCH_BARE_DATABASE_URL=postgresql+psycopg://... gunicorn bench.bare_app:app
"""
from __future__ import annotations

import os
import secrets
from datetime import datetime, timezone

from flask import Flask, redirect, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["BENCH_BARE_DATABASE_URL"]
db = SQLAlchemy(app)

FORM = """<!doctype html><title>file</title><form method="post" action="/file">
<input name="matter"><textarea name="description"></textarea><input name="name"><input name="phone">
<button>Submit</button></form>"""


class BareFiling(db.Model):
    __tablename__ = "bare_filing"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    matter: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    complainant_name: Mapped[str] = mapped_column(String(80))
    complainant_phone: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(30))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@app.get("/file")
def form():
    return FORM


@app.post("/file")
def file():
    f = request.form
    row = BareFiling(number="B-" + secrets.token_hex(8), matter=f.get("matter", ""),
                     description=f.get("description", ""), complainant_name=f.get("name", ""),
                     complainant_phone=f.get("phone", ""), state="received",
                     received_at=datetime.now(timezone.utc))
    db.session.add(row)
    db.session.commit()
    return redirect(f"/receipt/{row.number}", 303)


with app.app_context():
    db.create_all()
