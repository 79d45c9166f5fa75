"""Receipt, tracking and rating: what a person sees after filing. Every person here is invented."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.public.kept_cases import sealed_receipt
from portal.engine import cases as engine
from portal.extensions import db
from portal.models import Case, Rating
from portal.registry import enabled_jurisdictions

from .conftest import shanghai
from .test_public_support import (  # noqa: F401 (fixtures)
    PERSON,
    Page,
    case_by_number,
    client,
    drive_to_replied,
    english,
    fast_passwords,
    file_online,
    staff_for,
)


def file_at(code: str, when, **kw):
    from .factories import jurisdiction

    return engine.file_case(jurisdiction=jurisdiction(code), matter="居住证办理",
                            description="按指南带齐了材料，窗口仍说不能办。", channel="online",
                            complainant={"name": PERSON["name"], "phone": PERSON["phone"]}, now=when, **kw)


def show_receipt(client, filed, with_code=True):
    with client.session_transaction() as s:
        s["tracked"] = [filed.case.number]
        if with_code:
            s["receipt"] = sealed_receipt(filed.case.number, filed.access_code)
    return client.get(f"/receipt/{filed.case.number}")


# -- receipt ----------------------------------------------------------------------------------------
def test_receipt_shows_number_and_access_code_once(app, client):
    number, code = file_online(client, app, "kunming")  # file_online read the receipt once
    again = client.get(f"/receipt/{number}")
    html = again.get_data(as_text=True)
    assert again.status_code == 200 and number in html
    assert code not in html and 'id="access-code"' not in html
    assert "It is not shown again." in html
    assert again.headers["Cache-Control"] == "no-store"


def test_receipt_of_a_case_not_filed_in_this_browser_is_not_shown(app, client):
    filed = file_at("kunming", shanghai(2026, 3, 2, 10, 0))
    assert client.get(f"/receipt/{filed.case.number}").status_code == 404


def test_receipt_explains_the_deadline_across_national_day(app, client):
    # Wuhua: ordinary problems within 3 working days. Filed Wednesday 30 Sep 2026: 1-7 Oct are
    # National Day holidays, 8 and 9 Oct are working days, Saturday 10 Oct is a make-up working day.
    filed = file_at("kunming-wuhua", shanghai(2026, 9, 30, 10, 0))
    html = show_receipt(client, filed).get_data(as_text=True)
    assert filed.access_code in html
    assert "Answer due by the end of Saturday, October 10, 2026" in html
    counted_list = html.split('<ol class="days">', 1)[1].split("</ol>", 1)[0]
    counted = re.findall(r'<time datetime="(2026-10-\d\d)">[^<]*</time>( <strong class="makeup">)?', counted_list)
    assert [d for d, _m in counted] == ["2026-10-08", "2026-10-09", "2026-10-10"]
    assert [d for d, m in counted if m] == ["2026-10-10"], "the make-up working day is marked"
    skipped = re.findall(r'<time datetime="(2026-10-0[1-7])">[^<]*</time> · ([^<(]+) \(([^)]+)\)', html)
    assert [d for d, _k, _n in skipped] == [f"2026-10-0{i}" for i in range(1, 8)]
    assert {n for _d, _k, n in skipped} == {"National Day"}
    assert "That day does not count" in html and "Counting began on Wednesday, September 30, 2026" in html
    assert "Rule:" in html and "3 working days" in html
    assert "(seed 000)" not in html, "internal source references stay on the staff side"
    assert "is not yet published" not in html, "2026 is a known year: no warning"


def test_receipt_warns_when_the_holiday_calendar_of_a_year_is_unknown(app, client):
    filed = file_at("kunming-wuhua", shanghai(2027, 12, 28, 10, 0))
    html = show_receipt(client, filed).get_data(as_text=True)
    assert 'role="alert"' in html and "is not yet published" in html
    assert "2027" in html.split("is not yet published")[0][-200:]


def test_receipt_prints_cleanly(app, client):
    filed = file_at("kunming", shanghai(2026, 3, 2, 10, 0))
    html = show_receipt(client, filed).get_data(as_text=True)
    with client.get("/static/portal.css") as r:
        css = r.get_data(as_text=True)
    printing = css.split("@media print", 1)[1]
    for hidden in ("header.site", "footer.site", "nav", ".no-print", "form"):
        assert hidden in printing.split("}", 1)[0]
    assert "details > *" in printing  # the counting is printed even if folded
    assert '<details class="counting" open>' in html  # and open on the receipt anyway
    assert 'class="no-print"' in html


# -- tracking -------------------------------------------------------------------------------------
def test_track_with_number_and_code_shows_state_timeline_and_deadline(app, make_app):
    client = english(app.test_client())
    number, code = file_online(client, app, "xuanwu")
    fresh = english(app.test_client())  # another browser: nothing remembered
    assert fresh.get(f"/track/{number}").status_code == 404
    r = fresh.post("/track", data={"number": number.lower(), "code": " " + code.lower()[:5] + "-" + code[5:]})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/track/{number}")
    page = fresh.get(f"/track/{number}")
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert "Received" in html and "Answer due by the end of" in html
    assert 'class="badge"' in html  # the state


def test_full_width_case_number_and_code_are_understood(app, client):
    number, code = file_online(client, app, "kunming")
    full = number.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZ"})
    other = english(app.test_client())
    assert other.post("/track", data={"number": full, "code": code}).status_code == 303


def test_wrong_number_and_wrong_code_get_the_same_single_message(app, client):
    number, code = file_online(client, app, "kunming")
    wrong_code = client.post("/track", data={"number": number, "code": "ABCDEFGHJK"})
    wrong_number = client.post("/track", data={"number": "KM-2099-999999", "code": code})
    assert wrong_code.status_code == wrong_number.status_code == 404
    msg = "The case number and access code do not match. Check both and try again."
    a, b = wrong_code.get_data(as_text=True), wrong_number.get_data(as_text=True)
    assert a.count(msg) == b.count(msg) == 1
    assert number not in a.split("<main", 1)[1].replace(f'value="{number}"', "")


def test_empty_tracking_form_shows_linked_errors(app, client):
    r = client.post("/track", data={})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert 'href="#number"' in html and 'href="#code"' in html


def test_repeated_guessing_is_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    with app.app_context():
        c = english(app.test_client())
        number, code = file_online(c, app, "kunming")
        # a right answer does not use up the allowance
        assert c.post("/track", data={"number": number, "code": code}).status_code == 303
        statuses = [c.post("/track", data={"number": number, "code": f"WRONG{i:05d}"}).status_code
                    for i in range(11)]
        assert statuses[:10] == [404] * 10
        assert statuses[10] == 429
        last = c.post("/track", data={"number": number, "code": code})
        assert last.status_code == 429
        html = last.get_data(as_text=True)
        assert "Too many attempts" in html and "Please wait a few minutes" in html


# -- reply, outcome, rating ----------------------------------------------------------------------
@pytest.fixture
def replied(app, fast_passwords):
    """A Kunming case answered by staff, tracked in a browser session."""
    client = english(app.test_client())
    number, _code = file_online(client, app, "kunming-wuhua")
    people = staff_for("kunming-wuhua")
    case = case_by_number(number)
    reply = (f"{PERSON['name']}您好：已协调住建局为您办理，如有疑问请拨打{PERSON['phone']}或0871-63123456，"
             "邮件 office@example.cn。")
    drive_to_replied(case, people, reply)
    return client, number, people


def test_track_page_shows_the_redacted_reply_and_the_outcome(replied):
    client, number, _people = replied
    html = client.get(f"/track/{number}").get_data(as_text=True)
    assert "Our reply" in html and "已协调住建局为您办理" in html
    for secret in (PERSON["name"], PERSON["phone"], "0871-63123456", "office@example.cn"):
        assert secret not in html
    assert "████您好" in html
    assert "Outcome" in html and "Resolved" in html
    assert "Rate the outcome" in html
    for value in ("5", "4", "3", "2", "1"):
        assert f'value="{value}"' in html
    assert "Very dissatisfied" in html and "Basically satisfied" in html


def test_good_rating_is_recorded_and_cannot_be_repeated(replied):
    client, number, _people = replied
    r = client.post(f"/track/{number}/rate", data={"level": "4", "comment": "办得不错"})
    assert r.status_code == 303
    case = case_by_number(number)
    assert [x.level for x in case.ratings] == [4]
    html = client.get(f"/track/{number}").get_data(as_text=True)
    assert "Thank you for your rating." in html and "Rate the outcome" not in html
    again = client.post(f"/track/{number}/rate", data={"level": "1"})
    assert again.status_code == 303
    assert len(db.session.scalars(select(Rating)).all()) == 1


@pytest.mark.parametrize("level", [2, 1])
def test_bad_rating_sends_the_case_back_to_rectification(replied, level):
    client, number, _people = replied
    case = case_by_number(number)
    wf = engine.workflow_for(case.jurisdiction.code)
    target = wf.transition("rate_bad").target
    r = client.post(f"/track/{number}/rate", data={"level": str(level), "comment": "材料还是被退回了"})
    assert r.status_code == 303
    db.session.expire_all()
    case = case_by_number(number)
    assert case.state == target and wf.state(target).stage == "rectify"
    assert case.ratings[-1].level == level
    active = case.active_deadline
    assert active is not None and active.stage == "rectify", "rectification runs against its own deadline"
    html = client.get(f"/track/{number}").get_data(as_text=True)
    assert "goes back to be verified and put right" in html
    assert "Verify and put right after a bad rating" in html
    assert "材料还是被退回了" not in html, "the comment is for staff, not the public page"


def test_bad_rating_returns_to_rectification_in_every_jurisdiction(app, fast_passwords):
    for j in enabled_jurisdictions():
        if j.parent is not None:
            continue
        client = english(app.test_client())
        number, _ = file_online(client, app, j.code)
        drive_to_replied(case_by_number(number), staff_for(j.code), "已为您办结。")
        assert client.post(f"/track/{number}/rate", data={"level": "1"}).status_code == 303
        db.session.expire_all()
        case = case_by_number(number)
        wf = engine.workflow_for(j.code)
        assert wf.state(case.state).stage == "rectify", (j.code, case.state)


@pytest.mark.parametrize("level", ["", "0", "6", "abc", "5; DROP TABLE rating"])
def test_invalid_rating_is_refused_with_a_message(replied, level):
    client, number, _people = replied
    r = client.post(f"/track/{number}/rate", data={"level": level})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Choose one of the five levels." in html and 'href="#level-0"' in html
    assert db.session.scalars(select(Rating)).all() == []


def test_a_case_not_yet_answered_cannot_be_rated(app, client):
    number, _ = file_online(client, app, "kunming")
    html = client.get(f"/track/{number}").get_data(as_text=True)
    assert "Rate the outcome" not in html
    r = client.post(f"/track/{number}/rate", data={"level": "5"})
    assert r.status_code == 303
    assert "This case cannot be rated now." in client.get(f"/track/{number}").get_data(as_text=True)
    assert db.session.scalars(select(Rating)).all() == []


def test_rating_someone_elses_case_is_not_possible(replied, app):
    _client, number, _people = replied
    stranger = english(app.test_client())
    assert stranger.post(f"/track/{number}/rate", data={"level": "1"}).status_code == 404
    assert db.session.scalar(select(Case.state).where(Case.number == number)) != "rectifying"


def test_paused_case_says_the_clock_is_stopped(app, client, fast_passwords):
    number, _ = file_online(client, app, "qingcheng")
    case = case_by_number(number)
    people = staff_for("qingcheng")
    for role in ("supervisor", "handler", "clerk"):
        actor = engine.Actor.staff(people[role])
        if "pause" in {t.action for t in engine.allowed_actions(case, actor)}:
            engine.perform(case, "pause", actor, note=f"请补充银行工资流水，联系电话{PERSON['phone']}")
            break
    else:
        pytest.skip("qingcheng's workflow does not pause from the first state")
    html = client.get(f"/track/{number}").get_data(as_text=True)
    assert "the clock is stopped" in html
    assert "请补充银行工资流水" in html and PERSON["phone"] not in html


def test_track_page_headings_are_in_order(replied):
    client, number, _people = replied
    page = Page(client.get(f"/track/{number}").get_data(as_text=True))
    assert page.headings[0] == 1 and page.headings.count(1) == 1
    for a, b in zip(page.headings, page.headings[1:]):
        assert b <= a + 1, page.headings
