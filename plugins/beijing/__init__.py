"""Beijing (北京市): jurisdiction plugin after seed 003.

Beijing's definition decides scope: the person met the service guide's conditions and
still could not get it done; matters involving law, litigation or petitions (涉法、涉诉、
涉访) and policy conflicts are screened out at intake. The districts add their own
practices: Dongcheng's six-step loop and fault-finding day, Xicheng's 悉心听 windows,
Chaoyang's 朝我说 channel.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, RadioField, SelectChoice
from wtforms.validators import DataRequired, NumberRange, Optional

from sqlalchemy import select

from portal.toolkit import (
    Branding,
    CentreSpec,
    Channel,
    DepartmentSpec,
    JurisdictionPlugin,
    JurisdictionSpec,
    RoleSpec,
    ScreeningResult,
    StateSpec,
    Tables,
    Vocabulary,
    WindowSpec,
    Workflow,
    clock_transitions,
    hookimpl,
    session,
    public_state,
    transition,
    working_calendar,
)

from .models import SupervisionRecord

STAFF = ("clerk", "handler", "supervisor")
# seed 003: Daxing "正式运行'首席代表跑工单'机制" (the chief representative runs the work order),
# an errand service on enterprises' matters. The report does not say which steps of a case the
# chief representative takes, so the role has the narrowest capability: it reads the work orders
# of its own department (read without read_all), the cases the department leads or co-handles.
DAXING_CHIEF_REP = RoleSpec("daxing_chief_rep", "首席代表（跑工单）", "Chief representative (runs work orders)",
                            frozenset({"read"}))
DESK = ("clerk", "supervisor")
OPEN = ("received", "transferred", "resolved", "verified", "rectifying")
RATABLE = ("replied", "visited", "closed")

# seed 003: Dongcheng's six steps 发现问题 → 汇总转办 → 限期解决 → 结果核查 → 监督检查 → 报送备案.
DONGCHENG_WORKFLOW = Workflow(
    name="beijing-dongcheng",
    initial="received",
    states=(
        StateSpec("received", "发现问题", "Problem found", stage="reply", **public_state("received")),
        StateSpec("transferred", "汇总转办", "Collected and transferred", stage="reply", **public_state("handling")),
        StateSpec("resolved", "限期解决（待核查）", "Resolved, awaiting verification", stage="reply", **public_state("checking")),
        StateSpec("verified", "结果已核查", "Result verified", stage="reply",
                  public_label_zh="办理中", public_label_en="Being handled",
                  public_explanation_zh="办理结果已核查，我们将尽快答复您。",
                  public_explanation_en="The result has been checked and you will be answered shortly."),
        StateSpec("rectifying", "差评核查整改", "Verifying and rectifying a bad rating", stage="rectify", next_step=False, **public_state("rectifying")),
        StateSpec("replied", "已答复", "Replied", **public_state("replied")),
        StateSpec("visited", "已回访", "Return visit done", **public_state("visited")),
        StateSpec("closed", "已办结", "Closed", done=True, **public_state("closed")),
        StateSpec("inspected", "监督检查", "Supervised and inspected", done=True, **public_state("closed")),
        StateSpec("referred", "已解释告知", "Explained and referred", done=True, next_step=False, **public_state("referred")),
        StateSpec("archived", "报送备案", "Reported and filed", terminal=True, done=True, **public_state("archived")),
    ),
    transitions=(
        transition("classify", OPEN, None, DESK, "分类", "Classify"),
        transition("assign", ("received", "transferred", "rectifying"), "transferred", DESK, "汇总转办", "Collect and transfer"),
        transition("resolve", ("transferred",), "resolved", STAFF, "限期解决", "Resolved within the deadline", needs_note=True),
        transition("verify", ("resolved",), "verified", DESK, "结果核查", "Verify the result", needs_note=True),
        transition("verify_failed", ("resolved",), "transferred", DESK, "核查未通过，退回重办", "Verification failed: send back", needs_note=True),
        transition("reply", ("verified",), "replied", STAFF, "答复群众", "Reply to the person", needs_note=True),
        transition("refer", ("received",), "referred", DESK, "解释并告知渠道", "Explain and refer", needs_note=True),
        transition("escalate", OPEN, None, STAFF + ("system",), "提级督办", "Escalate", needs_note=True),
        *clock_transitions(OPEN),
        transition("note", OPEN + RATABLE + ("inspected", "referred"), None, STAFF, "内部备注", "Internal note", needs_note=True),
        transition("rate", RATABLE, None, ("public",), "评价", "Rate"),
        transition("rate_bad", RATABLE, "rectifying", ("public",), "差评核查整改", "Bad rating: verify and rectify"),
        transition("return_visit", ("replied",), "visited", STAFF, "回访", "Record return visit"),
        transition("close", ("visited",), "closed", DESK, "办结", "Close"),
        transition("inspect", ("closed",), "inspected", ("supervisor",), "监督检查", "Supervise and inspect", needs_note=True),
        transition("archive", ("inspected", "referred"), "archived", ("supervisor", "admin"), "报送备案", "Report and file"),
    ),
    steps_zh=("发现问题", "汇总转办", "限期解决", "结果核查", "监督检查", "报送备案"),
    steps_en=("Find the problem", "Collect and transfer", "Resolve within the deadline", "Verify the result",
              "Supervise and inspect", "Report and file"),
)


@dataclass(frozen=True)
class ScreenRule:
    """One exclusion of seed 003: the form's answer or words in the text that trigger it."""

    code: str
    terms: tuple[str, ...]
    result: ScreeningResult


