"""Cross-cutting web concerns: security headers, error pages, template helpers, loaders."""
from __future__ import annotations

import json as _json

from flask import abort, g, jsonify, make_response, render_template, request
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSessionInterface
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from . import cookies, i18n
from .engine.errors import EngineError
from .extensions import db, login_manager
from .models.base import DB_INT
from .privacy import redact

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class BoundedInt(IntegerConverter):
    """``<int:...>`` ids above a 32-bit key simply match nothing (404) instead of
    overflowing the database driver (SQLite OverflowError, PostgreSQL DataError)."""

    def __init__(self, map, fixed_digits=0, min=None, max=DB_INT, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class _SessionSerializer(TaggedJSONSerializer):
    """Flask's session serializer (the same cookie format, both ways) that skips the tagging walk
    when there is nothing to tag. A public visitor's session holds only strings, lists and dicts
    (open and filed submission ids, tracked case numbers, the CSRF token), and tagging them value by
    value, then scanning them back, was about a tenth of a filing's CPU. Anything else (a tuple,
    bytes, a datetime, Markup, a dict that looks like a tag) goes through Flask's own code."""

    def __init__(self):
        super().__init__()
        self._tag_keys = frozenset(self.tags)

    def _plain(self, value) -> bool:
        kind = type(value)
        if kind is str or kind is int or kind is bool or kind is float or value is None:
            return True
        if kind is list:
            return all(self._plain(v) for v in value)
        if kind is dict:
            if len(value) == 1 and next(iter(value)) in self._tag_keys:
                return False
            return all(type(k) is str and self._plain(v) for k, v in value.items())
        return False

    def dumps(self, value) -> str:
        if self._plain(value):
            return _json.dumps(value, separators=(",", ":"), ensure_ascii=True, sort_keys=True)
        return super().dumps(value)

    def loads(self, value):
        # every tag is a one-key object whose key starts with a space: '{" t":...}'
        text = value.decode() if isinstance(value, bytes) else value
        if '{" ' not in text:
            return _json.loads(text)
        return super().loads(value)


_SESSION_SERIALIZER = _SessionSerializer()


class _PerRequestSecureSession(SecureCookieSessionInterface):
    serializer = _SESSION_SERIALIZER

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or cookies.secure(app)

    def get_signing_serializer(self, app):
        """Built once per secret key (and fallbacks) instead of twice per request."""
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = getattr(self, "_signing", None)
        if cached is None or cached[0] != keys:
            cached = (keys, super().get_signing_serializer(app))
            self._signing = cached
        return cached[1]


def _percent_encode_raw_query(wsgi_app):
    """Servers that pass raw non-ASCII bytes in the query string (the development server does;
    gunicorn refuses them) would make Werkzeug's strict decode of request.args raise on every
    page (500). Percent-encoding those bytes gives the same result as a browser's encoding."""

    def middleware(environ, start_response):
        qs = environ.get("QUERY_STRING", "")
        if qs and not qs.isascii():
            raw = qs.encode("latin-1", "replace")
            environ["QUERY_STRING"] = "".join(chr(b) if b < 128 else f"%{b:02X}" for b in raw)
        return wsgi_app(environ, start_response)

    return middleware


def init_app(app) -> None:
    cookies.init_app(app)
    app.url_map.converters["int"] = BoundedInt
    app.wsgi_app = _percent_encode_raw_query(app.wsgi_app)
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

    from . import security_log

    security_log.init_app(app)

    @app.after_request
    def security_headers(resp):
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        cookies.hsts(resp)
        # the staff workspace (plugins' staff pages are mounted under /staff too) and a person's case
        if request.path.startswith(("/staff", "/track")):
            resp.headers["Cache-Control"] = "no-store"
        # A GET switch by design: a display preference of fixed values (public.pages.toggle_large).
        chosen = request.args.get("lang")
        if chosen and i18n.normalise(chosen):
            cookies.set_preference(resp, i18n.LANG_COOKIE, i18n.normalise(chosen))
        return resp

    # Secure session cookie whenever the request came over TLS, decided per request
    # (setting app.config per request raced between threads of one process).
    app.session_interface = _PerRequestSecureSession()

    @app.before_request
    def refuse_nul_bytes():
        """NUL never belongs in a form or a query; PostgreSQL would refuse it (a DataError)."""
        values = list(request.args.values()) + list((request.view_args or {}).values())
        if request.method in ("POST", "PUT", "PATCH"):
            values += list(request.form.values())
        if any(isinstance(v, str) and "\x00" in v for v in values):
            abort(400)

    from .staff.access import can as user_can
    from .staff.plugin_pages import nav_links as staff_plugin_links

    @app.context_processor
    def template_helpers():
        return {
            "lang": i18n.lang,
            "html_lang": i18n.html_lang,
            "pick": i18n.pick,
            "choose": i18n.choose,
            "role_label": i18n.role_label,
            "can": user_can,  # the signed-in user's role has one of these capabilities
            "rating_choices": i18n.rating_choices,
            "kind_label": i18n.kind_label,
            "public_text": redact,
            "jurisdiction_branding": jurisdiction_branding,
            "holiday_label": i18n.holiday_label,
            "day_kind_label": i18n.day_kind_label,
            "format_date": format_date,
            "format_datetime": format_datetime,
            "operator_name": app.config.get("PORTAL_OPERATOR_NAME", ""),
            "icp_number": app.config.get("PORTAL_ICP_NUMBER", ""),
            "languages": [("zh_Hans", "简体中文"), ("zh_Hant", "繁體中文"), ("en", "English")],
            "current_locale": lambda: str(get_locale()),
            "staff_plugin_links": staff_plugin_links,
        }

    def wants_json() -> bool:
        return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"

    def error_page(status: int, title: str, message: str):
        if wants_json():
            return jsonify({"error": title, "message": message}), status
        try:
            return render_template("error.html", status=status, title=title, message=message), status
        except (OperationalError, DBAPIError):
            # The page header asks for the logged-in staff user, which needs the database:
            # when that is what failed, show the error page as to an anonymous visitor.
            _forget_user()
            return render_template("error.html", status=status, title=title, message=message), status

    def _forget_user() -> None:
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the connection may be gone; the session is reset below
            pass
        db.session.remove()
        g._login_user = login_manager.anonymous_user()  # flask-login's per-request cache of current_user

    @app.errorhandler(EngineError)
    def engine_error(e: EngineError):
        db.session.rollback()
        return error_page(e.status, _("The action was refused"), str(e.message))

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return error_page(400, _("The form has expired"),
                          _("For your security the form could not be accepted. Please go back, reload the page and submit it again. Nothing was saved."))

    @app.errorhandler(DataError)
    def bad_data(e):
        # A value the database refuses (out of range, NUL, too long) is the request's fault, not an
        # outage; logged because it also means a form let something through unvalidated.
        _forget_user()
        app.logger.warning("database refused a value: %s", getattr(e, "orig", e))
        return error_page(400, _("Error"), _("The request could not be understood."))

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def db_down(e):
        _forget_user()  # render without touching the database again (each try may wait for a timeout)
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
        message = messages.get(e.code, _("Something went wrong."))
        if e.code == 429 and getattr(getattr(e, "limit", None), "error_message", None):
            message = e.description  # a limit that explains itself (Flask-Limiter's error_message)
        return error_page(e.code or 500, title, message)

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


def jurisdiction_branding():
    """The Branding of the jurisdiction whose page this is (set by render_for), else None."""
    from flask import current_app

    code = g.get("jurisdiction_code")
    if not code:
        return None
    return current_app.extensions["portal_plugins"].for_jurisdiction(code).portal_branding()


def render_for(jurisdiction_code: str | None, template: str, **ctx):
    """Render ``template``, preferring the owning plugin's copy for this jurisdiction."""
    from flask import current_app

    names = [template]
    if jurisdiction_code:
        owner = current_app.extensions["portal_plugins"].owner_of(jurisdiction_code)
        names.insert(0, f"j/{owner}/{template}")
    g.jurisdiction_code = jurisdiction_code
    return render_template(names, **ctx)
