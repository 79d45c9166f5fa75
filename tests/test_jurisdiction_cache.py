"""A public form's jurisdiction and centres are kept per process (portal/public/jurisdiction_cache):
a filing after the first reads no jurisdiction row, each request still gets objects of its
own, a centre added through another process is accepted at once (the copy is reloaded), and
a copy older than TTL_SECONDS is reloaded."""
from __future__ import annotations

from sqlalchemy import event, func, select

from portal.extensions import db
from portal.models import Case, Jurisdiction, ServiceCentre
from portal.public import jurisdiction_cache

from .test_public_support import english, intake_data

CODE = "kunming"


class _Statements(list):
    def __init__(self, app):
        super().__init__()
        with app.app_context():
            self.engine = db.engine

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, *args):
        self.append(args[2])

    def reading_jurisdictions(self):
        return [s for s in self if "FROM jurisdiction" in s]


def _file(app, client, data=None, **overrides):
    return client.post(f"/file/{CODE}", data=data or intake_data(app, CODE, **overrides))


def _case_centres(app) -> list:
    with app.app_context():
        return list(db.session.scalars(select(Case.centre_id).order_by(Case.id)))


def test_a_second_filing_reads_no_jurisdiction_row(make_app):
    app = make_app()
    c = english(app.test_client())
    assert _file(app, c).status_code == 303
    data = intake_data(app, CODE)
    with _Statements(app) as seen:
        assert _file(app, c, data).status_code == 303
    assert seen.reading_jurisdictions() == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Case)) == 2


def test_each_request_gets_its_own_objects_that_behave_as_loaded(make_app):
    app = make_app()
    with app.test_request_context():
        first = jurisdiction_cache.jurisdiction_with_centres(CODE)
        again = jurisdiction_cache.jurisdiction_with_centres(CODE)
        assert again is first  # one object per row within a session
        expected = ({k: getattr(first, k) for k in ("id", "code", "case_prefix", "name_zh")},
                    [(c.id, c.code, c.name_zh) for c in first.centres])
        db.session.remove()
        kept = jurisdiction_cache.jurisdiction_with_centres(CODE)  # from the copy, a new session
        assert kept is not first and kept in db.session
        assert ({k: getattr(kept, k) for k in ("id", "code", "case_prefix", "name_zh")},
                [(c.id, c.code, c.name_zh) for c in kept.centres]) == expected
        assert all(c.jurisdiction is kept for c in kept.centres)
        assert kept.parent is None or isinstance(kept.parent, Jurisdiction)  # not kept: loads when used
        assert not db.session.dirty and not db.session.new


def test_a_centre_added_by_another_process_is_accepted_at_once(make_app):
    app = make_app()
    c = english(app.test_client())
    assert _file(app, c).status_code == 303  # this process now keeps kunming's centres
    with app.app_context():  # as another worker's administrator would: this process is not told
        j = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == CODE))
        db.session.add(ServiceCentre(jurisdiction=j, code="kunming-new-hall", name_zh="新政务大厅",
                                     name_en="New hall", level="city"))
        db.session.commit()
        new_id = db.session.scalar(select(ServiceCentre.id).where(ServiceCentre.code == "kunming-new-hall"))
    assert _file(app, c, centre="kunming-new-hall").status_code == 303
    assert _case_centres(app)[-1] == new_id
    # a code that is no centre at all is still refused, with the form again
    assert _file(app, c, centre="no-such-centre").status_code == 422


def test_an_old_copy_is_reloaded(make_app, monkeypatch):
    app = make_app()
    c = english(app.test_client())
    assert _file(app, c).status_code == 303
    monkeypatch.setattr(jurisdiction_cache, "TTL_SECONDS", 0)
    data = intake_data(app, CODE)
    with _Statements(app) as seen:
        assert _file(app, c, data).status_code == 303
    assert len(seen.reading_jurisdictions()) == 1
