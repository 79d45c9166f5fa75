"""Bancheng (办成): a portal for the 办不成事 reflection windows of government service centres."""
from __future__ import annotations

import os

from flask import Flask

__all__ = ["create_app"]


def create_app(config: dict | None = None) -> Flask:
    """Application factory: embedded defaults < PORTAL_* environment < ``config`` mapping."""
    from flask_babel import Babel

    from . import config as cfg
    from .extensions import csrf, db, limiter, login_manager, migrate
    from .i18n import select_locale, select_timezone
    from .plugins import PluginHost

    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get("PORTAL_INSTANCE_PATH")
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.config.update(cfg.defaults(app.instance_path))
    app.config.update(cfg.from_environ())
    if config:
        app.config.update(config)
        if "PORTAL_DATABASE_URL" in config:
            app.config["SQLALCHEMY_DATABASE_URI"] = cfg.normalise_db_url(config["PORTAL_DATABASE_URL"])
    cfg.check_secret_key(app)
    from . import ratelimit_store

    ratelimit_store.check(app)  # before anything heavy: a refused start fails fast
    # owner-only: the instance folder holds the database, the keys, the index and uploads
    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)
    from . import datakeys

    datakeys.init_app(app)
    from datetime import timedelta

    app.permanent_session_lifetime = timedelta(hours=int(app.config["PORTAL_SESSION_HOURS"]))

    from . import dbsetup

    dbsetup.configure_engine_options(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"))
    app.extensions["portal_plugins"] = host = PluginHost(
        enabled=app.config["PORTAL_JURISDICTIONS"], extra_plugins=app.config.get("PORTAL_EXTRA_PLUGINS")
    )
    from .i18n_tools import prepare_catalogues

    # the core's catalogues and every enabled plugin's; an installed portal or plugin compiles its
    # packaged .po files on first start
    prepare_catalogues(app, host.translation_folders())
    # One Babel per app: Flask-Babel keeps loaded catalogues on its Babel object, keyed by locale
    # only, and apps with other plugins enabled merge other catalogues.
    Babel(app, locale_selector=select_locale, timezone_selector=select_timezone)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)

    from . import web

    web.init_app(app)
    from . import proxy

    proxy.install(app)
    from .api import bp as api_bp
    from .public import bp as public_bp
    from .staff import bp as staff_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(staff_bp, url_prefix="/staff")
    app.register_blueprint(api_bp, url_prefix="/api")
    from .staff import plugin_pages

    plugin_pages.register(app)

    from .cli import register_cli

    register_cli(app)
    return app
