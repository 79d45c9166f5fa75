"""Privacy: no complainant's name, phone, ID number or address on any public page, download,
API answer or in the search index; free text shown in public is redacted. Property tests
for ``redact`` and ``valid_mainland_id``. Every person here is invented."""
from __future__ import annotations

import json
import re
from collections import deque
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal.engine import cases as engine
from portal.extensions import db
from portal.knowledge import pipeline
from portal.models import Case, GuideCorrection, KnowledgeEntry, ServiceGuide
from portal.privacy import MARK, fold_width, redact, valid_mainland_id
from portal.registry import enabled_jurisdictions

from .test_public_support import (  # noqa: F401 (fixtures)
    PERSON,
    Page,
    client,
    demo,
    drive_to_replied,
    english,
    fast_passwords,
    file_online,
    staff_for,
)

# -- generators --------------------------------------------------------------------------------
WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]  # ISO 7064 MOD 11-2, computed, not copied


def check_char(body17: str) -> str:
    c = (12 - sum(int(d) * w for d, w in zip(body17, WEIGHTS)) % 11) % 11
    return "X" if c == 10 else str(c)


births = st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31))
regions = st.from_regex(r"[1-9]\d{5}", fullmatch=True)
sequences = st.from_regex(r"\d{3}", fullmatch=True)


@st.composite
def mainland_ids(draw):
    body = draw(regions) + draw(births).strftime("%Y%m%d") + draw(sequences)
    return body + check_char(body)


@st.composite
def mobiles(draw):
    digits = "1" + draw(st.sampled_from("3456789")) + draw(st.from_regex(r"\d{9}", fullmatch=True))
    style = draw(st.sampled_from(["plain", "spaced", "dashed", "+86", "+86 ", "0086", "fullwidth"]))
    if style == "spaced":
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if style == "dashed":
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    if style == "fullwidth":
        return digits.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    return {"plain": "", "+86": "+86", "+86 ": "+86 ", "0086": "0086"}[style] + digits


@st.composite
def landlines(draw):
    area = draw(st.sampled_from(["010", "021", "0871", "025", "0818", "0763", "020"]))
    local = draw(st.from_regex(r"[2-8]\d{6,7}", fullmatch=True))
    style = draw(st.sampled_from(["{a}-{l}", "({a}){l}", "（{a}）{l}", "{a} {l}", "{a}{l}", "{a}-{l}-801"]))
    return style.format(a=area, l=local)


@st.composite
def emails(draw):
    local = draw(st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,15}", fullmatch=True))
    labels = draw(st.lists(st.from_regex(r"[a-z0-9]{1,10}", fullmatch=True), min_size=1, max_size=3))
    tld = draw(st.from_regex(r"[a-z]{2,6}", fullmatch=True))
    return f"{local}@{'.'.join(labels)}.{tld}"


#: Surrounding text: Chinese, Latin letters and punctuation, but no digits and no e-mail characters.
filler = st.text(alphabet=st.sampled_from(list("的了我在窗口办理材料身份证退休说明：，。！？（）abcxyzABC ")), max_size=20)


# -- valid_mainland_id -------------------------------------------------------------------------------
@given(mainland_ids())
@example("11010519491231002X")
def test_generated_ids_with_the_right_check_character_are_valid(id_number):
    assert valid_mainland_id(id_number)
    assert valid_mainland_id(id_number.lower())
    assert valid_mainland_id(f"  {id_number}  ")


@given(mainland_ids(), st.integers(0, 16), st.integers(1, 9))
def test_changing_any_one_digit_makes_an_id_invalid(id_number, position, delta):
    digit = (int(id_number[position]) + delta) % 10
    mutated = id_number[:position] + str(digit) + id_number[position + 1:]
    assert not valid_mainland_id(mutated)


@given(mainland_ids())
def test_a_wrong_check_character_is_invalid(id_number):
    for c in "0123456789X":
        if c != id_number[-1]:
            assert not valid_mainland_id(id_number[:-1] + c)


@given(st.text(max_size=30))
def test_valid_mainland_id_never_raises_and_needs_18_characters(value):
    result = valid_mainland_id(value)
    assert isinstance(result, bool)
    if result:
        assert len(fold_width(value).strip()) == 18


def test_impossible_birth_dates_are_invalid():
    for body in ("11010519990230123", "11010519991301123", "11010517991201123"):
        assert not valid_mainland_id(body + check_char(body))


