"""Example County (示例县): a fictional jurisdiction, installed from its own package.

It shows a small plugin: an identity, one time-limit override and a vocabulary of its own
(a coordination officer's role, an urgent complexity level, an accountability kind), all
fictional. Everything else (categories, forms, tiers) is the core default.
"""
from portal.toolkit import (
    AccountabilityKind,
    CentreSpec,
    ComplexityLevel,
    DepartmentSpec,
    JurisdictionPlugin,
    JurisdictionSpec,
    RoleSpec,
    RuleSource,
    TimeLimit,
    Vocabulary,
    WindowSpec,
    core_workflow,
    hookimpl,
    with_roles,
)

#: Fictional: a coordination officer (协调专员) from a department sits in at the window; they read
#: cases, take them in, classify and assign them, escalate them and leave notes, nothing more.
COORDINATOR = RoleSpec("coordinator", "协调专员", "Coordination officer",
                       capabilities=frozenset({"read", "act", "assign"}))
VOCABULARY = Vocabulary(
    roles=(COORDINATOR,),
    # Fictional: urgent matters handled urgently (急事急办) get the time limit of simple ones.
    complexities=(ComplexityLevel("urgent", "急事急办", "Urgent: handled at once", treated_as="simple"),),
    accountability_kinds=(AccountabilityKind("no_show", "协调专员未按约到场", "Coordination officer did not turn up",
                                             concerns="staff"),),
)
WORKFLOW = with_roles(core_workflow(), {"coordinator"}, ("classify", "assign", "escalate", "note"))


class ExampleCounty(JurisdictionPlugin):
    code = "example"

    # Identity: one county with one centre, one window and one department.
    @hookimpl
    def portal_jurisdictions(self):
        return [JurisdictionSpec(
            code="example", name_zh="示例县", name_en="Example County", level="county", case_prefix="EX",
            centres=(CentreSpec("example-centre", "示例县政务服务中心", "Example County Service Centre",
                                windows=(WindowSpec("example-w1", "反映“办不成事”窗口", "Reflection window"),)),),
            departments=(DepartmentSpec("example-hrss", "示例县人力资源和社会保障局",
                                        "Example County Human Resources and Social Security Bureau"),),
        )]

    # Fictional: a coordination officer, urgent matters and a no-show record (see VOCABULARY).
    @hookimpl
    def portal_vocabulary(self, jurisdiction):
        return VOCABULARY

    # Fictional: the coordination officer classifies, assigns, escalates and notes in the core workflow.
    @hookimpl
    def portal_workflow(self, jurisdiction):
        return WORKFLOW

    # The one time-limit override (fictional rule): general matters are answered within 2 working days.
    @hookimpl
    def portal_time_limit(self, jurisdiction, category, complexity, stage):
        if stage == "reply" and complexity == "general":
            return TimeLimit(2, "Example County: general matters answered within 2 working days",
                             "示例县：一般事项2个工作日内答复",
                             source=RuleSource("示例县“办不成事”窗口工作规则（虚构）", "Example County window rules (fictional)",
                                               "第五条", "Article 5"))
        return None


plugin = ExampleCounty()
