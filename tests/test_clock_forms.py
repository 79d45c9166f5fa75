"""Several clocks on the real pages (issue 11): the staff case page's pause, resume and extend
forms choose a clock, the extension speaks in the chosen clock's unit, the timeline names clocks
in words, and the public tracking page shows every clock without codes or staff data.

The jurisdiction is the test-local plugin of tests/clock_plugin.py (invented rules): a first
response within 2 working hours beside a reply within 2 working days, both from filing. Dates
come from the State Council's 2026 holiday notice (4-6 April Qingming off)."""
from __future__ import annotations

import re

from flask import g

from portal.extensions import db

from .conftest import shanghai
from .factories import file, login
from .test_clocks import county  # noqa: F401 (fixture)


def post(client, case, action, **data):
    db.session.refresh(case)
    form = {"action": action, "version": str(case.version), "note": data.pop("note", "")}
    form.update(data)
    return client.post(f"/staff/cases/{case.number}/act?lang=en", data=form)


def page(client, case, lang="en"):
    return client.get(f"/staff/cases/{case.number}?lang={lang}").get_data(as_text=True)


def select_options(html, field_id):
    """The (value, text) options of the <select id=field_id>, or None when the page has none."""
    m = re.search(rf'<select[^>]*id="{field_id}"[^>]*>(.*?)</select>', html, re.S)
    if m is None:
        return None
    return re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', m.group(1))


def label_of(html, field_id):
    m = re.search(rf'<label for="{field_id}">([^<]*)</label>', html)
    return m.group(1) if m else None


def running(case):
    db.session.refresh(case)
    return {d.clock: d for d in case.running_deadlines}


def timeline(html):
    return html.split('<ol class="timeline">', 1)[1].split("</ol>", 1)[0]


def friday_case():
    """Filed 16:30 on Friday 3 April 2026: first response due Tue 7 April 10:00, reply Wed 8 April."""
    return file("twoclocks", now=shanghai(2026, 4, 3, 16, 30)).case


def test_pause_resume_and_extend_offer_the_running_clocks_by_name_only_when_several_run(county):
    app, j, people = county
    case = friday_case()
    client = app.test_client()
    login(client, "tc-super")
    html = page(client, case)
    assert select_options(html, "pause-clock") == [
        ("", "Every running clock"), ("first_response", "First response"), ("reply", "Answer")]
    assert select_options(html, "extend-clock") == [
        ("", "Choose the clock to extend"), ("first_response", "First response (in working hours)"),
        ("reply", "Answer (in working days)")]
    assert post(client, case, "pause", note="等材料", clock="first_response").status_code == 303
    html = page(client, case)
    assert select_options(html, "resume-clock") == [("", "Every paused clock"), ("first_response", "First response")]
    assert select_options(html, "pause-clock") == [("", "Every running clock"), ("reply", "Answer")]
    # once the first response is met only the reply runs: no clock choice, the one clock is meant
    assert post(client, case, "assign", lead_department_id=str(j.departments[0].id)).status_code == 303
    assert set(running(case)) == {"reply"}
    html = page(client, case)
    assert select_options(html, "pause-clock") is None and select_options(html, "extend-clock") is None
    assert post(client, case, "extend", days="1", note="需协调").status_code == 303
    assert running(case)["reply"].extended_days == 1


def test_supervisor_extends_one_clock_alone_through_the_page(county):
    app, j, people = county
    case = friday_case()
    first_due = running(case)["first_response"].due_at
    client = app.test_client()
    login(client, "tc-super")
    r = post(client, case, "extend", clock="reply", days="2", note="需调取外省档案")
    assert r.status_code == 303
    clocks = running(case)
    assert clocks["reply"].extended_days == 2 and clocks["reply"].extension_reason == "需调取外省档案"
    assert clocks["first_response"].extended_days == 0 and clocks["first_response"].due_at == first_due
    reply_due = clocks["reply"].due_date
    assert post(client, case, "extend", clock="first_response", days="1", note="复杂").status_code == 303
    clocks = running(case)
    assert clocks["first_response"].extended_days == 1 and clocks["first_response"].due_at > first_due
    assert clocks["reply"].extended_days == 2 and clocks["reply"].due_date == reply_due


def test_pause_through_the_page_without_a_clock_stops_every_running_one(county):
    app, j, people = county
    case = friday_case()
    client = app.test_client()
    login(client, "tc-super")
    assert post(client, case, "pause", note="等材料", clock="").status_code == 303
    assert all(d.paused_at is not None for d in running(case).values())
    assert post(client, case, "resume", clock="reply").status_code == 303
    clocks = running(case)
    assert clocks["reply"].paused_at is None and clocks["first_response"].paused_at is not None


def test_extend_with_several_clocks_running_requires_the_clock_and_changes_nothing_without_it(county):
    app, j, people = county
    case = friday_case()
    client = app.test_client()
    login(client, "tc-super")
    version = case.version
    r = post(client, case, "extend", days="1", note="x")
    assert r.status_code == 422
    assert "Choose the clock to extend." in r.get_data(as_text=True)
    r = post(client, case, "extend", clock="no_such_clock", days="1", note="x")
    assert r.status_code == 422
    db.session.refresh(case)
    assert case.version == version and all(d.extended_days == 0 for d in running(case).values())


