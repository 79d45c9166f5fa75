"""Transparency figures, overall and per jurisdiction (with its subtree), as a page with
server-drawn SVG charts and as CSV and JSON downloads of the same figures.

Everything is read from the roll-ups in portal/stats (a few SUMs over small tables);
no request ever runs a GROUP BY over the cases.
"""
from __future__ import annotations

import json
from datetime import date
from functools import lru_cache

from babel.dates import format_skeleton
from flask import Response, abort, render_template, request, url_for
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _
from markupsafe import Markup, escape

from ..csv_download import csv_download
from ..registry import enabled_jurisdictions
from ..stats import export, svg
from ..stats.figures import MIN_DENOMINATOR, month_label, report_for
from . import bp

MIN_YEAR, MAX_YEAR = 2000, 2100
#: Departments listed on a page (the biggest first); the downloads carry every one.
PAGE_DEPARTMENTS = 20


class Cells:
    """The text of the figures' table cells, formatted in Python with one translation lookup
    per request: a page may have a thousand cells. Small numbers are never over-read: below
    MIN_DENOMINATOR a rate is "n of d", and no average or median is given."""

    def __init__(self):
        tr = get_translations()
        self.tr = tr
        self._of = tr.gettext("%(n)s of %(d)s")
        self._no_cases = tr.gettext("no cases")
        self._no_replies = tr.gettext("no replies yet")
        self._no_ratings = tr.gettext("no ratings yet")
        self._more_than = tr.gettext("more than %(n)s working days")

    def of(self, n: int, d: int) -> str:
        return self._of % {"n": n, "d": d}

    def rate(self, r) -> Markup:
        if r.denominator == 0:
            return Markup('<span class="meta">%s</span>') % self._no_cases
        if r.shown:
            return Markup('%s%% <span class="meta count">(%s)</span>') % (f"{r.percent:.1f}",
                                                                        self.of(r.numerator, r.denominator))
        return escape(self.of(r.numerator, r.denominator))

    def replies(self, n: int) -> str:
        return self.tr.ngettext("%(num)d reply", "%(num)d replies", n) % {"num": n}

    def median(self, m) -> Markup:
        if m.count == 0:
            return Markup('<span class="meta">%s</span>') % self._no_replies
        if not m.shown:
            text = self.tr.ngettext("too few to say (%(num)d reply)", "too few to say (%(num)d replies)",
                                    m.count) % {"num": m.count}
            return Markup('<span class="meta">%s</span>') % text
        if m.more_than_max:
            days = self._more_than % {"n": 30}
        else:
            d = m.value
            shown = f"{d:.0f}" if float(d).is_integer() else f"{d:.1f}"
            days = self.tr.ngettext("%(num)s working day", "%(num)s working days", 1 if d == 1 else 2) % {"num": shown}
        return Markup('%s <span class="meta count">(%s)</span>') % (days, self.replies(m.count))

    def average(self, t) -> Markup:
        if t.average_rating is None:
            if not t.rated:
                return Markup('<span class="meta">%s</span>') % self._no_ratings
            text = self.tr.ngettext("too few to say (%(num)d rating)", "too few to say (%(num)d ratings)",
                                    t.rated) % {"num": t.rated}
            return Markup('<span class="meta">%s</span>') % text
        n = self.tr.ngettext("%(num)d rating", "%(num)d ratings", t.rated) % {"num": t.rated}
        return Markup('%s / 5 <span class="meta count">(%s)</span>') % (f"{t.average_rating:.2f}", n)


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
    return report_for(root, enabled, _year()), enabled


def month_name(month: int) -> str:
    return _month_name(month, str(get_locale()))


@lru_cache(maxsize=4096)
def _month_name(month: int, locale: str) -> str:
    return format_skeleton("yMMM", date(month // 100, month % 100, 1), locale=locale)


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

    named = [g for g in report.by_department if g.code]
    shown = named[:PAGE_DEPARTMENTS] + [g for g in report.by_department if not g.code]
    return render_template(
        "public/transparency.html", report=report, charts=_charts(report), month_name=month_name,
        cells=Cells(), departments=shown, more_departments=max(0, len(named) - PAGE_DEPARTMENTS),
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
    return csv_download(export.to_csv(report), _filename(report, "csv"))


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
