"""Kunming (昆明市), Yunnan: jurisdiction plugin after seed 000.

Kunming runs 317 windows in four levels of service centre (city, county/district,
township/street, village/community) under one closed loop. Wuhua district (五华区)
adds its own three-level response with 3 / 10 working-day limits, so those rules are
scoped to ``kunming-wuhua`` and its streets. Everything else is the core default.
"""
from portal.toolkit import (
    Branding,
    Category,
    CentreSpec,
    DepartmentSpec,
    EscalationTier,
    JurisdictionPlugin,
    JurisdictionSpec,
    RuleSource,
    StateSpec,
    TimeLimit,
    WindowSpec,
    Workflow,
    hookimpl,
    clock_transitions,
    public_state,
    transition,
)

STAFF = ("clerk", "handler", "supervisor")
DESK = ("clerk", "supervisor")
OPEN = ("received", "coordinating", "assigned", "rectifying")
RATABLE = ("replied", "visited", "closed", "improved")

# seed 000: the "1+7" rules' closed loop 收集受理 → 协调对接 → 交办督办 → 答复反馈 → 改进提升, with return visits.
WORKFLOW = Workflow(
    name="kunming",
    initial="received",
    states=(
        StateSpec("received", "收集受理", "Collected and accepted", stage="reply", **public_state("received")),
        StateSpec("coordinating", "协调对接", "Coordinating with departments", stage="reply", **public_state("handling")),
        StateSpec("assigned", "交办督办", "Assigned and supervised", stage="reply", **public_state("handling")),
        StateSpec("rectifying", "差评核查整改", "Verifying and rectifying a bad rating", stage="rectify", next_step=False, **public_state("rectifying")),
        StateSpec("replied", "答复反馈", "Replied", **public_state("replied")),
        StateSpec("visited", "已回访", "Return visit done", **public_state("visited")),
        StateSpec("closed", "已办结", "Closed", done=True, **public_state("closed")),
        StateSpec("improved", "改进提升", "Improvement recorded", done=True, **public_state("closed")),
        StateSpec("referred", "已解释或告知渠道", "Explained or referred", done=True, next_step=False, **public_state("referred")),
        StateSpec("archived", "已归档", "Archived", terminal=True, done=True, **public_state("archived")),
    ),
    transitions=(
        transition("classify", OPEN, None, DESK, "分类处置", "Classify"),
        transition("coordinate", ("received",), "coordinating", DESK, "协调对接", "Coordinate with the departments", needs_note=True),
        transition("assign", OPEN, "assigned", DESK, "交办督办（明确牵头部门）", "Assign (name the lead department)"),
        transition("reply", OPEN, "replied", STAFF, "答复反馈", "Reply to the person", needs_note=True),
        transition("refer", ("received", "coordinating"), "referred", DESK, "解释疏导或告知反映渠道", "Explain, or tell the person where to go", needs_note=True),
        transition("escalate", OPEN, None, STAFF + ("system",), "启动下一级响应", "Escalate to the next level", needs_note=True),
        *clock_transitions(OPEN),
        transition("note", OPEN + RATABLE + ("referred",), None, STAFF, "内部备注", "Internal note", needs_note=True),
        transition("rate", RATABLE, None, ("public",), "评价", "Rate"),
        transition("rate_bad", RATABLE, "rectifying", ("public",), "差评核查整改", "Bad rating: verify and rectify"),
        transition("return_visit", ("replied",), "visited", STAFF, "回访", "Record return visit"),
        transition("close", ("visited",), "closed", DESK, "办结", "Close"),
        transition("improve", ("closed",), "improved", DESK, "改进提升（梳理分析、推动整改）", "Improve (analyse, push the fix)", needs_note=True),
        transition("archive", ("improved", "referred"), "archived", ("supervisor", "admin"), "归档", "Archive"),
    ),
    steps_zh=("收集受理", "协调对接", "交办督办", "答复反馈", "改进提升"),
    steps_en=("Collect and accept", "Coordinate", "Assign and supervise", "Reply and feed back", "Improve"),
)