# -- redact ----------------------------------------------------------------------------------------------
@given(filler, mainland_ids(), filler)
def test_id_numbers_are_masked(before, id_number, after):
    out = redact(before + id_number + after)
    assert out == before + MARK + after


@given(filler, regions, births, sequences, st.sampled_from(list("0123456789Xx")), filler)
def test_id_shaped_numbers_are_masked_even_with_a_wrong_check_digit(before, region, born, seq, check, after):
    id_number = region + born.strftime("%Y%m%d") + seq + check
    assert redact(before + id_number + after) == before + MARK + after


@given(filler, mobiles(), filler)
def test_mobile_numbers_are_masked(before, mobile, after):
    out = redact(before + mobile + after)
    digits = re.sub(r"\D", "", fold_width(mobile))[-11:]
    assert digits not in re.sub(r"\D", "", fold_width(out))
    assert MARK in out and out.startswith(before.rstrip()[:5])


@given(filler, landlines(), filler)
def test_landline_numbers_are_masked(before, landline, after):
    out = redact(before + landline + after)
    local = re.split(r"[-)）\s]", landline.replace("-801", ""))[-1][-7:]
    assert local not in out and MARK in out


@given(filler, emails(), filler)
def test_email_addresses_are_masked(before, email, after):
    out = redact(before + " " + email + " " + after)
    assert email not in out and "@" not in out and MARK in out


@given(st.text(alphabet=st.characters(blacklist_characters="0123456789０１２３４５６７８９@＠",
                                      blacklist_categories=("Nd",)), max_size=200))
def test_text_without_digits_or_at_signs_is_unchanged(text):
    assert redact(text) == text


@given(st.text(max_size=200))
@example("电话13800001234，身份证110105194912310021，邮件a@b.cn")
@example("1380000123413800001234")
def test_redact_is_idempotent_and_never_raises(text):
    once = redact(text)
    assert redact(once) == once


@given(st.text(alphabet="张王李赵欧阳明远丽华建国", min_size=2, max_size=4), filler, filler)
def test_known_personal_values_are_masked_wherever_they_appear(name, before, after):
    assume(name not in before and name not in after)
    out = redact(f"{before}{name}{after}，{name}同志", known=[name, "", None, "x"])
    assert name not in out


@pytest.mark.parametrize("text", [
    "2026年3月1日受理，3个工作日内答复。", "请拨打12345热线或12368诉讼服务热线。", "BJDC-2026-000123",
    "社保只缴了152个月", "第10号窗口，工作日 9:00-17:00", "收费标准：每件20元",
])
def test_ordinary_public_text_is_not_masked(text):
    assert redact(text) == text


# -- no personal data anywhere public ---------------------------------------------------------------------
@pytest.fixture
def lived_in(demo, fast_passwords):
    """Demo data plus a case whose person's details are quoted back in a reply, a correction
    summary and a rating comment; the case is tracked and rated in a browser session."""
    app = demo
    client = english(app.test_client())
    number, _code = file_online(client, app, "beijing-dongcheng", id_number=PERSON["id_number"],
                                address=PERSON["address"])
    case = db.session.scalar(select(Case).where(Case.number == number))
    people = staff_for("beijing-dongcheng")
    drive_to_replied(case, people, f"{PERSON['name']}您好，已为您办结。回电{PERSON['phone']}，"
                                   f"身份证{PERSON['id_number']}已核验，地址{PERSON['address']}。")
    client.post(f"/track/{number}/rate", data={"level": "2", "comment": f"我是{PERSON['name']}，电话{PERSON['phone']}"})
    guide = db.session.scalar(select(ServiceGuide).where(ServiceGuide.matter == "居住证办理"))
    c = pipeline.propose(user=people["clerk"], case=case, guide=guide if guide.jurisdiction_id == case.jurisdiction_id
                         else None, kind="practice", field="", wrong_text="", corrected_text="", cause="",
                         title=f"解决办法：{PERSON['name']}反映的居住证问题已一次办结",
                         title_en=f"Practice from the case of {PERSON['name']}",
                         summary=f"{PERSON['name']}（{PERSON['phone']}，住{PERSON['address']}，"
                                 f"身份证{PERSON['id_number']}）反映后，窗口改为当场核验。",
                         summary_en=f"After {PERSON['name']} called from {PERSON['phone']} the window checks "
                                    "on the spot.")
    pipeline.confirm(c, people["supervisor"])
    pipeline.record_fix(c, people["supervisor"], "已落实")
    pipeline.publish(c, people["supervisor"])
    return app, client, number


