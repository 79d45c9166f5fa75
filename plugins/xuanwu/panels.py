"""Xuanwu's section on the staff case page (hook ``portal_case_panels``): the case's joint
meetings (seed 001: 一事一议), read from Xuanwu's own table and drawn by the core."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.toolkit import CasePanel, PanelEntry, pick, session

from .models import CaseMeeting


def meetings_of(case) -> list[CaseMeeting]:
    return session().scalars(select(CaseMeeting).where(CaseMeeting.case_id == case.id)
                             .order_by(CaseMeeting.held_on, CaseMeeting.id)).all()


def meeting_panel(case) -> CasePanel | None:
    """The joint meetings held on the case, with their lead, attendees, decision and minutes."""
    meetings = meetings_of(case)
    if not meetings:
        return None
    return CasePanel(_l("Joint meetings"), entries=tuple(
        PanelEntry(m.held_on, facts=((_l("Led by"), lead_name(m)), (_l("Attendees"), m.attendees),
                                     (_l("Decision"), m.decision)), text=m.minutes)
        for m in meetings))


def lead_name(meeting: CaseMeeting) -> str:
    """The department that led the meeting, in the reader's language ('' when not recorded)."""
    return pick(meeting.lead_department, "name") if meeting.lead_department is not None else ""
