"""Deadline rules in the reader's language: every TimeLimit has a Chinese text, pages show it.
Every person here is invented."""
from __future__ import annotations

import re

from portal.contracts import TimeLimit
from portal.extensions import db
from portal.i18n_tools import to_traditional

from .conftest import shanghai
from .factories import file, login, staff


def test_every_time_limit_of_every_plugin_has_a_chinese_text(make_app):
    # The core's own demo jurisdiction, then every built-in plugin's jurisdictions.
    for plugins in ([], ["kunming", "xuanwu", "beijing", "dazhou", "qingcheng"]):
        app = make_app(PORTAL_JURISDICTIONS=plugins)
        host = app.extensions["portal_plugins"]
        for spec in host.jurisdiction_specs():
            limits = host.time_limits(spec.code)
            assert limits, spec.code
            for limit in limits:
                assert isinstance(limit, TimeLimit) and limit.rule, spec.code
                assert limit.rule_zh.strip(), (spec.code, limit.rule)
                assert re.search(r"[\u4e00-\u9fff]", limit.rule_zh), limit.rule_zh
                # the number of days is the same in both texts
                if limit.days:
                    assert f"{limit.days}个工作日" in limit.rule_zh, limit.rule_zh


def _tracked(client, case):
    with client.session_transaction() as s:
        s["tracked"] = [case.number]


def test_tracking_page_shows_the_rule_in_the_readers_language(app):
    # Wuhua, general: 3 working days (seed 000).
    case = file("kunming-wuhua", now=shanghai(2026, 3, 2, 10, 0)).case
    row = case.active_deadline
    assert row.rule.startswith("Wuhua") and row.explanation["rule_zh"].startswith("五华区")
    client = app.test_client()
    _tracked(client, case)
    zh = client.get(f"/track/{case.number}?lang=zh_Hans").get_data(as_text=True)
    assert "五华区：一般问题3个工作日内办理反馈" in zh
    assert "Wuhua: ordinary problems" not in zh and "seed 000" not in zh
    hant = client.get(f"/track/{case.number}?lang=zh_Hant").get_data(as_text=True)
    assert to_traditional("五华区：一般问题3个工作日内办理反馈") in hant and "五華區" in hant
    en = client.get(f"/track/{case.number}?lang=en").get_data(as_text=True)
    assert "Wuhua: ordinary problems handled with feedback within 3 working days" in en
    assert "五华区：一般问题" not in en


def test_staff_case_page_shows_the_rule_with_its_source_in_the_readers_language(app):
    """Seed 002: the window's staff state the limits (一般事项3个工作日内整改反馈); the page names
    that as the source, never the internal "(seed 002)"."""
    case = file("dazhou", now=shanghai(2026, 3, 2, 10, 0)).case
    staff("dz-clerk", "clerk", "dazhou")
    client = app.test_client()
    login(client, "dz-clerk")
    zh = client.get(f"/staff/cases/{case.number}?lang=zh_Hans").get_data(as_text=True)
    assert "达州市：一般事项3个工作日内整改反馈" in zh
    assert "达州市“办不成事”受理窗口办理时限要求：一般事项3个工作日内整改反馈" in zh
    en = client.get(f"/staff/cases/{case.number}?lang=en").get_data(as_text=True)
    assert "Dazhou: general matters rectified with feedback within 3 working days" in en
    assert "Dazhou &#39;couldn&#39;t get it done&#39; accepting window: handling time limits" in en
    assert "seed 002" not in zh and "seed 002" not in en


def test_a_stored_row_keeps_its_texts_and_a_pause_keeps_both(app):
    from portal.engine import deadlines

    case = file("xuanwu", now=shanghai(2026, 3, 2, 10, 0), category="not_yet").case
    first = case.active_deadline
    assert first.explanation["rule_zh"] == "玄武区：原则上3个工作日内给予答复"
    deadlines.extend(case, 2, "等待材料")
    db.session.commit()
    second = case.active_deadline
    assert second is not first and second.rule == first.rule
    assert second.explanation["rule_zh"] == first.explanation["rule_zh"]
    assert second.explanation["source"] == first.explanation["source"]  # and its source


def test_a_row_stored_before_rules_had_chinese_texts_is_looked_up_or_left_in_english(app):
    case = file("xuanwu", now=shanghai(2026, 3, 2, 10, 0), category="not_yet").case
    row = case.active_deadline
    # an old row: its English rule with the tag it then had, no Chinese text, no source
    row.rule = "Xuanwu: answered within 3 working days in principle (seed 001)"
    row.explanation = {k: v for k, v in row.explanation.items() if k not in ("rule_zh", "source")}
    db.session.commit()
    client = app.test_client()
    _tracked(client, case)
    zh = client.get(f"/track/{case.number}?lang=zh_Hans").get_data(as_text=True)
    assert "玄武区：原则上3个工作日内给予答复" in zh  # today's plugin knows that English rule
    row.rule = "An old rule nobody states any more (seed 001)"
    db.session.commit()
    zh = client.get(f"/track/{case.number}?lang=zh_Hans").get_data(as_text=True)
    assert "An old rule nobody states any more" in zh  # unknown: the stored text, without its tag
    assert "seed 001" not in zh