# seed 003: "不含涉法、涉诉、涉访及与当前政策法规不相符的问题" — with where each should go instead.
SCREEN_RULES = (
    ScreenRule("litigation", ("起诉", "诉讼", "打官司", "官司", "上诉", "仲裁", "强制执行", "立案庭"), ScreeningResult(
        "litigation",
        "该事项涉及诉讼或仲裁（涉诉），不属于反映“办不成事”窗口的受理范围。",
        "The matter involves litigation or arbitration, which this window does not take up.",
        "请向有管辖权的人民法院诉讼服务中心反映，或拨打12368诉讼服务热线；劳动人事争议可向劳动人事争议仲裁委员会申请仲裁。",
        "Go to the litigation service centre of the competent people's court or call 12368; labour disputes go to "
        "the labour dispute arbitration commission.")),
    ScreenRule("law", ("行政复议", "执法争议", "行政处罚决定"), ScreeningResult(
        "law",
        "该事项涉及法律争议或执法决定（涉法），应通过法定途径解决。",
        "The matter is a legal dispute or concerns an enforcement decision; it goes through the legal channels.",
        "请通过行政复议等法定途径办理，可拨打12348公共法律服务热线咨询。",
        "Use administrative reconsideration or the other legal channels; the 12348 public legal service line advises.")),
    ScreenRule("petition", ("信访", "上访"), ScreeningResult(
        "petition",
        "该事项属于信访事项（涉访），不属于本窗口受理范围。",
        "The matter is a petition (xinfang), which this window does not take up.",
        "请向北京市或所在区的信访部门反映，也可通过国家信访局网上信访渠道提出。",
        "Go to the petitions office of Beijing or your district, or use the National Public Complaints online channel.")),
    ScreenRule("policy", ("政策不允许", "不符合现行政策", "不符合当前政策", "政策规定不能"), ScreeningResult(
        "policy",
        "该诉求与当前政策法规不相符，不属于反映“办不成事”窗口的受理范围。",
        "The request conflicts with current policy or regulations, which this window does not take up.",
        "政策意见建议可拨打12345市民服务热线反映，或向政策制定部门提出。",
        "Policy suggestions go to the 12345 citizen hotline or to the department that made the policy.")),
)
_NEGATIONS = ("未", "没有", "没", "不涉及", "无", "并非", "不是")
_CLAUSE_BREAK = re.compile(r"[，。；！？、,.;!?\s]")


def _mentions(text: str, term: str) -> bool:
    """The term occurs in the text and is not negated in its own clause ("未起诉" is not a lawsuit)."""
    for m in re.finditer(re.escape(term), text):
        before = _CLAUSE_BREAK.split(text[max(0, m.start() - 6):m.start()])[-1]
        if not any(neg in before for neg in _NEGATIONS):
            return True
    return False


