"""A CSV file as a download: UTF-8 with one byte-order mark, declared as such once.

Spreadsheet programs in China open a CSV without a byte-order mark as GBK (the Chinese turns
to mojibake), so the text starts with one; the Content-Type names the same charset exactly once
(Werkzeug appends ``charset=utf-8`` to a text mimetype itself, so it must not be given twice).
"""
from __future__ import annotations

from flask import Response

BOM = "\ufeff"


def csv_download(text: str, filename: str) -> Response:
    """``text`` (with or without its mark) as ``filename``, an attachment."""
    body = (BOM + text.lstrip(BOM)).encode("utf-8")
    resp = Response(body, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    resp.headers["Content-Type"] = "text/csv; charset=utf-8"
    return resp