def test_extension_label_and_bounds_follow_the_chosen_clocks_unit_in_the_users_language(county):
    """The extension's bound is the portal's default setting (1 to 60 in the clock's unit); no
    source report sets one. Its label and message name the unit of the clock being extended."""
    app, j, people = county
    case = friday_case()
    client = app.test_client()
    login(client, "tc-super")
    html = page(client, case)
    assert label_of(html, "extend-days") == "Extra time, in the unit of the clock chosen"
    assert "working days" not in label_of(html, "extend-days")
    r = post(client, case, "extend", clock="first_response", days="61", note="x")
    assert r.status_code == 422
    body = r.get_data(as_text=True)
    assert "An extension must be between 1 and 60 working hours." in body and "60 working days" not in body
    r = client.post(f"/staff/cases/{case.number}/act?lang=zh_Hans", data={
        "action": "extend", "version": str(case.version), "note": "x", "clock": "first_response", "days": "0"})
    assert r.status_code == 422 and "延长期限须为1至60个工作小时。" in r.get_data(as_text=True)
    assert post(client, case, "extend", clock="first_response", days="1", note="复杂").status_code == 303
    assert running(case)["first_response"].due_at == shanghai(2026, 4, 7, 11, 0)
    # with the reply clock alone the amount is in its unit, working days
    assert post(client, case, "assign", lead_department_id=str(j.departments[0].id)).status_code == 303
    html = page(client, case)
    assert label_of(html, "extend-days") == "Extra working days"
    assert label_of(page(client, case, "zh_Hans"), "extend-days") == "延长工作日数"
    r = post(client, case, "extend", days="61", note="x")
    assert r.status_code == 422 and "An extension must be between 1 and 60 working days." in r.get_data(as_text=True)


def test_staff_timeline_names_the_clocks_never_their_codes(county):
    app, j, people = county
    case = friday_case()
    client = app.test_client()
    login(client, "tc-super")
    assert post(client, case, "pause", note="等材料", clock="first_response").status_code == 303
    assert post(client, case, "resume", clock="first_response").status_code == 303
    assert post(client, case, "extend", clock="first_response", days="1", note="复杂").status_code == 303
    events = timeline(page(client, case))
    assert "first_response" not in events
    assert "Clocks: First response" in events and "Clock: First response" in events
    assert "Extra working hours: 1" in events
    zh = timeline(page(client, case, "zh_Hans"))
    assert "first_response" not in zh and "首次响应" in zh


def _visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_public_tracking_page_shows_both_clocks_in_plain_words_without_codes_or_staff_data(county):
    """Privacy rule (DOMAIN.md, privacy): no staff data and no internal note on a public page."""
    app, j, people = county
    filed = file("twoclocks", now=shanghai(2026, 4, 3, 16, 30))
    number = filed.case.number
    desk = app.test_client()
    login(desk, "tc-super")
    assert post(desk, filed.case, "extend", clock="reply", days="1", note="内部：需协调住建局").status_code == 303
    # The test keeps one app context open, which Flask reuses for every request: flask-login's
    # per-request cache (g._login_user) would carry the supervisor into the public client's
    # requests, where the staff session check finds no staff login and clears that session
    # (the tracked cases with it), so /track answered 404. A real request has its own context.
    g.pop("_login_user", None)
    public = app.test_client()
    with public.session_transaction() as s:
        s["tracked"] = [number]
    expected = {"en": (("First response", "Answer"), ("2 working hours", "2 working days", "plus 1 working day by extension")),
                "zh_Hans": (("首次响应", "答复"), ("2个工作小时", "2个工作日", "另延期1个工作日"))}
    for lang, (names, words) in expected.items():
        r = public.get(f"/track/{number}?lang={lang}")
        assert r.status_code == 200, lang
        html = r.get_data(as_text=True)
        assert set(re.findall(r'<h3 id="deadline-[^"]*">([^<]*)</h3>', html)) == set(names), lang
        text = _visible_text(html)
        for word in words:
            assert word in text, (lang, word)
        for secret in ("first_response", "working_hours", "working_days", "tc-super", "内部：需协调住建局",
                       "李小青", "13800001234"):
            assert secret not in text, (lang, secret)


def test_rule_transparency_page_words_the_on_time_rate_as_every_completed_clock_met_in_time(county):
    """Portal definition (docs/plugins.md, Clocks, "On time"), not a jurisdiction's rule: a case is
    on time when every clock run that has closed was met in time. A case whose first response was
    an hour late but whose answer came in time counts as late, and the page says "every", in each
    language, never "first deadline"."""
    from .test_clocks import act

    app, j, people = county
    case = friday_case()
    act(case, "reply", people["handler"], note="已办结", now=shanghai(2026, 4, 7, 11, 0))  # first response 1 h late
    client = app.test_client()
    figures = client.get("/transparency.json").get_json()
    assert figures["totals"]["on_time"] == {**figures["totals"]["on_time"], "numerator": 0, "denominator": 1}
    words = {"en": ("every completed deadline met in time", "every deadline completed so far"),
             "zh_Hans": ("已完成的各项时限均按期完成", "目前已完成的每一项时限"),
             "zh_Hant": ("已完成的各項時限均按期完成", "目前已完成的每一項時限")}
    for lang, expected in words.items():
        html = client.get(f"/transparency?lang={lang}").get_data(as_text=True)
        for text in expected:
            assert text in html, (lang, text)
        for old in ("first deadline", "首个期限", "首個期限"):
            assert old not in html, (lang, old)
