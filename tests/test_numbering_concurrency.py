"""Public case numbers stay unique when many filings arrive at once (threads, real DB)."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Case

from .factories import file


def test_rule_case_numbers_unique_under_concurrent_filing(core_app):
    app = core_app
    numbers, errors = [], []
    barrier = threading.Barrier(6)

    def worker():
        with app.app_context():
            try:
                barrier.wait()
                for _ in range(5):
                    numbers.append(file("demo").case.number)
            except Exception as e:  # pragma: no cover - reported below
                errors.append(repr(e))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(numbers) == 30 and len(set(numbers)) == 30
    assert sorted(numbers) == [f"DEMO-{numbers[0][5:9]}-{i:06d}" for i in range(1, 31)]
    assert db.session.scalar(select(func.count()).select_from(Case)) == 30