def personal_values() -> list[str]:
    values = set()
    for case in db.session.scalars(select(Case)).all():
        for v in (case.complainant_name, case.complainant_phone, case.complainant_id_number,
                  case.complainant_address):
            if v and len(v) >= 2:
                values.add(v)
    return sorted(values)


def crawl(client, starts, limit=600) -> dict[str, str]:
    """Every same-site page reachable from ``starts`` by links (GET only, no staff pages)."""
    seen: dict[str, str] = {}
    queue = deque(starts)
    while queue and len(seen) < limit:
        url = queue.popleft()
        parts = urlsplit(url)
        if parts.netloc or not parts.path.startswith("/") or parts.path.startswith(("/staff", "/large-text")):
            continue
        key = parts.path + ("?" + parts.query if parts.query else "")
        if key in seen:
            continue
        r = client.get(key)
        body = r.get_data(as_text=True) if r.status_code != 304 else ""
        seen[key] = body
        assert r.status_code < 500, (key, r.status_code)
        if r.mimetype == "text/html":
            for href in Page(body).links:
                nxt = urljoin(key, href.split("#", 1)[0])
                if urlsplit(nxt).path.startswith("/static/"):
                    continue
                queue.append(nxt)
    return seen


def public_get_routes(app) -> list[str]:
    """Routes with no arguments outside the staff area: pages, downloads, API."""
    out = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith(("/staff", "/static")):
            out.append(rule.rule)
    return out


def test_no_personal_data_on_any_public_page_download_or_api(lived_in):
    app, client, number = lived_in
    values = personal_values()
    assert PERSON["name"] in values and len(values) >= 10
    codes = [j.code for j in enabled_jurisdictions()]
    starts = ["/", f"/track/{number}", f"/receipt/{number}", "/corrections", "/guides",
              *public_get_routes(app), *[f"/transparency/{c}" for c in codes],
              *[f"/search?q={q}" for q in ("居住证", "身份证", "租赁", "社保", "办结", "解决办法")],
              "/search?q=ID+card&lang=en", "/corrections?lang=en", "/?lang=zh_Hant"]
    pages = crawl(client, starts)
    assert any(p.startswith("/knowledge/") for p in pages) and any(p.startswith("/guides/") for p in pages)
    assert any(p.startswith("/transparency") for p in pages)
    leaks = {(url, v) for url, body in pages.items() for v in values if v in body}
    assert not leaks, sorted(leaks)[:10]
    # the person's own tracking page shows the answer, without their details
    track = pages[f"/track/{number}"]
    assert "已为您办结" in track and "████" in track


def test_searching_for_a_person_finds_nothing_of_them(lived_in):
    app, client, _number = lived_in
    for q in (PERSON["name"], PERSON["phone"], PERSON["id_number"], PERSON["address"], "幸福路"):
        html = client.get("/search", query_string={"q": q}).get_data(as_text=True)
        results = html.split("</form>", 2)[-1]  # after the search box, which echoes the words typed
        for v in PERSON.values():
            assert v not in results, (q, v)


def stored_documents(app) -> list[dict]:
    from whoosh import index

    path = Path(app.config["PORTAL_INDEX_DIR"])
    generation = (path / "CURRENT").read_text().strip()
    ix = index.open_dir(str(path / generation))
    with ix.searcher() as s:
        return [dict(d) for d in s.all_stored_fields()]


def test_no_personal_data_in_the_search_index(lived_in):
    app, _client, _number = lived_in
    from portal.knowledge.indexing import catch_up, rebuild_index

    catch_up()
    docs = stored_documents(app)
    assert len(docs) >= db.session.query(KnowledgeEntry).count()
    values = personal_values()
    for doc in docs:
        text = json.dumps(doc, ensure_ascii=False, default=str)
        for v in values:
            assert v not in text, (doc["doc_id"], v)
    rebuild_index()
    for doc in stored_documents(app):
        text = json.dumps(doc, ensure_ascii=False, default=str)
        assert not any(v in text for v in values), doc["doc_id"]


