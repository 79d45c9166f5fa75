"""Issue 11, part 1: a plugin ships its own catalogues and the portal merges every enabled
plugin's with its own. No database: the apps here only translate."""
from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from flask_babel import gettext

from portal import create_app
from portal import i18n_tools as t
from portal.toolkit import JurisdictionPlugin

ROOT = Path(__file__).resolve().parent.parent
BEIJING = ROOT / "plugins" / "beijing" / "translations"


@pytest.fixture(scope="module", autouse=True)
def compiled():
    t.compile_catalogues()
    t.compile_catalogues(BEIJING)


def _app(tmp_path, plugins, **extra):
    return create_app({"TESTING": True, "SECRET_KEY": "t", "INSTANCE_PATH": str(tmp_path / "inst"),
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
                       "PORTAL_INDEX_DIR": str(tmp_path / "index"), "PORTAL_JURISDICTIONS": plugins, **extra})


def _say(app, msgid, locale):
    with app.test_request_context(f"/?lang={locale}"):
        return gettext(msgid)


def test_hook_portal_translations_an_enabled_plugins_catalogues_are_merged(tmp_path):
    app = _app(tmp_path, ["beijing", "kunming"])
    dirs = app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")
    assert dirs == [str(BEIJING), str(t.TRANSLATIONS)]  # plugins first, the core's last
    assert _say(app, "A petition (xinfang)", "zh_Hans") == "信访事项"
    assert _say(app, "A petition (xinfang)", "zh_Hant") == t.to_traditional("信访事项")
    assert _say(app, "A petition (xinfang)", "en") == "A petition (xinfang)"
    assert _say(app, "Access code", "zh_Hans") == "查询码"  # the core's, in the same request


def test_a_disabled_plugins_catalogues_are_not_loaded(tmp_path):
    app = _app(tmp_path, ["kunming"])
    assert app.config["BABEL_TRANSLATION_DIRECTORIES"] == str(t.TRANSLATIONS)
    assert _say(app, "A petition (xinfang)", "zh_Hans") == "A petition (xinfang)"


def test_apps_with_other_plugins_do_not_share_loaded_catalogues(tmp_path):
    """Flask-Babel keeps loaded catalogues per Babel object, keyed by locale only: one per app."""
    with_beijing = _app(tmp_path / "a", ["beijing"])
    without = _app(tmp_path / "b", ["kunming"])
    assert _say(with_beijing, "A petition (xinfang)", "zh_Hans") == "信访事项"
    assert _say(without, "A petition (xinfang)", "zh_Hans") == "A petition (xinfang)"


def _catalogue(folder: Path, locale: str, entries: dict) -> None:
    cat = Catalog(locale=locale, fuzzy=False)
    for msgid, msgstr in entries.items():
        cat.add(msgid, msgstr)
    path = t.po_path(locale, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    t._save(cat, path)


def _outside_plugin(folder: Path):
    """A plugin from outside the tree whose catalogue also re-translates a core msgid."""
    from portal.toolkit import JurisdictionSpec, hookimpl

    class Nightdesk(JurisdictionPlugin):
        code = "nightdesk"

        @hookimpl
        def portal_jurisdictions(self):
            return [JurisdictionSpec("nightdesk", "夜间窗口", "Night desk", "district", case_prefix="ND")]

        @hookimpl
        def portal_translations(self):
            return str(folder)

    return Nightdesk


def test_a_plugin_cannot_reword_the_cores_messages(tmp_path):
    folder = tmp_path / "nightdesk_translations"
    for locale in t.LOCALES:
        _catalogue(folder, locale, {"Night desk hours": "夜间窗口时间" if locale != "en" else "Night desk hours",
                                    "Access code": "密码"})
    app = _app(tmp_path, [], PORTAL_EXTRA_PLUGINS={"nightdesk": _outside_plugin(folder)})
    # not compiled beside the .po files: compiled into the instance folder at start
    dirs = app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")
    assert dirs[0] == str(tmp_path / "inst" / "plugin-translations" / "nightdesk")
    assert _say(app, "Night desk hours", "zh_Hans") == "夜间窗口时间"
    assert _say(app, "Access code", "zh_Hans") == "查询码"


def test_the_base_class_finds_the_translations_folder_beside_the_plugin_module():
    from bancheng_plugins.beijing import Beijing
    from bancheng_plugins.kunming import Kunming

    assert Beijing().portal_translations() == str(BEIJING)
    assert Kunming().portal_translations() is None  # Kunming has no strings of its own
