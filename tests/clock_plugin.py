"""A test-local jurisdiction with two clocks at once (invented rules, not any real place's):
a first response within 2 working hours and a reply within 2 working days, both from filing."""
from __future__ import annotations

from dataclasses import replace

from portal.toolkit import (
    WORKING_HOURS,
    ClockSpec,
    DepartmentSpec,
    JurisdictionPlugin,
    JurisdictionSpec,
    TimeLimit,
    core_workflow,
    hookimpl,
    stage_clocks,
)

FIRST_RESPONSE = ClockSpec(
    "first_response", "首次响应", "First response", starts_at_filing=True,
    stop_actions=("assign", "reply", "refer"),
    limit=TimeLimit(2, "Invented: a first response within 2 working hours", "虚构：2个工作小时内首次响应",
                    unit=WORKING_HOURS))
REPLY = ClockSpec("reply", "答复", "Reply", starts_at_filing=True, stop_states=("replied", "referred"))


def two_clock_workflow():
    core = core_workflow()
    rectify = [c for c in stage_clocks(core.states, core.initial) if c.code == "rectify"]
    return replace(core, name="twoclocks", clocks=(FIRST_RESPONSE, REPLY, *rectify))


class TwoClocks(JurisdictionPlugin):
    code = "twoclocks"

    def __init__(self, hours=None):
        self.hours = hours

    @hookimpl
    def portal_jurisdictions(self):
        return [JurisdictionSpec(code="twoclocks", name_zh="双钟县", name_en="Two-clock County", level="county",
                                 case_prefix="TC", departments=(DepartmentSpec("tc-hr", "人社局", "HR bureau"),))]

    @hookimpl
    def portal_workflow(self, jurisdiction):
        return two_clock_workflow()

    @hookimpl
    def portal_time_limit(self, jurisdiction, category, complexity, stage):
        if stage == "reply":
            return TimeLimit(2, "Invented: a reply within 2 working days", "虚构：2个工作日内答复")
        return TimeLimit(5, "Invented: rectified within 5 working days", "虚构：5个工作日内整改")

    @hookimpl
    def portal_working_hours(self, jurisdiction):
        return self.hours
