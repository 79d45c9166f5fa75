"""Languages on the public pages: the switch and its remembered choice, Accept-Language on a
first visit, localized dates and data, and every visible string going through Babel."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from .test_public_support import (  # noqa: F401 (fixtures)
    Page,
    demo,
    drive_to_replied,
    english,
    fast_passwords,
    file_online,
    intake_data,
    staff_for,
)

ROOT = Path(__file__).resolve().parent.parent


def lang_of(client, path="/", **headers) -> str:
    return Page(client.get(path, headers=headers).get_data(as_text=True)).html_lang


# -- choosing the language -------------------------------------------------------------------------------
@pytest.mark.parametrize("header,expected", [
    ("zh-TW", "zh-Hant"), ("zh-HK,zh;q=0.9", "zh-Hant"), ("zh-Hant-TW", "zh-Hant"), ("zh-CN", "zh-Hans"),
    ("en-GB", "en"), ("en-US,en;q=0.9", "en"), ("fr-FR, en;q=0.5", "en"), ("de", "zh-Hans"), ("", "zh-Hans"),
    ("ja;q=0.9, zh-TW;q=0.8", "zh-Hant"),
])
def test_first_visit_follows_accept_language(app, header, expected):
    assert lang_of(app.test_client(), "/", **{"Accept-Language": header}) == expected


def test_the_language_switch_is_visible_and_remembered(app):
    c = app.test_client()
    html = c.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    switch = html.split('class="langs"', 1)[1].split("</nav>", 1)[0]
    assert 'lang="zh-Hant"' in switch and "繁體中文" in switch and "English" in switch
    assert 'aria-current="true"' in switch
    r = c.get("/?lang=en")
    assert "lang=en" in r.headers["Set-Cookie"] and "Max-Age=31536000" in r.headers["Set-Cookie"]
    # remembered: later pages without ?lang= stay English, even against the browser's wish
    assert lang_of(c, "/guides", **{"Accept-Language": "zh-CN"}) == "en"
    c.get("/corrections?lang=zh_Hant")
    assert lang_of(c, "/track") == "zh-Hant"
    assert lang_of(c, "/?lang=klingon") == "zh-Hant", "an unknown choice changes nothing"


def test_switch_links_keep_the_page_and_its_query(demo):
    c = english(demo.test_client())
    html = c.get("/search?q=身份证&j=beijing").get_data(as_text=True)
    switch = html.split('class="langs"', 1)[1].split("</nav>", 1)[0]
    link = re.search(r'hreflang="zh-Hant" href="([^"]+)"', switch).group(1).replace("&amp;", "&")
    assert link.startswith("/search?") and "j=beijing" in link and "lang=zh_Hant" in link
    assert "q=%E8%BA%AB%E4%BB%BD%E8%AF%81" in link
    assert "/knowledge/" in c.get(link).get_data(as_text=True)


def test_switch_on_a_page_answering_a_post_links_to_a_page_that_exists(app):
    c = english(app.test_client())
    html = c.post("/file/kunming", data={}).get_data(as_text=True)
    links = re.findall(r'hreflang="[^"]+" href="([^"]+)"', html)
    assert links and all(c.get(u.replace("&amp;", "&")).status_code == 200 for u in links)


# -- localized content ---------------------------------------------------------------------------------------
def test_dates_are_localized(demo):
    c = demo.test_client()
    zh = c.get("/corrections?lang=zh_Hans").get_data(as_text=True)
    en = c.get("/corrections?lang=en").get_data(as_text=True)
    hant = c.get("/corrections?lang=zh_Hant").get_data(as_text=True)
    assert re.search(r"2026年9月\d+日", zh) and re.search(r"2026年9月\d+日", hant)
    assert re.search(r"September \d+, 2026", en)


def test_traditional_ui_shows_data_in_traditional_characters(demo):
    c = demo.test_client()
    html = c.get("/guides?lang=zh_Hant").get_data(as_text=True)
    assert "居住證辦理" in html and "居住证办理" not in html


def test_english_ui_shows_english_data_where_there_is_some(demo):
    c = demo.test_client()
    html = c.get("/corrections?lang=en").get_data(as_text=True)
    assert "Guide correction: residence permit needs the resident ID card" in html


def test_validation_messages_follow_the_language(make_app, tmp_path):
    """A message shown for a bad field is translated at the moment it is shown. (Each app has its
    own Babel object, so the catalogues another test's app loaded are not reused here.)"""
    tdir = pseudo_catalogue(tmp_path, "zh_Hant", marker=("〔", "〕"))
    app = make_app(BABEL_TRANSLATION_DIRECTORIES=str(tdir))
    with app.app_context():
        c = app.test_client()
        data = intake_data(app, "kunming", phone="12345")
        zh = c.post("/file/kunming?lang=zh_Hant", data=data).get_data(as_text=True)
        assert "〔Enter a mobile number (11 digits) or a landline with its area code.〕" in zh
        assert "〔There is a problem〕" in zh
        en = c.post("/file/kunming?lang=en", data=data).get_data(as_text=True)
        assert "Enter a mobile number (11 digits) or a landline with its area code." in en and "〔" not in en


# -- every visible string goes through Babel ----------------------------------------------------------------------
def extract_messages(out: Path) -> Path:
    pot = out / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "-q", "extract", "-F", str(ROOT / "babel.cfg"),
                    "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "--no-location", "portal", "plugins"],
                   cwd=ROOT, check=True)
    return pot