def screen(matter: str, description: str, data: dict) -> ScreeningResult | None:
    """Seed 003's exclusions: the person's own answer first, then the words of the matter."""
    by_code = {r.code: r for r in SCREEN_RULES}
    answered = (data or {}).get("involves")
    if answered in by_code:
        return by_code[answered].result
    text = f"{matter}\n{description}"
    for rule in SCREEN_RULES:
        if any(_mentions(text, term) for term in rule.terms):
            return rule.result
    return None


INVOLVES = [
    SelectChoice("none", _l("None of these")),
    SelectChoice("litigation", _l("A court case or an arbitration")),
    SelectChoice("law", _l("A legal dispute, reconsideration or enforcement decision")),
    SelectChoice("petition", _l("A petition (xinfang)")),
    SelectChoice("policy", _l("Something current policy does not allow")),
]


@cache
def intake_form(base):
    """The base form plus Beijing's declaration that the guide's conditions were met (seed 003)."""

    class BeijingIntakeForm(base):
        met_conditions = BooleanField(
            _l("I met the conditions and brought the materials listed in the service guide, and still could not get it done"),
            validators=[DataRequired(_l("This window takes matters where the service guide's conditions were met; "
                                        "please confirm this."))])
        involves = RadioField(_l("Does the matter involve any of these?"), choices=INVOLVES, default="none",
                              validators=[DataRequired(_l("Choose one answer."))])
        visits = IntegerField(_l("How many times did you come about it? (optional)"),
                              validators=[Optional(), NumberRange(min=1, max=99, message=_l("Enter a number from 1 to 99."))])

    return BeijingIntakeForm


def _departments(prefix, district_zh, district_en, police_zh):
    """The bureaus a Beijing district window transfers to (names follow the districts' own)."""
    return tuple(DepartmentSpec(f"{prefix}-{code}", zh, en) for code, zh, en in (
        ("zwj", f"{district_zh}政务服务和数据管理局", f"{district_en} Government Service and Data Administration"),
        ("hrss", f"{district_zh}人力资源和社会保障局", f"{district_en} Human Resources and Social Security Bureau"),
        ("psb", police_zh, f"{district_en} Branch, Beijing Public Security Bureau"),
        ("tax", f"国家税务总局北京市{district_zh}税务局", f"{district_en} Taxation Bureau, STA"),
        ("samr", f"{district_zh}市场监督管理局", f"{district_en} Market Regulation Administration"),
        ("mca", f"{district_zh}民政局", f"{district_en} Civil Affairs Bureau"),
        ("housing", f"{district_zh}住房和城乡建设委员会", f"{district_en} Housing and Urban-Rural Development Commission"),
        ("medical", f"{district_zh}医疗保障局", f"{district_en} Healthcare Security Bureau"),
    ))


def _centre(code, zh, en, *windows, level="district"):
    return CentreSpec(code, zh, en, level=level,
                      windows=tuple(WindowSpec(f"{code}-w{i}", wz, we) for i, (wz, we) in enumerate(windows, 1)))


REFLECTION_WINDOW = ("反映“办不成事”窗口", "'Couldn't get it done' reflection window")
XIXINTING_WINDOW = ("12号“悉心听”窗口", "Window 12, 'Listening closely' (Xixin Ting)")


def _district(slug, zh, en, prefix, centres):
    return JurisdictionSpec(code=f"beijing-{slug}", name_zh=zh, name_en=en, level="district", parent="beijing",
                            case_prefix=prefix, centres=centres,
                            departments=_departments(prefix.lower(), zh, en, f"北京市公安局{zh[:-1]}分局"))


