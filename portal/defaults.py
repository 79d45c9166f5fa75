"""The core defaults, registered as an ordinary plugin that answers last (trylast).

A jurisdiction plugin overrides only what differs; everything else falls through
to these answers, so a new jurisdiction works on day one with a complete workflow.
"""
from __future__ import annotations

from flask import current_app, has_app_context

from .contracts import (
    COMPLEXITIES,
    AccountabilityOutcome,
    Branding,
    Category,
    CentreSpec,
    Channel,
    DepartmentSpec,
    EscalationTier,
    JurisdictionSpec,
    StateSpec,
    TimeLimit,
    WindowSpec,
    Workflow,
)
from .hookspecs import hookimpl

STAFF = ("clerk", "handler", "supervisor")
OPEN_STATES = ("received", "assigned", "rectifying")


def _t(action, sources, target, roles, zh, en, needs_note=False, public=True, public_note=False):
    """A core transition; the core declares for each whether the person sees it and its note."""
    from .contracts import Transition

    if isinstance(sources, str):
        sources = (sources,)
    return Transition(action, tuple(sources), target, frozenset(roles), zh, en, needs_note,
                      public_note=public_note, public=public)


def clock_transitions(open_states) -> tuple:
    """Pause, resume, extend and flag-overdue: the deadline clock every workflow shares."""
    return (
        # the pause note tells the person what to bring
        _t("pause", open_states, None, STAFF, "等待补充材料（暂停计时）", "Wait for materials (pause clock)", needs_note=True,
           public_note=True),
        _t("resume", open_states, None, STAFF, "恢复计时", "Resume clock"),
        _t("extend", open_states, None, ("supervisor",), "延长期限", "Extend deadline", needs_note=True, public=False),
        _t("flag_overdue", open_states, None, ("system",), "标记超期", "Flag overdue", public=False),
    )


#: What the person reads for the common kinds of state (``StateSpec.public_label_*`` and
#: ``public_explanation_*``): one label and one sentence of what happens now. Plugins use them
#: through ``toolkit.public_state`` for their own states of the same kind.
PUBLIC_STATES = {
    "received": ("已受理", "Received",
                 "您的诉求已受理，工作人员正在核实研判，并将交有关部门办理。",
                 "Your case has been received. Staff are looking into it and will pass it to the department concerned."),
    "handling": ("办理中", "Being handled",
                 "有关部门正在办理您的诉求，办理完成后将答复您。",
                 "The department concerned is handling your case and will answer you when it is done."),
    "checking": ("办理中", "Being handled",
                 "有关部门已提出办理结果，正在核查，核查后将答复您。",
                 "The department has a result, which is being checked before you are answered."),
    "rectifying": ("核查整改中", "Being checked and put right",
                   "您对答复不满意，我们正在核查并整改，完成后将再次答复您。",
                   "You were not satisfied with our answer. We are checking it and putting it right, and will answer you again."),
    "replied": ("已答复", "Answered",
                "我们已答复您，请查看答复内容，并对办理结果作出评价。",
                "We have answered you. Please read the answer and rate the outcome."),
    "visited": ("已回访", "Followed up",
                "我们已回访您，了解您对办理结果的意见。",
                "We have contacted you again to hear what you think of the outcome."),
    "closed": ("已办结", "Closed",
               "您的诉求已办结。",
               "Your case is closed."),
    "referred": ("已解释说明", "Explained",
                 "我们已向您解释说明，并告知了可以办理的渠道。",
                 "We have explained the position to you and told you where the matter can be taken."),
    "archived": ("已办结", "Closed",
                 "您的诉求已办结并归档。",
                 "Your case is closed and filed."),
}


def public_state(kind: str) -> dict:
    """The public label and explanation of a common kind of state, as StateSpec keyword arguments."""
    label_zh, label_en, explanation_zh, explanation_en = PUBLIC_STATES[kind]
    return {"public_label_zh": label_zh, "public_label_en": label_en,
            "public_explanation_zh": explanation_zh, "public_explanation_en": explanation_en}


