"""What the journeys do on the pages, written against form field names, roles and ids the
pages already expose, so a jurisdiction (or a colleague) adding fields breaks nothing.

The intake filler reads the form from the live page: every named control with its type,
whether it is required, its options and limits. Required controls are filled with a
value that fits their type and name (phone, ID number, dates, numbers, choices); optional
ones are left empty, as a hurried person would. When the server answers with an error
summary, the fields marked invalid (aria-invalid / .has-error) get another sensible value
and the form is sent again, a bounded number of times.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

CASE_NUMBER = re.compile(r"^[A-Z][A-Z0-9]{0,9}-\d{4}-\d{3,}$")
ACCESS_CODE = re.compile(r"^[A-Z0-9]{6,16}$")
#: The demo staff users' password (`flask --app portal portal load-demo`).
DEMO_PASSWORD = "demo-pass-2026"

#: Sample answers per language, chosen so that no jurisdiction's screening refuses them.
SAMPLES = {
    "zh": {
        "name": "李小明",
        "phone": "13800138000",
        "phone_alt": "0871-63111234",
        "short": "政务服务中心一楼综合窗口",
        "long": "窗口工作人员说还缺一份材料，但办事指南里没有写，我已经来了两次。",
        "wish": "请核实办事指南并尽快答复我。",
        "reason": "窗口说缺少材料，要求补交后再来办理。",
        "company": "示例科技有限公司",
    },
    "en": {
        "name": "Li Xiaoming",
        "phone": "13800138000",
        "phone_alt": "0871-63111234",
        "short": "Ground-floor general window",
        "long": "The counter said one more document was needed that the service guide does not list; I came twice.",
        "wish": "Please check the service guide and answer me soon.",
        "reason": "They said a document was missing and I should come back with it.",
        "company": "Example Technology Co., Ltd.",
    },
}
VALID_ID = "11010519491231002X"
VALID_CREDIT_CODE = "91110108MA01234567"

FIELDS_JS = """
(form) => Array.from(form.elements).filter(e => e.name).map(e => ({
  name: e.name,
  tag: e.tagName.toLowerCase(),
  type: (e.type || '').toLowerCase(),
  required: !!e.required,
  value: e.value,
  checked: !!e.checked,
  disabled: !!e.disabled,
  visible: e.type !== 'hidden' && !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length),
  options: e.tagName === 'SELECT' ? Array.from(e.options).map(o => ({value: o.value, label: o.label.trim(), disabled: o.disabled})) : null,
  min: e.min || '', max: e.max || '', minLength: e.minLength, maxLength: e.maxLength, pattern: e.pattern || '',
  invalid: e.getAttribute('aria-invalid') === 'true' || !!(e.closest('.has-error')),
}))
"""


@dataclass
class Receipt:
    jurisdiction: str
    number: str
    code: str
    url: str


def fields(form) -> list[dict]:
    return form.evaluate(FIELDS_JS)


def _text_for(name: str, kind: str, lang: str, attempt: int, maxlength: int | None = None) -> str:
    s = SAMPLES[lang]
    n = name.lower()
    if kind in ("tel",) or any(k in n for k in ("phone", "mobile", "tel")):
        value = s["phone"] if attempt == 0 else s["phone_alt"]
    elif kind == "email" or "mail" in n:
        value = "person@example.com"
    elif "id_number" in n or "idcard" in n or "id_card" in n:
        value = VALID_ID
    elif "credit" in n:
        value = VALID_CREDIT_CODE
    elif kind == "url":
        value = "https://example.com/"
    elif "company" in n or "organisation" in n or "organization" in n:
        value = s["company"]
    elif n == "name" or n.endswith("_name"):
        value = s["name"]
    elif "wish" in n or "request" in n or "ask" in n:
        value = s["wish"]
    elif "reason" in n:
        value = s["reason"]
    elif {"number", "code", "no", "num"} & set(re.split(r"[_\-]", n)):
        value = "A-2026-0001" if attempt == 0 else "A20260001"
    elif kind == "textarea":
        value = s["long"]
    else:
        value = s["short"] if attempt == 0 else s["long"]
    if maxlength and maxlength > 0:
        value = value[:maxlength]
    return value


def _number_for(f: dict, attempt: int) -> str:
    lo = int(float(f["min"])) if f["min"] else 1
    hi = int(float(f["max"])) if f["max"] else lo + 10
    return str(min(max(lo, 2 if attempt == 0 else lo), hi))


def _date_for(f: dict, attempt: int) -> str:
    return (date.today() - timedelta(days=7 + 30 * attempt)).isoformat()


def _first_real_option(options, after: str | None = None) -> str | None:
    real = [o["value"] for o in options if o["value"] not in ("", "0") and not o["disabled"]]
    if not real:
        return None
    if after in real and real.index(after) + 1 < len(real):
        return real[real.index(after) + 1]
    return real[0]


def fill_form(form, lang: str, given: dict[str, str] | None = None, *, attempt: int = 0,
              only_invalid: bool = False) -> list[str]:
    """Fill ``form``: ``given`` values by field name, then every required control generically.

    With ``only_invalid`` (a retry), only the controls the server marked invalid are changed,
    and optional controls marked invalid are filled too (a field required only in some cases).
    Returns what was done, for the failure message.
    """
    given = given or {}
    done = []
    controls = fields(form)
    radios: dict[str, list[dict]] = {}
    for f in controls:
        if f["type"] == "radio":
            radios.setdefault(f["name"], []).append(f)
    seen_radio = set()
    for f in controls:
        name, kind = f["name"], f["type"] if f["tag"] == "input" else f["tag"]
        if f["disabled"] or kind in ("hidden", "file", "submit", "button", "reset"):
            continue
        loc = form.locator(f'[name="{name}"]')
        if kind == "radio":
            if name in seen_radio:
                continue
            seen_radio.add(name)
            group = radios[name]
            checked = next((r["value"] for r in group if r["checked"]), None)
            invalid = any(r["invalid"] for r in group)
            if name in given:
                target = given[name]
            elif only_invalid and invalid:
                values = [r["value"] for r in group]
                target = values[(values.index(checked) + 1) % len(values)] if checked in values else values[0]
            elif not only_invalid and checked is None and any(r["required"] for r in group):
                target = group[0]["value"]
            else:
                continue
            form.locator(f'input[type="radio"][name="{name}"][value="{target}"]').check()
            done.append(f"{name}={target}")
            continue
        wanted = name in given
        if only_invalid:
            act = wanted or f["invalid"]
        else:
            act = wanted or (f["required"] and (kind == "checkbox" and not f["checked"] or
                                                kind != "checkbox" and not f["value"].strip()))
        if not act or not f["visible"]:
            continue
        if kind == "checkbox":
            loc.first.check()
            done.append(f"{name}=checked")
        elif kind == "select":
            value = given.get(name) or _first_real_option(f["options"], f["value"] if only_invalid else None)
            if value is None:
                continue
            loc.select_option(value)
            done.append(f"{name}={value}")
        else:
            if wanted:
                value = given[name]
            elif kind == "number" or kind == "range":
                value = _number_for(f, attempt)
            elif kind == "date":
                value = _date_for(f, attempt)
            elif kind == "datetime-local":
                value = _date_for(f, attempt) + "T09:30"
            elif kind == "time":
                value = "09:30"
            else:
                value = _text_for(name, kind, lang, attempt, f["maxLength"] if f["maxLength"] > 0 else None)
                if f["minLength"] and len(value) < f["minLength"]:
                    value = (value + " " + SAMPLES[lang]["long"])[: max(f["minLength"], len(value))]
            loc.fill(value)
            done.append(f"{name}={value[:24]}")
    return done


def error_text(page) -> str:
    """The error summary (or alert) on the page, if any."""
    summary = page.locator(".error-summary, [role=alert]")
    if summary.count():
        return " | ".join(t.strip() for t in summary.all_inner_texts() if t.strip())
    return ""


def submit(form):
    """Press the form's own submit button and wait for the next page."""
    page = form.page
    with page.expect_navigation(wait_until="load"):
        form.locator('button[type="submit"], input[type="submit"]').last.click()


