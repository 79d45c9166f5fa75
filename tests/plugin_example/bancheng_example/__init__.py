"""Example County (示例县): a fictional jurisdiction, installed from its own package.

It shows the smallest useful plugin: an identity and one override. Everything else
(workflow, categories, forms, tiers) is the core default.
"""
from portal.toolkit import (
    CentreSpec,
    DepartmentSpec,
    JurisdictionPlugin,
    JurisdictionSpec,
    RuleSource,
    TimeLimit,
    WindowSpec,
    hookimpl,
)


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

    # The one override (fictional rule): general matters are answered within 2 working days.
    @hookimpl
    def portal_time_limit(self, jurisdiction, category, complexity, stage):
        if stage == "reply" and complexity == "general":
            return TimeLimit(2, "Example County: general matters answered within 2 working days",
                             "示例县：一般事项2个工作日内答复",
                             source=RuleSource("示例县“办不成事”窗口工作规则（虚构）", "Example County window rules (fictional)",
                                               "第五条", "Article 5"))
        return None


plugin = ExampleCounty()
