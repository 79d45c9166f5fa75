"""Xuanwu District, Nanjing (南京市玄武区): jurisdiction plugin after seed 001.

Xuanwu sorts every matter into four types with their own handling, settles the
"not yet" ones in a joint meeting (一事一议) led by the administrative approval bureau,
registers cases on its 事项登记表 and holds staff and departments to account.
"""
from __future__ import annotations

import re
from functools import cache

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, StopValidation, ValidationError

from portal.toolkit import (
    AccountabilityOutcome,
    Branding,
    Category,
    CentreSpec,
    Channel,
    DepartmentSpec,
    JurisdictionPlugin,
    JurisdictionSpec,
    RuleSource,
    StateSpec,
    Tables,
    TimeLimit,
    WindowSpec,
    Workflow,
    clock_transitions,
    hookimpl,
    record_accountability,
    session,
    public_state,
    transition,
)

from .actions import ACTIONS
from .models import CaseMeeting
from .panels import meeting_panel

STAFF = ("clerk", "handler", "supervisor")
DESK = ("clerk", "supervisor")
OPEN = ("received", "assigned", "deliberated", "rectifying")
RATABLE = ("replied", "visited", "closed")

# seed 001: registration → coordination (joint meeting for "not yet" matters) → reply → archive.
WORKFLOW = Workflow(
    name="xuanwu",
    initial="received",
    states=(
        StateSpec("received", "登记受理", "Registered", stage="reply", **public_state("received")),
        StateSpec("assigned", "协调处理", "Being coordinated", stage="reply", **public_state("handling")),
        StateSpec("deliberated", "已“一事一议”", "Decided in a joint meeting", stage="reply",
                  public_label_zh="已协调议定", public_label_en="Decided by the departments",
                  public_explanation_zh="有关部门已召开联席会议研究您的诉求，将按议定意见答复您。",
                  public_explanation_en="The departments concerned have met about your case and will answer you as they decided."),
        StateSpec("rectifying", "差评核查整改", "Verifying and rectifying a bad rating", stage="rectify", next_step=False, **public_state("rectifying")),
        StateSpec("replied", "已答复", "Replied", **public_state("replied")),
        StateSpec("visited", "已回访", "Return visit done", **public_state("visited")),
        StateSpec("closed", "已办结", "Closed", done=True, **public_state("closed")),
        StateSpec("referred", "已解释说明", "Explained", done=True, next_step=False, **public_state("referred")),
        StateSpec("archived", "已归档", "Archived", terminal=True, done=True, **public_state("archived")),
    ),
    transitions=(
        transition("classify", OPEN, None, DESK, "区分类型", "Classify the type"),
        transition("assign", ("received", "assigned", "rectifying"), "assigned", DESK, "协调相关部门", "Assign to a department"),
        transition("joint_meeting", ("received", "assigned"), "deliberated", DESK,
                   "召开联席会议“一事一议”", "Hold a joint meeting (one case, one discussion)"),
        transition("investigate", OPEN, None, ("supervisor",), "查明责任", "Investigate responsibility", needs_note=True,
                   public=False),  # seed 001: holding staff to account is the window's internal step
        transition("reply", OPEN, "replied", STAFF, "答复群众", "Reply to the person", needs_note=True),
        transition("refer", ("received",), "referred", DESK, "解释政策、告知途径", "Explain and tell the way", needs_note=True),
        transition("escalate", OPEN, None, STAFF + ("system",), "提级督办", "Escalate", needs_note=True),
        *clock_transitions(OPEN),
        transition("note", OPEN + RATABLE + ("referred",), None, STAFF, "内部备注", "Internal note", needs_note=True),
        transition("rate", RATABLE, None, ("public",), "评价", "Rate"),
        transition("rate_bad", RATABLE, "rectifying", ("public",), "差评核查整改", "Bad rating: verify and rectify"),
        transition("return_visit", ("replied",), "visited", STAFF, "回访", "Record return visit"),
        transition("close", ("visited",), "closed", DESK, "办结", "Close"),
        transition("archive", ("closed", "referred"), "archived", ("supervisor", "admin"), "归档", "Archive"),
    ),
    steps_zh=("登记", "分类", "协调处理", "答复", "回访", "归档"),
    steps_en=("Register", "Classify", "Coordinate", "Reply", "Return visit", "Archive"),
)

