"""Cross-cutting web concerns: security headers, error pages, template helpers, loaders."""
from __future__ import annotations

from flask import g, jsonify, make_response, render_template, request
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from . import i18n
from .engine.errors import EngineError
from .extensions import db, login_manager

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def init_app(app) -> None:
    _install_plugin_templates(app)

    @login_manager.user_loader
    def load_user(user_id):
        from .models import StaffUser

        try:
            user = db.session.get(StaffUser, int(user_id))
        except (TypeError, ValueError):
            return None
        return user if user and user.active else None

    login_manager.login_view = "staff.login"
    login_manager.login_message = None

    @app.after_request
    def security_headers(resp):
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.blueprint == "staff" or request.path.startswith("/track"):
            resp.headers["Cache-Control"] = "no-store"
        chosen = request.args.get("lang")
        if chosen and i18n.normalise(chosen):
            resp.set_cookie(i18n.LANG_COOKIE, i18n.normalise(chosen), max_age=3600 * 24 * 365,
                            samesite="Lax", httponly=True, secure=request.is_secure)
        return resp

    @app.before_request
    def secure_cookies():
        app.config["SESSION_COOKIE_SECURE"] = request.is_secure

    @app.context_processor
    def template_helpers():
        return {
            "lang": i18n.lang,
            "html_lang": i18n.html_lang,
            "pick": i18n.pick,
            "choose": i18n.choose,
            "role_label": i18n.role_label,
            "rating_choices": i18n.rating_choices,
            "kind_label": i18n.kind_label,
            "public_text": __import__("portal.privacy", fromlist=["redact"]).redact,
            "holiday_label": i18n.holiday_label,
            "day_kind_label": i18n.day_kind_label,
            "format_date": format_date,
            "format_datetime": format_datetime,
            "operator_name": app.config.get("PORTAL_OPERATOR_NAME", ""),
            "icp_number": app.config.get("PORTAL_ICP_NUMBER", ""),
            "languages": [("zh_Hans", "简体中文"), ("zh_Hant", "繁體中文"), ("en", "English")],
            "current_locale": lambda: str(__import__("flask_babel").get_locale()),
        }

    def wants_json() -> bool:
        return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"

    def error_page(status: int, title: str, message: str):
        if wants_json():
            return jsonify({"error": title, "message": message}), status
        return render_template("error.html", status=status, title=title, message=message), status

    @app.errorhandler(EngineError)
    def engine_error(e: EngineError):
        db.session.rollback()
        return error_page(e.status, _("The action was refused"), str(e.message))

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return error_page(400, _("The form has expired"),
                          _("For your security the form could not be accepted. Please go back, reload the page and submit it again. Nothing was saved."))

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def db_down(e):
        db.session.rollback()
        app.logger.warning("database unavailable: %s", e.__class__.__name__)
        body, status = error_page(503, _("Temporarily unavailable"),
                                  _("The service is briefly unavailable. Nothing you submitted was lost if you did not get a receipt; please try again in a minute."))
        resp = make_response(body, status)  # error_page returns (body, status): headers live on a Response
        resp.headers["Retry-After"] = "30"
        return resp

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        messages = {
            400: _("The request could not be understood."),
            403: _("You do not have access to this page."),
            404: _("The page you asked for does not exist."),
            405: _("This address does not accept that kind of request."),
            413: _("What you sent is too large. Attachments may be at most 5 MB each."),
            429: _("Too many attempts. Please wait a few minutes and try again."),
        }
        title = {404: _("Page not found"), 403: _("Access denied"), 429: _("Too many attempts"),
                 413: _("Too large")}.get(e.code, _("Error"))
        return error_page(e.code or 500, title, messages.get(e.code, _("Something went wrong.")))

    @app.errorhandler(Exception)
    def unexpected(e):
        db.session.rollback()
        app.logger.exception("unhandled error")
        return error_page(500, _("Something went wrong"),
                          _("An unexpected error occurred. It has been logged; nothing was half-saved."))


def _install_plugin_templates(app) -> None:
    """Templates under j/<plugin>/ come from that plugin's folder (looked up first for its cases)."""
    host = app.extensions["portal_plugins"]
    folders = {}
    for spec in host.jurisdiction_specs():
        folder = host.for_jurisdiction(spec.code).portal_template_folder()
        if folder:
            folders[host.owner_of(spec.code)] = FileSystemLoader(folder)
    if folders:
        # PrefixLoader splits at the first "/": "j/<plugin>/<name>" -> "j" -> "<plugin>" -> name
        app.jinja_env.loader = ChoiceLoader([app.jinja_env.loader, PrefixLoader({"j": PrefixLoader(folders)})])


def render_for(jurisdiction_code: str | None, template: str, **ctx):
    """Render ``template``, preferring the owning plugin's copy for this jurisdiction."""
    from flask import current_app

    names = [template]
    if jurisdiction_code:
        owner = current_app.extensions["portal_plugins"].owner_of(jurisdiction_code)
        names.insert(0, f"j/{owner}/{template}")
    g.jurisdiction_code = jurisdiction_code
    return render_template(names, **ctx)
