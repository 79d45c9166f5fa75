"""Search and service-guide pages over HTTP: Chinese, Traditional and English queries,
highlighting, filters, pagination, hostile input, and the index as derived data."""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal.extensions import db
from portal.knowledge import pipeline
from portal.knowledge.indexing import catch_up
from portal.models import GuideMaterial, GuideVersion, KnowledgeEntry, ServiceGuide
from portal.search import IndexBusy, SearchIndex

from .test_public_support import (  # noqa: F401 (fixtures)
    client,
    demo,
    fast_passwords,
)


def hits(html: str) -> list[str]:
    """Result links in order."""
    block = html.split('<ol class="results"', 1)[1].split("</ol>", 1)[0] if '<ol class="results"' in html else ""
    return re.findall(r'<h3><a href="([^"]+)">', block)


def search(client, **args):
    r = client.get("/search", query_string=args)
    assert r.status_code == 200, r.status_code
    return r.get_data(as_text=True)


def entry_url(title_part: str) -> str:
    e = db.session.scalar(select(KnowledgeEntry).where(KnowledgeEntry.title.contains(title_part)))
    assert e is not None, title_part
    return f"/knowledge/{e.id}"


def guide_url(matter: str, code_prefix: str | None = None) -> list[str]:
    rows = db.session.scalars(select(ServiceGuide).where(ServiceGuide.matter == matter)).all()
    return [f"/guides/{g.id}" for g in rows if not code_prefix or g.jurisdiction.code.startswith(code_prefix)]


# -- Chinese, Traditional, English --------------------------------------------------------------
def test_id_card_finds_the_identity_proof_correction_highlighted(demo, client):
    html = search(client, q="身份证")
    target = entry_url("身份证明")
    assert target in hits(html)
    item = html.split(f'href="{target}"', 1)[1].split("</li>", 1)[0]
    assert "<mark>身份证</mark>" in item


def test_traditional_input_finds_the_simplified_entry(demo, client):
    assert entry_url("身份证明") in hits(search(client, q="身份證"))


def test_traditional_ui_shows_results_in_traditional(demo, client):
    html = search(client, q="身份證", lang="zh_Hant")
    assert 'lang="zh-Hant"' in html
    item = html.split(f'href="{entry_url("身份证明")}"', 1)[1].split("</li>", 1)[0]
    assert "身份證" in item and "办事指南" not in item and "辦事指南" in item


def test_renting_finds_housing_rental_registration(demo, client):
    found = hits(search(client, q="租赁"))
    assert set(guide_url("房屋租赁备案")) <= set(found)
    assert entry_url("视频连线") in found


def test_social_insurance_back_payment_finds_recovery_of_social_insurance(app, client, fast_passwords):
    from .factories import department, file, jurisdiction, staff

    j = jurisdiction("qingcheng")
    clerk, boss = staff("clk-q", "clerk", "qingcheng"), staff("sup-q", "supervisor", "qingcheng")
    c = pipeline.propose(user=clerk, case=file("qingcheng").case, guide=None, kind="practice", field="", wrong_text="",
                         corrected_text="", cause="", title="追缴社保：中断缴费月份一次办结",
                         summary="原单位未缴的月份，由税务和社保经办机构联合追缴。", department_id=department(j).id)
    for step in (pipeline.confirm, lambda c, u: pipeline.record_fix(c, u, "已落实"), pipeline.publish):
        step(c, boss)
    html = search(client, q="社保补缴")
    assert entry_url("追缴社保") in hits(html)
    assert "<mark>追缴</mark>" in html


def test_social_insurance_back_payment_finds_the_recovery_guide(demo, client):
    # needs 社会保险费 in the 社保 synonym group (jieba emits 社会保险费, not 社会保险)
    found = hits(search(client, q="社保补缴"))
    assert guide_url("社会保险费追缴") and set(guide_url("社会保险费追缴")) <= set(found)


def test_english_query_in_the_english_ui(demo, client):
    html = search(client, q="ID card", lang="en")
    target = entry_url("身份证明")
    assert target in hits(html)
    item = html.split(f'href="{target}"', 1)[1].split("</li>", 1)[0]
    assert "resident <mark>ID</mark> <mark>card</mark>" in item or "<mark>ID card</mark>" in item
    assert "Guide correction" in item


