"""The catalogues, the core's and each plugin package's: every msgid of a fresh extraction is
translated (not fuzzy, not empty, same placeholders) in zh_Hans, zh_Hant and en; zh_Hant is what
derive-traditional makes of zh_Hans; and pages really render in each language through
Flask-Babel, with every enabled plugin's catalogues merged in.

When this fails after you added strings: `make update-messages`, translate the empty entries
of translations/zh_Hans/LC_MESSAGES/messages.po (or the plugin's
<package>/translations/zh_Hans/LC_MESSAGES/messages.po), `make update-messages` again (see
translations/README.md)."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.support import Translations

from portal import i18n_tools as t

HEADING = {
    "zh_Hans": "办不成事？请向我们反映。",
    "zh_Hant": "辦不成事？請向我們反映。",
    "en": "Could not get it done? Tell us.",
}
HTML_LANG = {"zh_Hans": 'lang="zh-Hans"', "zh_Hant": 'lang="zh-Hant"', "en": 'lang="en"'}
FIX = ("When strings were added: make update-messages, translate the empty entries of "
       "translations/zh_Hans/LC_MESSAGES/messages.po (a plugin's: <package>/translations/...), "
       "make update-messages again.")
ROOT = Path(__file__).resolve().parent.parent
#: Every plugin package in the tree: the built-in ones and the outside example.
PLUGIN_PACKAGES = sorted(p.parent for p in [*ROOT.glob("plugins/*/__init__.py"),
                                             *ROOT.glob("tests/plugin_example/*/__init__.py")])


@pytest.fixture(scope="module", autouse=True)
def compiled():
    """The pages below need the .mo files; `make translations` writes them too."""
    t.compile_catalogues()
    for package in PLUGIN_PACKAGES:
        if t.plugin_catalogues(package).is_dir():
            t.compile_catalogues(t.plugin_catalogues(package))


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """What the code asks for right now (not the committed messages.pot, which may be stale)."""
    return t.extract(tmp_path_factory.mktemp("pot") / "messages.pot")


@pytest.fixture(scope="module")
def catalogues():
    return {locale: t._load(t.po_path(locale)) for locale in t.LOCALES}


def _report(problems: dict) -> str:
    lines = [f"  {msgid!r}: {'; '.join(what)}" for msgid, what in sorted(problems.items())]
    return f"{len(problems)} entries:\n" + "\n".join(lines[:60]) + ("\n  ..." if len(lines) > 60 else "") + "\n" + FIX


def _ids(catalog) -> set:
    return {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog if m.id}


def test_extraction_finds_python_and_templates_of_the_core_only(template):
    ids = _ids(template)
    assert "Could not get it done? Tell us." in ids            # portal template
    assert "Access code" in ids                                # portal Python (lazy_gettext as _l)
    assert "%(num)d working day" in ids                        # ngettext in a template
    assert "Spring Festival" in ids                            # _l in portal/i18n.py
    assert "A petition (xinfang)" not in ids                   # Beijing's: in Beijing's own catalogues


def test_a_plugin_package_is_extracted_on_its_own(tmp_path):
    beijing = t.extract(tmp_path / "b.pot", sources=[ROOT / "plugins" / "beijing"])
    ids = _ids(beijing)
    assert "A petition (xinfang)" in ids                       # plugin Python (toolkit._l)
    assert "Fault-finding day" in ids                          # its staff page template
    assert "Who is applying?" not in ids                       # Xuanwu's


@pytest.mark.parametrize("package", PLUGIN_PACKAGES, ids=lambda p: p.name)
def test_every_plugin_msgid_is_translated_in_the_plugins_own_catalogues(package, tmp_path):
    """Issue 11: a plugin ships zh_Hans, zh_Hant and en catalogues inside its own package, and
    they are complete; a package with no strings needs none."""
    template = t.extract(tmp_path / "messages.pot", sources=[package])
    folder = t.plugin_catalogues(package)
    if not any(m.id for m in template):
        assert not folder.exists() or not list(folder.glob("*/LC_MESSAGES/messages.po")), \
            f"{package.name}: catalogues for a package with no strings"
        return
    report = t.check(folder, template)
    assert not report, f"{package.name}: " + "; ".join(
        f"{locale}: " + _report(problems) for locale, problems in report.items())
    hans = t._load(t.po_path("zh_Hans", folder))
    hant = t._load(t.po_path("zh_Hant", folder))
    for msg in hans:
        if msg.id and not isinstance(msg.string, tuple):
            assert hant.get(msg.id, msg.context).string == t.to_traditional(msg.string), msg.id


def test_update_plugin_creates_and_merges_a_plugins_catalogues(tmp_path):
    """The documented command (`python -m portal.i18n_tools update-plugin FOLDER`): a new plugin
    gets three catalogues; English is filled; a msgid the core already translates is seeded from
    the core's catalogue; a removed msgid is dropped; a package without strings gets none."""
    pkg = tmp_path / "shenzhen_demo"
    (pkg / "templates").mkdir(parents=True)
    (pkg / "__init__.py").write_text('from portal.toolkit import _l\nA = _l("Access code")\nB = _l("Night window")\n')
    (pkg / "templates" / "x.html").write_text('<p>{{ _("Opening hours of the night window") }}</p>')
    assert t.update_plugin(pkg, seed=t.TRANSLATIONS) is not None
    hans = t._load(t.po_path("zh_Hans", t.plugin_catalogues(pkg)))
    assert hans.get("Access code").string == t._load(t.po_path("zh_Hans")).get("Access code").string
    assert hans.get("Night window").string == "" and hans.get("Opening hours of the night window") is not None
    assert t._load(t.po_path("en", t.plugin_catalogues(pkg))).get("Night window").string == "Night window"
    assert t.po_path("zh_Hant", t.plugin_catalogues(pkg)).exists()
    files = sorted(t.plugin_catalogues(pkg).rglob("messages.po*"))
    for f in files:  # as if written long ago: a rewrite would stamp today's date
        f.write_bytes(re.sub(rb"POT-Creation-Date: [^\\]*", b"POT-Creation-Date: 2000-01-01 00:00+0000", f.read_bytes()))
    before = {f: f.read_bytes() for f in files}
    t.update_plugin(pkg, seed=t.TRANSLATIONS)  # nothing changed in the sources: no file rewritten
    assert {f: f.read_bytes() for f in files} == before
    (pkg / "__init__.py").write_text('from portal.toolkit import _l\nB = _l("Night window")\n')
    t.update_plugin(pkg)
    assert t._load(t.po_path("zh_Hans", t.plugin_catalogues(pkg))).get("Access code") is None
    empty = tmp_path / "no_strings"
    empty.mkdir()
    (empty / "__init__.py").write_text("X = 1\n")
    assert t.update_plugin(empty) is None and not (empty / "translations").exists()


