"""A person, in Simplified Chinese and in English: searches the knowledge base and opens the
身份证明 → 身份证 correction, files a complaint in every enabled jurisdiction on that
jurisdiction's own form, keeps each receipt (screenshot, and a PDF of the first), and
tracks every case with its number and access code from another browser.

The Chinese journey talks to the server on 127.0.0.1, the English one on [::1]: each has
its own filing rate-limit budget (20 an hour per address), one filing per jurisdiction.
"""
from __future__ import annotations

import pytest

from .support import assert_language, fill_and_submit, read_receipt, submit, track

pytestmark = pytest.mark.browser

PEOPLE = {
    "zh": {
        "locale": "zh-CN",
        "query": "身份证",
        "matter": "居住证办理",
        "description": "办事指南写的是带身份证明，窗口却要求身份证原件，我跑了两次都没有办成。",
    },
    "en": {
        "locale": "en-US",
        "query": "ID card",
        "matter": "Residence permit",
        "description": "The guide said to bring identity proof, but the counter wanted the ID card itself; "
                       "I came twice and could not get it done.",
    },
}
#: The demo correction every journey opens: what was wrong, what is right now.
WRONG, RIGHT = "身份证明", "身份证"


def _open_correction(person) -> str:
    """Among the knowledge-base results, open the entry that corrects 身份证明 to 身份证."""
    page = person.page
    hrefs = page.locator("main a[href^='/knowledge/']").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs, f"no knowledge entry among the search results: {page.url}"
    for href in hrefs[:8]:
        person.goto(href)
        dels = [t.strip() for t in page.locator("main del").all_inner_texts()]
        inss = [t.strip() for t in page.locator("main ins").all_inner_texts()]
        if WRONG in dels and RIGHT in inss:
            return href
    raise AssertionError(f"none of {hrefs} shows the correction {WRONG} → {RIGHT}")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_person_searches_files_in_every_jurisdiction_keeps_receipts_and_tracks(journey_factory, lang):
    who = PEOPLE[lang]
    journey = journey_factory(f"public-{lang}", alt_host=(lang == "en"))
    person = journey.actor("person", locale=who["locale"])
    page = person.page

    # 1. The home page, in the browser's language, with the search box.
    person.goto("/")
    assert_language(page, lang)
    person.shot("home")

    # 2. Search the knowledge base from the home page's search form.
    search = page.get_by_role("search").first
    search.locator('[name="q"]').fill(who["query"])
    submit(search)
    assert "/search" in page.url
    assert page.locator("main a[href^='/knowledge/']").count(), f"no knowledge entry for {who['query']!r}"
    person.shot("search-results")

    # 3. The 身份证明 → 身份证 correction.
    _open_correction(person)
    assert_language(page, lang)
    person.shot("correction-entry")

    # 4. File a complaint: the header's link, then every jurisdiction the page lists.
    page.locator('header a[href="/file"]').first.click()
    page.wait_for_load_state("load")
    codes = page.locator("main a[href^='/file/']").evaluate_all(
        "links => links.map(a => a.getAttribute('href').split('/file/')[1])")
    assert len(codes) >= 5, f"expected the enabled jurisdictions on /file, found {codes}"
    assert len(set(codes)) == len(codes)
    person.shot("choose-jurisdiction")

    receipts = []
    for i, code in enumerate(codes):
        if i:
            person.goto("/file")  # back to the list, as a person filing again would
        page.locator(f"main a[href='/file/{code}']").first.click()
        page.wait_for_load_state("load")
        assert page.locator('form:has([name="matter"])').count(), f"/file/{code} has no intake form"
        if i == 0:
            person.shot(f"form-{code}")
        fill_and_submit(page, 'form:has([name="matter"])', lang,
                        {"matter": who["matter"], "description": who["description"]},
                        done_when=lambda p: "/receipt/" in p.url, what=f"the complaint in {code}")
        receipt = read_receipt(page, code)
        assert_language(page, lang)
        person.shot(f"receipt-{code}")
        if i == 0:  # keep a record: the receipt as the person would print it to PDF
            page.pdf(path=str(journey.folder / f"receipt-{code}.pdf"), format="A4")
        receipts.append(receipt)

    numbers = [r.number for r in receipts]
    assert len(set(numbers)) == len(numbers), f"case numbers repeat: {numbers}"

    # 5. Later, from another browser: track each case with number + access code.
    visitor = journey.actor("visitor", locale=who["locale"])
    visitor.goto("/")
    for receipt in receipts:
        track(visitor.page, receipt)
        assert_language(visitor.page, lang)
        if receipt in (receipts[0], receipts[-1]):
            visitor.shot(f"tracked-{receipt.jurisdiction}")
        else:
            visitor.check_clean()

    # 6. The figures the portal publishes, from the header.
    link = page.locator('header a[href="/transparency"]')
    if link.count():
        link.first.click()
        page.wait_for_load_state("load")
        assert_language(page, lang)
        person.shot("transparency")

    journey.assert_clean()