#: The default closed loop, after the 12345 work order (State Council 2020 No. 53):
#: accept -> dispatch -> handle -> reply -> return visit -> evaluate -> close -> archive.
DEFAULT_WORKFLOW = Workflow(
    name="core",
    initial="received",
    states=(
        StateSpec("received", "已受理", "Received", stage="reply", **public_state("received")),
        StateSpec("assigned", "已交办", "Assigned", stage="reply", **public_state("handling")),
        StateSpec("rectifying", "核查整改", "Verifying and rectifying", stage="rectify", next_step=False,
                  **public_state("rectifying")),
        StateSpec("replied", "已答复", "Replied", **public_state("replied")),
        StateSpec("visited", "已回访", "Return visit done", **public_state("visited")),
        StateSpec("closed", "已办结", "Closed", done=True, **public_state("closed")),
        StateSpec("referred", "已告知转介", "Explained and referred", done=True, next_step=False,
                  **public_state("referred")),
        StateSpec("archived", "已归档", "Archived", terminal=True, done=True, **public_state("archived")),
    ),
    transitions=(
        _t("classify", OPEN_STATES, None, ("clerk", "supervisor"), "分类研判", "Classify", public=False),
        _t("assign", ("received", "assigned", "rectifying"), "assigned", ("clerk", "supervisor"), "交办部门", "Assign to department",
           public=False),
        _t("reply", OPEN_STATES, "replied", STAFF, "答复群众", "Reply to the person", needs_note=True, public_note=True),
        _t("refer", ("received",), "referred", ("clerk", "supervisor"), "解释并告知渠道", "Explain and refer", needs_note=True,
           public_note=True),
        _t("escalate", OPEN_STATES, None, STAFF + ("system",), "提级督办", "Escalate", needs_note=True, public=False),
        *clock_transitions(OPEN_STATES),
        _t("note", OPEN_STATES + ("replied", "visited", "closed", "referred"), None, STAFF, "内部备注", "Internal note",
           needs_note=True, public=False),
        _t("rate", ("replied", "visited", "closed"), None, ("public",), "评价", "Rate"),
        _t("rate_bad", ("replied", "visited", "closed"), "rectifying", ("public",), "差评核查整改", "Bad rating: verify and rectify"),
        _t("return_visit", ("replied",), "visited", STAFF, "回访", "Record return visit"),
        _t("close", ("visited",), "closed", ("clerk", "supervisor"), "办结", "Close"),
        _t("archive", ("closed", "referred"), "archived", ("supervisor", "admin"), "归档", "Archive"),
    ),
    steps_zh=("受理", "交办", "办理", "答复", "回访", "评价", "办结", "归档"),
    steps_en=("Accept", "Assign", "Handle", "Reply", "Return visit", "Evaluate", "Close", "Archive"),
)

DEFAULT_CATEGORIES = (
    Category("guide", "办事指南不准确", "Inaccurate service guide",
             "核实指南，责成部门限期更正，并答复群众。", "Check the guide, have the department correct it by a deadline, answer the person."),
    Category("process", "流程复杂或材料繁琐", "Complex process or too many materials",
             "协调部门优化流程、精简材料。", "Have the department simplify the process and cut materials."),
    Category("multi_dept", "涉及多部门", "Several departments involved",
             "明确牵头部门，跨部门协同办理。", "Name a lead department and coordinate the others."),
    Category("attitude", "服务态度", "Service attitude",
             "立即整改，纳入工作人员效能考核。", "Rectify at once; counts in staff assessment."),
    Category("legal", "法律法规不允许", "Not allowed by law",
             "做好解释说明。", "Explain the legal position."),
    Category("out_of_scope", "不属于政务服务范围", "Outside government services",
             "告知群众办理渠道。", "Tell the person where to go."),
    Category("other", "其他", "Other", "", ""),
)

DEFAULT_CHANNELS = (
    Channel("window", "窗口现场", "At the window"),
    Channel("online", "网上提交", "Online"),
    Channel("phone", "投诉电话", "Complaint phone"),
    Channel("rating", "好差评系统", "Good/bad rating system"),
    Channel("hotline", "12345热线", "12345 hotline"),
)


#: The portal's default limits, in working days, for stages no jurisdiction gives a limit for.
#: They are a setting of this portal, attributed to nobody; an operator changes them with the
#: ``PORTAL_DEFAULT_TIME_LIMITS`` configuration key (a dict with any of these keys).
DEFAULT_LIMIT_DAYS = {"simple": 0, "general": 5, "complex": 15, "rectify": 5}

#: The texts deadline rows stored for the default limits before rules carried their source:
#: they named sources the portal's defaults do not have ("core default", Jiangsu's window
#: rules, "one city's limit"). Rows holding them are shown with today's text and as the
#: portal's default setting (see ``TimeLimit.formerly``).
_FORMERLY = {
    "rectify": ("Bad rating verified and rectified within 5 working days (national 好差评 rules, one city's limit)",
                "差评5个工作日内核查整改（政务服务“好差评”制度，一地的整改时限）"),
    "simple": ("Simple matters done on the spot (core default)", "简单事项当场办结（core default）"),
    "complex": ("Complex cases: an opinion within 15 working days (Jiangsu window rules)",
                "复杂事项15个工作日内提出处理意见（江苏省窗口工作规则）"),
    "general": ("Reply within 5 working days (core default)", "5个工作日内答复（core default）"),
}


def default_limit_days() -> dict:
    days = dict(DEFAULT_LIMIT_DAYS)
    if has_app_context():
        configured = current_app.config.get("PORTAL_DEFAULT_TIME_LIMITS") or {}
        days.update({k: int(v) for k, v in configured.items() if k in days and int(v) >= 0})
    return days