@pytest.mark.parametrize("locale", t.LOCALES)
def test_every_msgid_is_translated(template, catalogues, locale):
    problems = t.catalogue_problems(catalogues[locale], template)
    assert not problems, f"{locale}: " + _report(problems)


@pytest.mark.parametrize("locale", t.LOCALES)
def test_catalogue_header(catalogues, locale):
    assert t.header_problems(catalogues[locale], locale) == []


def test_traditional_is_derived_from_simplified(catalogues):
    hans, hant = catalogues["zh_Hans"], catalogues["zh_Hant"]
    stale = {}
    for msg in hans:
        if not msg.id:
            continue
        other = hant.get(msg.id, msg.context)
        want = tuple(t.to_traditional(s) for s in msg.string) if isinstance(msg.string, tuple) \
            else t.to_traditional(msg.string)
        if other is None or other.string != want:
            stale[msg.id if isinstance(msg.id, str) else msg.id[0]] = ["zh_Hant differs from derive-traditional(zh_Hans)"]
    assert not stale, _report(stale)


def test_traditional_overrides():
    assert t.to_traditional("已发布，请核查为群众办事的账号") == "已發布，請核查為群眾辦事的帳號"
    assert t.to_traditional("答复群众，复杂事项，恢复计时，节假日日历") == "答覆群眾，複雜事項，恢復計時，節假日日曆"
    assert t.to_traditional("在哪里办理？") == "在哪裡辦理？"
    assert t.to_traditional("反映“办不成事”窗口") == "反映「辦不成事」窗口"


# ------------------------------------------------------------------ the checker itself

def _catalog(locale, *messages):
    cat = Catalog(locale=locale)
    for m in messages:
        cat[m.id] = m
    return cat


def _tmpl(*ids):
    cat = Catalog()
    for i in ids:
        cat.add(i)
    return cat


@pytest.mark.parametrize(("msgid", "msgstr", "ok"), [
    ("Line %(line)d: unknown department %(code)s.", "第%(line)d行：部门编码%(code)s不存在。", True),
    ("Line %(line)d: unknown department %(code)s.", "部门编码%(code)s不存在（第%(line)d行）。", True),   # reordered
    ("Line %(line)d: unknown department %(code)s.", "第%(line)d行：部门编码不存在。", False),            # dropped
    ("Line %(line)d: unknown department %(code)s.", "第%(line)s行：部门编码%(code)s不存在。", False),    # d → s
    ("Line %(line)d: unknown department %(code)s.", "第%(lines)d行：部门编码%(code)s不存在。", False),   # renamed
    ("Done.", "已完成100%。", False),                                                             # stray %
    ("Done.", "已完成。", True),
    ("100%% done", "已完成100%%", True),
])
def test_placeholder_check(msgid, msgstr, ok):
    cat = _catalog("zh_Hans", Message(msgid, msgstr))
    assert (t.catalogue_problems(cat, _tmpl(msgid)) == {}) is ok