def fill_and_submit(page, form_selector: str, lang: str, given: dict[str, str], *, done_when, retries: int = 2,
                    what: str = "form", on_error=None) -> list[str]:
    """Fill, send, and on an error summary correct the invalid fields and send again.

    ``done_when(page)`` says whether the form went through; ``on_error(page)`` is called on
    each page sent back with errors (e.g. to screenshot it). Returns the error messages met.
    """
    met = []
    log = fill_form(page.locator(form_selector).first, lang, given)
    for attempt in range(retries + 1):
        submit(page.locator(form_selector).first)
        if done_when(page):
            return met
        errors = error_text(page)
        h1 = page.locator("h1").first.inner_text() if page.locator("h1").count() else ""
        met.append(errors or h1)
        if on_error is not None:
            on_error(page)
        if page.locator(form_selector).count() == 0 or attempt == retries:
            break
        log += fill_form(page.locator(form_selector).first, lang, {}, attempt=attempt + 1, only_invalid=True)
    raise AssertionError(f"{what} was not accepted at {page.url}: {met}; filled: {log}")


# --------------------------------------------------------------------------- receipts and tracking


def read_receipt(page, jurisdiction: str = "") -> Receipt:
    """The case number and access code as the receipt shows them (ids first, then the .ref values)."""
    number = code = None
    if page.locator("#case-number").count():
        number = page.locator("#case-number").inner_text().strip()
    if page.locator("#access-code").count():
        code = page.locator("#access-code").inner_text().strip()
    if not (number and code):
        for text in (t.strip() for t in page.locator(".ref").all_inner_texts()):
            if CASE_NUMBER.match(text) and not number:
                number = text
            elif ACCESS_CODE.match(text) and not code and not CASE_NUMBER.match(text):
                code = text
    assert number and CASE_NUMBER.match(number), f"no case number on the receipt at {page.url}"
    assert code and ACCESS_CODE.match(code), f"no access code on the receipt at {page.url}"
    return Receipt(jurisdiction=jurisdiction, number=number, code=code, url=page.url)


