"""Transparency figures, overall and per jurisdiction (with its subtree), as a page with
server-drawn SVG charts and as CSV and JSON downloads of the same figures.

Everything is read from the roll-ups in portal/stats (a few SUMs over small tables);
no request ever runs a GROUP BY over the cases.
"""
from __future__ import annotations

import json
from datetime import date

from babel.dates import format_skeleton
from flask import Response, abort, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from ..registry import enabled_jurisdictions
from ..stats import export, svg
from ..stats.figures import MIN_DENOMINATOR, build_report, month_label
from . import bp

MIN_YEAR, MAX_YEAR = 2000, 2100


def _year() -> int | None:
    raw = request.args.get("year", "")
    if not raw:
        return None
    if not raw.isdigit() or not MIN_YEAR <= int(raw) <= MAX_YEAR:
        abort(404)
    return int(raw)


def _report(code: str | None):
    enabled = enabled_jurisdictions()
    root = None
    if code is not None:
        root = next((j for j in enabled if j.code == code), None)
        if root is None:
            abort(404)
    return build_report(root, enabled, _year()), enabled


def month_name(month: int) -> str:
    return format_skeleton("yMMM", date(month // 100, month % 100, 1), locale=get_locale())


def _charts(report):
    if not report.months:
        return None
    labels = [month_label(m) for m, _t in report.months]
    received = [t.received for _m, t in report.months]
    scope = _scope_name(report)
    bars = svg.bar_chart(
        "chart-received", _("Cases received per month, %(scope)s", scope=scope),
        _("Bar chart of the number of cases received in each month from %(first)s to %(last)s; "
          "the same numbers are in the table below.", first=labels[0], last=labels[-1]),
        labels, received)
    names = {
        "response": _("Response rate"),
        "on_time": _("On-time rate"),
        "completion": _("Completion rate"),
        "satisfaction": _("Satisfied"),
    }
    series = []
    for key, rate_of in (("response", lambda t: t.response_rate), ("on_time", lambda t: t.on_time_rate),
                         ("completion", lambda t: t.completion_rate), ("satisfaction", lambda t: t.satisfaction_rate)):
        colour, dash = svg.RATE_STYLES[key]
        series.append(svg.Series(names[key], colour, dash, [rate_of(t).percent for _m, t in report.months]))
    lines = svg.rate_chart(
        "chart-rates", _("Rates per month, %(scope)s", scope=scope),
        _("Line chart of the response, on-time, completion and satisfaction rates in percent for each "
          "month from %(first)s to %(last)s. Months with fewer than %(n)s cases are left out of a line; "
          "the table below gives every count.", first=labels[0], last=labels[-1], n=MIN_DENOMINATOR),
        labels, series)
    legend = [(s.name, svg.swatch(s.colour, s.dash)) for s in series]
    return {"bars": bars, "lines": lines, "legend": legend}


def _scope_name(report) -> str:
    from ..i18n import pick

    return pick(report.jurisdiction, "name") if report.jurisdiction is not None else _("all jurisdictions")


def _breadcrumbs(root, enabled):
    by_id = {j.id: j for j in enabled}
    chain, j = [], by_id.get(root.parent_id) if root is not None else None
    while j is not None:
        chain.append(j)
        j = by_id.get(j.parent_id)
    return list(reversed(chain))


def _page(code: str | None):
    report, enabled = _report(code)
    args = {"year": report.year} if report.year else {}

    def download_url(ext: str) -> str:
        if code is None:
            return url_for(f"public.transparency_{ext}", **args)
        return url_for(f"public.transparency_jurisdiction_{ext}", code=code, **args)

    return render_template(
        "public/transparency.html", report=report, charts=_charts(report), month_name=month_name,
        scope_name=_scope_name(report), parents=_breadcrumbs(report.jurisdiction, enabled),
        min_denominator=MIN_DENOMINATOR, period=export.period_label(report),
        download_args=args, download_url=download_url, page_url=page_url,
    )


def _filename(report, ext: str) -> str:
    parts = ["transparency", export.scope_code(report)]
    if report.year:
        parts.append(str(report.year))
    return "-".join(parts) + "." + ext


def _csv(code: str | None):
    report, _enabled = _report(code)
    return Response(export.to_csv(report), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(report, "csv")}"'})


def _json(code: str | None):
    report, _enabled = _report(code)
    body = json.dumps(export.to_json(report), ensure_ascii=False, indent=1)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'inline; filename="{_filename(report, "json")}"'})


@bp.route("/transparency")
def transparency():
    return _page(None)


@bp.route("/transparency.csv")
def transparency_csv():
    return _csv(None)


@bp.route("/transparency.json")
def transparency_json():
    return _json(None)


@bp.route("/transparency/<code>")
def transparency_jurisdiction(code):
    return _page(code)


@bp.route("/transparency/<code>.csv")
def transparency_jurisdiction_csv(code):
    return _csv(code)


@bp.route("/transparency/<code>.json")
def transparency_jurisdiction_json(code):
    return _json(code)


def page_url(code: str | None, **args) -> str:
    if code is None:
        return url_for("public.transparency", **args)
    return url_for("public.transparency_jurisdiction", code=code, **args)
