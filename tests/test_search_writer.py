"""The rebuild's writer (portal.search.writer) against Whoosh's own writer.

A rebuild writes postings straight through the codec instead of Whoosh's pool; these
tests check the index it writes reads back exactly as the one Whoosh's writer writes
(terms, postings, weights, values, block statistics, lengths, stored fields), and that the
plain analysis functions it uses give the analyzers' tokens.
"""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.writing import SegmentWriter

from portal.search import SearchIndex
from portal.search.analysis import (
    bulk_cache,
    english_analyzer,
    english_words,
    gram_analyzer,
    gram_positions,
    index_words,
    mixed_analyzer,
)
from portal.search.schema import build_schema, prepare_document
from portal.search.writer import DirectSegmentWriter

from .test_search_engine import CORPUS

TEXTS = [d[k] for d in CORPUS for k in ("matter", "title", "body", "title_en", "body_en") if d.get(k)] + [
    "", "   ", "的了吗", "身份證明 ID-card ２０２４ Ｈｅｌｌｏ the of", "a\u3000b\ttab\nline",
    "办理居民身份证需提交户口簿、照片。Running applications with PDFs 和 JPG 格式",
    "𠀀𠀁 rare characters 〇 and ⅫⅫ", "x" * 300, "社保补缴" * 40,
]

cjk_and_latin = st.text(alphabet=st.sampled_from(list("身份证明户口登记社保补缴的了是不动产 ,.。，AbcIDs12")), max_size=60)


def _stock_words(analyzer, text):
    return [t.text for t in analyzer(text, mode="index") if not t.stopped]


@pytest.mark.parametrize("text", TEXTS)
def test_index_words_are_the_analyzers_tokens(text):
    with bulk_cache():
        assert index_words(text) == _stock_words(mixed_analyzer(), text)
        assert index_words(text) == _stock_words(mixed_analyzer(), text)  # from the cache
    assert english_words(text) == _stock_words(english_analyzer(), text)


@settings(max_examples=200, deadline=None)
@given(cjk_and_latin)
def test_index_words_match_the_analyzers_on_any_text(text):
    assert index_words(text) == _stock_words(mixed_analyzer(), text)
    assert english_words(text) == _stock_words(english_analyzer(), text)


@pytest.mark.parametrize("text", TEXTS)
def test_gram_positions_are_the_gram_tokens(text):
    expected: dict[str, list[int]] = {}
    for t in gram_analyzer()(text, positions=True, mode="index"):
        expected.setdefault(t.text, []).append(t.pos)
    assert gram_positions(text) == expected


def _docs():
    """The test corpus, copied with variations so terms span several 128-posting blocks."""
    for i in range(700):
        base = CORPUS[i % len(CORPUS)]
        doc = {**base, "doc_id": f"copy:{i}", "title": f"{base['title']}（第{i % 37}份）",
               "published": dt.datetime(2024, 1, 1) + dt.timedelta(hours=i)}
        if i % 5 == 0:
            doc["body"] = doc["body"] * (1 + i % 4)  # longer bodies: other lengths and frequencies
        if i % 7 == 0:
            doc.pop("title_en", None)
            doc["department_name"] = None
        yield doc


def _build(path, writer_class):
    path.mkdir()
    schema = build_schema()
    ix = whoosh_index.create_in(str(path), schema)
    writer = writer_class(ix)
    for doc in _docs():
        writer.add_document(**prepare_document(doc))
    writer.commit()
    return FileStorage(str(path)).open_index(schema=schema)


def _postings(reader, field, text):
    m = reader.postings(field, text)
    out = []
    while m.is_active():
        out.append((m.id(), m.weight(), m.value(), m.block_min_length(), m.block_max_length(),
                    m.block_max_weight()))
        m.next()
    return out