# seed 001: the four types 不能办 / 不好办 / 不给办 / 暂时办不了, each with its own handling.
CATEGORIES = (
    Category("cannot", "不能办", "Cannot be done",
             "缺乏法律法规和政策依据的，耐心解释政策要求，告知无法办理；缺少关键性材料的，告知获取材料的途径或方式。",
             "No legal or policy basis: explain and say it cannot be done. Key material missing: tell how to obtain it.",
             "经核实，该事项缺乏法律法规和政策依据，暂无法办理；如缺少关键材料，可通过以下途径获取：",
             "This matter has no legal or policy basis and cannot be done; missing key materials can be obtained as follows:"),
    Category("hard", "不好办", "Hard to do",
             "缺少非关键性材料的，现场与部门沟通，通过容缺受理、告知承诺、远程连线、数据共享、视频验证等方式办理。",
             "Non-key material missing: agree with the department on acceptance with deficiencies, notification and "
             "commitment, remote video, data sharing.",
             "已通过容缺受理（或告知承诺、视频验证）方式为您办理，请在约定时间内补齐材料。",
             "It has been accepted with deficiencies (or by commitment / video check); please complete the materials in time."),
    Category("refused", "不给办", "Refused by staff",
             "因工作人员业务不熟、流程不优或态度不好未办成的，查明责任，取消评优资格、扣发奖金。",
             "Caused by unfamiliar staff, a poor process or attitude: establish responsibility; no awards, bonus deducted.",
             "经查，该事项因工作人员原因未能办理，现已为您办理，并已对相关人员作出处理。",
             "It was not done because of our staff; it has now been done and the staff member has been dealt with."),
    Category("not_yet", "暂时办不了", "Cannot be done yet",
             "职责不清、管辖争议或历史原因造成的，由区行政审批局牵头召开联席会议“一事一议”；原则上3个工作日内答复，特别复杂事项5个工作日内答复。",
             "Unclear duties, jurisdiction disputes or history: a joint meeting led by the administrative approval bureau; "
             "reply within 3 working days, 5 for especially complex matters.",
             "区行政审批局牵头召开联席会议“一事一议”，议定意见如下：",
             "A joint meeting led by the administrative approval bureau decided as follows:"),
)

#: The "not yet" type, the only one seed 001 gives a time limit (its joint meeting's reply).
NOT_YET = "not_yet"
# seed 001: “暂时办不了”的事项事后议，“一事一议”促解决 ... 原则上3个工作日内给予答复，特别复杂事项5个工作日内给予答复.
_JOINT_MEETING = ("玄武区“办不成事”反映窗口：“暂时办不了”的事项“一事一议”（区行政审批局牵头召开联席会议）",
                  "Xuanwu 'couldn't get it done' window: 'not yet' matters settled one case, one discussion "
                  "(joint meeting led by the district administrative approval bureau)")
JOINT_MEETING_IN_PRINCIPLE = RuleSource(*_JOINT_MEETING, "原则上3个工作日内给予答复",
                                        "a reply within 3 working days in principle")
JOINT_MEETING_COMPLEX = RuleSource(*_JOINT_MEETING, "特别复杂事项5个工作日内给予答复",
                                   "especially complex matters: a reply within 5 working days")

# seed 001: besides the window, opinions come through 好差评, the complaint phone and the comment book.
CHANNELS = (
    Channel("window", "窗口现场", "At the window"),
    Channel("rating", "“好差评”系统", "Good/bad rating system"),
    Channel("phone", "监督投诉电话", "Supervision and complaint phone"),
    Channel("comment_book", "意见留言簿", "Comment book"),
    Channel("online", "网上提交", "Online (this portal)"),
)

DEPARTMENT_KINDS = ("non_cooperation", "overrun")
#: seed 001 says only "相应扣分" (a corresponding deduction); the amount is the district's setting.
DEPARTMENT_DEDUCTION_POINTS = 1

# Unified social credit code (GB 32100-2015): 18 characters, the last a checksum.
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_RE = re.compile(r"^[0-9A-HJ-NP-RTUWXY]{18}$")


def valid_credit_code(code: str) -> bool:
    code = (code or "").strip().upper()
    if not _CREDIT_RE.match(code):
        return False
    total = sum(_CREDIT_ALPHABET.index(c) * w for c, w in zip(code[:17], _CREDIT_WEIGHTS))
    return _CREDIT_ALPHABET[(31 - total % 31) % 31] == code[17]


def _needed_for_company(message):
    """Required when the applicant is a company; otherwise an empty field ends validation."""

    def check(form, field):
        if (field.data or "").strip():
            return
        if form.applicant_type.data == "company":
            raise StopValidation(message)
        raise StopValidation()

    return check


