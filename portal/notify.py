"""Notifications through a small backend interface with working local backends.

Backends: ``log`` (the app logger), ``file`` (an e-mail-like outbox file, the default),
``smtp`` (a real mail server). An SMS gateway can be added as another backend class.
Every notice is stored once under a dedupe key, which keeps cron sweeps idempotent.
"""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .extensions import db
from .models import Notification, StaffUser


class LogBackend:
    def send(self, recipient: StaffUser | None, subject: str, body: str) -> None:
        current_app.logger.info("notify %s: %s", recipient.username if recipient else "-", subject)


class FileBackend:
    def __init__(self, path: str):
        self.path = Path(path)

    def send(self, recipient, subject, body):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            to = recipient.email or recipient.username if recipient else "-"
            fh.write(f"To: {to}\nSubject: {subject}\n\n{body}\n---\n")


class SMTPBackend:
    def __init__(self, host: str, sender: str = "noreply@localhost"):
        self.host, self.sender = host, sender

    def send(self, recipient, subject, body):
        if recipient is None or not recipient.email:
            return
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.sender, recipient.email, subject
        msg.set_content(body)
        with smtplib.SMTP(self.host, timeout=10) as smtp:
            smtp.send_message(msg)


def backend():
    app = current_app
    if "portal_notify_backend" not in app.extensions:
        if app.config.get("PORTAL_SMTP_HOST"):
            app.extensions["portal_notify_backend"] = SMTPBackend(app.config["PORTAL_SMTP_HOST"])
        elif app.config.get("PORTAL_MAIL_FILE"):
            app.extensions["portal_notify_backend"] = FileBackend(app.config["PORTAL_MAIL_FILE"])
        else:
            app.extensions["portal_notify_backend"] = LogBackend()
    return app.extensions["portal_notify_backend"]


def notify(key: str, recipients, kind: str, subject: str, body: str = "", case=None) -> int:
    """Send once per (key, recipient); returns how many were newly sent."""
    sent = 0
    for user in recipients:
        dedupe = f"{key}:{user.id if user else '-'}"
        if db.session.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe)):
            continue
        try:
            with db.session.begin_nested():
                db.session.add(Notification(dedupe_key=dedupe, case_id=case.id if case else None,
                                            recipient_id=user.id if user else None, kind=kind,
                                            subject=subject, body=body))
        except IntegrityError:
            continue  # another worker sent it
        backend().send(user, subject, body)
        sent += 1
    db.session.commit()
    return sent


def staff_of(case, roles=("supervisor",), department_id=None):
    q = select(StaffUser).where(StaffUser.jurisdiction_id == case.jurisdiction_id,
                                StaffUser.active.is_(True), StaffUser.role.in_(roles))
    if department_id is not None:
        q = q.where(StaffUser.department_id == department_id)
    return db.session.scalars(q).all()


def on_case_event(case, ev) -> None:
    """Tell the people concerned: the lead department when assigned, the receiver when answered."""
    if ev.action == "assign" and case.lead_department_id:
        notify(f"assign:{ev.id}", staff_of(case, ("handler",), case.lead_department_id), "assigned",
               f"[{case.number}] assigned to your department", case.matter, case)
    elif ev.action in ("reply", "refer"):
        people = [case.first_receiver] if case.first_receiver else staff_of(case, ("supervisor",))
        notify(f"reply:{ev.id}", people, "answered", f"[{case.number}] answered", case.matter, case)
    elif ev.action == "rate_bad":
        notify(f"badrating:{ev.id}", staff_of(case, ("supervisor",)), "bad_rating",
               f"[{case.number}] bad rating: verify and rectify", case.matter, case)