def test_knowledge_entry_text_from_a_case_is_redacted(lived_in):
    app, client, _number = lived_in
    c = db.session.scalar(select(GuideCorrection).where(GuideCorrection.title.contains("居住证问题")))
    entry = db.session.scalar(select(KnowledgeEntry).where(KnowledgeEntry.correction_id == c.id))
    for lang in ("zh_Hans", "en", "zh_Hant"):
        html = client.get(f"/knowledge/{entry.id}?lang={lang}").get_data(as_text=True)
        assert "████" in html
        for v in PERSON.values():
            assert v not in html


def test_screening_records_keep_no_personal_data(app, client):
    from portal.models import ScreeningRecord

    client.post("/file/beijing", data={"matter": f"{PERSON['name']}的劳动仲裁{PERSON['phone']}",
                                       "description": "我要打官司，单位拖欠工资三个月。", "name": PERSON["name"]})
    rec = db.session.scalar(select(ScreeningRecord))
    assert rec is not None
    assert PERSON["name"] not in rec.matter and PERSON["phone"] not in rec.matter


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# PostgreSQL text holds no NUL; lone surrogates (Cs) cannot be encoded, and never arrive over HTTP
# (Werkzeug decodes form bodies as UTF-8 with replacement)
@given(reply=st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), min_size=1,
                     max_size=120),
       ids=mainland_ids(), phone=mobiles())
def test_any_reply_is_shown_without_the_numbers_in_it(app, fast_passwords, reply, ids, phone):
    """Property over the tracking page: whatever staff write, ID and phone numbers do not show."""
    from portal.public.views import public_case_view

    case = db.session.scalar(select(Case).where(Case.matter == "hypothesis"))
    if case is None:
        from .factories import jurisdiction

        case = engine.file_case(jurisdiction=jurisdiction("kunming"), matter="hypothesis", description="测试描述内容十个字以上",
                                channel="online", complainant={"name": "司徒测试", "phone": "13700000000"}).case
    case.reply = f"{reply} {ids} {phone} 司徒测试"
    with app.test_request_context("/"):
        view = public_case_view(case)
    db.session.rollback()
    shown = fold_width(view["reply"])
    assert ids not in shown and ids[:17] not in shown
    assert fold_width(phone) not in shown and re.sub(r"\D", "", fold_width(phone))[-11:] not in shown
    assert "司徒测试" not in view["reply"]


def test_dates_of_a_week_are_not_mistaken_for_numbers():
    start = date(2026, 3, 2)
    text = "，".join((start + timedelta(days=i)).isoformat() for i in range(7))
    assert redact(text) == text


def test_the_public_timeline_shows_only_notes_the_workflow_declares_for_the_person(app, fast_passwords):
    """Privacy (issue 11): in every jurisdiction, a staff-only note (the internal note, an
    escalation's reason) never reaches the tracking page; a note declared for the person (the
    workflow's public_note, e.g. Dazhou's progress note, seed 002) does, with personal data masked."""
    from flask import g

    from .factories import file

    name, phone = "李小青", "13800001234"  # factories.file's invented complainant
    kinds = set()
    for code in [j.code for j in enabled_jurisdictions()]:
        people = staff_for(code)
        clerk = engine.Actor.staff(people["clerk"])
        case = file(code).case
        secret = f"内部意见{code}不对外"
        engine.perform(case, "note", clerk, note=secret)
        wf = engine.workflow_for(code)
        spoken = []
        for t in wf.transitions:
            allowed = {a.action for a in engine.allowed_actions(case, clerk)}
            if t.target is None and t.needs_note and t.action in allowed and t.action not in ("pause", "extend"):
                text = f"{t.action}说明{code}，请回电{phone}，{name}"
                engine.perform(case, t.action, clerk, note=text)
                spoken.append((t, text))
        g.pop("_login_user", None)
        client = app.test_client()
        with client.session_transaction() as s:
            s["tracked"] = [case.number]
        html = client.get(f"/track/{case.number}?lang=zh_Hans").get_data(as_text=True)
        assert secret not in html, code
        assert phone not in html and name not in html, code
        for t, text in spoken:
            shown = text.split("，")[0] in html
            assert shown == t.note_is_public, (code, t.action)
            kinds.add(t.note_is_public)
    assert kinds == {True, False}  # both kinds of note were written somewhere
    dazhou = engine.workflow_for("dazhou").transition("progress")
    assert dazhou.note_is_public  # seed 002: 向群众说明理由和办理进度
