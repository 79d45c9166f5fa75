"""`flask portal ...`: what an operator needs on day one."""
from __future__ import annotations

import json
import os
import sys
from datetime import date, datetime, timezone

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

portal_cli = click.Group("portal", help="Bancheng portal administration.")


def register_cli(app) -> None:
    from .schema import install_cli

    app.cli.add_command(portal_cli)
    install_cli(app)  # `flask db upgrade` runs the enabled plugins' migrations too


@portal_cli.command("init-db")
@with_appcontext
def init_db():
    """Create or migrate the database to the newest schema (the core's, then every enabled
    plugin's own tables) and register jurisdictions."""
    from .registry import sync_jurisdictions
    from .schema import upgrade_all

    upgrade_all()
    js = sync_jurisdictions()
    click.echo(f"Database at the newest schema; {len(js)} jurisdictions registered.")


@portal_cli.command("sync-jurisdictions")
@with_appcontext
def sync_cmd():
    """Write the enabled plugins' jurisdictions, centres, windows and departments to the DB."""
    from .registry import sync_jurisdictions

    js = sync_jurisdictions()
    click.echo(f"{len(js)} jurisdictions registered.")


@portal_cli.command("load-demo")
@click.option("--password", default="demo-pass-2026", show_default=True, help="Password of the demo staff users.")
@with_appcontext
def load_demo(password):
    """Load invented demo cases, guides, corrections and staff users (idempotent). Never in
    production: the demo users share a published password. Refused on a database that holds
    staff users or cases of its own."""
    from .demo import holds_real_data, load_demo_data

    if holds_real_data():
        raise click.ClickException(
            "Not loaded: this database already holds staff users or cases that the demo did not create. "
            "The demo's staff users share a published password and must never exist beside real data.")
    if not current_app.debug:
        click.echo("WARNING: load-demo creates staff users whose password is published in the README "
                   "(<jurisdiction>-<role>, e.g. beijing-admin). Use it on a development or demonstration "
                   "instance only, never in production.", err=True)
    summary = load_demo_data(password=password, progress=_progress)
    click.echo(json.dumps(summary, ensure_ascii=False))


@portal_cli.command("create-user")
@click.argument("username")
@click.option("--role", required=True, help="clerk, handler, supervisor, admin, a role the jurisdiction's plugin adds, "
              "or system_admin (also imports the national holiday data; created only here)")
@click.option("--jurisdiction", required=True, help="Jurisdiction code, e.g. beijing-dongcheng")
@click.option("--department", default=None, help="Department code (handlers)")
@click.option("--name", "display_name", default=None)
@click.option("--subtree", is_flag=True, help="May see the jurisdiction's whole subtree")
@click.option("--must-change/--no-must-change", default=True, show_default=True,
              help="The user must choose a new password at first login (the operator knows this one); "
                   "--no-must-change only for an operator creating their own account")
@click.password_option()
@with_appcontext
def create_user(username, role, jurisdiction, department, display_name, subtree, must_change, password):
    """Create a staff user. The password is held to the password rule (portal/password_policy.py)."""
    from .staff.users import UserError, create_staff_user

    try:
        user = create_staff_user(username=username, password=password, role=role,
                                 jurisdiction_code=jurisdiction, department_code=department,
                                 display_name=display_name or username, sees_subtree=subtree,
                                 allow_system_role=True, must_change_password=must_change)
    except UserError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Created {user.role} {user.username} in {jurisdiction}.")


@portal_cli.command("reindex")
@with_appcontext
def reindex():
    """Rebuild the search index from the database (the old index serves until the switch)."""
    from .knowledge.indexing import rebuild_index

    n = rebuild_index(progress=_progress)
    click.echo(f"Index rebuilt with {n} documents.")


@portal_cli.command("rebuild-stats")
@with_appcontext
def rebuild_stats():
    """Recompute the transparency roll-ups from the cases (after an import or an upgrade)."""
    from . import stats

    click.echo(json.dumps(stats.rebuild()))


@portal_cli.command("sweep-overdue")
@click.option("--now", "now_text", default=None, help="Pretend it is this ISO time (for testing).")
@with_appcontext
def sweep_overdue(now_text):
    """Mark overdue cases, escalate where the rules say so, notify. Safe to run from cron."""
    from .sweep import sweep

    now = datetime.fromisoformat(now_text) if now_text else datetime.now(timezone.utc)
    if now.tzinfo is None:
        from .workdays import SHANGHAI

        now = now.replace(tzinfo=SHANGHAI)
    result = sweep(now)
    click.echo(json.dumps(result))


@portal_cli.command("plugins")
@with_appcontext
def plugins_cmd():
    """List loaded plugins with versions, jurisdictions and hooks."""
    from dataclasses import asdict

    host = current_app.extensions["portal_plugins"]
    click.echo(json.dumps([asdict(p) for p in host.describe()], ensure_ascii=False, indent=2))


calendar_cli = click.Group("calendar", help="Working-day calendar data.")
portal_cli.add_command(calendar_cli)


@calendar_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Show what would change and write nothing.")
@click.option("--reason", default="", help="Needed when the file removes holidays of a year already known.")
@with_appcontext
def calendar_import(path, dry_run, reason):
    """Import a year of official holiday data (JSON, same shape as portal/data/cn_workdays.json)."""
    from .engine import calendar_import as imp
    from .extensions import db
    from .models import AuditLog

    try:
        with open(path, "rb") as fh:
            p = imp.plan(imp.read_bytes(fh.read()))
        for c in p.changes:
            click.echo(f"{c.year}: holidays {c.holidays_before} -> {c.holidays_after}, {len(c.added)} added, "
                       f"{len(c.removed)} removed, {len(c.renamed)} renamed" + ("" if c.known else " (new year)"))
        if dry_run:
            return
        reason = imp.check_reason(p, reason)
        years = imp.apply(p)
    except imp.CalendarImportError as e:
        db.session.rollback()
        raise click.ClickException(f"Not imported: {e}") from None
    db.session.add(AuditLog(actor_id=None, jurisdiction_id=None, action="calendar.import",
                            target=f"years:{','.join(map(str, years))}"[:120],
                            data={"via": "cli", "file": os.path.basename(path)[:80], "reason": reason,
                                  "changes": imp.summary(p)}))
    db.session.commit()
    click.echo(f"Imported years: {', '.join(map(str, years))}")


@calendar_cli.command("override")
@click.argument("day")
@click.argument("kind", type=click.Choice(["working", "off"]))
@click.option("--jurisdiction", default=None, help="Jurisdiction code; national when omitted")
@click.option("--name", default="")
@with_appcontext
def calendar_override(day, kind, jurisdiction, name):
    """Set a single-day override (working or off), nationally or for one jurisdiction."""
    from sqlalchemy import select

    from .engine.jurisdiction_calendars import set_override
    from .extensions import db
    from .models import Jurisdiction

    j = None
    if jurisdiction:
        j = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == jurisdiction))
        if j is None:
            raise click.ClickException(f"Unknown jurisdiction {jurisdiction}")
    set_override(j, date.fromisoformat(day), kind == "working", name)
    db.session.commit()
    click.echo(f"{day} is now {'a working day' if kind == 'working' else 'a day off'}.")


def _progress(iterable, length=None, label=""):
    """Long work shows a progress bar on a terminal."""
    with click.progressbar(iterable, length=length, label=label, file=sys.stderr) as bar:
        yield from bar


def main():
    """`bancheng` console script: the same commands without --app."""
    from . import create_app

    cli = FlaskGroup(create_app=create_app)
    cli.main()
