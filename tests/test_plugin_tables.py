"""Plugins own their tables and migrations (portal_tables), and the toolkit stays light.

Each test that migrates builds a database of its own (a SQLite file, or a fresh PostgreSQL
database when PORTAL_TEST_DATABASE_URL is set) so it can start from any schema.
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from portal import create_app, toolkit
from portal.config import normalise_db_url
from portal.contracts import Tables
from portal.extensions import db
from portal.plugins import PluginError, PluginHost
from portal.schema import upgrade_all
from tests.conftest import ALL_PLUGINS, PG_ENV
from tests.factories import jurisdiction

ROOT = Path(__file__).resolve().parent.parent


# -- a light toolkit ------------------------------------------------------------------------------
def _portal_modules_after(code: str) -> set[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(m for m in sys.modules if m.startswith('portal'))))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


VIEWS_SEARCH_API = ("portal.public", "portal.staff", "portal.search", "portal.api", "portal.web",
                    "portal.knowledge", "portal.engine.cases", "portal.stats")


def test_importing_the_toolkit_loads_no_view_search_or_api_module():
    """Before: 79 portal modules, every view and the search engine. Now only the contracts, the
    hook marker, the extensions and the models."""
    loaded = _portal_modules_after("import portal.toolkit")
    assert not {m for m in loaded if m.startswith(VIEWS_SEARCH_API)}, sorted(loaded)
    allowed = {"portal", "portal.toolkit", "portal.contracts", "portal.hookspecs", "portal.extensions",
               "portal.engine", "portal.engine.errors",  # the errors an action's effect refuses with
               "portal.workdays"}  # pure working-day arithmetic: the units of a TimeLimit
    assert {m for m in loaded if not m.startswith("portal.models")} <= allowed, sorted(loaded)


def test_importing_a_built_in_plugin_loads_no_view_search_or_api_module():
    loaded = _portal_modules_after("import bancheng_plugins.dazhou, bancheng_plugins.beijing, bancheng_plugins.xuanwu")
    assert not {m for m in loaded if m.startswith(VIEWS_SEARCH_API)}, sorted(loaded)


def test_toolkit_staff_helpers_load_the_staff_side_only_when_called():
    loaded = _portal_modules_after("import portal.toolkit as t\nt.staff_page('clerk')")
    assert "portal.staff.plugin_pages" in loaded


def test_toolkit_model_answers_stable_names_only(app):
    from portal.models import AuditLog, Department

    assert toolkit.model("Department") is Department
    assert toolkit.session() is db.session
    with pytest.raises(LookupError, match="not a stable model name"):
        toolkit.model("AuditLog")
    assert AuditLog.__tablename__ == "audit_log"


def test_names_the_toolkit_no_longer_offers_say_what_to_use_instead():
    with pytest.raises(AttributeError, match=r"toolkit.session\(\)"):
        toolkit.db  # noqa: B018
    with pytest.raises(AttributeError, match="bancheng_plugins.dazhou.models"):
        toolkit.RotaEntry  # noqa: B018


# -- the contract -----------------------------------------------------------------------------------
class _Declares:
    code = "rogue"

    def __init__(self, tables):
        self._tables = tables

    @toolkit.hookimpl
    def portal_tables(self):
        return self._tables


def test_hook_portal_tables_refuses_a_table_outside_the_plugins_prefix(tmp_path):
    with pytest.raises(PluginError, match="'rogue_...'"):
        PluginHost(extra_plugins={"rogue": _Declares(Tables(models=(toolkit.model("Department"),),
                                                            migrations=str(tmp_path)))})


def test_hook_portal_tables_refuses_a_missing_migrations_folder(tmp_path):
    with pytest.raises(PluginError, match="migrations folder"):
        PluginHost(extra_plugins={"rogue": _Declares(Tables(models=(), migrations=str(tmp_path / "nope")))})


def test_hook_portal_tables_built_in_plugins_declare_their_prefixed_tables(app):
    declared = {name: sorted(m.__tablename__ for m in t.models) for name, t in app.extensions["portal_plugins"].tables()}
    assert declared == {"beijing": ["beijing_supervision_record"], "dazhou": ["dazhou_rota_entry"],
                        "xuanwu": ["xuanwu_case_meeting"]}


# -- migrations per plugin ------------------------------------------------------------------------
@pytest.fixture
def scratch_url(tmp_path):
    """An empty database for one test."""
    server = os.environ.get(PG_ENV)
    if not server:
        yield f"sqlite:///{tmp_path}/scratch.sqlite3"
        return
    server = normalise_db_url(server)
    name = f"bancheng_scratch_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(server).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as c:
        c.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"))
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture
def scratch_app(scratch_url, tmp_path):
    """Apps on the scratch database with the plugins given (engines disposed at the end)."""
    apps = []

    def _make(plugins):
        app = create_app({"TESTING": True, "SECRET_KEY": "test-secret-key", "SQLALCHEMY_DATABASE_URI": scratch_url,
                          "INSTANCE_PATH": str(tmp_path / "instance"), "PORTAL_INDEX_DIR": str(tmp_path / "index"),
                          "PORTAL_UPLOAD_DIR": str(tmp_path / "uploads"), "PORTAL_MAIL_FILE": str(tmp_path / "outbox.log"),
                          "PORTAL_JURISDICTIONS": plugins, "PORTAL_PASSWORD_METHOD": "pbkdf2:sha256:1000"})
        apps.append(app)
        return app

    yield _make
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _tables() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def _versions(table: str) -> set[str]:
    with db.engine.connect() as c:
        return set(c.execute(text(f'SELECT version_num FROM "{table}"')).scalars())


def _count(table: str) -> int:
    with db.engine.connect() as c:
        return c.execute(text(f'SELECT COUNT(*) FROM "{table}"')).scalar()


def test_upgrade_creates_the_enabled_plugins_tables_each_in_its_own_history(scratch_app):
    app = scratch_app(["kunming", "dazhou"])
    with app.app_context():
        assert upgrade_all() == ["dazhou"]
        tables = _tables()
        assert "dazhou_rota_entry" in tables
        assert not tables & {"beijing_supervision_record", "xuanwu_case_meeting", "rota_entry",
                             "supervision_record", "case_meeting"}
        from alembic.script import ScriptDirectory

        core_head = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config()).get_current_head()
        assert _versions("alembic_version") == {core_head}  # the core's history holds core revisions only
        assert _versions("dazhou_alembic_version") == {"dazhou_0001"}


def test_disabling_a_plugin_keeps_its_tables_and_rows_and_the_core_still_upgrades(scratch_app):
    """Installed is not enabled, and disabled is not deleted: the rota survives a spell with
    Dazhou switched off, and switching it on again continues where it stopped."""
    from bancheng_plugins.dazhou import plan_rota
    from portal.registry import sync_jurisdictions

    with_dazhou = scratch_app(["dazhou"])
    with with_dazhou.app_context():
        upgrade_all()
        sync_jurisdictions()
        plan_rota(jurisdiction("dazhou"), date(2026, 3, 2), date(2026, 3, 6), [("张三", None), ("李四", None)])
        assert _count("dazhou_rota_entry") == 5
    without = scratch_app(["kunming"])
    with without.app_context():
        assert upgrade_all() == []
        assert _count("dazhou_rota_entry") == 5
        assert _versions("dazhou_alembic_version") == {"dazhou_0001"}
    again = scratch_app(["dazhou"])
    with again.app_context():
        upgrade_all()
        assert _count("dazhou_rota_entry") == 5


def test_flask_db_upgrade_runs_the_enabled_plugins_migrations_too(scratch_app):
    app = scratch_app(["xuanwu", "beijing"])
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert {"xuanwu_case_meeting", "beijing_supervision_record"} <= _tables()
        assert "dazhou_rota_entry" not in _tables()


def test_init_db_runs_the_enabled_plugins_migrations_too(scratch_app):
    app = scratch_app(["dazhou"])
    result = app.test_cli_runner().invoke(args=["portal", "init-db"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert "dazhou_rota_entry" in _tables()


def _old_case_row(jurisdiction_id: int) -> int:
    """A case row written as the schema of the moment has it (the ORM models describe the newest
    schema): every column that needs a value gets a plausible one of its type."""
    from sqlalchemy import inspect as sa_inspect

    values = {}
    for col in sa_inspect(db.engine).get_columns("case"):
        name, kind = col["name"], str(col["type"]).upper()
        if name == "id" or col["nullable"] or col.get("default") is not None:
            continue
        if name == "jurisdiction_id":
            values[name] = jurisdiction_id
        elif "INT" in kind:
            values[name] = 1
        elif "BOOL" in kind:
            values[name] = False
        elif "JSON" in kind:
            values[name] = "{}"
        elif "DATETIME" in kind or "TIMESTAMP" in kind:
            values[name] = "2026-02-13 02:00:00+00:00"
        elif "DATE" in kind:
            values[name] = "2026-02-13"
        else:
            values[name] = "XW-2026-000001" if name == "number" else "x"
    columns = ", ".join(f'"{c}"' for c in values)
    marks = ", ".join(f":{c}" for c in values)
    with db.engine.begin() as c:
        return c.execute(text(f'INSERT INTO "case" ({columns}) VALUES ({marks}) RETURNING id'), values).scalar()


def test_a_database_of_the_old_schema_keeps_its_rota_fault_finding_and_meeting_rows(scratch_app):
    """A database migrated by the release before the move (core revision 0004, the three tables in
    the core) keeps every row: each plugin adopts its table's rows with their ids when it is
    enabled; until then the old table stays as it is."""
    from portal.registry import sync_jurisdictions

    old = scratch_app(ALL_PLUGINS)
    with old.app_context():
        upgrade(revision="0004")
        sync_jurisdictions()
        case_id = _old_case_row(jurisdiction("xuanwu").id)  # the models are ahead of revision 0004
        dazhou, dongcheng = jurisdiction("dazhou"), jurisdiction("beijing-dongcheng")
        with db.engine.begin() as c:
            c.execute(text("INSERT INTO rota_entry (id, jurisdiction_id, day, representative) VALUES "
                           "(7, :j, '2026-03-02', '张三'), (8, :j, '2026-03-03', '李四')"), {"j": dazhou.id})
            c.execute(text("INSERT INTO supervision_record (id, jurisdiction_id, kind, held_on, team, findings, "
                           "windows_checked, at) VALUES (3, :j, 'fault_finding', '2026-02-10', '督查组', "
                           "'窗口无人', 12, '2026-02-10 02:00:00+00:00')"), {"j": dongcheng.id})
            c.execute(text("INSERT INTO case_meeting (id, case_id, held_on, attendees, decision, minutes, at) VALUES "
                           "(5, :c, '2026-02-14', '区政务办、人社局', '特事特办', '', '2026-02-14 02:00:00+00:00')"),
                      {"c": case_id})
        db.session.remove()

    without_beijing = scratch_app([p for p in ALL_PLUGINS if p != "beijing"])
    with without_beijing.app_context():
        upgrade_all()
        tables = _tables()
        assert not tables & {"rota_entry", "case_meeting"}
        assert "supervision_record" in tables and _count("supervision_record") == 1  # left for Beijing
        from bancheng_plugins.dazhou.models import RotaEntry
        from bancheng_plugins.xuanwu.models import CaseMeeting

        rota = db.session.scalars(db.select(RotaEntry).order_by(RotaEntry.id)).all()
        assert [(r.id, r.day, r.representative) for r in rota] == [(7, date(2026, 3, 2), "张三"), (8, date(2026, 3, 3), "李四")]
        meeting = db.session.get(CaseMeeting, 5)
        assert (meeting.case_id, meeting.decision) == (case_id, "特事特办")
        added = RotaEntry(jurisdiction_id=rota[0].jurisdiction_id, day=date(2026, 3, 4), representative="王五")
        db.session.add(added)
        db.session.commit()
        assert added.id > 8  # the id sequence moved past the adopted rows (PostgreSQL)

    everything = scratch_app(ALL_PLUGINS)
    with everything.app_context():
        upgrade_all()
        assert "supervision_record" not in _tables()
        from bancheng_plugins.beijing.models import SupervisionRecord

        record = db.session.get(SupervisionRecord, 3)
        assert (record.held_on, record.team, record.windows_checked) == (date(2026, 2, 10), "督查组", 12)


def _meetings_recorded_before_the_lead_was_kept(app, bureau_code="xw-approval") -> int:
    """The core at its head, Xuanwu at its first revision, one case with two meetings written
    then; the district's approval bureau is renamed to ``bureau_code``. Returns the case id."""
    from alembic import command

    from portal.registry import sync_jurisdictions
    from portal.schema import plugin_config

    upgrade()
    command.upgrade(plugin_config("xuanwu", dict(app.extensions["portal_plugins"].tables())["xuanwu"].migrations),
                    "xuanwu_0001")
    sync_jurisdictions()
    case_id = _old_case_row(jurisdiction("xuanwu").id)
    with db.engine.begin() as c:
        c.execute(text("INSERT INTO xuanwu_case_meeting (id, case_id, held_on, attendees, decision, minutes, at) "
                       "VALUES (1, :c, '2026-02-14', '区政务办、人社局', '特事特办', '', '2026-02-14 02:00:00+00:00'), "
                       "(2, :c, '2026-02-20', '区政务办', '补充材料', '', '2026-02-20 02:00:00+00:00')"), {"c": case_id})
        c.execute(text("UPDATE department SET code = :new WHERE code = 'xw-approval'"), {"new": bureau_code})
    db.session.remove()
    return case_id