# seed 000: the five handling kinds of the Kunming window ("分类处置").
CATEGORIES = (
    Category("multi_dept", "涉及部门多、解决难度大", "Several departments, hard to solve",
             "发挥窗口综合协调作用，明确牵头部门，强化跨部门协作，联动有关单位推进办理。",
             "Coordinate: name a lead department and bring the other units in.",
             "已明确牵头部门并协调相关单位联动办理，办理结果如下：",
             "A lead department was named and the units worked together. The result:"),
    Category("guide_process", "办事指南不清晰或流程复杂", "Unclear guide or complex process",
             "督促相关部门立即整改、限时办理；定期梳理分析，推动精简材料、优化流程。",
             "Have the department rectify at once within a deadline; analyse periodically, cut materials.",
             "已督促相关部门限时整改，更正办事指南、优化办理流程。",
             "The department has corrected the guide and simplified the process by the deadline."),
    Category("attitude", "服务态度不端正", "Poor service attitude",
             "立即整改，纳入效能革命、作风革命考核。",
             "Rectify at once; counts in the staff efficiency and conduct assessment.",
             "已责成立即整改，并纳入工作人员作风考核。",
             "It has been put right at once and counts in the staff member's assessment."),
    Category("legal", "法律法规政策规定不能办", "Not allowed by law, regulation or policy",
             "工作人员协同相关单位（窗口）负责人做好解释疏导。",
             "Explain, together with the responsible unit's head, so that the person understands.",
             "经核实，该事项受法律法规政策限制不能办理，具体依据如下：",
             "This matter cannot be done under the law or policy; the grounds are:"),
    Category("out_of_scope", "超出政务服务工作范畴", "Outside government services",
             "明确告知反映人到相关部门反映。",
             "Tell the person clearly which body to go to.",
             "该事项不属于政务服务范畴，请到以下部门反映：",
             "This is not a government-service matter; please go to:"),
    Category("other", "其他", "Other"),
)

# seed 000: Wuhua's three-level response 窗口受理 → 责任单位统筹 → 区营商环境办督办.
WUHUA_TIERS = (
    EscalationTier("window", "窗口受理", "Window accepts"),
    EscalationTier("unit", "责任单位统筹", "Responsible unit handles"),
    EscalationTier("district_office", "区营商环境办督办", "District business-environment office supervises",
                   auto_when_overdue=True),
)


# seed 000: the Wuhua centre's measures as reported: 一是接诉即办 ... 三是响应联办 (三级响应机制).
WUHUA_ON_RECEIPT = RuleSource(
    "五华区政务服务中心“接诉即办”举措", "Wuhua District Government Service Centre: 'handle on receipt' measure",
    "对群众和企业反馈的事情不愿办、服务做不好等问题即来即办、现场解决、立即整改",
    "unwillingness to act, poor service and the like are handled as they come, solved on the spot and put right at once")
_THREE_LEVEL = ("五华区“三级响应”机制（窗口受理、责任单位统筹、区营商环境办督办）",
                "Wuhua District three-level response mechanism (window accepts, responsible unit handles, "
                "district business-environment office supervises)")
WUHUA_THREE_LEVEL_ORDINARY = RuleSource(*_THREE_LEVEL, "一般问题3个工作日内办理反馈",
                                        "ordinary problems handled with feedback within 3 working days")
WUHUA_THREE_LEVEL_COMPLEX = RuleSource(*_THREE_LEVEL, "复杂问题10个工作日内办理反馈",
                                       "complex problems handled with feedback within 10 working days")


def _in_wuhua(jurisdiction: str) -> bool:
    return jurisdiction == "kunming-wuhua" or jurisdiction.startswith("kunming-wuhua-")


def _departments(prefix, items):
    return tuple(DepartmentSpec(f"{prefix}-{code}", zh, en) for code, zh, en in items)