JURISDICTIONS = [
    JurisdictionSpec(
        code="beijing", name_zh="北京市", name_en="Beijing", level="city", case_prefix="BJ",
        centres=(_centre("beijing-centre", "北京市政务服务中心", "Beijing Municipal Government Service Centre",
                         REFLECTION_WINDOW, level="city"),),
        departments=tuple(DepartmentSpec(f"bj-{code}", zh, en) for code, zh, en in (
            ("zwj", "北京市政务服务和数据管理局", "Beijing Municipal Government Service and Data Administration"),
            ("hrss", "北京市人力资源和社会保障局", "Beijing Municipal Human Resources and Social Security Bureau"),
            ("psb", "北京市公安局", "Beijing Municipal Public Security Bureau"),
            ("tax", "国家税务总局北京市税务局", "Beijing Taxation Bureau, STA"),
            ("samr", "北京市市场监督管理局", "Beijing Municipal Administration for Market Regulation"),
            ("mca", "北京市民政局", "Beijing Municipal Civil Affairs Bureau"),
            ("realestate", "北京市规划和自然资源委员会（不动产登记）", "Beijing Planning and Natural Resources Commission (real estate registration)"),
            ("medical", "北京市医疗保障局", "Beijing Municipal Healthcare Security Administration"),
        )),
    ),
    # seed 003: Dongcheng's window on the ground-floor service desk, its 58 comprehensive windows collect too.
    _district("dongcheng", "东城区", "Dongcheng District", "BJDC", (
        _centre("beijing-dongcheng-centre", "东城区政务服务中心", "Dongcheng District Government Service Centre",
                ("一层服务台反映“办不成事”窗口", "Ground-floor service desk reflection window")),)),
    # seed 003: Xicheng's 悉心听 window no. 12 in the district hall and in street halls (24 in all).
    _district("xicheng", "西城区", "Xicheng District", "BJXC", (
        _centre("beijing-xicheng-centre", "西城区政务服务中心", "Xicheng District Government Service Centre",
                XIXINTING_WINDOW),
        _centre("beijing-xicheng-zhanlanlu", "展览路街道市民服务中心", "Zhanlanlu Subdistrict Citizen Service Centre",
                ("“悉心听”窗口", "'Listening closely' (Xixin Ting) window"), level="street"))),
    # seed 003: Chaoyang's 朝我说 service zone takes problems on site and online.
    _district("chaoyang", "朝阳区", "Chaoyang District", "BJCY", (
        _centre("beijing-chaoyang-centre", "朝阳区政务服务中心", "Chaoyang District Government Service Centre",
                ("“朝我说”服务专区", "'Tell Chaoyang' (Chao wo shuo) service zone")),)),
    _district("daxing", "大兴区", "Daxing District", "BJDX", (
        _centre("beijing-daxing-centre", "大兴区政务服务中心", "Daxing District Government Service Centre",
                REFLECTION_WINDOW),)),
    _district("pinggu", "平谷区", "Pinggu District", "BJPG", (
        _centre("beijing-pinggu-centre", "平谷区政务服务中心", "Pinggu District Government Service Centre",
                REFLECTION_WINDOW),)),
]

CORE_LIKE_CHANNELS = (
    Channel("window", "窗口现场", "At the window"),
    Channel("online", "网上提交", "Online"),
    Channel("phone", "投诉电话", "Complaint phone"),
    Channel("rating", "好差评系统", "Good/bad rating system"),
    Channel("hotline", "12345热线", "12345 hotline"),
)
DISTRICT_CHANNELS = {
    # seed 003: Dongcheng's comprehensive windows collect cases, and the fault-finding day finds them.
    "beijing-dongcheng": CORE_LIKE_CHANNELS + (
        Channel("comprehensive_window", "综合窗口代收", "Collected at a comprehensive window"),
        Channel("fault_finding", "“找茬日”发现", "Found on a fault-finding day"),
    ),
    # seed 003: Xicheng's window is the 悉心听 window.
    "beijing-xicheng": (Channel("window", "“悉心听”窗口", "'Listening closely' window"),) + CORE_LIKE_CHANNELS[1:],
    # seed 003: Chaoyang's online channel is 朝我说.
    "beijing-chaoyang": (CORE_LIKE_CHANNELS[0], Channel("online", "“朝我说”线上渠道", "'Tell Chaoyang' online")) + CORE_LIKE_CHANNELS[2:],
}


