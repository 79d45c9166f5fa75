"""CSV that a spreadsheet cannot mistake for formulas (CSV/formula injection).

A text cell starting with = + - @, a tab or a carriage return is prefixed with an
apostrophe, so Excel and WPS show it as text instead of evaluating it. Numbers stay numbers.
"""
from __future__ import annotations

import csv
import io

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(DANGEROUS) else text


def to_csv(rows) -> str:
    """Rows (lists of cells) to CSV text with a BOM, so Excel opens the Chinese as UTF-8."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return buf.getvalue()
