"""Example County's own staff page: the site visits its coordination officers recorded (the
first response on each case, written by the site_visit action). Read-only: visits are recorded
on the case page, where the action checks them."""
from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from portal.toolkit import StaffLink, StaffPages, model, session, staff_jurisdictions, staff_page, visible_cases

from .models import SiteVisit

Case = model("Case")
StaffUser = model("StaffUser")

blueprint = Blueprint("example_staff", __name__, template_folder="templates")

#: The list shows the latest visits; older ones stay on their cases' timelines.
SHOWN = 200


@blueprint.route("/site-visits")
# everyone who reads the county's cases reads the list, the coordination officers included; a
# department's staff read the visits of their department's cases only (visible_cases)
@staff_page(capability="read")
def site_visits():
    js = {j.id: j for j in staff_jurisdictions()}
    rows = session().execute(
        select(SiteVisit, Case.number, StaffUser.display_name)
        .join(Case, Case.id == SiteVisit.case_id)
        .outerjoin(StaffUser, StaffUser.id == SiteVisit.officer_id)
        .where(SiteVisit.jurisdiction_id.in_(list(js)), visible_cases())
        .order_by(SiteVisit.visited_on.desc(), SiteVisit.id.desc()).limit(SHOWN)).all()
    return render_template("example_staff/site_visits.html", rows=rows, jurisdictions=js)


pages = StaffPages(blueprint, links=(StaffLink("site_visits", "实地走访记录", "Site visits", capability="read"),))
