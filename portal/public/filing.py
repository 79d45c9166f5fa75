"""File a complaint on the jurisdiction's own form, get a receipt, track it, rate it.

Filing order: the jurisdiction's scope screening runs as soon as the matter and the
description are readable (nobody has to give a name and phone number to learn that
the window cannot take their matter); then the whole form and the attachments are
validated together, so every problem is listed at once; then files are written under
generated names and the case with its attachment rows is committed in one transaction.
If anything fails, the files are removed and nothing of the case is left.

Every form rendering carries a one-time submission id kept in the session. With CSRF
protection on, a submission id that is not open (a replay after the receipt came back)
is refused with a 400 page that points to the receipt of the case already filed. Two
requests of the same form at the same instant (a double-click: both carry the same
session, in which the id is still open) are caught by the database: the case stores the
id's keyed hash under a unique index, the second insert fails, is rolled back, and that
request is sent to the first one's receipt, with the same access code (derived from the
id, see portal/engine/numbering.py). Never a second case, never a 500.
"""
from __future__ import annotations

import secrets
import time

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms import SelectChoice

from .. import security_log
from ..engine import cases as engine
from ..engine.errors import EngineError
from ..engine.numbering import access_code_for_submission, check_access_code, hash_access_code, submission_key
from ..extensions import db, limiter
from ..forms import CONTACT_FIELDS, MATTER_FIELDS, IntakeForm, RateForm, TrackForm, extra_data, extra_fields
from ..i18n import pick
from ..models import Attachment, Case, Jurisdiction, ScreeningRecord
from ..privacy import redact
from ..registry import enabled_jurisdictions
from ..web import render_for
from . import bp
from .attachments import AttachmentError, discard_files, validate_attachments, write_files
from . import case_limits, jurisdiction_cache, kept_cases
from .jurisdiction_cache import jurisdiction_with_centres
from .views import public_case_view

OPEN_SUBMISSIONS_MAX = 10
#: Compared against when the case number does not exist, so a wrong number takes as long
#: to refuse as a wrong code and the timing reveals nothing.
_DUMMY_HASH = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_access_code(secrets.token_hex(8))
    return _DUMMY_HASH


def _enabled_codes() -> set[str]:
    return {s.code for s in current_app.extensions["portal_plugins"].jurisdiction_specs()}


def _jurisdiction_or_404(code: str, fresh: bool = False) -> Jurisdiction:
    """The enabled jurisdiction with its centres (kept per process for a few seconds, see
    jurisdiction_cache). Enabled means owned by an enabled plugin (what
    ``enabled_jurisdictions()`` checks, without loading every row)."""
    if code not in _enabled_codes():
        abort(404)
    j = jurisdiction_with_centres(code, fresh=fresh)
    if j is None:
        abort(404)
    return j


def _hooks(j: Jurisdiction):
    return current_app.extensions["portal_plugins"].for_jurisdiction(j.code)


def intake_form_for(j: Jurisdiction, staff=False):
    """The jurisdiction's own form class (hook) with centre and channel choices filled in."""
    hooks = _hooks(j)
    form_cls = hooks.portal_intake_form(base=IntakeForm)
    form = form_cls()
    form.centre.choices = [SelectChoice("", _("Not sure"))] + [SelectChoice(c.code, pick(c, "name"))
                                                                for c in j.centres]
    channels = hooks.portal_intake_channels()
    if staff:
        form.channel.choices = [SelectChoice(c.code, pick(c, "name")) for c in channels]
    else:
        form.channel.choices = [SelectChoice(c.code, pick(c, "name")) for c in channels if c.code == "online"] or \
            [SelectChoice("online", _("Online"))]
        # The public files online: the channel is not the person's to choose.
        form.channel.data = form.channel.choices[0].value
    return form


@bp.before_request
def _forget_expired_cases():
    """A kiosk's next visitor finds the cases of the one before forgotten (see kept_cases)."""
    kept_cases.forget_if_expired()


def _csrf_on() -> bool:
    return bool(current_app.config.get("WTF_CSRF_ENABLED", True))