def default_time_limit(complexity: str, stage: str) -> TimeLimit:
    """The portal's default setting for a stage: no source, so every page shows it as such."""
    days = default_limit_days()
    if stage == "rectify":
        kind, n = "rectify", days["rectify"]
        en, zh = f"A bad rating is checked and put right within {n} working days", f"差评{n}个工作日内核查整改"
    elif complexity == "simple":
        kind, n = "simple", days["simple"]
        en, zh = ("Simple matters done on the spot", "简单事项当场办结") if n == 0 else \
            (f"Simple matters answered within {n} working days", f"简单事项{n}个工作日内答复")
    elif complexity in ("complex", "especially_complex"):
        kind, n = "complex", days["complex"]
        en, zh = f"Complex matters: an opinion within {n} working days", f"复杂事项{n}个工作日内提出处理意见"
    else:
        kind, n = "general", days["general"]
        en, zh = f"Answered within {n} working days", f"{n}个工作日内答复"
    return TimeLimit(n, en, zh, source=None, formerly=_FORMERLY[kind] if n == DEFAULT_LIMIT_DAYS[kind] else ())


class CorePlugin:
    """Answers every jurisdiction-scoped hook last, with the national defaults."""

    code = "core"

    @hookimpl(trylast=True)
    def portal_jurisdictions(self):
        # Offered only while no jurisdiction plugin is enabled (see PluginHost).
        return [
            JurisdictionSpec(
                code="demo", name_zh="示范区", name_en="Demo district", level="district",
                case_prefix="DEMO",
                centres=(CentreSpec("demo-centre", "示范区政务服务中心", "Demo district service centre",
                                    windows=(WindowSpec("demo-w1", "反映“办不成事”窗口", "Reflection window"),)),),
                departments=(DepartmentSpec("demo-hr", "人力资源和社会保障局", "Human Resources and Social Security Bureau"),),
            )
        ]

    @hookimpl(trylast=True)
    def portal_branding(self, jurisdiction):
        return Branding(title_zh="办成 · 反映“办不成事”", title_en="Bancheng: get it done")

    @hookimpl(trylast=True)
    def portal_template_folder(self, jurisdiction):
        return None

    @hookimpl(trylast=True)
    def portal_intake_form(self, jurisdiction, base):
        return base

    @hookimpl(trylast=True)
    def portal_intake_channels(self, jurisdiction):
        return DEFAULT_CHANNELS

    @hookimpl(trylast=True)
    def portal_screen_case(self, jurisdiction, matter, description, data):
        return None

    @hookimpl(trylast=True)
    def portal_workflow(self, jurisdiction):
        return DEFAULT_WORKFLOW

    @hookimpl(trylast=True)
    def portal_actions(self, jurisdiction):
        from .actions import CORE_ACTIONS  # the effects import the models: loaded when first asked

        return CORE_ACTIONS

    @hookimpl(trylast=True)
    def portal_categories(self, jurisdiction):
        return DEFAULT_CATEGORIES

    @hookimpl(trylast=True)
    def portal_time_limit(self, jurisdiction, category, complexity, stage):
        if complexity not in COMPLEXITIES:
            return None  # a plugin's level: the host asks again with the level it is treated as
        return default_time_limit(complexity, stage)

    @hookimpl(trylast=True)
    def portal_escalation_tiers(self, jurisdiction):
        return (
            EscalationTier("window", "窗口", "Window"),
            EscalationTier("department", "责任部门", "Responsible department"),
            EscalationTier("centre", "政务服务中心", "Service centre", auto_when_overdue=True),
        )

    @hookimpl(trylast=True)
    def portal_working_hours(self, jurisdiction):
        # the portal's configurable default (PORTAL_WORKING_HOURS), not any jurisdiction's rule
        from flask import current_app

        from .workdays import DEFAULT_WORKING_HOURS, WorkingHours

        text = current_app.config.get("PORTAL_WORKING_HOURS") if current_app else None
        if not text:
            return DEFAULT_WORKING_HOURS
        return WorkingHours.parse(text, DEFAULT_WORKING_HOURS.rule, DEFAULT_WORKING_HOURS.rule_zh)

    @hookimpl(trylast=True)
    def portal_holiday_overrides(self, jurisdiction):
        return {}

    @hookimpl(trylast=True)
    def portal_accountability_outcome(self, jurisdiction, kind, occurrence):
        return AccountabilityOutcome(kind, occurrence, "记录在案", "Recorded")

    @hookimpl(trylast=True)
    def portal_default_rating(self, jurisdiction):
        return None  # nationally an unrated reply stays unrated; provinces that default one say so

    @hookimpl(trylast=True)
    def portal_case_transitioned(self, jurisdiction, case, event):
        return None

    @hookimpl(trylast=True)
    def portal_guide_corrected(self, jurisdiction, correction):
        return None
