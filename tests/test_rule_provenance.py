"""Rule provenance on every page: each deadline names its real source (the jurisdiction's document
and article, as the reports state them) or says it is the portal's default setting, and no
internal tag ("seed 001", "core default", "DOMAIN") or misattribution ("Jiangsu window rules",
"one city's limit") reaches a public or staff page in any language. Every person here is invented."""
from __future__ import annotations

import pytest
from flask import g

from portal.public.kept_cases import sealed_receipt
from portal.engine import deadlines
from portal.extensions import db
from portal.rule_sources import INTERNAL_MARKERS

from .conftest import shanghai
from .factories import file, login, staff

LANGS = ("zh_Hans", "zh_Hant", "en")
PORTAL_DEFAULT = {
    "zh_Hans": "本平台的默认设置（可调整），并非本地有关规定确定的时限。",
    "zh_Hant": "本平臺的默認設置",
    "en": "The portal&#39;s default setting (it can be changed); no rule of this jurisdiction sets this limit.",
}


def _pages(app, filed, supervisor):
    """The receipt, the tracking page and the staff case page of one case, in every language."""
    number = filed.case.number
    public = app.test_client()
    with public.session_transaction() as s:
        s["tracked"] = [number]
    out = {}
    for lang in LANGS:
        with public.session_transaction() as s:
            s["receipt"] = sealed_receipt(number, filed.access_code)
        out[("receipt", lang)] = public.get(f"/receipt/{number}?lang={lang}")
        out[("track", lang)] = public.get(f"/track/{number}?lang={lang}")
    desk = app.test_client()
    login(desk, supervisor)
    for lang in LANGS:
        out[("staff", lang)] = desk.get(f"/staff/cases/{number}?lang={lang}")
    g.pop("_login_user", None)  # the test's one app context would carry the login to the next client
    return out


def _assert_clean(pages, where):
    for (page, lang), response in pages.items():
        assert response.status_code == 200, (where, page, lang)
        html = response.get_data(as_text=True)
        for marker in INTERNAL_MARKERS + ("江苏", "江蘇", "Jiangsu"):
            assert marker not in html, (where, page, lang, marker)


@pytest.mark.parametrize("plugins", [[], None], ids=["core-demo", "all-built-in-plugins"])
def test_no_internal_tag_or_misattribution_on_any_page_of_any_jurisdiction(make_app, plugins):
    """House rule (docs, issue 11): internal tags never reach a page; a limit no jurisdiction adopted
    is the portal's default, never "Jiangsu window rules" or "one city's limit". Every jurisdiction,
    every complexity, the reply and the rectify stage, receipt + tracking + staff case page, 3 languages."""
    app = make_app(**({} if plugins is None else {"PORTAL_JURISDICTIONS": plugins}))
    with app.app_context():
        host = app.extensions["portal_plugins"]
        codes = [spec.code for spec in host.jurisdiction_specs()]
        assert codes
        for i, code in enumerate(codes):
            sup = staff(f"prov-sup-{i}", "supervisor", code)
            for complexity in ("simple", "general", "complex"):
                filed = file(code, now=shanghai(2026, 3, 2, 10, 0), complexity=complexity)
                if complexity == "general":  # the rectify stage's limit too (a bad rating's)
                    deadlines.start_stage(filed.case, "rectify", shanghai(2026, 3, 3, 10, 0))
                    db.session.commit()
                pages = _pages(app, filed, sup.username)
                _assert_clean(pages, (code, complexity))
                # every deadline names a source: a document of the jurisdiction or the portal's default
                for lang in LANGS:
                    html = pages[("track", lang)].get_data(as_text=True)
                    assert 'class="meta rule-source"' in html, (code, complexity, lang)


@pytest.mark.parametrize("code", ["beijing-dongcheng", "beijing", "kunming", "qingcheng", "xuanwu"])
def test_a_limit_the_reports_do_not_give_is_shown_as_the_portals_default_setting(app, code):
    """Where the reports give no limit (Beijing seed 003, Kunming city seed 000, Qingcheng's
    non-ordinary problems seed 004, Xuanwu's types other than 暂时办不了 seed 001) the limit shown is
    the portal's configurable default, attributed to nobody."""
    filed = file(code, now=shanghai(2026, 3, 2, 10, 0))
    assert filed.case.active_deadline.explanation["source"] == "portal_default"
    sup = staff("prov-def", "supervisor", code)
    pages = _pages(app, filed, sup.username)
    _assert_clean(pages, code)
    for lang in LANGS:
        for page in ("receipt", "track", "staff"):
            assert PORTAL_DEFAULT[lang] in pages[(page, lang)].get_data(as_text=True), (page, lang)