def _meeting_leads() -> list:
    with db.engine.connect() as c:
        return list(c.execute(text("SELECT lead_department_id FROM xuanwu_case_meeting ORDER BY id")).scalars())


def test_meetings_recorded_before_the_lead_was_kept_are_led_by_the_approval_bureau_seed001(scratch_app):
    """Seed 001 (暂时办不了): "由区行政审批局牵头，组织相关部门召开联席会议'一事一议'". Xuanwu's
    second revision keeps the lead on the meeting and gives the meetings already held the bureau."""
    app = scratch_app(["xuanwu"])
    with app.app_context():
        _meetings_recorded_before_the_lead_was_kept(app)
        assert upgrade_all() == ["xuanwu"]
        assert _versions("xuanwu_alembic_version") == {"xuanwu_0002"}
        bureau = next(d for d in jurisdiction("xuanwu").departments if d.code == "xw-approval")
        assert _meeting_leads() == [bureau.id, bureau.id]


def test_meetings_recorded_before_the_lead_was_kept_stay_without_one_when_there_is_no_bureau(scratch_app):
    """A database without the bureau (renamed away) migrates; the old meetings' lead stays empty."""
    app = scratch_app(["xuanwu"])
    with app.app_context():
        _meetings_recorded_before_the_lead_was_kept(app, bureau_code="xw-approval-old")
        upgrade_all()
        assert _meeting_leads() == [None, None]


def test_each_history_sees_only_its_own_tables_so_autogenerate_finds_nothing_to_do(app):
    """`alembic check` (autogenerate without writing) on the migrated database: the core's pass
    proposes neither to create the plugins' tables nor to drop them or their version tables,
    and each plugin's pass leaves the core's tables alone."""
    from alembic import command

    from portal.schema import plugin_config

    command.check(app.extensions["migrate"].migrate.get_config())
    for name, tables in app.extensions["portal_plugins"].tables():
        command.check(plugin_config(name, tables.migrations))
