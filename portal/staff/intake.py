"""Walk-in intake: a clerk files a case for the person at the window on the jurisdiction's
own form. Under first-contact responsibility (seed 001) the case's first receiver is whoever
first met the person: the clerk, or the staff member at the service window the person came from,
chosen from the jurisdiction's staff.

The receipt shows the access code once, as the public receipt does; it is stored only
hashed, so a lost code cannot be shown again.
"""
from __future__ import annotations

from flask import abort, current_app, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..engine import cases as engine
from ..extensions import db
from ..forms import extra_data
from ..models import ScreeningRecord, StaffUser
from ..privacy import redact
from ..public.attachments import AttachmentError, discard_files, validate_attachments, write_files
from ..public.filing import intake_form_for, screen
from ..public.views import public_case_view
from ..sealed import seal, unseal
from ..web import render_for
from . import bp
from .access import ASSIGN, capability_required, jurisdiction_or_404, visible_case_or_404, visible_jurisdictions

RECEIPT_KEY = "staff_receipt"
#: The access code waits sealed in the session (portal/sealed.py: the cookie is signed, not
#: encrypted) for the receipt that follows the filing at once; after this long it is refused.
RECEIPT_SECONDS = 15 * 60
_SEAL_PURPOSE = b"staff intake receipt access code"


def _windows(j):
    return [w for c in j.centres for w in c.windows]


def first_contact_choices(j) -> list[StaffUser]:
    """Who may be named as the person's first contact: the signed-in clerk first, then the
    jurisdiction's active staff (first-contact responsibility, seed 001: whoever first met the
    person, at a service window or here, stays responsible)."""
    others = db.session.scalars(select(StaffUser).where(
        StaffUser.jurisdiction_id == j.id, StaffUser.active.is_(True), StaffUser.id != current_user.id)
        .order_by(StaffUser.display_name, StaffUser.id)).all()
    return [current_user._get_current_object(), *others]


def _chosen_first_contact(choices, raw: str | None):
    """The chosen staff member, the clerk when nothing was chosen, None for a value not offered."""
    if not raw:
        return choices[0]
    return next((u for u in choices if str(u.id) == raw), None)


@bp.route("/intake", methods=["GET", "POST"])
@capability_required(ASSIGN)
def intake():
    j = jurisdiction_or_404(request.args.get("j"))
    form = intake_form_for(j, staff=True)
    windows = _windows(j)
    if not form.is_submitted():
        codes = [c.code for c in current_app.extensions["portal_plugins"].for_jurisdiction(j.code)
                 .portal_intake_channels()]
        form.channel.data = "window" if "window" in codes else (codes[0] if codes else None)
        if len(j.centres) == 1:
            form.centre.data = j.centres[0].code
    errors: list[str] = []
    refusal = None
    contacts = first_contact_choices(j)
    first_contact = _chosen_first_contact(contacts, request.form.get("first_contact"))
    if request.method == "POST" and first_contact is None:
        errors.append(_("Choose the first contact from the list: a staff member of this jurisdiction."))
    if form.validate_on_submit() and first_contact is not None:
        window = None
        if request.form.get("window"):
            window = next((w for w in windows if str(w.id) == request.form["window"]), None)
            if window is None:
                abort(400)
        refusal = screen(j, form)
        if refusal is not None and not request.form.get("file_anyway"):
            db.session.add(ScreeningRecord(jurisdiction_id=j.id, code=refusal.code,
                                           matter=redact(form.matter.data)[:200],
                                           reason=refusal.reason_zh, channel=refusal.channel_zh))
            db.session.commit()
        else:
            try:
                files = validate_attachments(request.files.getlist(form.attachments.name))
            except AttachmentError as e:
                errors.append(str(e))
            else:
                written = write_files(files)
                centre = next((c for c in j.centres if c.code == form.centre.data), None)
                if window is not None:
                    centre = window.centre
                try:
                    filed = engine.file_case(
                        jurisdiction=j, matter=form.matter.data, description=form.description.data,
                        channel=form.channel.data, centre_id=centre.id if centre else None,
                        window_id=window.id if window else None,
                        complainant={"name": form.name.data, "phone": form.phone.data,
                                     "id_number": form.id_number.data, "address": form.address.data},
                        extra=extra_data(form), attachments=written, receiver=current_user,
                        first_contact=first_contact,
                    )
                except Exception:
                    discard_files(written)
                    raise
                session[RECEIPT_KEY] = {"number": filed.case.number,
                                        "code": seal(filed.access_code, _SEAL_PURPOSE)}
                return redirect(url_for("staff.intake_receipt", number=filed.case.number), 303)
    status = 422 if request.method == "POST" and (errors or form.errors) else 200
    return render_for(j.code, "staff/intake.html", form=form, jurisdiction=j, jurisdictions=visible_jurisdictions(),
                           windows=windows, errors=errors, refusal=refusal,
                           chosen_window=request.form.get("window", ""), contacts=contacts,
                           chosen_contact=request.form.get("first_contact", "")), status


@bp.route("/intake/<number>/receipt")
@capability_required(ASSIGN)
def intake_receipt(number):
    case = visible_case_or_404(number)
    shown = session.get(RECEIPT_KEY)
    code = None
    if isinstance(shown, dict) and shown.get("number") == number:
        code = unseal(shown.get("code"), _SEAL_PURPOSE, max_age=RECEIPT_SECONDS)
        session.pop(RECEIPT_KEY)
    return render_for(case.jurisdiction.code, "staff/receipt.html", case=case, code=code, view=public_case_view(case))