def test_exact_matter_name_ranks_first(demo, client):
    found = hits(search(client, q="房屋租赁备案"))
    assert found[0] in guide_url("房屋租赁备案")


def test_results_are_escaped_and_only_mark_is_markup(app, client, fast_passwords):
    from .factories import department, file, jurisdiction, staff

    j = jurisdiction("xuanwu")
    clerk = staff("clk-x", "clerk", "xuanwu")
    boss = staff("sup-x", "supervisor", "xuanwu")
    c = pipeline.propose(user=clerk, case=file("xuanwu").case, guide=None, kind="practice", field="", wrong_text="",
                         corrected_text="", cause="", title='<script>alert("x")</script>身份证办理 <b>新办法</b>',
                         summary="<img src=x onerror=alert(1)> 身份证可以当场补办", department_id=department(j).id)
    pipeline.confirm(c, boss)
    pipeline.record_fix(c, boss, "已落实")
    pipeline.publish(c, boss)
    html = search(client, q="身份证")
    main = html.split("<main", 1)[1]
    assert "<script>" not in main and "<img" not in main and "<b>" not in main
    assert "&lt;script&gt;" in main and "&lt;img" in main
    assert "<mark>身份证</mark>" in main


# -- filters and pages ------------------------------------------------------------------------------
def test_filter_by_jurisdiction_includes_its_districts(demo, client):
    target = entry_url("身份证明")
    assert target in hits(search(client, q="身份证", j="beijing"))  # the Dongcheng correction
    assert target in hits(search(client, q="身份证", j="beijing-dongcheng"))
    assert target not in hits(search(client, q="身份证", j="xuanwu"))
    xuanwu_only = hits(search(client, q="租赁", j="xuanwu"))
    assert xuanwu_only and all(u in guide_url("房屋租赁备案", "xuanwu") or u.startswith("/knowledge/")
                               for u in xuanwu_only)


def test_filter_by_department(demo, client):
    e = db.session.scalar(select(KnowledgeEntry).where(KnowledgeEntry.title.contains("身份证明")))
    html = search(client, q="身份证", j=e.jurisdiction.code)
    assert f'<option value="{e.department.code}"' in html, "departments offered once a jurisdiction is chosen"
    assert entry_url("身份证明") in hits(search(client, q="身份证", j=e.jurisdiction.code, d=e.department.code))
    other = next(d for d in e.jurisdiction.departments if d.code != e.department.code)
    assert entry_url("身份证明") not in hits(search(client, q="身份证", j=e.jurisdiction.code, d=other.code))


def test_unknown_filters_are_ignored_not_errors(demo, client):
    assert entry_url("身份证明") in hits(search(client, q="身份证", j="atlantis", d="nope", kind="x", page="abc"))


def _many_guides(n: int) -> None:
    from .factories import department, jurisdiction

    j = jurisdiction("dazhou")
    d = department(j)
    for i in range(n):
        g = ServiceGuide(jurisdiction=j, department=d, code=f"ship-{i}", matter=f"船舶登记第{i}类",
                         matter_en=f"Ship registration {i}")
        v = GuideVersion(number=1, conditions="持有船舶所有权证书。", promised_limit_days=5)
        v.materials.append(GuideMaterial(position=0, name="船舶所有权证书"))
        g.versions.append(v)
        db.session.add(g)
    db.session.commit()
    catch_up()


def test_results_are_paginated(app, client):
    _many_guides(23)
    first = search(client, q="船舶")
    assert "23 results" in first
    assert len(hits(first)) == 10 and 'rel="next"' in first and 'rel="prev"' not in first
    third = search(client, q="船舶", page=3)
    assert len(hits(third)) == 3 and 'rel="prev"' in third and 'rel="next"' not in third
    assert "Page 3 of 3" in third
    pages = hits(first) + hits(search(client, q="船舶", page=2)) + hits(third)
    assert len(set(pages)) == 23
    assert hits(search(client, q="船舶", page=999)) == []