def _open_submission() -> str:
    token = secrets.token_urlsafe(16)
    session["open_submissions"] = (session.get("open_submissions", []) + [token])[-OPEN_SUBMISSIONS_MAX:]
    return token


@bp.route("/file")
def choose_jurisdiction():
    js = enabled_jurisdictions()
    top = [j for j in js if j.parent is None or j.parent not in js]
    children = {j.id: [c for c in js if c.parent_id == j.id] for j in js}
    return render_template("public/choose.html", jurisdictions=js, top=top, children=children)


def screen(j: Jurisdiction, form):
    """Run the jurisdiction's scope screening; the first refusal wins."""
    results = _hooks(j).portal_screen_case(matter=form.matter.data or "", description=form.description.data or "",
                                           data=extra_data(form))
    return next((r for r in results if r is not None), None)


def _render_form(j, form, submission, status=200):
    return render_for(j.code, "public/file.html", jurisdiction=j, form=form, submission=submission,
                      matter_fields=[form[n] for n in MATTER_FIELDS if n in form],
                      extra=extra_fields(form), contact_fields=[form[n] for n in CONTACT_FIELDS if n in form],
                      files_dropped=bool(request.method == "POST" and any(
                          f.filename for f in request.files.getlist("attachments")))), status


#: Blank forms kept rendered per process (see _blank_form): how long one is served, how many.
FORM_CACHE_SECONDS = jurisdiction_cache.TTL_SECONDS  # the form and its jurisdiction go stale together
FORM_CACHE_MAX = 128
_CSRF_MARK, _SUBMISSION_MARK = "\x00csrf\x00", "\x00submission\x00"


def _form_cache_key(code: str):
    """What a blank form's page depends on besides the jurisdiction's centres and the two tokens;
    None when the page must be rendered afresh (a logged-in staff user, a flashed message)."""
    from flask_babel import get_locale
    from flask_login import current_user

    from ..workdays import SHANGHAI
    from ..engine.cases import utcnow

    if session.get("_flashes") or current_user.is_authenticated:
        return None
    return (code, str(get_locale()), request.cookies.get("large"), request.script_root, request.full_path,
            request.host, utcnow().astimezone(SHANGHAI).date(), _csrf_on())


def _cached_blank_form(code: str):
    """A GET of the form served from the cache (no database work at all), or None.

    Rendering the form (Jinja, WTForms widgets, a few hundred translated strings) and loading
    the jurisdiction with its centres are nearly all of a GET's time, and the page is the same
    for everyone asking in the same language, at the same address, with the same text size, on
    the same day: only the CSRF token and the one-time submission id differ, and they are put
    into the cached rendering. A rendering is served for FORM_CACHE_SECONDS, so a change of the
    jurisdiction's centres (a deployment, ``flask portal sync-jurisdictions``) shows within that
    time; a filing takes the jurisdiction and its centres from jurisdiction_cache (kept as long,
    reloaded when the form names a centre the copy does not know)."""
    key = _form_cache_key(code)
    entry = current_app.extensions.get("portal_form_cache", {}).get(key) if key else None
    if entry is None or time.monotonic() - entry[0] > FORM_CACHE_SECONDS:
        return None
    _at, page, has_token = entry
    if has_token:
        from flask_wtf.csrf import generate_csrf

        page = page.replace(_CSRF_MARK, generate_csrf())
    return page.replace(_SUBMISSION_MARK, _open_submission()), 200


def forget_kept_forms() -> None:
    """After an administrator's change of centres: drop this process's blank-form renderings and
    its copies of the jurisdictions, so its public forms show the change at once (other
    processes within FORM_CACHE_SECONDS)."""
    current_app.extensions.get("portal_form_cache", {}).clear()
    jurisdiction_cache.forget()