def test_missing_empty_fuzzy_english_and_plural_forms_are_reported():
    cat = Catalog(locale="zh_Hans")
    cat.add("Empty", "")
    cat.add("Fuzzy", "模糊", flags=["fuzzy"])
    cat.add("Left alone", "Left alone")
    cat.add(("%(num)d case", "%(num)d cases"), ("共%(num)d件", "共%(num)d件"))
    cat.add(("%(num)d entry", "%(num)d entries"), ("共%(num)d条",))
    tmpl = _tmpl("Empty", "Fuzzy", "Left alone", "Missing", "CSV",
                 ("%(num)d case", "%(num)d cases"), ("%(num)d entry", "%(num)d entries"))
    cat.add("CSV", "CSV")
    problems = t.catalogue_problems(cat, tmpl)
    assert problems["Empty"] == ["untranslated"]
    assert problems["Fuzzy"] == ["fuzzy"]
    assert problems["Missing"] == ["missing"]
    assert problems["Left alone"][0].startswith("left in English")
    assert "plural forms" in problems["%(num)d case"][0]
    assert "CSV" not in problems and "%(num)d entry" not in problems


def test_compile_catalogues_writes_missing_or_stale_files_only(tmp_path, catalogues):
    shutil.copytree(t.TRANSLATIONS, tmp_path / "tr", ignore=shutil.ignore_patterns("*.mo", "*.pot"))
    written = t.compile_catalogues(tmp_path / "tr")
    assert sorted(p.parent.parent.name for p in written) == sorted(t.LOCALES)
    assert t.compile_catalogues(tmp_path / "tr") == []
    po = t.po_path("zh_Hans", tmp_path / "tr")
    cat = t._load(po)
    cat["Home"].string = "主页"
    t._save(cat, po)
    assert t.compile_catalogues(tmp_path / "tr") == [po.with_suffix(".mo")]
    tr = Translations.load(str(tmp_path / "tr"), ["zh_Hans"])
    assert tr.gettext("Home") == "主页"
    assert tr.ngettext("%(num)d case", "%(num)d cases", 5) % {"num": 5} == "共5件"


# ------------------------------------------------------------------ real requests

HOW = [
    ({"headers": {"Accept-Language": "zh-CN,zh;q=0.9"}}, "zh_Hans"),
    ({}, "zh_Hans"),                                                         # the default
    ({"headers": {"Accept-Language": "zh-TW"}}, "zh_Hant"),
    ({"query_string": {"lang": "zh_Hant"}}, "zh_Hant"),
    ({"headers": {"Accept-Language": "en-GB,en;q=0.8"}}, "en"),
    ({"query_string": {"lang": "en"}, "headers": {"Accept-Language": "zh-CN"}}, "en"),
]
PAGES = ["/", "/search?q=身份证", "/guides", "/corrections", "/transparency", "/file", "/track",
         "/staff/login", "/no/such/page"]
FOOTER = {"zh_Hans": "我们绝不公开您的姓名", "zh_Hant": "我們絕不公開您的姓名", "en": "We never publish your name"}
COUNT = {"zh_Hans": "共0条", "zh_Hant": "共0條", "en": "0 entries"}


def test_home_page_in_each_language(client):
    """One app for all the cases (each app costs a database wipe)."""
    for how, locale in HOW:
        client.delete_cookie("lang")
        r = client.get("/", **how)
        assert r.status_code == 200, how
        html = r.get_data(as_text=True)
        assert HEADING[locale] in html, (how, locale)
        assert HTML_LANG[locale] in html, (how, locale)
        assert not [h for other, h in HEADING.items() if other != locale and h in html], (how, locale)


def test_pages_render_translated(client):
    for locale in t.LOCALES:
        for url in PAGES:
            sep = "&" if "?" in url else "?"
            r = client.get(f"{url}{sep}lang={locale}")
            assert r.status_code in (200, 404), (url, locale, r.status_code)
            html = r.get_data(as_text=True)
            assert FOOTER[locale] in html, (url, locale)                     # from base.html
            if locale != "en":
                assert "Skip to main content" not in html, (url, locale)


def test_plural_message_renders(client):
    for locale, count in COUNT.items():
        html = client.get(f"/corrections?lang={locale}").get_data(as_text=True)
        assert f'<p role="status">{count}</p>' in html, locale
