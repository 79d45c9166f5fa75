"""A person on a phone (360 CSS pixels wide): the public pages of the journeys fit the screen,
with no horizontal scrolling, in Simplified Chinese and in English."""
from __future__ import annotations

import pytest

from .support import assert_language, horizontal_overflow, wide_elements

pytestmark = pytest.mark.browser

WIDTH = 360
QUERY = {"zh": "身份证", "en": "ID card"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_public_pages_fit_a_360px_phone(journey_factory, lang):
    journey = journey_factory(f"narrow-{lang}")
    phone = journey.actor("phone", locale={"zh": "zh-CN", "en": "en-US"}[lang], width=WIDTH, height=740)
    page = phone.page

    phone.goto("/")
    assert_language(page, lang)
    assert page.evaluate("document.documentElement.clientWidth") == WIDTH
    pages = ["/", f"/search?q={QUERY[lang]}", "/file", "/track", "/guides", "/transparency"]
    # the first jurisdiction's form and the first knowledge entry, as the pages link to them
    phone.goto("/file")
    pages.append(page.locator("main a[href^='/file/']").first.get_attribute("href"))
    phone.goto(f"/search?q={QUERY[lang]}")
    entry = page.locator("main a[href^='/knowledge/']")
    if entry.count():
        pages.append(entry.first.get_attribute("href"))

    too_wide = {}
    for path in pages:
        phone.goto(path)
        overflow = horizontal_overflow(page)
        phone.shot(path.strip("/").split("?")[0].replace("/", "-") or "home")
        if overflow > 0:
            too_wide[path] = (f"scrollWidth {page.evaluate('document.documentElement.scrollWidth')}: "
                              + ", ".join(wide_elements(page)))
    assert not too_wide, f"pages wider than a {WIDTH} px screen: {too_wide}"
    # the check the issue names, on the home page
    phone.goto("/")
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    journey.assert_clean()
