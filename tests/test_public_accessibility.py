"""Accessibility and mobile use of the public pages: labels, headings, unique ids, no script
needed, no fixed widths beyond a 360 px screen, colour contrast, the elderly-friendly mode."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from .test_public_support import (  # noqa: F401 (fixtures)
    Page,
    case_by_number,
    client,
    drive_to_replied,
    english,
    file_online,
    staff_for,
)

STATIC = Path(__file__).resolve().parent.parent / "portal" / "static"


_RENDERED: dict[str, str] = {}


@pytest.fixture
def pages(make_app, monkeypatch):
    """The public pages a person meets, including forms with errors and a case to rate.
    Rendered once for the module: the checks below only read the HTML."""
    if not _RENDERED:
        from werkzeug.security import generate_password_hash

        import portal.models.staff as staff_module
        from portal.demo import load_demo_data
        from portal.knowledge.indexing import rebuild_index

        monkeypatch.setattr(staff_module, "generate_password_hash",
                            lambda p, method=None: generate_password_hash(p, method="pbkdf2:sha256:1"))
        app = make_app()
        with app.app_context():
            load_demo_data()
            rebuild_index()
            try:
                _RENDERED.update(_render(app))
            finally:
                index = app.extensions.get("portal_search")
                if index is not None:
                    index.close()
    return _RENDERED


def _render(app) -> dict[str, str]:
    c = english(app.test_client())
    number, _code = file_online(c, app, "xuanwu")
    drive_to_replied(case_by_number(number), staff_for("xuanwu"), "已为您办结。")
    from sqlalchemy import select as _select

    from portal.extensions import db as _db
    from portal.models import KnowledgeEntry, ServiceGuide

    # ids are not 1, 2 on PostgreSQL (sequences survive the wipe): address the first rows
    gid = _db.session.scalar(_select(ServiceGuide.id).order_by(ServiceGuide.id))
    eids = _db.session.scalars(_select(KnowledgeEntry.id).order_by(KnowledgeEntry.id)).all()
    alias = {"/guides/1": f"/guides/{gid}", "/guides/1?v=1": f"/guides/{gid}?v=1",
             "/knowledge/1": f"/knowledge/{eids[0]}", "/knowledge/2": f"/knowledge/{eids[1]}"}
    out = {}
    for url in ["/", "/search", "/search?q=身份证", "/search?q=身份证&j=beijing-dongcheng", "/guides", "/guides/1",
                "/guides/1?v=1", "/knowledge/1", "/knowledge/2", "/corrections", "/file", "/track",
                f"/track/{number}", f"/receipt/{number}", "/no-such-page"]:
        out[url] = c.get(alias.get(url, url)).get_data(as_text=True)
    for j in ("kunming", "kunming-wuhua", "xuanwu", "beijing", "beijing-dongcheng", "dazhou", "qingcheng"):
        out[f"/file/{j}"] = c.get(f"/file/{j}").get_data(as_text=True)
        out[f"POST /file/{j}"] = c.post(f"/file/{j}", data={"phone": "1"}).get_data(as_text=True)
    out["POST /track"] = c.post("/track", data={"number": number, "code": "WRONG"}).get_data(as_text=True)
    out["POST rate"] = c.post(f"/track/{number}/rate", data={"level": ""}).get_data(as_text=True)
    out["screened"] = c.post("/file/beijing", data={"matter": "劳动争议", "description": "我要去法院起诉用人单位。"}
                             ).get_data(as_text=True)
    zh = english(app.test_client())
    zh.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    for url in ("/", "/search?q=身份证", "/guides/1", "/file/beijing"):
        out[f"zh {url}"] = zh.get(alias.get(url, url)).get_data(as_text=True)
    return out


def test_every_form_control_has_a_label(pages):
    for url, html in pages.items():
        page = Page(html)
        for control in page.controls:
            named = (control.get("id") in page.labels_for or control.get("aria-label")
                     or control.get("aria-labelledby"))
            assert named, (url, control)


def test_one_h1_and_headings_in_order(pages):
    for url, html in pages.items():
        levels = Page(html).headings
        assert levels and levels[0] == 1 and levels.count(1) == 1, (url, levels)
        for a, b in zip(levels, levels[1:]):
            assert b <= a + 1, (url, levels)


def test_ids_are_unique_and_error_links_have_targets(pages):
    for url, html in pages.items():
        page = Page(html)
        assert len(page.ids) == len(set(page.ids)), (url, sorted(i for i in page.ids if page.ids.count(i) > 1))
        for href in page.links:
            if href.startswith("#"):
                assert href[1:] in page.ids, (url, href)


def test_pages_work_without_javascript(pages):
    for url, html in pages.items():
        assert Page(html).scripts == 0, url
        assert not re.search(r"\son[a-z]+\s*=", html), url
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html


def test_html_lang_skip_link_and_main_landmark(pages):
    for url, html in pages.items():
        page = Page(html)
        assert page.html_lang in ("en", "zh-Hans", "zh-Hant"), url
        assert '<a class="skip" href="#main">' in html and 'id="main"' in html


def test_error_summaries_are_announced(pages):
    for key in ("POST /file/kunming", "POST /track", "POST rate"):
        html = pages[key]
        assert 'class="error-summary" role="alert"' in html, key


def _css(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def test_no_fixed_widths_wider_than_a_360px_phone():
    for name in ("portal.css", "large.css"):
        # the public rules; the staff workspace's section at the end (wide queues scroll in their box) is not ours
        public = _css(name).split("/* staff", 1)[0]
        css = re.sub(r"/\*.*?\*/", "", public, flags=re.S)
        css = re.sub(r"@media[^{]*\{", "{", css)  # breakpoints are conditions, not widths
        for prop, value, unit in re.findall(r"(?<![-\w])((?:min-)?width)\s*:\s*([\d.]+)(px|rem|em|vw)", css):
            size = float(value) * (16 if unit in ("rem", "em") else 1)
            if unit == "vw":
                assert float(value) <= 100
                continue
            if prop == "width" or prop == "min-width":
                assert size <= 320, f"{name}: {prop}: {value}{unit}"
        assert "position: fixed" not in css
        for m in re.finditer(r"grid-template-columns\s*:\s*([^;]+);", css):
            assert "px" not in m.group(1), m.group(1)


def _luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    channels = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_text_colours_meet_wcag_aa_contrast():
    css = _css("portal.css")
    var = dict(re.findall(r"--([a-z]+):\s*(#[0-9a-fA-F]{3,6})", css))
    pairs = {  # (text, background) as the stylesheet uses them
        "body text": (var["ink"], var["bg"]), "hints and meta": (var["muted"], var["bg"]),
        "links": (var["link"], var["bg"]), "header": ("#fff", var["red"]), "buttons": ("#fff", var["green"]),
        "errors": (var["error"], var["bg"]), "overdue badge": ("#fff", var["error"]),
        "highlight": (var["ink"], "#fff2a8"), "struck-out text": ("#8a1c00", var["bg"]),
        "corrected text": (var["green"], var["bg"]), "flash": (var["ink"], "#eef4fb"),
        "secondary button": (var["ink"], var["panel"]), "confirmation panel": ("#fff", var["green"]),
    }
    for what, (fg, bg) in pairs.items():
        assert fg.lower() in css.lower() and bg.lower() in css.lower() or what in ("body text",), what
        assert contrast(fg, bg) >= 4.5, (what, fg, bg, round(contrast(fg, bg), 2))
    large = _css("large.css")
    for fg, bg in (("#000", "#fff"), ("#00308f", "#fff"), ("#222", "#fff"), ("#fff", "#8b0000")):
        assert fg in large or bg in large
        assert contrast(fg, bg) >= 7, (fg, bg)  # AAA in the elderly-friendly mode


def test_large_text_mode_is_remembered_and_switches_back(app, client):
    r = client.get("/large-text?next=/guides")
    assert r.status_code == 303 and r.headers["Location"].endswith("/guides")
    assert "large=1" in r.headers["Set-Cookie"]
    html = client.get("/guides").get_data(as_text=True)
    assert "large.css" in html and 'class="large"' in html and "Standard text" in html
    client.get("/large-text?next=/")
    html = client.get("/").get_data(as_text=True)
    assert "large.css" not in html and "Large text" in html


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example",
                                    "javascript:alert(1)", "", "evil"])
def test_large_text_switch_never_redirects_off_site(client, target):
    r = client.get("/large-text", query_string={"next": target})
    assert r.status_code == 303 and r.headers["Location"] in ("/", "http://localhost/")


def test_large_text_link_returns_to_the_same_page_with_its_query(client):
    html = client.get("/search?q=租赁").get_data(as_text=True)
    link = re.search(r'class="large-toggle" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    r = client.get(link)
    assert r.headers["Location"].endswith("/search?q=%E7%A7%9F%E8%B5%81")


def test_tables_scroll_inside_their_box_on_a_narrow_screen(pages):
    html = pages["/guides/1"]
    assert '<div class="table-wrap"><table class="stack">' in html
    assert ".table-wrap { overflow-x: auto" in _css("portal.css")