def test_page_links_keep_the_query_and_filters(app, client):
    _many_guides(12)
    html = search(client, q="船舶", j="dazhou", kind="guide")
    nxt = re.search(r'rel="next" href="([^"]+)"', html).group(1)
    assert "q=%E8%88%B9%E8%88%B6" in nxt and "j=dazhou" in nxt and "kind=guide" in nxt and "page=2" in nxt


HOSTILE = ["AND (", "title:x", "*", "?", '"', "\\", "NOT", "OR OR", "身份证 OR", "<script>alert(1)</script>",
           "%", "'; DROP TABLE case; --", "\x00", "x" * 5000, "\u202e身份证", "🙂" * 50, "(((((", "a:b:c", "~2",
           "^3", "[1 TO 9]", "{a TO b}", "身份证*", "??????", "\t\n", "NEAR/3", "/regex/"]


def test_hostile_queries_never_fail(demo, client):
    for q in HOSTILE:
        for lang in ("zh_Hans", "en"):
            r = client.get("/search", query_string={"q": q, "lang": lang})
            # a NUL byte is refused as a bad request (400) before any page logic; all else is a page
            assert r.status_code == (400 if "\x00" in q else 200), (q, r.status_code)
            assert "<script>alert" not in r.get_data(as_text=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300),
       page=st.one_of(st.none(), st.text(max_size=5), st.integers(-5, 10**6).map(str)))
def test_any_text_query_gets_a_page_not_an_error(app, client, q, page):
    args = {"q": q}
    if page is not None:
        args["page"] = page
    r = client.get("/search", query_string=args)
    assert r.status_code == (400 if "\x00" in q + (page or "") else 200)


# -- the index is derived data -----------------------------------------------------------------------
def _publish_identity_correction(code="beijing-dongcheng"):
    from .factories import department, jurisdiction, staff

    j = jurisdiction(code)
    d = department(j)
    g = ServiceGuide(jurisdiction=j, department=d, code="residence", matter="居住证办理", matter_en="Residence permit")
    v = GuideVersion(number=1, conditions="在本市居住满半年。", promised_limit_days=15, change_note="首次发布")
    for i, name in enumerate(("身份证明", "居住登记凭证")):
        v.materials.append(GuideMaterial(position=i, name=name))
    g.versions.append(v)
    db.session.add(g)
    db.session.commit()
    from .test_public_support import PERSON
    from portal.engine import cases as engine

    case = engine.file_case(jurisdiction=j, matter="居住证办理", description="带了社保卡，窗口要身份证。",
                            channel="online", complainant={"name": PERSON["name"], "phone": PERSON["phone"]},
                            guide_id=g.id)
    clerk, boss = staff("clk-1", "clerk", code), staff("sup-1", "supervisor", code)
    c = pipeline.propose(user=clerk, case=case.case, guide=g, kind="correction", field="materials",
                         wrong_text="身份证明", corrected_text="身份证", cause="一次性告知不准确",
                         title="办事指南更正：“身份证明”改为“身份证”", title_en="Guide correction: ID card",
                         summary="指南原写“身份证明”。")
    pipeline.confirm(c, boss)
    pipeline.record_fix(c, boss, "已更正")
    entry = pipeline.publish(c, boss)
    return g, entry, case.case


@pytest.mark.parametrize("error", [IndexBusy("locked by another worker"), OSError(28, "No space left on device")])
def test_a_failed_index_write_loses_nothing_and_catches_up(app, client, monkeypatch, fast_passwords, error):
    def failing(self, docs):
        raise error

    monkeypatch.setattr(SearchIndex, "add_or_update", failing)
    g, entry, _case = _publish_identity_correction()
    # the database is the truth: the entry and the new guide version are saved
    assert db.session.get(KnowledgeEntry, entry.id) is not None and g.current.number == 2
    assert entry.indexed_at is None
    assert f"/knowledge/{entry.id}" not in hits(search(client, q="身份证"))
    monkeypatch.undo()
    app.config["PORTAL_CATCH_UP_SECONDS"] = 0
    # the next search (any worker's) catches up before reading
    assert f"/knowledge/{entry.id}" in hits(search(client, q="身份证"))
    db.session.expire_all()
    assert db.session.get(KnowledgeEntry, entry.id).indexed_at is not None


