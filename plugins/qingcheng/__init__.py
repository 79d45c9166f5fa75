"""Qingcheng District, Qingyuan (清远市清城区), Guangdong: jurisdiction plugin after seed 004.

Qingcheng runs seven steps (受理 → 研判 → 交办 → 办结 → 评价 → 总结 → 归档), sorts problems
into four classes with three disposals, and answers through a linked response from the
hall window up to district-level coordination. Some of its cases wait years for the
person's materials, so its workflow lets the clock stand still with a reason each time.
"""
from __future__ import annotations

from functools import cache

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from portal.toolkit import (
    Branding,
    Category,
    CentreSpec,
    Channel,
    DefaultRating,
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
    public_state,
    transition,
)

#: Guangdong's 好差评 default (DOMAIN national rules): not rated within 7 calendar days -> 3 基本满意.
GUANGDONG_DEFAULT_RATING = DefaultRating(
    days=7, level=3, counting="calendar",
    rule="Guangdong: a reply not rated within 7 calendar days is rated 'basically satisfied' by default",
    rule_zh="广东省：答复后7个自然日内未评价的，默认评价为“基本满意”",
    source=RuleSource(
        "政务服务“好差评”制度（国办发〔2019〕51号）广东省默认评价规则",
        "Government-service good/bad rating system (State Council General Office 2019 No. 51): Guangdong's default rating",
        "答复后7个自然日内未评价的，默认“基本满意”", "not rated within 7 calendar days of the reply: 'basically satisfied'"),
)

# seed 004: 清城区建立起一般问题当场办、复杂问题协调办、服务问题监督办、营商问题帮代办的分类处办机制.
ORDINARY_ON_THE_SPOT = RuleSource("清城区“办不成事”分类处办机制", "Qingcheng District classified handling mechanism",
                                  "一般问题当场办", "ordinary problems handled on the spot")

STAFF = ("clerk", "handler", "supervisor")
DESK = ("clerk", "supervisor")
OPEN = ("received", "assessed", "assigned", "rectifying")

# seed 004: the seven steps 受理 → 研判 → 交办 → 办结 → 评价 → 总结 → 归档.
WORKFLOW = Workflow(
    name="qingcheng",
    initial="received",
    states=(
        StateSpec("received", "受理", "Accepted", stage="reply", **public_state("received")),
        StateSpec("assessed", "研判", "Assessed", stage="reply", **public_state("handling")),
        StateSpec("assigned", "交办", "Assigned", stage="reply", **public_state("handling")),
        StateSpec("rectifying", "差评核查整改", "Verifying and rectifying a bad rating", stage="rectify", next_step=False, **public_state("rectifying")),
        StateSpec("completed", "办结", "Completed", done=True,
                  public_label_zh="已办结并答复", public_label_en="Done and answered",
                  public_explanation_zh="您的诉求已办结并答复您，请对办理结果作出评价。",
                  public_explanation_en="Your case is done and you have been answered. Please rate the outcome."),
        StateSpec("evaluated", "评价", "Evaluated", done=True, **public_state("closed")),
        StateSpec("summarised", "总结", "Summarised", done=True, **public_state("closed")),
        StateSpec("archived", "归档", "Archived", terminal=True, done=True, **public_state("archived")),
    ),
    transitions=(
        transition("classify", ("received", "assessed"), "assessed", DESK, "研判（分类、定处置方式）", "Assess (class and disposal)"),
        transition("assign", ("assessed", "assigned", "rectifying"), "assigned", DESK, "交办", "Assign"),
        transition("reply", ("assessed", "assigned", "rectifying"), "completed", STAFF, "办结并答复", "Complete and reply", needs_note=True),
        transition("escalate", OPEN, None, STAFF + ("system",), "提级办理", "Escalate to the next level", needs_note=True),
        transition("hold_accountable", OPEN + ("completed",), None, ("supervisor",), "监督问责", "Hold to account", needs_note=True),
        transition("pause", OPEN, None, STAFF, "等待群众或其他单位材料（暂停计时）", "Wait for materials (pause clock)", needs_note=True),
        transition("resume", OPEN, None, STAFF, "材料到齐，恢复计时", "Materials in: resume clock"),
        transition("extend", OPEN, None, ("supervisor",), "延长期限", "Extend deadline", needs_note=True),
        transition("note", OPEN + ("completed", "evaluated", "summarised"), None, STAFF, "内部备注", "Internal note", needs_note=True),
        transition("flag_overdue", OPEN, None, ("system",), "标记超期", "Flag overdue"),
        transition("rate", ("completed", "evaluated"), "evaluated", ("public",), "评价", "Rate"),
        transition("rate_bad", ("completed", "evaluated"), "rectifying", ("public",), "差评核查整改", "Bad rating: verify and rectify"),
        transition("return_visit", ("completed",), "evaluated", STAFF, "回访评价", "Return visit and evaluation"),
        transition("summarise", ("evaluated",), "summarised", DESK, "总结（溯源分析）", "Summarise (root-cause analysis)", needs_note=True),
        transition("archive", ("summarised",), "archived", ("supervisor", "admin"), "归档", "Archive"),
    ),
    steps_zh=("受理", "研判", "交办", "办结", "评价", "总结", "归档"),
    steps_en=("Accept", "Assess", "Assign", "Complete", "Evaluate", "Summarise", "Archive"),
)

