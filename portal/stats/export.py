"""CSV and JSON downloads of exactly the figures the page shows.

Numerators and denominators are always given; a percentage, average or median only when
its denominator reaches MIN_DENOMINATOR. Names come in both Chinese and English so a file
reads the same whatever language the page was in. No personal data exists in the roll-ups.
"""
from __future__ import annotations

import csv
import io

from .figures import MIN_DENOMINATOR, OPEN_BUCKET, Group, Report, Tally, month_label

CSV_COLUMNS = (
    "scope", "period", "breakdown", "code", "name_zh", "name_en",
    "received", "screened_out",
    "responded", "response_rate_pct",
    "referred",
    "deadlines_closed", "on_time", "on_time_rate_pct",
    "completed", "completion_rate_pct",
    "rated", "satisfied", "satisfied_pct", "average_rating",
    "rating_5", "rating_4", "rating_3", "rating_2", "rating_1", "bad_ratings",
    "replies", "median_working_days_to_reply",
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """Text that a spreadsheet would run as a formula is neutralised with a leading quote."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_START) else value
    return str(value)


def period_label(report: Report) -> str:
    if report.year is not None:
        return str(report.year)
    if report.first_month is None:
        return ""
    return f"{month_label(report.first_month)}..{month_label(report.last_month)}"


def scope_code(report: Report) -> str:
    return report.jurisdiction.code if report.jurisdiction is not None else "all"


def _median_text(t: Tally) -> str:
    m = t.median_reply
    if not m.shown:
        return ""
    if m.more_than_max:
        return f">{OPEN_BUCKET - 1}"
    value = m.value
    return str(int(value)) if float(value).is_integer() else str(value)


def _csv_row(report: Report, period: str, breakdown: str, code: str, zh: str, en: str, t: Tally,
             screened: bool = True) -> list[str]:
    sat = t.satisfaction_rate
    values = [
        scope_code(report), period, breakdown, code, zh, en,
        t.received, t.screened if screened else "",
        t.responded, t.response_rate.percent,
        t.referred,
        t.deadline_closed, t.on_time, t.on_time_rate.percent,
        t.completed, t.completion_rate.percent,
        t.rated, sat.numerator, sat.percent, t.average_rating,
        *t.ratings.values(), t.bad_ratings,
        t.median_reply.count, _median_text(t),
    ]
    return [_cell(v) for v in values]


def _group_rows(report: Report, period: str, breakdown: str, groups: list[Group]) -> list[list[str]]:
    return [_csv_row(report, period, breakdown, g.code, g.name_zh, g.name_en, g.tally, screened=False)
            for g in groups]


def to_csv(report: Report) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    j = report.jurisdiction
    zh, en = (j.name_zh, j.name_en) if j is not None else ("全部", "All jurisdictions")
    period = period_label(report)
    w.writerow(_csv_row(report, period, "total", scope_code(report), zh, en, report.totals))
    for month, t in report.months:
        w.writerow(_csv_row(report, month_label(month), "month", scope_code(report), zh, en, t))
    for g in report.by_jurisdiction:
        kind = "jurisdiction_own_level" if g.own_level else "jurisdiction"
        w.writerow(_group_rows(report, period, kind, [g])[0])
    for row in _group_rows(report, period, "category", report.by_category):
        w.writerow(row)
    for row in _group_rows(report, period, "department", report.by_department):
        w.writerow(row)
    return "\ufeff" + out.getvalue()  # BOM: spreadsheet programs then read the Chinese correctly


def _group_dict(g: Group) -> dict:
    d = {"code": g.code or None, "name_zh": g.name_zh or None, "name_en": g.name_en or None}
    if g.own_level:
        d["own_level_only"] = True
    if g.with_subdivisions:
        d["with_subdivisions"] = True
    if g.parent_zh:
        d["jurisdiction_zh"], d["jurisdiction_en"] = g.parent_zh, g.parent_en
    d.update(g.tally.as_dict(screened=False, histogram=False))
    return d


def to_json(report: Report) -> dict:
    j = report.jurisdiction
    return {
        "scope": {
            "code": scope_code(report),
            "name_zh": j.name_zh if j is not None else "全部",
            "name_en": j.name_en if j is not None else "All jurisdictions",
            "jurisdictions": report.scope_codes,
        },
        "period": {"year": report.year, "label": period_label(report),
                   "from": month_label(report.first_month) if report.first_month else None,
                   "to": month_label(report.last_month) if report.last_month else None},
        "years": report.years,
        "notes": {
            "months": "Asia/Shanghai calendar month in which a case was received; a case's later "
                      "reply, completion and rating count in that month.",
            "min_denominator_for_percent": MIN_DENOMINATOR,
            "percent": "given only when the denominator is at least min_denominator_for_percent; "
                       "numerator and denominator are always given",
            "on_time": "every clock run of the case that has closed (first response, reply, rectification...) met in time, among cases with a closed clock",
            "satisfied": "latest rating of a case is 5, 4 or 3 (非常满意, 满意, 基本满意)",
            "working_days_to_reply": "working days from receipt to the first reply or referral; "
                                     f"the last bucket is {OPEN_BUCKET} or more",
        },
        "totals": report.totals.as_dict(),
        "months": [{"month": month_label(m), **t.as_dict()} for m, t in report.months],
        "by_jurisdiction": [_group_dict(g) for g in report.by_jurisdiction],
        "by_category": [_group_dict(g) for g in report.by_category],
        "by_department": [_group_dict(g) for g in report.by_department],
    }