JURISDICTIONS = [
    JurisdictionSpec(
        code="kunming", name_zh="昆明市", name_en="Kunming", level="city", case_prefix="KM",
        centres=(CentreSpec("kunming-centre", "昆明市政务服务中心", "Kunming Government Service Centre", level="city",
                            windows=(WindowSpec("kunming-w1", "反映“办不成事”窗口", "'Couldn't get it done' window"),)),),
        departments=_departments("km", (
            ("zwj", "昆明市政务服务管理局", "Kunming Government Service Administration"),
            ("hrss", "昆明市人力资源和社会保障局", "Kunming Human Resources and Social Security Bureau"),
            ("psb", "昆明市公安局", "Kunming Public Security Bureau"),
            ("tax", "国家税务总局昆明市税务局", "Kunming Taxation Bureau, STA"),
            ("samr", "昆明市市场监督管理局", "Kunming Market Regulation Administration"),
            ("mca", "昆明市民政局", "Kunming Civil Affairs Bureau"),
            ("housing", "昆明市住房和城乡建设局", "Kunming Housing and Urban-Rural Development Bureau"),
            ("realestate", "昆明市不动产登记中心", "Kunming Real Estate Registration Centre"),
            ("medical", "昆明市医疗保障局", "Kunming Healthcare Security Bureau"),
        )),
    ),
    JurisdictionSpec(
        code="kunming-wuhua", name_zh="五华区", name_en="Wuhua District", level="district", parent="kunming",
        case_prefix="KMWH",
        centres=(CentreSpec("kunming-wuhua-centre", "五华区政务服务中心", "Wuhua District Government Service Centre",
                            windows=(WindowSpec("kunming-wuhua-w1", "“办不成事”咨询窗口", "'Couldn't get it done' enquiry window"),
                                     WindowSpec("kunming-wuhua-w2", "优化营商环境服务保障专区", "Business-environment service zone"))),),
        departments=_departments("wh", (
            ("hrss", "五华区人力资源和社会保障局", "Wuhua Human Resources and Social Security Bureau"),
            ("psb", "昆明市公安局五华分局", "Wuhua Branch, Kunming Public Security Bureau"),
            ("tax", "国家税务总局昆明市五华区税务局", "Wuhua Taxation Bureau, STA"),
            ("samr", "五华区市场监督管理局", "Wuhua Market Regulation Administration"),
            ("mca", "五华区民政局", "Wuhua Civil Affairs Bureau"),
            ("housing", "五华区住房和城乡建设局", "Wuhua Housing and Urban-Rural Development Bureau"),
            ("medical", "五华区医疗保障局", "Wuhua Healthcare Security Bureau"),
        )),
    ),
    JurisdictionSpec(
        code="kunming-wuhua-huguo", name_zh="护国街道", name_en="Huguo Subdistrict", level="street",
        parent="kunming-wuhua", case_prefix="KMWHHG",
        centres=(CentreSpec("kunming-wuhua-huguo-centre", "护国街道便民服务中心", "Huguo Subdistrict Service Centre",
                            level="street",
                            windows=(WindowSpec("kunming-wuhua-huguo-w1", "反映“办不成事”窗口", "'Couldn't get it done' window"),)),),
    ),
]


class Kunming(JurisdictionPlugin):
    """Kunming city, Wuhua district and a street centre (seed 000)."""

    code = "kunming"

    # seed 000: city, Wuhua district and a street centre stand for the 市县乡村 four levels.
    @hookimpl
    def portal_jurisdictions(self):
        return JURISDICTIONS

    # seed 000: Kunming's window is the "front-line sentry" of government services.
    @hookimpl
    def portal_branding(self, jurisdiction):
        return Branding(title_zh="昆明市政务服务 · 反映“办不成事”", title_en="Kunming government services",
                        colour="#1565c0", phone="12345")

    # seed 000: the closed loop 收集受理 → 协调对接 → 交办督办 → 答复反馈 → 改进提升, with return visits.
    @hookimpl
    def portal_workflow(self, jurisdiction):
        return WORKFLOW

    # seed 000: five handling kinds (lead department, guide/process rectification, attitude, legal, out of scope).
    @hookimpl
    def portal_categories(self, jurisdiction):
        return CATEGORIES

    # Kunming city and its other districts state no limit: the portal's default setting applies.
    # seed 000: Wuhua answers ordinary problems within 3 working days, complex within 10; attitude on the spot.
    @hookimpl
    def portal_time_limit(self, jurisdiction, category, complexity, stage):
        if not _in_wuhua(jurisdiction) or stage != "reply":
            return None
        if category == "attitude" or complexity == "simple":
            return TimeLimit(0, "Wuhua: attitude problems and simple matters handled on the spot, rectified at once",
                             "五华区：服务态度问题和简单事项即来即办、现场解决、立即整改", source=WUHUA_ON_RECEIPT)
        if complexity in ("complex", "especially_complex"):
            return TimeLimit(10, "Wuhua: complex problems handled with feedback within 10 working days",
                             "五华区：复杂问题10个工作日内办理反馈", source=WUHUA_THREE_LEVEL_COMPLEX)
        return TimeLimit(3, "Wuhua: ordinary problems handled with feedback within 3 working days",
                         "五华区：一般问题3个工作日内办理反馈", source=WUHUA_THREE_LEVEL_ORDINARY)

    # seed 000: Wuhua's three-level response, the district business-environment office supervising overdue cases.
    @hookimpl
    def portal_escalation_tiers(self, jurisdiction):
        return WUHUA_TIERS if _in_wuhua(jurisdiction) else None


plugin = Kunming()
