"""Issue 14 (low): a CSV download declares one charset, and its bytes are that charset.

UTF-8 with a byte-order mark, so Excel and WPS open the Chinese correctly (without the mark
they guess the system's GBK); the header says ``charset=utf-8`` once, never twice or another.
Security setting (ASVS V14.4.1, a declared charset on every answer), no source report.
"""
from __future__ import annotations

import csv
import io

from werkzeug.http import parse_options_header

from portal.staff.csvsafe import to_csv as staff_csv

from .factories import login
from .staff_support import quick_staff

BOM = "\ufeff".encode()


def _one_charset(r) -> None:
    raw = r.headers["Content-Type"]
    mimetype, params = parse_options_header(raw)
    assert mimetype == "text/csv", raw
    assert raw.lower().count("charset") == 1 and params.get("charset", "").lower() == "utf-8", raw
    body = r.get_data()
    assert body.startswith(BOM) and not body[len(BOM):].startswith(BOM), body[:12]
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows and rows[0], rows


def test_reports_csv_declares_one_charset(core_app):
    quick_staff("csv-super", "supervisor", "demo")
    client = core_app.test_client()
    login(client, "csv-super")
    r = client.get("/staff/reports.csv?month=2026-09")
    assert r.status_code == 200
    _one_charset(r)
    assert "bancheng-demo-2026-09.csv" in r.headers["Content-Disposition"]


def test_transparency_csv_declares_one_charset(core_app):
    r = core_app.test_client().get("/transparency.csv")
    assert r.status_code == 200
    _one_charset(r)


def test_the_staff_csv_text_carries_one_mark():
    assert staff_csv([["居住证", 1]]).count("\ufeff") == 1
