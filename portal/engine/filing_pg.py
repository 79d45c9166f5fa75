"""PostgreSQL: a new case, its rows, its number and its roll-ups written in one statement.

Why: on PostgreSQL a filing made seven statements before its commit (the case, its deadline,
its event, its ``stats_case`` row, the number, the roll-ups), each a round trip with the
driver's, SQLAlchemy's and the server's work around it: under load that work, not the
inserts, bounded how many filings per second the portal took (bench/README.md). Here they
are data-modifying CTEs of one statement:

- ``n`` takes the number: an upsert of the jurisdiction's sequence row for the year (a missing
  row is created at 1, so no second path is needed for the first filing of a year);
- ``c`` inserts the case with its number (``PREFIX-YEAR-NNNNNN``, at least six digits, as
  portal/engine/numbering.py writes it), each child (deadline, event, attachment) and the
  case's ``stats_case`` row take ``c.id``;
- ``u`` is the roll-up upsert of portal/stats/rollup.py, unchanged.

Each row travels as one JSON parameter expanded by ``json_populate_record`` into the table's
own row type, so the server converts the values to the columns' types and the statement has
a dozen parameters whatever the tables' width (psycopg and the server then reuse its parsing
and its plan). The statement is atomic: an error (a double-clicked form's unique submission
id, a constraint) leaves nothing, not even a used number. The sequence and roll-up rows every
filing shares are locked from this statement to the commit that follows it: one round trip.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import text

from ..models.stats import stats_case

def _json_value(value):
    """What JSON cannot carry by itself: dates and aware datetimes (as UTCDateTime, naive refused)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} in a filing row")


def _row(values: dict) -> str:
    return json.dumps(values, default=_json_value, ensure_ascii=False, separators=(",", ":"))


def _expand(name: str, table: str, columns: tuple[str, ...], first: str, source: str, after: str,
            returning: str) -> str:
    """``name AS (INSERT INTO table (first, columns) SELECT <source>, r.columns FROM <after>, the
    JSON row :row_<name>)``: ``source`` is read from the CTE ``after`` (the number, or the case)."""
    cols = ", ".join(f'"{c}"' for c in columns)
    picked = ", ".join(f'r."{c}"' for c in columns)
    return (f'{name} AS (INSERT INTO "{table}" ({first}, {cols}) SELECT {source}, {picked} '
            f'FROM {after}, json_populate_record(NULL::"{table}", CAST(:row_{name} AS json)) AS r'
            f'{" RETURNING " + returning if returning else ""})')


@lru_cache(maxsize=64)
def _statement(case_columns: tuple[str, ...], children: tuple[tuple[str, tuple[str, ...]], ...],
               rollup_sql: str | None):
    """The statement for one shape (the case's columns, the children's tables and columns, the
    roll-up upsert's SQL): a filing always has the same few, so each is written once."""
    ctes = [
        "n AS (INSERT INTO case_sequence (prefix, year, value) VALUES (:seq_prefix, :seq_year, 1) "
        "ON CONFLICT (prefix, year) DO UPDATE SET value = case_sequence.value + 1 RETURNING value)",
        _expand("c", "case", case_columns, "number",
                ":number_head || lpad(n.value::text, greatest(6, length(n.value::text)), '0')", "n", "id, number"),
    ]
    for i, (table, columns) in enumerate(children):
        ctes.append(_expand(f"k{i}", table, columns, "case_id", "c.id", "c", "id"))
    ctes.append(_expand("s", stats_case.name, tuple(c.name for c in stats_case.columns if c.name != "case_id"),
                        "case_id", "c.id", "c", ""))
    if rollup_sql is not None:
        ctes.append(f"u AS ({rollup_sql})")
    picked = "".join(f", (SELECT id FROM k{i})" for i in range(len(children)))
    return text(f"WITH {', '.join(ctes)} SELECT c.id, c.number{picked} FROM c")


def write_filing(connection, case_values: dict, children: list[tuple[str, dict]], stats_values: dict,
                 rollup, *, prefix: str, year: int) -> tuple[int, str, list[int]]:
    """Write a new case (``case_values``: every column but ``id`` and ``number``), its children
    (``(table, values)``, without ``id`` and ``case_id``), its ``stats_case`` values and the roll-up
    upsert (``(statement, parameters)`` from ``rollup.upsert_parts``, or None) in one statement.
    Returns the case's id, its number and the children's ids in order."""
    rollup_stmt, params = rollup if rollup is not None else (None, {})
    params = dict(params)
    params.update(seq_prefix=prefix, seq_year=year, number_head=f"{prefix}-{year}-", row_c=_row(case_values),
                  row_s=_row(stats_values))
    for i, (_table, values) in enumerate(children):
        params[f"row_k{i}"] = _row(values)
    stmt = _statement(tuple(case_values), tuple((t, tuple(v)) for t, v in children),
                      rollup_stmt.text if rollup_stmt is not None else None)
    row = connection.execute(stmt, params).one()
    return row[0], row[1], list(row[2:])