# seed 004: 一般问题当场办、复杂问题协调办、服务问题监督办、营商问题帮代办.
CATEGORIES = (
    Category("ordinary", "一般问题", "Ordinary problem",
             "当场办：可当场解决的当场解决。", "Handle on the spot.",
             "您反映的问题已当场解决。", "Your problem was solved on the spot."),
    Category("complex", "复杂问题", "Complex problem",
             "协调办：先由窗口限时处理，处理不了的由区政务服务中心牵头协调后方单位；情况复杂的提交区级层面协调，持续跟踪督办直至办结。",
             "Coordinate: the window first, then the centre with the back-office units, the district for complex "
             "cases; track until done.",
             "经区政务服务中心牵头协调相关单位，办理结果如下：",
             "The service centre coordinated the units concerned; the result:"),
    Category("service", "服务问题", "Service problem",
             "监督办：督促窗口整改，落实不力的通报批评，情形严重的报送纪检监察机关。",
             "Supervise: make the window put it right; poor handling is criticised, serious cases go to the "
             "discipline commission.",
             "已督促相关窗口整改，并按规定追究责任。", "The window has been made to put it right and held to account."),
    Category("business", "营商问题", "Business-environment problem",
             "帮代办：为企业和群众提供帮办代办服务。", "Help or do it on the person's behalf.",
             "已由工作专班为您帮办代办，结果如下：", "Our team helped you (or did it for you); the result:"),
)

# seed 004: linked response 大厅窗口 → 后方单位 → 区政务服务中心牵头协调 → 区级层面协调.
TIERS = (
    EscalationTier("window", "大厅窗口限时处理", "Hall window (time-limited)"),
    EscalationTier("back_office", "后方单位处理", "Back-office unit"),
    EscalationTier("centre", "区政务服务中心牵头协调", "Service centre coordinates", auto_when_overdue=True),
    EscalationTier("district", "区级层面协调处理", "District-level coordination"),
)

# seed 004: a dedicated account on 粤省心 / Qingyuan 12345 carries "办不成事" work orders.
CHANNELS = (
    Channel("window", "窗口现场", "At the window"),
    Channel("online", "网上提交", "Online"),
    Channel("hotline", "“粤省心”/清远12345“办不成事”工单", "Yue Sheng Xin / Qingyuan 12345 work order"),
)


@cache
def intake_form(base):
    """Seed 004's definition: applied online or offline and not processed, or came several times."""

    class QingchengIntakeForm(base):
        applied_via = RadioField(
            _l("How did you apply?"),
            choices=[SelectChoice("online", _l("Online")), SelectChoice("offline", _l("At a window")),
                     SelectChoice("not_yet", _l("I could not apply"))],
            validators=[DataRequired(_l("Tell us how you applied."))])
        application_number = StringField(
            _l("Application or work-order number (if you have one)"),
            validators=[Optional(), Length(max=40),
                        Regexp(r"^[A-Za-z0-9-]+$", message=_l("Use only letters, digits and hyphens."))])
        visits = IntegerField(
            _l("How many times have you come about it? (optional)"),
            validators=[Optional(), NumberRange(min=1, max=99, message=_l("Enter a number from 1 to 99."))])

    return QingchengIntakeForm