def test_direct_writer_writes_what_whooshs_writer_writes(tmp_path):
    stock = _build(tmp_path / "stock", SegmentWriter).reader()
    direct = _build(tmp_path / "direct", DirectSegmentWriter).reader()
    terms = list(stock.all_terms())
    assert terms == list(direct.all_terms())
    assert len(terms) > 500
    assert any(stock.doc_frequency(f, t) > 128 for f, t in terms)  # several blocks
    for field, text in terms:
        a, b = stock.term_info(field, text), direct.term_info(field, text)
        assert (a.weight(), a.doc_frequency(), a.min_length(), a.max_length(), a.max_weight(), a.min_id(),
                a.max_id()) == (b.weight(), b.doc_frequency(), b.min_length(), b.max_length(), b.max_weight(),
                                b.min_id(), b.max_id()), (field, text)
        assert _postings(stock, field, text) == _postings(direct, field, text), (field, text)
    schema = build_schema()
    for name in schema.names():
        assert stock.field_length(name) == direct.field_length(name), name
    for docnum in range(stock.doc_count_all()):
        assert stock.stored_fields(docnum) == direct.stored_fields(docnum)
        for name in schema.names():
            assert stock.doc_field_length(docnum, name) == direct.doc_field_length(docnum, name)
    stock.close()
    direct.close()


def test_direct_writer_only_adds(tmp_path):
    (tmp_path / "ix").mkdir()
    ix = whoosh_index.create_in(str(tmp_path / "ix"), build_schema())
    writer = DirectSegmentWriter(ix)
    with pytest.raises(NotImplementedError):
        writer.update_document(doc_id="x")
    with pytest.raises(ValueError):
        writer.add_document(doc_id="x", _boost=2.0)
    writer.cancel()


def test_rebuilt_index_searches_like_an_updated_one(tmp_path):
    """The same documents through a rebuild (direct writer) and through add_or_update
    (Whoosh's writer) give the same results, scores and highlights."""
    docs = list(_docs())[:200]
    rebuilt = SearchIndex(tmp_path / "rebuilt")
    rebuilt.rebuild(docs)
    updated = SearchIndex(tmp_path / "updated").create_or_open()
    updated.add_or_update(docs)
    for q in ("身份证", "身份證", "社保补缴", "租房", "不动产 登记", "ID card", "rental registration", "养犬", "证"):
        a, b = rebuilt.search(q), updated.search(q)
        assert a.total == b.total, q
        assert [(h.doc_id, round(h.score, 9), h.highlights) for h in a.hits] == \
               [(h.doc_id, round(h.score, 9), h.highlights) for h in b.hits], q
    rebuilt.close()
    updated.close()


def test_an_index_of_another_version_is_reported_until_rebuilt(tmp_path, caplog, monkeypatch):
    import logging

    from portal.search.schema import SCHEMA_VERSION

    # Alembic's env.py (fileConfig) disables the loggers that exist when a migration runs
    monkeypatch.setattr(logging.getLogger("portal.search.index"), "disabled", False)

    ix = SearchIndex(tmp_path / "index").create_or_open()
    ix.add_or_update(list(_docs())[:5])
    assert ix.version() == SCHEMA_VERSION and not ix.stale()
    served = ix._current()
    (ix.path / served / "VERSION").unlink()  # as an index written before versions were recorded
    other = SearchIndex(tmp_path / "index")
    assert other.version() == 1 and other.stale()
    with caplog.at_level(logging.WARNING, logger="portal.search.index"):
        assert other.search("身份证").total >= 1  # still serves meanwhile
    assert "flask portal reindex" in caplog.text
    other.add_or_update(list(_docs())[5:8])  # commits keep the version file alone
    assert (ix.path / served / "VERSION").exists() is False
    other.rebuild(list(_docs())[:8])
    assert other.version() == SCHEMA_VERSION and not other.stale()
    assert (other.path / other._current() / "VERSION").read_text().strip() == str(SCHEMA_VERSION)
    ix.close()
    other.close()


def test_direct_writer_refuses_to_go_on_after_a_failed_document(tmp_path):
    (tmp_path / "ix").mkdir()
    ix = whoosh_index.create_in(str(tmp_path / "ix"), build_schema())
    writer = DirectSegmentWriter(ix)
    writer.add_document(**prepare_document(CORPUS[0]))
    with pytest.raises(TypeError):
        writer.add_document(doc_id="x", title=["not", "a", "string"])
    with pytest.raises(RuntimeError):
        writer.add_document(**prepare_document(CORPUS[1]))
    with pytest.raises(RuntimeError):
        writer.commit()
    writer.cancel()
