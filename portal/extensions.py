"""Unbound Flask extensions, bound to an app in create_app with init_app."""
import click
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

# Named constraints so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))
migrate = None  # set below: LazyMigrate()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


class LazyMigrate:
    """Flask-Migrate bound to the app without importing it (nor Alembic) in the web workers:
    only ``flask db ...``, ``flask portal init-db`` and the tests run migrations, and the
    import costs about 11 MB of memory per worker. ``app.extensions["migrate"]`` and the
    ``flask db`` command group are stand-ins that import Flask-Migrate on first use and
    then behave exactly as its own (same options, commands and configuration)."""

    def __init__(self):
        self.db = None
        self.directory = "migrations"
        self.kwargs: dict = {}
        self._real = None

    def init_app(self, app, db=None, directory=None, **kwargs):
        self.db = db or self.db
        self.directory = str(directory or self.directory)
        self.kwargs.update(kwargs)
        self._real = None
        app.extensions["migrate"] = _LazyMigrateConfig(self)
        app.cli.add_command(_LazyDbGroup(), name="db")

    def real(self):
        """The Flask-Migrate ``Migrate`` object (imported now)."""
        if self._real is None:
            from flask_migrate import Migrate

            self._real = Migrate(db=self.db, directory=self.directory, **self.kwargs)
        return self._real


class _LazyMigrateConfig:
    """Stands for Flask-Migrate's ``_MigrateConfig`` (``.migrate``, ``.db``, ``.directory``,
    ``.configure_args``), built on first attribute access."""

    def __init__(self, owner: LazyMigrate):
        self.__dict__["_owner"] = owner
        self.__dict__["_config"] = None

    def __getattr__(self, name):
        config = self.__dict__["_config"]
        if config is None:
            from flask_migrate import _MigrateConfig

            real = self.__dict__["_owner"].real()
            config = _MigrateConfig(real, real.db, **real.alembic_ctx_kwargs)
            self.__dict__["_config"] = config
        return getattr(config, name)


class _LazyDbGroup(click.Group):
    """``flask db``: Flask-Migrate's command group, imported when the command runs."""

    def __init__(self):
        super().__init__(name="db", help="Perform database migrations.")

    @staticmethod
    def _group():
        from flask_migrate.cli import db as group

        return group

    def make_context(self, info_name, args, parent=None, **extra):
        return self._group().make_context(info_name, args, parent=parent, **extra)

    def get_command(self, ctx, cmd_name):
        return self._group().get_command(ctx, cmd_name)

    def list_commands(self, ctx):
        return self._group().list_commands(ctx)


migrate = LazyMigrate()
