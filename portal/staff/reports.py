"""Monthly reports per jurisdiction, on screen and as CSV, for supervisors and administrators."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ..workdays import SHANGHAI
from ..i18n import pick, role_label
from . import bp
from ..accountability import kind_label, kind_labels
from .access import ADMINISTER, SUPERVISE, capability_required, jurisdiction_or_404, visible_jurisdictions
from ..csv_download import csv_download
from .csvsafe import to_csv
from .report_data import MonthReport, month_report


def _month(text: str | None) -> tuple[int, int]:
    try:
        y, m = (int(x) for x in (text or "").split("-"))
        if 2000 <= y <= 2100 and 1 <= m <= 12:
            return y, m
    except ValueError:
        pass
    today = datetime.now(timezone.utc).astimezone(SHANGHAI)
    return today.year, today.month


def _report() -> MonthReport:
    j = jurisdiction_or_404(request.args.get("j"))
    year, month = _month(request.args.get("month"))
    # the subtree only for users who see it: a plain user's children are not theirs
    subtree = bool(request.args.get("sub")) and current_user.sees_subtree
    return month_report(j, year, month, subtree=subtree)


@bp.route("/reports")
@capability_required(SUPERVISE, ADMINISTER)
def reports():
    report = _report()
    return render_template("staff/report.html", r=report, kinds=kind_labels(), jurisdictions=visible_jurisdictions(),
                           j=report.jurisdictions[0] if report.jurisdictions else current_user.jurisdiction,
                           month=f"{report.year:04d}-{report.month:02d}", sub=bool(request.args.get("sub")))


def _pct(x):
    return "" if x is None else f"{x * 100:.1f}%"


def _days(x):
    return "" if x is None else f"{x:.1f}"


def report_rows(r: MonthReport) -> list[list]:
    """The report as CSV rows: one block per table, a blank row between blocks."""
    names = "; ".join(pick(j, "name") for j in r.jurisdictions)
    rows: list[list] = [[_("Report"), names, f"{r.year:04d}-{r.month:02d}"], [_("Cases received"), r.total], []]
    rows.append([_("Most reported matters"), _("Cases")])
    rows += [[m, n] for m, n in r.matters]
    rows += [[], [_("Most reported windows"), _("Cases")]]
    rows += [[w, n] for w, n in r.windows]
    rows += [[], [_("Channel"), _("Cases")]]
    rows += [[c, n] for c, n in r.channels]
    rows += [[], [_("Situation"), _("Cases"), _("Causes recorded"), _("Handling")]]
    rows += [[s.name, s.count, "; ".join(s.causes), s.handling] for s in r.situations]
    rows += [[], [_("Department"), _("Received"), _("On time"), _("Overdue"), _("Completed"), _("Completion rate"),
                  _("Rated"), _("Satisfied"), _("Satisfaction rate"), _("Average working days to reply")]]
    for p in r.departments + [r.totals]:
        rows.append([p.name, p.received, p.on_time, p.overdue, p.completed, _pct(p.completion_rate),
                     p.rated, p.satisfied, _pct(p.satisfaction_rate), _days(p.average_reply_days)])
    rows += [[], [_("Accountability"), _("Date"), _("Staff member"), _("Department"), _("Kind"), _("Occurrence"),
                  _("Outcome"), _("Points"), _("Note")]]
    for a in r.accountability:
        rows.append(["", a.at.astimezone(SHANGHAI).date().isoformat(),
                     f"{a.staff.display_name} ({role_label(a.staff.role)})" if a.staff else "",
                     pick(a.department, "name") if a.department else "", kind_label(a.kind), a.occurrence, a.outcome,
                     a.points, a.note])
    return rows


@bp.route("/reports.csv")
@capability_required(SUPERVISE, ADMINISTER)
def reports_csv():
    r = _report()
    code = r.jurisdictions[0].code if r.jurisdictions else "report"
    filename = f"bancheng-{code}-{r.year:04d}-{r.month:02d}.csv"
    return csv_download(to_csv(report_rows(r)), filename)