def html_lang(page) -> str:
    return page.evaluate("document.documentElement.lang") or ""


def assert_language(page, lang: str) -> None:
    got = html_lang(page)
    want = "zh" if lang == "zh" else "en"
    assert got.lower().startswith(want), f"{page.url} is in '{got}', expected {want}"


def track(page, receipt: Receipt) -> None:
    """Open the tracking form from the header and look the case up with number + access code."""
    page.locator('header a[href="/track"], header a[href^="/track?"]').first.click()
    page.wait_for_load_state("load")
    form = page.locator('form:has([name="number"]):has([name="code"])')
    form.locator('[name="number"]').fill(receipt.number)
    form.locator('[name="code"]').fill(receipt.code)
    submit(form)
    assert receipt.number in page.locator("h1").first.inner_text(), \
        f"tracking {receipt.number} did not show the case: {error_text(page) or page.url}"


def horizontal_overflow(page) -> int:
    """How many CSS pixels the document is wider than the viewport (0 = no horizontal scroll)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


WIDE_ELEMENTS_JS = """
() => {
  const limit = document.documentElement.clientWidth;
  const out = [];
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    if (r.right > limit + 0.5 && r.width > 0) {
      const parentWide = e.parentElement && e.parentElement.getBoundingClientRect().right > limit + 0.5
                         && e.parentElement !== document.body;
      if (!parentWide) out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                                (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : '') +
                                ' (' + Math.round(r.width) + ' px wide)');
    }
  }
  return out.slice(0, 5);
}
"""


def wide_elements(page) -> list[str]:
    """The outermost elements that stick out of the viewport on the right."""
    return page.evaluate(WIDE_ELEMENTS_JS)


# --------------------------------------------------------------------------- staff


def switch_language(page, lang: str) -> None:
    """Use the language switch in the header (the choice is remembered in a cookie)."""
    code = {"zh": "zh-Hans", "en": "en"}[lang]
    if html_lang(page).lower().startswith(code.lower()[:2]) and (lang != "zh" or "hant" not in html_lang(page).lower()):
        return
    page.locator(f'header a[hreflang="{code}"]').first.click()
    page.wait_for_load_state("load")
    assert_language(page, lang)


def login(actor, username: str, password: str, lang: str | None = None) -> None:
    page = actor.page
    actor.goto("/staff/login")
    if lang:
        switch_language(page, lang)
    form = page.locator('form:has([name="username"]):has([name="password"])')
    form.locator('[name="username"]').fill(username)
    form.locator('[name="password"]').fill(password)
    submit(form)
    assert "/staff/login" not in page.url, f"{username} could not log in: {error_text(page)}"


def staff_nav_link(page, href_part: str):
    """A link of the staff navigation (the <nav> that holds the logout form)."""
    nav = page.locator("nav:has(form[action*='logout'])")
    link = nav.locator(f"a[href*='{href_part}']")
    return link.first if link.count() else None


def action_form(page, action: str):
    """The form of a case action (hidden field action=<action>), or None if not offered."""
    form = page.locator(f'form:has(input[name="action"][value="{action}"])')
    return form.first if form.count() else None


def open_details(form) -> None:
    """Actions sit in <details>; open the one around ``form`` like a person clicking its summary."""
    details = form.locator("xpath=ancestor::details[1]")
    if details.count() and not details.evaluate("d => d.open"):
        details.locator("summary").first.click()


def do_action(page, action: str, values: dict[str, str] | None = None, note: str | None = None) -> None:
    form = action_form(page, action)
    assert form is not None, f"the action '{action}' is not offered at {page.url}"
    open_details(form)
    for name, value in (values or {}).items():
        loc = form.locator(f'[name="{name}"]')
        if loc.evaluate("e => e.tagName") == "SELECT":
            loc.select_option(value)
        else:
            loc.fill(value)
    if note is not None:
        form.locator('[name="note"]').fill(note)
    submit(form)
    problem = page.locator(".error-summary, .flash.error")
    assert problem.count() == 0, f"'{action}' failed at {page.url}: {error_text(page)}"


def first_option(select) -> str:
    """The first option with a real value (not the empty placeholder, not 0)."""
    values = select.evaluate("s => Array.from(s.options).map(o => o.value)")
    real = [v for v in values if v not in ("", "0")]
    assert real, "the list has no real option"
    return real[0]
