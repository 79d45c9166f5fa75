"""Search engine layer (portal.search): real Whoosh indexes in tmp dirs.

The corpus below is invented (no real people). Named queries assert the
expected top result, so a ranking regression shows up as a test failure.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import subprocess
import sys
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.search import IndexBusy, SearchIndex, analyze, fold, normalize_exact

D = dt.datetime


def entry(n, kind, jurisdiction, department, department_name, matter, title, body,
          title_en=None, body_en=None, published=None):
    return {
        "doc_id": f"entry:{n}", "kind": kind, "jurisdiction": jurisdiction,
        "department": department, "department_name": department_name,
        "matter": matter, "title": title, "body": body,
        "title_en": title_en, "body_en": body_en,
        "published": published or D(2024, 1, 1) + dt.timedelta(days=n),
        "url": f"/entries/{n}",
    }


CORPUS = [
    entry(1, "correction", "beijing", "gongan", "公安局", "户口登记",
          "办事指南材料名称更正：身份证明 → 身份证",
          "原指南“申请材料”一栏写作“身份证明”，群众无法判断应提交何种证件。"
          "现已更正为本人有效的居民身份证原件。<script>alert(1)</script>",
          "Guide correction: 'identity proof' should read 'resident ID card'",
          "The guide listed 'identity proof'; it now names the resident ID card."),
    entry(2, "practice", "xuanwu", "zhujian", "住房和城乡建设局", "房屋租赁备案",
          "业主无法到场时通过视频核验办理房屋租赁备案",
          "业主在外地无法到窗口，工作人员通过视频连线核验业主本人意愿和房产信息，承租人现场提交材料，当场完成备案。",
          "Housing rental registration by video call when the owner cannot attend",
          "Staff verify the absent owner over a video call and register the tenancy on the spot."),
    entry(3, "practice", "qingcheng", "renshe", "人力资源和社会保障局", "社会保险费追缴",
          "追缴社保：中断缴费月份一次办结",
          "灵活就业人员因原单位破产中断缴费，经核实后由税务和社保经办机构联合追缴欠缴月份，群众只跑一次。",
          "Social insurance back-payment",
          "Missed contribution months are collected in a single visit."),
    entry(4, "practice", "kunming", "gongan", "公安局", "養犬登記",
          "養犬登記：疫苗證明可線上核驗",
          "犬隻免疫證明由獸醫站線上推送，飼主無需另行提交紙本證明。",
          "Dog licence: vaccination certificate checked online",
          "Owners no longer bring a paper vaccination certificate."),
    entry(5, "correction", "dazhou", "renshe", "人力资源和社会保障局", "退休审批",
          "退休审批：档案出生日期与证件不一致的处理",
          "职工档案记载的出生日期与身份证不一致时，原指南要求“自行解决”。现明确以最早记载的档案为准，由经办机构调查核实。",
          "Retirement approval: birth dates that disagree",
          "When the personnel file and the ID card disagree, the earliest file record counts."),
    entry(6, "correction", "beijing", "minzheng", "民政局", "残疾人证办理",
          "残疾人证办理：补充身份认定说明",
          "原指南未说明残疾人身份认定的评定机构，现补充评定医院名单。"),
    entry(7, "practice", "beijing", "gongan", "公安局", "无犯罪记录证明开具",
          "无犯罪记录证明可在线申请",
          "申请人通过网上平台提交申请，证明文件以电子证照形式发放。"),
    entry(8, "correction", "xuanwu", "shichang", "市场监督管理局", "个体工商户营业执照办理",
          "个体工商户营业执照：经营场所证明材料简化",
          "原指南要求提交房屋租赁合同及产权证明，现可用租赁合同或场所使用承诺书替代。",
          "Sole trader business licence: simpler proof of premises",
          "A rental contract or a signed commitment now suffices."),
    entry(9, "practice", "qingcheng", "renshe", "人力资源和社会保障局", "社保卡挂失补办",
          "社保卡挂失后可在银行网点补办", "社保卡遗失后可在合作银行网点即时补办，无需回到社保大厅。"),
    entry(10, "practice", "dazhou", "gongjijin", "住房公积金管理中心", "住房公积金补缴",
          "单位漏缴公积金可申请补缴", "单位因系统故障漏缴的月份，可凭银行流水申请补缴。"),
    entry(11, "guide", "beijing", "guitu", "规划和自然资源委员会", "不动产登记",
          "不动产登记办事指南", "申请材料：登记申请书、身份证明、权属来源材料。"),
    entry(12, "practice", "beijing", "guitu", "规划和自然资源委员会", "二手房转移登记",
          "二手房交易与转移登记合并办理",
          "不动产登记与交易、缴税一窗受理；不动产登记完成后当场领证，不动产登记费用可线上缴纳。"),
    entry(13, "practice", "beijing", "guitu", "规划和自然资源委员会", "不动产登记资料查询",
          "不动产登记资料查询：不动产登记簿可自助打印",
          "权利人可在自助终端查询并打印不动产登记簿，不动产登记资料查询无需预约。"),
    entry(14, "practice", "kunming", "gongan", "公安局", "居住證簽註",
          "居住證到期前可線上簽註", "持證人在到期前三十日內通過小程序辦理簽註。"),
    entry(15, "correction", "qingcheng", "renshe", "人力资源和社会保障局", "工伤认定",
          "工伤认定：无劳动合同时以工资流水证明劳动关系",
          "原指南仅列劳动合同，现补充工资流水、考勤记录等可证明劳动关系的材料。"),
    entry(16, "correction", "beijing", "gongan", "公安局", "户籍证明开具",
          "户籍证明开具不再要求居委会盖章", "派出所可直接查询户籍信息出具证明。"),
    entry(17, "practice", "xuanwu", "yibao", "医疗保障局", "异地就医备案",
          "异地就医备案线上办理", "参保人可通过国家医保服务平台自助备案。"),
    entry(18, "practice", "beijing", "minzheng", "民政局", "结婚登记",
          "结婚登记号源不足时增开周末窗口", "婚姻登记处在节假日前增开周末预约号源。"),
]

BY_ID = {d["doc_id"]: d for d in CORPUS}


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    ix = SearchIndex(tmp_path_factory.mktemp("search") / "index").create_or_open()
    ix.add_or_update(CORPUS)
    yield ix
    ix.close()


@pytest.fixture
def fresh(tmp_path):
    ix = SearchIndex(tmp_path / "index", write_timeout=10).create_or_open()
    yield ix
    ix.close()


def top_ids(results, n=1):
    return [h.doc_id for h in results.hits[:n]]


# -- analysis ------------------------------------------------------------

def test_search_mode_emits_sub_words_of_compounds():
    tokens = analyze("身份证明")
    assert {"身份证明", "身份证", "身份", "证明"} <= set(tokens)


def test_traditional_is_folded_to_simplified():
    assert fold("養犬登記") == "养犬登记"
    assert "身份证" in analyze("身份證明")


def test_english_words_are_stemmed_inside_chinese_fields():
    assert analyze("Rentals 租赁") == ["rental", "租赁"]


def test_jieba_cache_goes_to_the_configured_dir_and_logs_nothing(tmp_path):
    code = ("import portal.search as s; s.configure(%r); print(s.analyze('社保补缴'))"
            % str(tmp_path))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run([sys.executable, "-W", "error", "-c", code], cwd=root,
                          capture_output=True, text=True, timeout=120, check=False)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert "补缴" in proc.stdout
    # jieba names the cache of a custom dictionary jieba.u<md5 of its path>.cache;
    # the trimmed dictionary itself is kept there too
    assert [p.name for p in tmp_path.glob("jieba*.cache")]
    assert [p.name for p in tmp_path.glob("bancheng-jieba-*.txt")]


def test_normalize_exact_ignores_spaces_punctuation_and_script():
    assert normalize_exact(" 不动产 登記。") == normalize_exact("不动产登记")


# -- named queries --------------------------------------------------------

def test_identity_card_finds_the_identity_proof_correction(index):
    assert top_ids(index.search("身份证")) == ["entry:1"]


def test_traditional_query_finds_the_same_correction(index):
    assert top_ids(index.search("身份證")) == ["entry:1"]


def test_rental_finds_housing_rental_registration_first(index):
    results = index.search("租赁")
    assert top_ids(results) == ["entry:2"]
    assert "entry:8" in top_ids(results, 10)  # 租赁合同 in a licence entry ranks lower


def test_back_payment_synonym_finds_the_arrears_practice(index):
    results = index.search("社保补缴")
    assert top_ids(results) == ["entry:3"]
    # 补缴 alone (housing fund) or 社保 alone (card replacement) do not
    # satisfy the AND query.
    assert "entry:10" not in top_ids(results, 10)
    assert "entry:9" not in top_ids(results, 10)


def test_english_id_card_finds_the_correction(index):
    assert top_ids(index.search("ID card", lang="en")) == ["entry:1"]
    assert top_ids(index.search("ID card")) == ["entry:1"]  # ASCII-only means English too


def test_english_rental_registration(index):
    assert top_ids(index.search("rental registration", lang="en")) == ["entry:2"]


def test_traditional_entry_is_found_by_simplified_query_and_synonym(index):
    assert top_ids(index.search("养犬登记")) == ["entry:4"]
    assert top_ids(index.search("犬只登记")) == ["entry:4"]
    assert top_ids(index.search("dog license")) == ["entry:4"]


def test_exact_matter_name_ranks_first(index):
    for query in ("不动产登记", "不动产 登记", "不動產登記"):
        results = index.search(query)
        assert top_ids(results) == ["entry:11"], query
        assert {"entry:12", "entry:13"} <= set(top_ids(results, 10))
        assert results.hits[0].score > 10 * results.hits[1].score


def test_literal_substring_is_found_through_bigrams(index):
    # 份证 is no jieba word, but it is a literal substring of 身份证.
    assert "entry:1" in top_ids(index.search("份证"), 10)


def test_falls_back_to_any_word_when_no_document_has_all(index):
    results = index.search("养犬登记 结婚登记")
    assert {"entry:4", "entry:18"} <= set(top_ids(results, 10))


# -- filters and paging ---------------------------------------------------

def test_filter_by_jurisdiction(index):
    results = index.search("登记", jurisdiction="beijing")
    assert results.total > 0
    assert {h.jurisdiction for h in results.hits} == {"beijing"}
    assert index.search("租赁", jurisdiction="beijing").total == 0


def test_filter_by_department_and_kind(index):
    results = index.search("证明", department="gongan")
    assert results.total > 0 and {h.department for h in results.hits} == {"gongan"}
    results = index.search("证明", kind="correction", department=["gongan", "renshe"])
    assert results.total > 0
    assert {h.kind for h in results.hits} == {"correction"}
    assert {h.department for h in results.hits} <= {"gongan", "renshe"}


def test_empty_query_lists_filtered_documents_newest_first(index):
    results = index.search("", jurisdiction="kunming")
    assert top_ids(results, 5) == ["entry:14", "entry:4"]
    assert results.hits[0].highlights == {}


def test_pagination(fresh):
    fresh.add_or_update(
        {"doc_id": f"guide:{i}", "kind": "guide", "jurisdiction": "dazhou",
         "matter": "住房公积金提取", "title": f"公积金提取指南第{i}版", "body": "提取条件与材料。"}
        for i in range(13))
    pages = [fresh.search("公积金提取", page=p, pagelen=5) for p in (1, 2, 3)]
    assert [(r.total, r.pages, r.page, len(r.hits)) for r in pages] == [
        (13, 3, 1, 5), (13, 3, 2, 5), (13, 3, 3, 3)]
    ids = [h.doc_id for r in pages for h in r.hits]
    assert len(set(ids)) == 13
    beyond = fresh.search("公积金提取", page=4, pagelen=5)
    assert (beyond.total, beyond.pages, beyond.hits) == (13, 3, [])


def test_hit_carries_stored_fields(index):
    hit = index.search("身份证").hits[0]
    assert (hit.kind, hit.jurisdiction, hit.department, hit.department_name, hit.matter) == (
        "correction", "beijing", "gongan", "公安局", "户口登记")
    assert hit.url == "/entries/1" and hit.published == D(2024, 1, 2)
    assert hit.title_en.startswith("Guide correction")


# -- highlighting ---------------------------------------------------------

def test_highlights_mark_terms_and_escape_stored_html(index):
    hit = index.search("身份证").hits[0]
    assert "<mark>身份证</mark>" in hit.highlights["title"]
    body = hit.highlights["body"]
    assert "<mark>身份证</mark>" in body
    assert "<script>" not in body and "&lt;script&gt;" in body
    assert "<script>" not in "".join(hit.highlights.values())


def test_highlights_point_into_traditional_text(index):
    hit = index.search("养犬登记").hits[0]
    assert hit.highlights["title"].startswith("<mark>養犬登記</mark>")


def test_english_highlights(index):
    hit = index.search("rental registration", lang="en").hits[0]
    assert "<mark>rental</mark> <mark>registration</mark>" in hit.highlights["title_en"]


# -- hostile input --------------------------------------------------------

HOSTILE = ["", "   ", "AND (", '"', "*", "?", "title:x", "matter:*", "OR OR NOT",
           "\x00\x1b[31m", "\ud800", "身份证\x00\ud800", "(" * 500, "x" * 2000,
           "测" * 2000, "<script>alert(1)</script>", "%s %d {0}", "\\", "的了吗"]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_do_not_raise(index, q):
    for lang in ("zh", "en"):
        results = index.search(q, lang=lang)
        assert results.total >= 0 and results.page == 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=300), page=st.integers(min_value=-3, max_value=5))
def test_any_text_query_is_safe(index, q, page):
    results = index.search(q, page=page, pagelen=3)
    assert len(results.hits) <= 3
    for hit in results.hits:
        assert all("<script>" not in s for s in hit.highlights.values())


# -- writing --------------------------------------------------------------

def test_update_replaces_instead_of_duplicating(fresh):
    doc = dict(BY_ID["entry:18"])
    fresh.add_or_update([doc])
    fresh.add_or_update([{**doc, "title": "结婚登记全年可预约", "body": "号源充足。"}])
    assert fresh.doc_count() == 1
    assert top_ids(fresh.search("全年预约")) == ["entry:18"]
    assert fresh.search("周末窗口").total == 0
    assert fresh.search("结婚登记").hits[0].title == "结婚登记全年可预约"


def test_delete(fresh):
    fresh.add_or_update(CORPUS[:3])
    assert fresh.delete(["entry:2", "entry:99"]) == 1
    assert fresh.doc_count() == 2 and not fresh.contains("entry:2") and fresh.contains("entry:1")


def test_unknown_document_keys_are_rejected(fresh):
    with pytest.raises(ValueError, match="reporter_phone"):
        fresh.add_or_update([{**CORPUS[0], "reporter_phone": "13800000000"}])
    assert fresh.doc_count() == 0


def test_search_before_anything_was_indexed(tmp_path):
    ix = SearchIndex(tmp_path / "never-created")
    assert ix.search("身份证").total == 0 and ix.doc_count() == 0 and not ix.contains("x")


# -- rebuild --------------------------------------------------------------

def _generations(path):
    return sorted(p.name for p in path.iterdir() if p.name.startswith("gen-"))


def test_rebuild_replaces_content_and_cleans_old_generations(fresh):
    fresh.add_or_update(CORPUS[:5])
    seen = []
    assert fresh.rebuild(iter(CORPUS[5:]), progress=seen.append) == len(CORPUS) - 5
    assert seen == [len(CORPUS) - 5]
    assert not fresh.contains("entry:1") and fresh.contains("entry:18")
    fresh.rebuild(CORPUS)
    fresh.rebuild(CORPUS)
    assert fresh.doc_count() == len(CORPUS)
    assert len(_generations(fresh.path)) == 2  # the served one and its predecessor


def test_failed_rebuild_leaves_old_index_serving(fresh):
    fresh.add_or_update(CORPUS)
    before = (fresh.path / "CURRENT").read_text()

    def broken():
        yield from CORPUS[:3]
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        fresh.rebuild(broken())
    assert (fresh.path / "CURRENT").read_text() == before
    assert _generations(fresh.path) == [before.strip()]
    assert fresh.doc_count() == len(CORPUS)
    assert top_ids(fresh.search("身份证")) == ["entry:1"]
    assert top_ids(SearchIndex(fresh.path).search("租赁")) == ["entry:2"]


def _rebuild_then_die(path):
    def docs():
        yield from CORPUS[:5]
        os._exit(3)  # the worker is killed mid-rebuild: no cleanup runs

    SearchIndex(path).rebuild(docs())


def test_killed_rebuild_leaves_old_index_serving_and_is_cleaned_later(fresh):
    fresh.add_or_update(CORPUS)
    before = (fresh.path / "CURRENT").read_text()
    proc = multiprocessing.get_context("spawn").Process(target=_rebuild_then_die, args=(fresh.path,))
    proc.start()
    proc.join(60)
    assert proc.exitcode == 3
    assert len(_generations(fresh.path)) == 2  # the abandoned partial generation
    assert (fresh.path / "CURRENT").read_text() == before
    assert fresh.doc_count() == len(CORPUS)
    assert top_ids(SearchIndex(fresh.path).search("社保补缴")) == ["entry:3"]
    fresh.add_or_update([{**CORPUS[0], "title": "更新后的标题"}])  # writes still work
    fresh.rebuild(CORPUS[:2])
    assert fresh.doc_count() == 2
    assert len(_generations(fresh.path)) == 2


def test_writers_and_rebuilds_get_index_busy_while_a_rebuild_runs(fresh):
    fresh.add_or_update(CORPUS[:2])
    started, release = threading.Event(), threading.Event()

    def slow_docs():
        yield CORPUS[2]
        started.set()
        release.wait(30)
        yield CORPUS[3]

    worker = threading.Thread(target=fresh.rebuild, args=(slow_docs(),))
    worker.start()
    try:
        assert started.wait(30)
        other = SearchIndex(fresh.path, write_timeout=0.2)
        with pytest.raises(IndexBusy):
            other.add_or_update([CORPUS[4]])
        with pytest.raises(IndexBusy):
            other.rebuild(CORPUS)
        assert other.doc_count() == 2  # the old generation still serves
    finally:
        release.set()
        worker.join(30)
    assert {fresh.contains(f"entry:{n}") for n in (3, 4)} == {True}
    assert fresh.doc_count() == 2
    fresh.add_or_update([CORPUS[4]])  # catching up after the rebuild works
    assert fresh.contains("entry:5")


# -- several processes and instances --------------------------------------

def _publish(path, prefix, start):
    index = SearchIndex(path, write_timeout=60)
    analyze("预热")  # load jieba first so both processes really write at once
    start.wait(60)
    for i in range(20):
        index.add_or_update([{"doc_id": f"{prefix}:{i}", "kind": "practice",
                              "jurisdiction": "beijing", "title": f"并发写入{prefix}第{i}条"}])


def test_two_processes_publishing_at_once_lose_nothing(fresh):
    assert fresh.doc_count() == 0  # this process now holds a searcher on the empty index
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(2)
    procs = [ctx.Process(target=_publish, args=(fresh.path, p, start)) for p in ("a", "b")]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
    assert [proc.exitcode for proc in procs] == [0, 0]
    assert fresh.doc_count() == 40
    assert all(fresh.contains(f"{p}:{i}") for p in "ab" for i in range(20))


def test_searcher_sees_commits_from_another_instance(fresh):
    assert fresh.search("结婚登记").total == 0  # opens the shared searcher
    other = SearchIndex(fresh.path)
    other.add_or_update([BY_ID["entry:18"]])
    assert top_ids(fresh.search("结婚登记")) == ["entry:18"]
    other.rebuild([BY_ID["entry:2"]])
    assert fresh.search("结婚登记").total == 0
    assert top_ids(fresh.search("租赁")) == ["entry:2"]
    other.close()


# -- large rebuilds and the evaluator ---------------------------------------------------

def _many(n):
    for i in range(n):
        base = CORPUS[i % len(CORPUS)]
        yield {**base, "doc_id": f"copy:{i}", "title": f"{base['title']}（第{i}份）"}


def test_parallel_rebuild_writes_every_document_in_several_segments(tmp_path):
    ix = SearchIndex(tmp_path / "index", procs=2)
    ix.PARALLEL_FROM = 40  # the parallel writer for a small test corpus
    assert ix.rebuild(_many(300)) == 300
    assert ix.doc_count() == 300
    assert len(ix._fresh_searcher().leaf_searchers()) >= 2
    results = ix.search("身份证")
    copies_of_entry_1 = sum(1 for i in range(300) if i % len(CORPUS) == 0)
    assert results.total >= copies_of_entry_1
    assert BY_ID["entry:1"]["title"] in results.hits[0].title
    ix.close()


def test_failed_parallel_rebuild_keeps_the_old_index_and_stops_its_writers(tmp_path):
    import psutil

    ix = SearchIndex(tmp_path / "index", procs=2)
    ix.add_or_update(CORPUS)
    ix.PARALLEL_FROM = 40

    def broken():
        yield from _many(200)
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError, match="database went away"):
        ix.rebuild(broken())
    assert ix.doc_count() == len(CORPUS)
    assert top_ids(ix.search("身份证")) == ["entry:1"]
    assert not [c for c in psutil.Process().children() if c.is_running() and c.status() != "zombie"
                and "resource_tracker" not in " ".join(c.cmdline())]
    ix.close()


def test_evaluator_counts_and_scores_like_whoosh(index):
    from portal.search import query as QB
    from portal.search.analysis import query_words
    from portal.search.evaluate import Evaluator

    searcher = index._fresh_searcher()
    ev = Evaluator(searcher)
    for text in ("身份证", "租赁", "社保补缴", "不动产 登记", "ID card", "养犬登记 结婚登记", "证明 登记"):
        words = query_words(text)
        for require_all in (True, False):
            q = QB.build(text, words, QB.fields_for("zh", words), require_all)
            mine = ev.scores(q)
            assert set(mine) == set(searcher.docs_for_query(q)), text
            for hit in searcher.search(q, limit=None, optimize=False):
                assert mine[hit.docnum] == pytest.approx(hit.score, rel=1e-6), text