class Beijing(JurisdictionPlugin):
    """Beijing and five of its districts (seed 003)."""

    code = "beijing"

    # seed 003: the monthly fault-finding days are Beijing's own record.
    @hookimpl
    def portal_tables(self):
        return Tables(models=(SupervisionRecord,), migrations=self.migrations_folder(__file__))

    # seed 003: the monthly fault-finding day (找茬日) is recorded by the supervisor and read by staff.
    @hookimpl
    def portal_staff_pages(self):
        from .staff_pages import pages

        return pages

    # seed 003: Daxing's chief representatives run the work orders (a role that reads, see DAXING_CHIEF_REP).
    @hookimpl
    def portal_vocabulary(self, jurisdiction):
        return Vocabulary(roles=(DAXING_CHIEF_REP,)) if jurisdiction == "beijing-daxing" else None

    # seed 003: the city and the districts the report names (Dongcheng, Xicheng, Chaoyang, Daxing, Pinggu).
    @hookimpl
    def portal_jurisdictions(self):
        return JURISDICTIONS

    # seed 003: Xicheng calls its window 悉心听 ("疏堵管家 倾听意见"); Chaoyang has its 朝我说 zone.
    @hookimpl
    def portal_branding(self, jurisdiction):
        if jurisdiction == "beijing-xicheng":
            return Branding(title_zh="西城区 · “悉心听”", title_en="Xicheng: listening closely",
                            window_name_zh="“悉心听”窗口", window_name_en="'Listening closely' window",
                            colour="#6a1b9a", phone="12345")
        if jurisdiction == "beijing-chaoyang":
            return Branding(title_zh="朝阳区 · “朝我说”", title_en="Chaoyang: tell us",
                            window_name_zh="“朝我说”服务专区", window_name_en="'Tell Chaoyang' service zone",
                            colour="#c62828", phone="12345")
        return Branding(title_zh="北京市反映“办不成事”窗口", title_en="Beijing: get it done", colour="#c62828",
                        phone="12345")

    # seed 003: the intake page states the definition and the exclusions before the form.
    @hookimpl
    def portal_template_folder(self, jurisdiction):
        return self.templates_folder(__file__)

    # seed 003: only matters where the guide's conditions and materials were met belong here.
    @hookimpl
    def portal_intake_form(self, jurisdiction, base):
        return intake_form(base)

    # seed 003: district channels (Dongcheng collecting windows and fault-finding, Xicheng 悉心听, Chaoyang 朝我说).
    @hookimpl
    def portal_intake_channels(self, jurisdiction):
        return DISTRICT_CHANNELS.get(jurisdiction)

    # seed 003: 涉法、涉诉、涉访 and policy conflicts are outside the window's scope.
    @hookimpl
    def portal_screen_case(self, jurisdiction, matter, description, data):
        return screen(matter, description, data)

    # seed 003: Dongcheng's six-step closed loop with its verification step.
    @hookimpl
    def portal_workflow(self, jurisdiction):
        return DONGCHENG_WORKFLOW if jurisdiction == "beijing-dongcheng" else None


FAULT_FINDING = "fault_finding_day"


def pick_fault_finding_day(jurisdiction, year: int, month: int, rng: random.Random | None = None) -> date:
    """A random working day of the month for the fault-finding team (seed 003: 随机选择一天)."""
    cal = working_calendar(jurisdiction)
    day, days = date(year, month, 1), []
    while day.month == month:
        if cal.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return (rng or random.SystemRandom()).choice(days)


def record_fault_finding_day(jurisdiction, held_on: date, *, team: str, findings: str,
                             windows_checked: int) -> SupervisionRecord:
    """Record the month's fault-finding day (找茬日, seed 003): one a month, every window walked."""
    if not plugin.owns(jurisdiction.code):
        raise ValueError(f"{jurisdiction.code} is not a Beijing jurisdiction")
    if not team.strip() or windows_checked < 1:
        raise ValueError("a fault-finding day needs its team and the number of windows checked")
    first = held_on.replace(day=1)
    after = (first + timedelta(days=32)).replace(day=1)
    taken = session().scalar(select(SupervisionRecord.id).where(
        SupervisionRecord.jurisdiction_id == jurisdiction.id, SupervisionRecord.kind == FAULT_FINDING,
        SupervisionRecord.held_on >= first, SupervisionRecord.held_on < after))
    if taken is not None:
        raise ValueError(f"{jurisdiction.code} already had its fault-finding day in {first:%Y-%m}")
    record = SupervisionRecord(jurisdiction_id=jurisdiction.id, kind=FAULT_FINDING, held_on=held_on,
                               team=team.strip(), findings=findings.strip(), windows_checked=windows_checked)
    session().add(record)
    session().commit()
    return record


plugin = Beijing()