def test_a_jurisdictions_own_limit_names_its_document_and_article(app):
    """Wuhua (seed 000): 启动……三级响应机制，一般问题3个工作日内办理反馈 — shown as its source."""
    filed = file("kunming-wuhua", now=shanghai(2026, 3, 2, 10, 0))
    sup = staff("prov-wh", "supervisor", "kunming-wuhua")
    pages = _pages(app, filed, sup.username)
    zh = pages[("track", "zh_Hans")].get_data(as_text=True)
    assert "五华区“三级响应”机制" in zh and "一般问题3个工作日内办理反馈" in zh
    en = pages[("track", "en")].get_data(as_text=True)
    assert "Wuhua District three-level response mechanism" in en
    assert PORTAL_DEFAULT["en"] not in en


def test_the_portals_default_limits_are_a_setting(make_app):
    """The portal's defaults are configurable (PORTAL_DEFAULT_TIME_LIMITS), and still attributed to nobody."""
    app = make_app(PORTAL_DEFAULT_TIME_LIMITS={"general": 7, "rectify": 10})
    with app.app_context():
        row = file("beijing", now=shanghai(2026, 3, 2, 10, 0)).case.active_deadline
        assert row.days == 7 and row.rule == "Answered within 7 working days"
        assert row.explanation["rule_zh"] == "7个工作日内答复" and row.explanation["source"] == "portal_default"
        limit = app.extensions["portal_plugins"].for_jurisdiction("beijing").portal_time_limit(
            category=None, complexity="general", stage="rectify")
        assert limit.days == 10 and limit.portal_default


OLD_CORE_TEXTS = [
    # (days, English, Chinese) as rows stored them before rules carried their source
    (15, "Complex cases: an opinion within 15 working days (Jiangsu window rules)",
     "复杂事项15个工作日内提出处理意见（江苏省窗口工作规则）"),
    (5, "Bad rating verified and rectified within 5 working days (national 好差评 rules, one city's limit)",
     "差评5个工作日内核查整改（政务服务“好差评”制度，一地的整改时限）"),
    (5, "Reply within 5 working days (core default)", "5个工作日内答复（core default）"),
    (0, "Simple matters done on the spot (core default)", "简单事项当场办结（core default）"),
]


@pytest.mark.parametrize("days, en, zh", OLD_CORE_TEXTS)
def test_rows_stored_with_the_old_default_texts_show_as_the_portals_default(app, days, en, zh):
    """Rows already in databases keep their record (a stored deadline is never rewritten); they are
    shown with today's wording and as the portal's default setting, never as Jiangsu's or one
    city's rule and never with "core default"."""
    filed = file("beijing", now=shanghai(2026, 3, 2, 10, 0))
    row = filed.case.active_deadline
    row.days, row.rule = days, en
    row.explanation = {**{k: v for k, v in row.explanation.items() if k != "source"}, "rule_zh": zh}
    db.session.commit()
    sup = staff("prov-old", "supervisor", "beijing")
    pages = _pages(app, filed, sup.username)
    _assert_clean(pages, en)
    for lang in LANGS:
        assert PORTAL_DEFAULT[lang] in pages[("track", lang)].get_data(as_text=True), lang
        assert PORTAL_DEFAULT[lang] in pages[("staff", lang)].get_data(as_text=True), lang


def test_a_row_stored_with_a_plugins_old_tagged_text_shows_its_source(app):
    """An old Dazhou row "… (seed 002)" (seed 002's limits) is shown without the tag, with the
    window's handling time limits as its source."""
    filed = file("dazhou", now=shanghai(2026, 3, 2, 10, 0))
    row = filed.case.active_deadline
    row.rule = "Dazhou: general matters rectified with feedback within 3 working days (seed 002)"
    row.explanation = {**{k: v for k, v in row.explanation.items() if k != "source"},
                       "rule_zh": "达州市：一般事项3个工作日内整改反馈（seed 002）"}
    db.session.commit()
    sup = staff("prov-dz", "supervisor", "dazhou")
    pages = _pages(app, filed, sup.username)
    _assert_clean(pages, "dazhou")
    zh = pages[("track", "zh_Hans")].get_data(as_text=True)
    assert "达州市“办不成事”受理窗口办理时限要求" in zh