JURISDICTIONS = [
    JurisdictionSpec(
        code="qingcheng", name_zh="清远市清城区", name_en="Qingcheng District, Qingyuan", level="district",
        case_prefix="QC",
        # seed 004: the window sits at the ground-floor guide desk of the shared Hi-tech Zone / Qingcheng centre.
        centres=(CentreSpec("qingcheng-centre", "高新区、清城区政务服务中心",
                            "Hi-tech Zone and Qingcheng District Government Service Centre",
                            windows=(WindowSpec("qingcheng-w1", "“办不成事”反映窗口（一楼导办台）",
                                                "'Couldn't get it done' window (ground-floor guide desk)"),)),),
        departments=tuple(DepartmentSpec(f"qc-{code}", zh, en) for code, zh, en in (
            ("zwj", "清城区政务服务和数据管理局", "Qingcheng Government Service and Data Administration"),
            ("hrss", "清城区人力资源和社会保障局", "Qingcheng Human Resources and Social Security Bureau"),
            ("tax", "国家税务总局清远市清城区税务局", "Qingcheng Taxation Bureau, STA"),
            ("psb", "清远市公安局清城分局", "Qingcheng Branch, Qingyuan Public Security Bureau"),
            ("samr", "清城区市场监督管理局", "Qingcheng Market Regulation Administration"),
            ("mca", "清城区民政局", "Qingcheng Civil Affairs Bureau"),
            ("housing", "清城区住房和城乡建设局", "Qingcheng Housing and Urban-Rural Development Bureau"),
            ("medical", "清城区医疗保障局", "Qingcheng Healthcare Security Bureau"),
        )),
    ),
    # seed 004: the window has been extended to every town and street of the district.
    JurisdictionSpec(
        code="qingcheng-fengcheng", name_zh="凤城街道", name_en="Fengcheng Subdistrict", level="street",
        parent="qingcheng", case_prefix="QCFC",
        centres=(CentreSpec("qingcheng-fengcheng-centre", "凤城街道便民服务中心", "Fengcheng Subdistrict Service Centre",
                            level="street",
                            windows=(WindowSpec("qingcheng-fengcheng-w1", "“办不成事”反映窗口", "'Couldn't get it done' window"),)),),
    ),
]


class Qingcheng(JurisdictionPlugin):
    """Qingcheng district and its street centres (seed 004)."""

    code = "qingcheng"

    # seed 004: the district centre, with the window extended to the towns and streets.
    @hookimpl
    def portal_jurisdictions(self):
        return JURISDICTIONS

    # seed 004: the centre is shared by the Hi-tech Zone and Qingcheng district.
    @hookimpl
    def portal_branding(self, jurisdiction):
        return Branding(title_zh="高新区、清城区政务服务中心 · “办不成事”反映窗口", title_en="Qingcheng: get it done",
                        colour="#00695c", phone="12345")

    # seed 004: cases arrive at the window, online and as 粤省心 / 12345 work orders.
    @hookimpl
    def portal_intake_channels(self, jurisdiction):
        return CHANNELS

    # seed 004: "not processed after applying online or offline, or came several times" is asked on the form.
    @hookimpl
    def portal_intake_form(self, jurisdiction, base):
        return intake_form(base)

    # seed 004: the seven steps, with pauses while the person's materials are awaited.
    @hookimpl
    def portal_workflow(self, jurisdiction):
        return WORKFLOW

    # seed 004: the four classes of problem and their handling.
    @hookimpl
    def portal_categories(self, jurisdiction):
        return CATEGORIES

    # seed 004: ordinary problems are handled on the spot (一般问题当场办).
    @hookimpl
    def portal_time_limit(self, jurisdiction, category, complexity, stage):
        if stage == "reply" and category == "ordinary":
            return TimeLimit(0, "Qingcheng: ordinary problems handled on the spot", "清城区：一般问题当场办",
                             source=ORDINARY_ON_THE_SPOT)
        return None

    # seed 004: Qingcheng (Qingyuan) is in Guangdong, whose 好差评 rules rate a reply 基本满意 when unrated for 7 calendar days (DOMAIN national rules).
    @hookimpl
    def portal_default_rating(self, jurisdiction):
        return GUANGDONG_DEFAULT_RATING

    # seed 004: hall window → back-office unit → centre coordinates → district-level coordination.
    @hookimpl
    def portal_escalation_tiers(self, jurisdiction):
        return TIERS


plugin = Qingcheng()