def _credit_code(form, field):
    if not valid_credit_code(field.data):
        raise ValidationError(_l("This is not a valid 18-character unified social credit code."))


@cache
def registration_form(base):
    """The 事项登记表 (seed 001) as the base intake form plus Xuanwu's fields."""

    class XuanwuRegistrationForm(base):
        applicant_type = RadioField(
            _l("Who is applying?"),
            choices=[SelectChoice("person", _l("An individual")),
                     SelectChoice("company", _l("A company or organisation"))],
            validators=[DataRequired(_l("Say whether you come as an individual or for a company."))])
        company_name = StringField(
            _l("Company or organisation name"),
            validators=[_needed_for_company(_l("Enter the company's name.")), Length(max=120)])
        credit_code = StringField(
            _l("Unified social credit code"),
            validators=[_needed_for_company(_l("Enter the company's unified social credit code.")), _credit_code])
        first_window = StringField(
            _l("Window or staff member who first received you (if you know)"),
            validators=[Length(max=80)],
            description=_l("Under first-contact responsibility they stay responsible and keep helping."))
        reason_given = TextAreaField(
            _l("What reason were you given for not getting it done?"),
            validators=[DataRequired(_l("Tell us what you were told at the window.")), Length(max=1000)])
        wish = TextAreaField(
            _l("What would you like us to do?"),
            validators=[DataRequired(_l("Tell us what you would like us to do.")), Length(max=1000)])

    return XuanwuRegistrationForm


def _departments(items):
    return tuple(DepartmentSpec(f"xw-{code}", zh, en) for code, zh, en in items)


def _window(code, zh, en, centre_level="district"):
    return CentreSpec(f"xuanwu-{code}", zh, en, level=centre_level,
                      windows=(WindowSpec(f"xuanwu-{code}-w1", "“办不成事”反映窗口", "'Couldn't get it done' window"),))


JURISDICTIONS = [
    JurisdictionSpec(
        code="xuanwu", name_zh="南京市玄武区", name_en="Xuanwu District, Nanjing", level="district",
        case_prefix="XW",
        # seed 001: the main centre plus four sub-centres (HR & social security, police, tax, marriage).
        centres=(
            _window("centre", "玄武区政务服务中心", "Xuanwu District Government Service Centre"),
            _window("hrss", "玄武区政务服务中心人社分中心", "Xuanwu HR and Social Security Sub-centre"),
            _window("police", "玄武区政务服务中心公安分中心", "Xuanwu Police Sub-centre"),
            _window("tax", "玄武区政务服务中心税务分中心", "Xuanwu Tax Sub-centre"),
            _window("marriage", "玄武区婚姻登记分中心", "Xuanwu Marriage Registration Sub-centre"),
        ),
        departments=_departments((
            ("approval", "玄武区行政审批局", "Xuanwu Administrative Approval Bureau"),
            ("hrss", "玄武区人力资源和社会保障局", "Xuanwu Human Resources and Social Security Bureau"),
            ("psb", "南京市公安局玄武分局", "Xuanwu Branch, Nanjing Public Security Bureau"),
            ("tax", "国家税务总局南京市玄武区税务局", "Xuanwu Taxation Bureau, STA"),
            ("mca", "玄武区民政局", "Xuanwu Civil Affairs Bureau"),
            ("samr", "玄武区市场监督管理局", "Xuanwu Market Regulation Administration"),
            ("housing", "玄武区住房和城乡建设局", "Xuanwu Housing and Urban-Rural Development Bureau"),
            ("medical", "玄武区医疗保障局", "Xuanwu Healthcare Security Bureau"),
        )),
    ),
    # seed 001: the window reaches every street's service centre.
    JurisdictionSpec(code="xuanwu-xinjiekou", name_zh="新街口街道", name_en="Xinjiekou Subdistrict", level="street",
                     parent="xuanwu", case_prefix="XWXJK",
                     centres=(_window("xinjiekou", "新街口街道便民服务中心", "Xinjiekou Subdistrict Service Centre", "street"),)),
    JurisdictionSpec(code="xuanwu-xiaolingwei", name_zh="孝陵卫街道", name_en="Xiaolingwei Subdistrict", level="street",
                     parent="xuanwu", case_prefix="XWXLW",
                     centres=(_window("xiaolingwei", "孝陵卫街道便民服务中心", "Xiaolingwei Subdistrict Service Centre", "street"),)),
]


