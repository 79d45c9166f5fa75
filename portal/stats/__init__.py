"""Transparency figures kept as roll-ups maintained as cases change.

* ``record_event(case, event)``: called by the engine inside each filing's and action's
  transaction, just before its commit; moves the case's contribution between buckets.
* screenings are counted by a listener on ScreeningRecord inserts (same transaction).
* ``filing_contribution(case, dialect)``: a new case's ``stats_case`` row and roll-up upsert
  (``upsert_parts``) for the engine's one-statement filing on PostgreSQL
  (portal/engine/filing_pg.py).
* ``rebuild()``: recomputes every roll-up from the cases (after an import or a schema or
  rule change); ``flask portal rebuild-stats`` runs it.
* ``build_report(...)`` reads the figures of a page from the roll-ups alone.
"""
from .facts import Facts  # noqa: F401
from .figures import MIN_DENOMINATOR, Rate, Report, Tally, build_report  # noqa: F401
from .rollup import facts_for_case, filing_contribution, rebuild, record_event  # noqa: F401