def _blank_form(j, form, submission):
    """Render the blank form and keep the rendering for _cached_blank_form."""
    key = _form_cache_key(j.code)  # before rendering, which takes the flashed messages away
    html, status = _render_form(j, form, submission)
    csrf_field = getattr(form, "csrf_token", None)
    token = getattr(csrf_field, "current_token", None) if csrf_field is not None else None
    if key is None or (token and html.count(token) != 1) or html.count(submission) != 1:
        return html, status  # the tokens cannot be told apart from the page: do not keep it
    cache = current_app.extensions.setdefault("portal_form_cache", {})
    if len(cache) >= FORM_CACHE_MAX:
        cache.clear()
    page = html.replace(submission, _SUBMISSION_MARK)
    cache[key] = (time.monotonic(), page.replace(token, _CSRF_MARK) if token else page, bool(token))
    return html, status


def _replayed(submission: str | None):
    """A submission id that is not open: a replay (400) or a stale/forged form (400)."""
    filed = session.get("filed_submissions", {}).get(submission or "")
    if filed:
        return render_template("public/already_sent.html", number=filed), 400
    return render_template("error.html", status=400, title=_("The form has expired"),
                           message=_("For your security the form could not be accepted. Please go back, reload "
                                     "the page and submit it again. Nothing was saved.")), 400


@bp.route("/file/<code>", methods=["GET", "POST"])
# Only cases actually filed count: many people share one address behind a carrier's NAT or a
# centre's kiosk, and a form sent back with a typo must not use up anyone's allowance.
# The second answer of a double-click (sent to the first one's receipt) files nothing either.
@limiter.limit("20 per hour", methods=["POST"],
               deduct_when=lambda r: r.status_code == 303 and not getattr(r, "filed_before", False))
def file_case(code):
    if request.method == "GET" and code in _enabled_codes():
        cached = _cached_blank_form(code)
        if cached is not None:
            return cached
    j = _jurisdiction_or_404(code)
    form = intake_form_for(j)
    if request.method == "GET":
        return _blank_form(j, form, _open_submission())

    chosen = request.form.get("centre")
    if chosen and chosen not in {c.code for c in j.centres}:
        # a centre this process's copy does not know yet (just added through another process)
        j = _jurisdiction_or_404(code, fresh=True)
        form = intake_form_for(j)
    submission = request.form.get("submission")
    is_open = submission in session.get("open_submissions", [])
    if _csrf_on() and not is_open:
        return _replayed(submission)
    form.validate()
    if not (form.matter.errors or form.description.errors or getattr(form, "csrf_token", None) and
            form.csrf_token.errors):
        refusal = screen(j, form)
        if refusal is not None:
            known = [form.name.data, form.phone.data, form.id_number.data, form.address.data]
            db.session.add(ScreeningRecord(jurisdiction_id=j.id, code=refusal.code,
                                           matter=redact(form.matter.data, known)[:200],
                                           reason=refusal.reason_zh, channel=refusal.channel_zh))
            db.session.commit()
            return render_for(j.code, "public/screened.html", jurisdiction=j, refusal=refusal), 200
    try:
        files = validate_attachments(request.files.getlist(form.attachments.name))
    except AttachmentError as e:
        form.attachments.errors = list(form.attachments.errors) + [str(e)]
        files = []
    if form.errors:
        return _render_form(j, form, submission or _open_submission(), 422)

    centre = next((c for c in j.centres if c.code == form.centre.data), None)
    written = write_files(files) if files else []  # nothing to write: no upload folder work
    try:
        filed = engine.file_case(
            jurisdiction=j, matter=form.matter.data, description=form.description.data,
            channel=form.channel.data, centre_id=centre.id if centre else None,
            complainant={"name": form.name.data, "phone": form.phone.data,
                         "id_number": form.id_number.data, "address": form.address.data},
            extra=extra_data(form), attachments=written,
            # only an id this session was given: a chosen one must never lead to another's case
            submission=submission if is_open else None,
        )
    except Exception as e:
        db.session.rollback()
        if not _committed(written):
            discard_files(written)
        first = _filed_by(submission) if is_open and isinstance(e, IntegrityError) else None
        if first is None:
            raise
        # The same form sent twice at once: the other request filed it; show its receipt.
        resp = _to_receipt(first, access_code_for_submission(submission), submission)
        resp.filed_before = True  # see deduct_when above
        return resp
    return _to_receipt(filed.case.number, filed.access_code, submission)