def pseudo_catalogue(tmp_path: Path, locale: str, marker=("⟦", "⟧")) -> Path:
    """A catalogue translating every extracted message to ⟦msgid⟧: what is not marked on a
    page did not go through Babel."""
    root = tmp_path / "translations"
    with open(extract_messages(tmp_path), "rb") as fh:
        template = read_po(fh)
    catalog = Catalog(locale=locale)
    left, right = marker
    for msg in template:
        if not msg.id:
            continue
        if isinstance(msg.id, tuple):
            string = tuple(f"{left}{msg.id[min(i, 1)]}{right}" for i in range(catalog.num_plurals))
        else:
            string = f"{left}{msg.id}{right}"
        catalog.add(msg.id, string)
    target = root / locale / "LC_MESSAGES"
    target.mkdir(parents=True)
    with open(target / "messages.mo", "wb") as fh:
        write_mo(fh, catalog)
    return root


ALLOWED = re.compile(r"^(?:[A-Z0-9]{2,}|[A-Z]{2,}-\d{4}-\d{6}|[A-Z0-9]{10})$")


def untranslated(html: str) -> list[str]:
    """English words on a page outside ⟦...⟧, outside elements marked lang="en" and outside code."""
    page = Page(html)
    found = []
    for text, stack in page.texts + page.attr_texts:
        if any(a.get("lang", "").startswith("en") for _t, a in stack) or \
                any(t in ("code", "time") for t, _a in stack):
            continue
        rest = re.sub(r"⟦.*?⟧", " ", text, flags=re.S)
        for word in re.findall(r"[A-Za-z][A-Za-z'’]+", rest):
            if not ALLOWED.match(word):
                found.append(f"{word!r} in {text.strip()[:80]!r}")
    return found


def test_every_visible_string_on_the_public_pages_goes_through_babel(make_app, tmp_path, fast_passwords):
    tdir = pseudo_catalogue(tmp_path, "zh_Hans")
    app = make_app(BABEL_TRANSLATION_DIRECTORIES=str(tdir), PORTAL_OPERATOR_NAME="示范政务服务中心",
                   PORTAL_ICP_NUMBER="京ICP备00000000号")
    with app.app_context():
        from portal.demo import load_demo_data
        from portal.knowledge.indexing import rebuild_index

        load_demo_data()
        rebuild_index()
        c = app.test_client()
        c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
        number, _code = file_online(c, app, "beijing-dongcheng")
        from .test_public_support import case_by_number

        drive_to_replied(case_by_number(number), staff_for("beijing-dongcheng"), "已为您办结。")
        pages = {
            "/": None, "/search?q=身份证": None, "/search?q=不存在的词语": None, "/guides": None, "/guides/1": None,
            "/guides/1?v=1": None, "/knowledge/1": None, "/corrections": None, "/file": None, "/track": None,
            f"/track/{number}": None, f"/receipt/{number}": None, "/no-such-page": None,
        }
        for j in ("kunming", "kunming-wuhua", "xuanwu", "beijing", "dazhou", "qingcheng"):
            pages[f"/file/{j}"] = None
        problems = {}
        for url in pages:
            problems[url] = untranslated(c.get(url).get_data(as_text=True))
        # pages answering a POST: errors, screening, a wrong tracking code, a bad rating
        problems["POST /file/xuanwu"] = untranslated(c.post("/file/xuanwu", data={"phone": "1"}).get_data(as_text=True))
        problems["POST /file/beijing (screened)"] = untranslated(c.post("/file/beijing", data={
            "matter": "劳动争议", "description": "我要去法院起诉用人单位拖欠工资。"}).get_data(as_text=True))
        problems["POST /track"] = untranslated(c.post("/track", data={"number": number, "code": "WRONG"})
                                               .get_data(as_text=True))
        problems["POST rate"] = untranslated(c.post(f"/track/{number}/rate", data={"level": "9"})
                                             .get_data(as_text=True))
        problems = {k: v for k, v in problems.items() if v}
        assert not problems, problems
