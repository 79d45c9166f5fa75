"""Example County's own action (fictional rule, see rules.py): the coordination officer's site
visit, the first response on a case. Its form asks for the date, the place, how many people
were met and what was found; its effect writes the visit to the county's own table."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from portal.toolkit import ActionField, ActionSpec, Invalid, _l, session

from .models import SiteVisit

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_PEOPLE = 50


def record_site_visit(case, actor, note, params, now):
    """Write the visit beside the case; a date before registration or in the future is refused."""
    visited_on = params.get("visited_on")
    place = (params.get("place") or "").strip()
    findings = (params.get("findings") or "").strip()
    people = params.get("people_met")
    if visited_on is None or not place or not findings or people is None:
        raise Invalid(_l("A site visit needs its date, place, the people met and what was found."))
    if not isinstance(people, int) or not 1 <= people <= MAX_PEOPLE:
        raise Invalid(_l("Enter how many people were met, from 1 to %(max)d.", max=MAX_PEOPLE))
    today = now.astimezone(SHANGHAI).date()
    if visited_on > today:
        raise Invalid(_l("A site visit is recorded once it has taken place: its date cannot be in the future."))
    if visited_on < case.received_at.astimezone(SHANGHAI).date():
        raise Invalid(_l("A site visit cannot take place before the case was registered."))
    visit = SiteVisit(case_id=case.id, jurisdiction_id=case.jurisdiction_id,
                      officer_id=actor.user_id,
                      visited_on=visited_on, place=place[:200], people_met=people, findings=findings)
    session().add(visit)
    session().flush()
    return {"visited_on": visited_on.isoformat(), "place": visit.place, "people_met": people,
            "site_visit_record": visit.id}


SITE_VISIT = ActionSpec(
    "site_visit", effect=record_site_visit,
    fields=(
        ActionField("visited_on", _l("Date of the visit"), "date", required=True,
                    message=_l("Enter the date of the visit (year-month-day), not a future date.")),
        ActionField("place", _l("Place visited"), "text", required=True, max_length=200,
                    hint=_l("Where the problem is, e.g. the window or the village office; not the person's home address."),
                    message=_l("Say where the visit took place (at most 200 characters).")),
        ActionField("people_met", _l("People met"), "integer", required=True, minimum=1, maximum=MAX_PEOPLE,
                    message=_l("Enter how many people were met, from 1 to %(max)d.", max=MAX_PEOPLE)),
        ActionField("findings", _l("What was found"), "textarea", required=True, max_length=4000,
                    message=_l("Say what was found on site (at most 4000 characters).")),
    ),
    note_label=_l("Internal note (optional)"),
)

ACTIONS = (SITE_VISIT,)
