"""Feeding the index from the database (portal.knowledge.indexing): the rebuild streams rows
in batches and must give the same documents as indexing entry by entry."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.knowledge import indexing
from portal.privacy import redact

text_with_numbers = st.text(alphabet=st.sampled_from(list("身份证号码电话联系 0123456789０１２３４５６７８９@＠.-abcXx张三")),
                            max_size=40)


@settings(max_examples=300, deadline=None)
@given(text_with_numbers, st.lists(st.sampled_from(["张三", "13812345678", "", "住址某某路8号"]), max_size=2))
def test_redact_shortcut_is_redact(text, known):
    known = [k for k in known if k]
    assert indexing._redact(text, known) == redact(text, known)
    assert indexing._redact(None, known) == redact(None, known)


def test_streamed_rebuild_gives_the_documents_of_each_entry(app, monkeypatch):
    from sqlalchemy import select

    from portal.demo import load_demo_data
    from portal.extensions import db
    from portal.models import KnowledgeEntry, ServiceGuide

    load_demo_data()
    monkeypatch.setattr(indexing, "REBUILD_BATCH", 1)  # several batches, however small the demo
    entries = db.session.scalars(select(KnowledgeEntry).order_by(KnowledgeEntry.id)).all()
    expected = [indexing.entry_doc(e) for e in entries]
    assert len(expected) >= 2
    assert list(indexing._entry_docs()) == expected
    n_guides = db.session.query(ServiceGuide).count()
    seen = []

    def progress(items, length, label):
        seen.append(length)
        yield from items

    assert indexing.rebuild_index(progress=progress) == len(expected) + n_guides == seen[0]
    ix = indexing.search_index()
    assert ix.doc_count() == len(expected) + n_guides
    assert all(ix.contains(d["doc_id"]) for d in expected)
