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
from .hookspecs import hookimpl
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


class SMTPSettingError(RuntimeError):
    """The SMTP settings would send mail (and staff passwords' owners' notices) in clear."""


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


class SMTPBackend:
    """A real mail server: STARTTLS (or implicit TLS) with a verified certificate, and login when a
    user is configured. Plain text only to a relay on this machine (``PORTAL_SMTP_TLS=none`` with a
    loopback host). Subject and body are redacted (privacy.redact) before they leave: a notice
    carries a case number and its matter, and a matter typed by the public may hold a phone number."""

    def __init__(self, host: str, port: int = 587, tls: str = "starttls", user: str = "", password: str = "",
                 sender: str = "noreply@localhost", ssl_context=None, timeout: float = 10):
        if tls not in ("starttls", "ssl", "none"):
            raise SMTPSettingError(f"PORTAL_SMTP_TLS must be starttls, ssl or none, not {tls!r}.")
        if tls == "none" and host not in LOOPBACK_HOSTS:
            raise SMTPSettingError("Refusing to send mail without TLS to another machine: set PORTAL_SMTP_TLS "
                                   "to starttls or ssl (plain text is allowed only to a relay on loopback).")
        self.host, self.port, self.tls, self.user, self.password = host, int(port), tls, user, password
        self.sender, self.ssl_context, self.timeout = sender, ssl_context, timeout

    def _connect(self):
        import ssl

        context = self.ssl_context or ssl.create_default_context()
        if self.tls == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.tls == "starttls":
            smtp.starttls(context=context)  # raises when the server offers no STARTTLS
        return smtp

    def send(self, recipient, subject, body):
        from .privacy import redact

        if recipient is None or not recipient.email:
            return
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.sender, recipient.email, redact(subject)
        msg.set_content(redact(body))
        with self._connect() as smtp:
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(msg)


def backend():
    app = current_app
    if "portal_notify_backend" not in app.extensions:
        if app.config.get("PORTAL_SMTP_HOST"):
            c = app.config
            app.extensions["portal_notify_backend"] = SMTPBackend(
                c["PORTAL_SMTP_HOST"], c["PORTAL_SMTP_PORT"], c["PORTAL_SMTP_TLS"], c["PORTAL_SMTP_USER"],
                c["PORTAL_SMTP_PASSWORD"], c["PORTAL_SMTP_SENDER"])
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


def _ancestor_ids(jurisdiction) -> list[int]:
    out, j = [], jurisdiction.parent
    while j is not None:
        out.append(j.id)
        j = j.parent
    return out


def staff_of(case, capability: str = "supervise", department_id=None):
    """Active staff of the case's jurisdiction whose role has ``capability`` (the core's roles and
    its plugin's, see portal/vocabulary.py), plus those of higher jurisdictions who see the subtree
    (a city supervisor hears of a district's case)."""
    from .vocabulary import current

    return _staff_in_roles(case, current().roles_with(capability), department_id)


def _staff_in_roles(case, roles, department_id=None):
    from sqlalchemy import and_, or_

    here = StaffUser.jurisdiction_id == case.jurisdiction_id
    above = _ancestor_ids(case.jurisdiction) if department_id is None else []
    scope = or_(here, and_(StaffUser.jurisdiction_id.in_(above), StaffUser.sees_subtree.is_(True))) if above else here
    q = select(StaffUser).where(scope, StaffUser.active.is_(True), StaffUser.role.in_(roles))
    if department_id is not None:
        q = q.where(StaffUser.department_id == department_id)
    return db.session.scalars(q.order_by(StaffUser.id)).all()


def department_handlers(case, include_co: bool = True) -> list[StaffUser]:
    """The staff of the lead department and, when asked, of the co-handling departments: users
    of the department whose role is a department role (the core's handler, or a plugin's)."""
    from .vocabulary import current

    ids = ([case.lead_department_id] if case.lead_department_id else []) + \
        ([d.id for d in case.co_departments] if include_co else [])
    people: dict[int, StaffUser] = {}
    for dep in ids:
        for u in _staff_in_roles(case, current().department_roles(), dep):
            people.setdefault(u.id, u)
    return list(people.values())


def unique(*groups) -> list[StaffUser]:
    seen: dict[int, StaffUser] = {}
    for group in groups:
        for u in group or ():
            if u is not None and u.active:
                seen.setdefault(u.id, u)
    return list(seen.values())


class CaseNotifier:
    """The staff notices as a subscriber of ``portal_case_transitioned``, like any plugin's: the
    engine only announces that an action was committed. ``PluginHost`` registers it beside the core
    defaults for every jurisdiction; it answers first, so a plugin's failing subscriber does not
    cost anybody a notice."""

    @hookimpl(tryfirst=True)
    def portal_case_transitioned(self, jurisdiction, case, event):
        on_case_event(case, event)


def on_case_event(case, ev) -> None:
    """Tell the people concerned: the departments when assigned, the first receiver (or the
    supervisors) when answered, supervisors and lead department when a bad rating sends it back;
    and the first receiver of every other step (first-contact responsibility)."""
    from flask_babel import gettext as _

    body = f"{case.number}\n{case.matter}"
    told: list = []
    if ev.action == "assign" and case.lead_department_id:
        told = department_handlers(case)
        notify(f"assign:{ev.id}", told, "assigned",
               _("[%(number)s] assigned to your department", number=case.number), body, case)
    elif ev.action in ("reply", "refer"):
        # Xuanwu's first-contact responsibility: whoever received it first hears how it ended;
        # a case filed online has no first receiver, so the supervisors hear instead.
        told = unique([case.first_receiver]) or staff_of(case, "supervise")
        notify(f"reply:{ev.id}", told, "answered", _("[%(number)s] answered", number=case.number), body, case)
    elif ev.action == "rate_bad":
        told = unique(staff_of(case, "supervise"), department_handlers(case, False))
        notify(f"badrating:{ev.id}", told,
               "bad_rating", _("[%(number)s] bad rating: verify and rectify", number=case.number), body, case)
    _tell_first_contact(case, ev, told)


#: Steps the first receiver is not told of: the filing itself (they took it or were named on it)
#: and internal notes (not a step of the case).
NOT_A_STEP = frozenset({"file", "note"})
#: What the overdue sweep does by itself (flag, escalate): it tells the first receiver in its own
#: "overdue" notice, once per clock, so these are not told again as steps.
SWEEP_STEPS = frozenset({"flag_overdue", "escalate"})


def _tell_first_contact(case, ev, told) -> None:
    """First-contact responsibility (首问负责制, seed 001): the staff member who first received the
    matter stays responsible after it moves on, so they hear of every step of the case, unless
    they took it themselves or were already told of it."""
    from flask_babel import gettext as _

    first = case.first_receiver
    if first is None or not first.active or ev.action in NOT_A_STEP or ev.actor_id == first.id:
        return
    if ev.actor_role == "system" and ev.action in SWEEP_STEPS:
        return
    if any(u is not None and u.id == first.id for u in told):
        return
    from .i18n import pick

    workflow = current_app.extensions["portal_plugins"].for_jurisdiction(case.jurisdiction.code).portal_workflow()
    step = workflow.transition(ev.action)
    notify(f"firstcontact:{ev.id}", [first], "first_contact",
           _("[%(number)s] %(step)s (a case you received first)", number=case.number,
             step=pick(step, "label") if step is not None else ev.action),
           f"{case.number}\n{case.matter}", case)