def test_reindex_rebuilds_the_index_from_the_database(app, client, fast_passwords, tmp_path):
    import shutil

    from portal.knowledge.indexing import rebuild_index

    _g, entry, _case = _publish_identity_correction()
    app.extensions.pop("portal_search").close()
    shutil.rmtree(app.config["PORTAL_INDEX_DIR"])
    assert rebuild_index() >= 2
    assert f"/knowledge/{entry.id}" in hits(search(client, q="身份证"))


# -- service guides and their history --------------------------------------------------------------------
def test_corrected_guide_shows_what_changed_when_and_which_case(app, client, fast_passwords):
    g, entry, case = _publish_identity_correction()
    html = client.get(f"/guides/{g.id}").get_data(as_text=True)
    history = html.split('id="history"', 1)[1]
    assert "version 2" in history and "version 1" in history
    assert "<del>身份证明</del> → <ins>身份证</ins>" in history
    assert case.number in history
    assert f'href="/knowledge/{entry.id}"' in history
    assert re.search(r"<time datetime=\"\d{4}-\d\d-\d\d", history)
    materials = html.split("Required materials", 1)[1].split("</table>", 1)[0]
    assert re.search(r"<td[^>]*>身份证</td>", materials) and "身份证明" not in materials
    old = client.get(f"/guides/{g.id}?v=1").get_data(as_text=True)
    assert "has since been replaced" in old and re.search(r"<td[^>]*>身份证明</td>", old)
    assert client.get(f"/guides/{g.id}?v=9").status_code == 404


def test_knowledge_entry_page_has_what_was_wrong_what_is_right_and_since_when(app, client, fast_passwords):
    g, entry, case = _publish_identity_correction()
    html = client.get(f"/knowledge/{entry.id}").get_data(as_text=True)
    for part in ("What was wrong", "<del>身份证明</del>", "What is right now", "<ins>身份证</ins>", "Since",
                 case.number, f'href="/guides/{g.id}#history"'):
        assert part in html
    assert client.get("/knowledge/99999").status_code == 404
    assert client.get("/guides/99999").status_code == 404


def test_guides_and_corrections_lists(demo, client):
    guides = client.get("/guides").get_data(as_text=True)
    assert "Residence permit" in guides and "corrected" in guides  # English names in the English UI
    assert "居住证办理" in client.get("/guides?lang=zh_Hans").get_data(as_text=True)
    assert "房屋租赁备案" in client.get("/guides?j=xuanwu&lang=zh_Hans").get_data(as_text=True)
    assert "居住证办理" not in client.get("/guides?j=xuanwu&lang=zh_Hans").get_data(as_text=True)
    corr = client.get("/corrections").get_data(as_text=True)
    listed = hits(corr.replace("<h2><a", "<h3><a"))
    newest_first = db.session.scalars(select(KnowledgeEntry.id).order_by(KnowledgeEntry.published_at.desc())).all()
    assert listed == [f"/knowledge/{i}" for i in newest_first]


def test_publishing_while_the_index_is_locked_does_not_make_anyone_wait(app, client, fast_passwords):
    import time

    from portal.knowledge.indexing import search_index

    ix = search_index()
    lock = ix._open(ix._current()).lock("WRITELOCK")  # as a rebuild in another worker holds it
    assert lock.acquire(blocking=False)
    try:
        with app.test_request_context("/staff/corrections"):  # publishing happens in a staff request
            started = time.monotonic()
            _g, entry, _case = _publish_identity_correction()
            assert time.monotonic() - started < 10
        assert db.session.get(KnowledgeEntry, entry.id).indexed_at is None
        started = time.monotonic()
        app.config["PORTAL_CATCH_UP_SECONDS"] = 0
        assert f"/knowledge/{entry.id}" not in hits(search(client, q="身份证"))
        assert time.monotonic() - started < 5, "a search does not wait for the lock either"
    finally:
        lock.release()
    assert f"/knowledge/{entry.id}" in hits(search(client, q="身份证"))
