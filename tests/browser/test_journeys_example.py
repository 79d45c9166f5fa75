"""The sixth jurisdiction, Example County (示例县, FICTIONAL), installed from its own package and
enabled by configuration, in Simplified Chinese and in English.

A person on a 360 px phone files with the county on its own form; the county's coordination
officer (a role of the county's own, at 1280 px) records the site visit on the case page, which
stops the first-response clock, finds it on the county's own staff page, assesses, assigns and
answers; the person tracks the case on the phone and again on a desktop, and reads the public
labels and the reply, never the officer's internal findings.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from .conftest import EXAMPLE_COORDINATOR, JURISDICTIONS
from .support import (
    DEMO_PASSWORD, action_form, assert_language, do_action, error_text, fill_and_submit, first_option,
    horizontal_overflow, login, open_details, read_receipt, staff_nav_link, submit, track, wide_elements,
)

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif("example" not in JURISDICTIONS,
                                 reason="the example plugin is not installed: make install")]

PHONE, DESKTOP = 360, 1280
STORY = {
    "zh": {"locale": "zh-CN", "matter": "个体工商户注册登记",
           "description": "窗口叫号系统一直显示暂停服务，等了一上午没有办成，工作人员说系统故障。",
           "place": "示例县政务服务中心一楼综合窗口", "findings": "内部：叫号系统升级未通知窗口，已请信息科处理",
           "reply": "经协调，叫号系统已恢复，您可随时到一楼综合窗口办理，工作人员将优先为您办理。",
           "registered": "协调专员将在2个工作小时内与您联系", "answered": "已答复", "first": "首次响应",
           "site_visits": "实地走访记录", "future": "走访日期不能晚于今天"},
    "en": {"locale": "en-US", "matter": "Registering a sole proprietorship",
           "description": "The queue display said the service was paused all morning; the counter said the system was down.",
           "place": "Ground-floor general window, county service centre",
           "findings": "Internal: the queue system was upgraded without telling the window",
           "reply": "The queue system works again; come to the ground-floor general window and you will be served first.",
           "registered": "within 2 working hours", "answered": "Answered", "first": "First response",
           "site_visits": "Site visits", "future": "cannot be in the future"},
}


def _fits(actor, what: str) -> None:
    overflow = horizontal_overflow(actor.page)
    assert overflow <= 0, f"{what} is wider than {PHONE} px: {wide_elements(actor.page)}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_example_county_files_responds_on_site_answers_and_tracks(journey_factory, lang):
    story = STORY[lang]
    journey = journey_factory(f"example-{lang}", alt_host=(lang == "en"))

    # 1. On a phone, the person files with Example County on the county's own form.
    person = journey.actor("person", locale=story["locale"], width=PHONE, height=740)
    page = person.page
    person.goto("/file")
    assert_language(page, lang)
    page.locator("main a[href='/file/example']").first.click()
    page.wait_for_load_state("load")
    assert page.locator('[name="contact_time"]').count(), "the county's own field is missing from its form"
    _fits(person, "the county's form")
    person.shot("phone-form")
    fill_and_submit(page, 'form:has([name="matter"])', lang,
                    {"matter": story["matter"], "description": story["description"]},
                    done_when=lambda p: "/receipt/" in p.url, what="the complaint to Example County")
    receipt = read_receipt(page, "example")
    assert receipt.number.startswith("EX-")
    assert story["registered"] in page.locator("main").inner_text(), "the receipt does not say what happens next"
    _fits(person, "the receipt")
    person.shot("phone-receipt")

    # 2. The coordination officer, at a desk, opens the case: both clocks run.
    officer = journey.actor("coordinator")
    login(officer, EXAMPLE_COORDINATOR, DEMO_PASSWORD, lang=lang)
    opage = officer.page
    officer.goto(f"/staff/cases/{receipt.number}")
    assert story["first"] in opage.locator("main").inner_text()
    form = action_form(opage, "site_visit")
    assert form is not None, f"the coordination officer is not offered the site visit at {opage.url}"
    officer.shot("officer-case-two-clocks")

    # 3. A visit dated tomorrow is refused by the action's effect, with its message in the officer's
    #    language and what was typed kept; then the visit is recorded.
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    visit = {"visited_on": (today + timedelta(days=1)).isoformat(), "place": story["place"], "people_met": "2",
             "findings": story["findings"]}
    open_details(form)
    for name, value in visit.items():
        form.locator(f'[name="{name}"]').fill(value)
    submit(form)
    assert story["future"] in error_text(opage), f"a visit dated tomorrow was not refused: {error_text(opage)}"
    officer.shot("officer-site-visit-refused")
    do_action(opage, "site_visit", {**visit, "visited_on": today.isoformat()})
    assert action_form(opage, "site_visit") is None
    officer.shot("officer-site-visit-recorded")

    # 4. The county's own staff page lists the visit.
    link = staff_nav_link(opage, "/staff/example/site-visits")
    assert link is not None and story["site_visits"] in link.inner_text()
    link.click()
    opage.wait_for_load_state("load")
    assert story["findings"] in opage.locator("main").inner_text()
    officer.shot("officer-site-visits-page")

    # 5. Assess, assign, answer.
    opage.locator(f"main a[href$='/staff/cases/{receipt.number}']").first.click()
    opage.wait_for_load_state("load")
    do_action(opage, "classify")
    assign = action_form(opage, "assign")
    do_action(opage, "assign", {"lead_department_id": first_option(assign.locator('[name="lead_department_id"]'))})
    do_action(opage, "reply", note=story["reply"])
    assert story["reply"][:20] in opage.locator("main").inner_text()
    officer.shot("officer-replied")

    # 6. The person tracks the case on the phone, then on a desktop: public labels and notes only.
    person.goto("/")
    track(page, receipt)
    assert_language(page, lang)
    text = page.locator("main").inner_text()
    assert story["reply"][:20] in text and story["answered"] in text and story["first"] in text
    assert story["findings"] not in text and story["place"] not in text
    _fits(person, "the tracking page")
    person.shot("phone-tracking")
    desk = journey.actor("visitor", locale=story["locale"])
    desk.goto("/")
    track(desk.page, receipt)
    assert story["findings"] not in desk.page.locator("main").inner_text()
    desk.shot("desktop-tracking")
    journey.assert_clean()
