"""The database schema: the core's Alembic history, then each enabled plugin's own.

A plugin's revisions (declared through the ``portal_tables`` hook) run in a separate Alembic
pass with the plugin's folder as the only version location and its own version table
(``<plugin>_alembic_version``), as CKAN runs an extension's migrations. So the core's
``alembic_version`` only ever holds core revisions: disabling or uninstalling a plugin leaves
its tables, rows and version table alone, and the core upgrade never meets a revision it
cannot find. Plugins' migrations run after the core is at its head and may rely on it.
"""
from __future__ import annotations

import click
from alembic import command
from flask import current_app
from flask.cli import with_appcontext


PLUGIN_ATTRIBUTE = "portal_plugin"  # Config.attributes key read by migrations/env.py


def plugin_config(name: str, folder: str):
    """The Alembic config of one plugin's pass: the core's env.py, the plugin's revisions only."""
    config = current_app.extensions["migrate"].migrate.get_config()
    config.set_main_option("path_separator", "os")  # one folder; paths may hold spaces
    config.set_main_option("version_locations", folder)
    config.attributes[PLUGIN_ATTRIBUTE] = name
    return config


def upgrade_plugins(sql: bool = False) -> list[str]:
    """Bring every enabled plugin's tables to their newest revision; returns the plugins run."""
    done = []
    for name, tables in current_app.extensions["portal_plugins"].tables():
        command.upgrade(plugin_config(name, tables.migrations), "heads", sql=sql)
        done.append(name)
    return done


def upgrade_all() -> list[str]:
    """The core to its head, then the enabled plugins (what `flask db upgrade` and init-db run)."""
    from flask_migrate import upgrade

    upgrade()
    return upgrade_plugins()


def adopt_rows(old: str, new: str) -> int:
    """In a plugin's migration: move the rows of a table the core used to own (``old``) into
    the plugin's new table (``new``, already created), keeping ids, then drop ``old``.
    Nothing happens when ``old`` is not there (a database created after the move).
    Returns the number of rows moved."""
    import sqlalchemy as sa
    from alembic import op

    bind = op.get_bind()
    inspector = sa.inspect(bind)
    if old not in inspector.get_table_names():
        return 0
    old_columns = {c["name"] for c in inspector.get_columns(old)}
    columns = [c["name"] for c in inspector.get_columns(new) if c["name"] in old_columns]
    listed = ", ".join(f'"{c}"' for c in columns)
    moved = bind.execute(sa.text(f'INSERT INTO "{new}" ({listed}) SELECT {listed} FROM "{old}"')).rowcount
    if bind.dialect.name == "postgresql" and "id" in columns:
        # copied ids did not advance the new table's sequence: the next insert would collide
        bind.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{new}', 'id'), "
                             f"COALESCE((SELECT MAX(id) FROM \"{new}\"), 0) + 1, false)"))
    op.drop_table(old)
    return moved


def install_cli(app) -> None:
    """`flask db upgrade` (Flask-Migrate's group) also runs the enabled plugins' migrations."""
    import flask_migrate
    from flask_migrate.cli import db as migrate_group

    @click.command("upgrade")
    @click.option("-d", "--directory", default=None, help="Migration script directory")
    @click.option("--sql", is_flag=True, help="Don't emit SQL to database - dump to standard output instead")
    @click.option("--tag", default=None, help='Arbitrary "tag" name - can be used by custom env.py scripts')
    @click.option("-x", "--x-arg", multiple=True, help="Additional arguments consumed by custom env.py scripts")
    @click.argument("revision", default="head")
    @with_appcontext
    def upgrade_cmd(directory, sql, tag, x_arg, revision):
        """Upgrade the core to a later version; at the head, the enabled plugins' tables too."""
        flask_migrate.upgrade(directory, revision, sql, tag, list(x_arg) or None)
        if revision == "head":
            upgrade_plugins(sql=sql)

    group = click.Group(migrate_group.name, commands=dict(migrate_group.commands), help=migrate_group.help,
                        callback=migrate_group.callback, params=list(migrate_group.params))
    group.add_command(upgrade_cmd)
    app.cli.add_command(group, name="db")