class Xuanwu(JurisdictionPlugin):
    """Xuanwu district and its street centres (seed 001)."""

    code = "xuanwu"

    # seed 001: the joint meetings on a case (一事一议) are Xuanwu's own record.
    @hookimpl
    def portal_tables(self):
        return Tables(models=(CaseMeeting,), migrations=self.migrations_folder(__file__))

    # seed 001: district centre, four sub-centres and the street centres.
    @hookimpl
    def portal_jurisdictions(self):
        return JURISDICTIONS

    # seed 001: "满意玄武" — the district's slogan for its government services.
    @hookimpl
    def portal_branding(self, jurisdiction):
        return Branding(title_zh="满意玄武 · 反映“办不成事”", title_en="Xuanwu: get it done",
                        window_name_zh="“办不成事”反映窗口", colour="#2e7d32", phone="12345")

    # seed 001: the registration form (事项登记表) page explains the four types and first-contact responsibility.
    @hookimpl
    def portal_template_folder(self, jurisdiction):
        return self.templates_folder(__file__)

    # seed 001: every matter is entered on the 事项登记表.
    @hookimpl
    def portal_intake_form(self, jurisdiction, base):
        return registration_form(base)

    # seed 001: window, 好差评 system, complaint phone and comment book.
    @hookimpl
    def portal_intake_channels(self, jurisdiction):
        return CHANNELS

    # seed 001: the joint meeting 一事一议 is a step of its own for "not yet" matters.
    @hookimpl
    def portal_workflow(self, jurisdiction):
        return WORKFLOW

    # seed 001: the joint meeting is led by the approval bureau; 不给办 is investigated and held to account.
    @hookimpl
    def portal_actions(self, jurisdiction):
        return ACTIONS

    # seed 001: the joint meetings (一事一议) held on a case are shown with it to the staff.
    @hookimpl
    def portal_case_panels(self, jurisdiction, case):
        return meeting_panel(case)

    # seed 001: the four types and their handling.
    @hookimpl
    def portal_categories(self, jurisdiction):
        return CATEGORIES

    # The other three types (and a case not yet classified) get the portal's default setting.
    # seed 001: only "not yet" matters (暂时办不了, joint meeting) get a reply in 3 working days, 5 if especially complex.
    @hookimpl
    def portal_time_limit(self, jurisdiction, category, complexity, stage):
        if stage != "reply" or category != NOT_YET:
            return None
        if complexity == "especially_complex":
            return TimeLimit(5, "Xuanwu: especially complex matters answered within 5 working days",
                             "玄武区：特别复杂事项5个工作日内给予答复", source=JOINT_MEETING_COMPLEX)
        return TimeLimit(3, "Xuanwu: answered within 3 working days in principle",
                         "玄武区：原则上3个工作日内给予答复", source=JOINT_MEETING_IN_PRINCIPLE)

    # seed 001: attitude failures 1st/2nd talk + bonus deduction, 3rd dismissal; departments lose assessment points.
    @hookimpl
    def portal_accountability_outcome(self, jurisdiction, kind, occurrence):
        if kind == "attitude" and occurrence >= 3:
            return AccountabilityOutcome(kind, occurrence, "第三次因服务态度导致办事未成功：予以辞退（建议）",
                                         "Third attitude failure: dismissal recommended")
        if kind == "attitude":
            return AccountabilityOutcome(kind, occurrence, "谈话提醒，扣发奖金",
                                         "A warning talk and a bonus deduction")
        if kind == "refusal":
            return AccountabilityOutcome(kind, occurrence, "取消评优资格，扣发奖金",
                                         "No awards this year and a bonus deduction")
        if kind in DEPARTMENT_KINDS:
            return AccountabilityOutcome(kind, occurrence, "年底“放管服”考核相应扣分",
                                         "Points deducted in the year-end assessment",
                                         points=DEPARTMENT_DEDUCTION_POINTS)
        return None

    # seed 001: a department that overruns the time limit loses points; the sweep's overdue flag is the overrun.
    @hookimpl
    def portal_case_transitioned(self, jurisdiction, case, event):
        if event.action == "flag_overdue" and case.lead_department is not None:
            _record_overrun(case, event.at)


def _record_overrun(case, at):
    """The n-th overrun of the lead department, with its deduction (seed 001), counted like every
    accountability record (per department and kind), recorded by the system."""
    record_accountability("overrun", staff=None, department=case.lead_department, case=case, note="",
                          by=None, now=at)
    session().commit()


plugin = Xuanwu()