def _filed_by(submission: str) -> str | None:
    """The number of the case this submission id filed, if any."""
    return db.session.scalar(select(Case.number).where(Case.submission_id == submission_key(submission)))


def _to_receipt(number: str, code: str, submission: str | None):
    kept_cases.keep_receipt(number, code)
    kept_cases.remember(number)
    if submission:
        session["open_submissions"] = [s for s in session.get("open_submissions", []) if s != submission]
        filed_map = dict(list(session.get("filed_submissions", {}).items())[-OPEN_SUBMISSIONS_MAX + 1:])
        filed_map[submission] = number
        session["filed_submissions"] = filed_map
    return redirect(url_for("public.receipt", number=number), 303)


def _committed(written: list[dict]) -> bool:
    """Whether the case was committed although the call failed afterwards (e.g. a notifier)."""
    if not written:
        return False
    try:
        return db.session.scalar(select(Attachment.id).where(
            Attachment.stored_name == written[0]["stored_name"])) is not None
    except Exception:  # the database itself is failing: the case cannot have been committed
        db.session.rollback()
        return False


def _no_store(resp):
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/receipt/<number>")
def receipt(number):
    if number not in kept_cases.tracked():
        abort(404)
    case = db.session.scalar(select(Case).where(Case.number == number))
    if case is None:
        abort(404)
    code = kept_cases.take_receipt_code(number)
    html = render_for(case.jurisdiction.code, "public/receipt.html", case=case, code=code,
                      view=public_case_view(case))
    return _no_store(current_app.make_response(html))


def _track_failed(form):
    return render_template("public/track.html", form=form, failed=True), 404


@bp.route("/track", methods=["GET", "POST"])
@limiter.limit("10 per minute;60 per hour", methods=["POST"], deduct_when=lambda r: r.status_code >= 400)
# and per case number, from any address (see case_limits)
@limiter.limit(case_limits.case_limit, methods=["POST"], key_func=case_limits.case_key,
               deduct_when=case_limits.counts, error_message=case_limits.refusal_message)
def track():
    form = TrackForm()
    if request.method == "GET" and request.args.get("number"):
        form.number.data = request.args["number"][:40]
    if form.validate_on_submit():
        case = db.session.scalar(select(Case).where(Case.number == form.number.data))
        # One message for a wrong number and a wrong code, in the same time: nothing is revealed.
        ok = check_access_code(case.access_code_hash if case else _dummy_hash(), form.code.data)
        if case is None or not ok:
            security_log.tracking_failed(case)
            return _track_failed(form)
        kept_cases.remember(case.number)
        return redirect(url_for("public.track_case", number=case.number), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("public/track.html", form=form, failed=False), status


def _tracked_case_or_404(number: str) -> Case:
    if number not in kept_cases.tracked():
        abort(404)
    case = db.session.scalar(select(Case).where(Case.number == number))
    if case is None:
        abort(404)
    return case


def _render_case(case, rate_form, status=200):
    return render_for(case.jurisdiction.code, "public/case.html", case=case, view=public_case_view(case),
                      rate_form=rate_form, can_rate=engine.can_rate(case)), status


@bp.route("/track/<number>")
def track_case(number):
    case = _tracked_case_or_404(number)
    return _render_case(case, RateForm())


@bp.route("/track/<number>/rate", methods=["POST"])
@limiter.limit("10 per hour")
def rate(number):
    case = _tracked_case_or_404(number)
    form = RateForm()
    if not engine.can_rate(case):
        flash(_("This case cannot be rated now."), "error")
        return redirect(url_for("public.track_case", number=number), 303)
    if not form.validate_on_submit():
        return _render_case(case, form, 422)
    level = int(form.level.data)
    try:
        engine.rate(case, level, form.comment.data or "")
    except EngineError as e:
        db.session.rollback()
        flash(str(e.message), "error")
        return redirect(url_for("public.track_case", number=number), 303)
    if level <= 2:
        flash(_("Thank you. Your case goes back to be verified and put right; we will contact you again."), "info")
    else:
        flash(_("Thank you for your rating."), "info")
    return redirect(url_for("public.track_case", number=number), 303)
