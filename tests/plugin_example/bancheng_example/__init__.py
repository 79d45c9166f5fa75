"""Example County (示例县): a FICTIONAL jurisdiction, installed from its own package.

The sixth jurisdiction, outside the portal's tree: its own closed loop with public texts
(workflow.py), intake form (forms.py), catalogues (translations/), table and migration
(models.py, migrations/), a site-visit action that writes that table (actions.py), two clocks
and working hours (rules.py), a coordination officer's role and a staff page (staff_pages.py).
Every rule is invented and cites an invented document (rules.py); none is a real place's.
docs/plugins.md walks through it step by step.
"""
from portal.toolkit import (
    AccountabilityKind,
    CentreSpec,
    ComplexityLevel,
    DepartmentSpec,
    JurisdictionPlugin,
    JurisdictionSpec,
    RoleSpec,
    Tables,
    Vocabulary,
    WindowSpec,
    hookimpl,
)

from .actions import ACTIONS
from .forms import intake_form
from .models import SiteVisit
from .rules import REPLY_GENERAL, WINDOW_HOURS
from .workflow import WORKFLOW

#: Fictional: a coordination officer (协调专员) makes the first response on site, assesses, assigns,
#: replies and follows up; reads cases and takes walk-in cases (act, assign), nothing more.
COORDINATOR = RoleSpec("coordinator", "协调专员", "Coordination officer",
                       capabilities=frozenset({"read", "act", "assign"}))
VOCABULARY = Vocabulary(
    roles=(COORDINATOR,),
    # Fictional: urgent matters handled urgently (急事急办) get the time limit of simple ones.
    complexities=(ComplexityLevel("urgent", "急事急办", "Urgent: handled at once", treated_as="simple"),),
    accountability_kinds=(AccountabilityKind("no_show", "协调专员未按约到场", "Coordination officer did not turn up",
                                             concerns="staff"),),
)

JURISDICTION = JurisdictionSpec(
    code="example", name_zh="示例县", name_en="Example County", level="county", case_prefix="EX",
    centres=(CentreSpec("example-centre", "示例县政务服务中心", "Example County Service Centre",
                        windows=(WindowSpec("example-w1", "反映“办不成事”窗口", "Reflection window"),)),),
    departments=(DepartmentSpec("example-hrss", "示例县人力资源和社会保障局",
                                "Example County Human Resources and Social Security Bureau"),
                 DepartmentSpec("example-market", "示例县市场监督管理局",
                                "Example County Market Regulation Bureau")),
)


class ExampleCounty(JurisdictionPlugin):
    code = "example"

    # Identity: one county with one centre, one window and two departments.
    @hookimpl
    def portal_jurisdictions(self):
        return [JURISDICTION]

    # Fictional: a coordination officer, urgent matters and a no-show record (see VOCABULARY).
    @hookimpl
    def portal_vocabulary(self, jurisdiction):
        return VOCABULARY

    # Fictional: the county's seven-step loop with a first response on site (workflow.py).
    @hookimpl
    def portal_workflow(self, jurisdiction):
        return WORKFLOW

    # Fictional: the site visit is the first response; its form and effect (actions.py).
    @hookimpl
    def portal_actions(self, jurisdiction):
        return ACTIONS

    # Fictional: the form asks when the officer can reach the person (forms.py).
    @hookimpl
    def portal_intake_form(self, jurisdiction, base):
        return intake_form(base)

    # The county's own record of site visits, in its own table and migrations.
    @hookimpl
    def portal_tables(self):
        return Tables(models=(SiteVisit,), migrations=self.migrations_folder(__file__))

    # The coordination officers' list of site visits, with a link in the staff navigation.
    @hookimpl
    def portal_staff_pages(self):
        from .staff_pages import pages

        return pages

    # Fictional (article 2): the window's hours, in which the first-response clock counts.
    @hookimpl
    def portal_working_hours(self, jurisdiction):
        return WINDOW_HOURS

    # Fictional (article 5): general matters are answered within 2 working days; others: the portal's default.
    @hookimpl
    def portal_time_limit(self, jurisdiction, category, complexity, stage):
        if stage == "reply" and complexity == "general":
            return REPLY_GENERAL
        return None


plugin = ExampleCounty()
