"""Dazhou (达州市), Sichuan: jurisdiction plugin after seed 002 (a report in Traditional characters).

Dazhou's window is a 受理 ("accepting") window: the person fills a problem request form
(问题诉求单), staff record and check it and pass it at once to the department, with hard
limits (simple at once, general 3, complex 5 working days) and chief representatives
taking turns at the window.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from itertools import cycle

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from sqlalchemy import delete, select

from portal.toolkit import (
    Branding,
    Category,
    CentreSpec,
    Channel,
    DepartmentSpec,
    JurisdictionPlugin,
    JurisdictionSpec,
    RoleSpec,
    RuleSource,
    StateSpec,
    Tables,
    TimeLimit,
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

from .models import RotaEntry

STAFF = ("clerk", "handler", "supervisor")
# seed 002: Dazhou "实行窗口首席代表轮值制度" (window chief representatives take turns at the window).
# The report does not say what a chief representative may do on a case, so the role takes no
# step; on duty at the window it meets every matter brought there, whatever the department, so it
# reads all the cases (and the rota) of its jurisdiction (read_all), not one department's.
CHIEF_REP = RoleSpec("dazhou_chief_rep", "窗口首席代表", "Window chief representative",
                     frozenset({"read", "read_all"}))
DESK = ("clerk", "supervisor")
OPEN = ("received", "investigated", "assigned", "rectifying")
RATABLE = ("replied", "visited", "closed")

# seed 002: fill the form → record and investigate → transfer to the department → track until done → feed back.
WORKFLOW = Workflow(
    name="dazhou",
    initial="received",
    states=(
        StateSpec("received", "登记诉求", "Request recorded", stage="reply", **public_state("received")),
        StateSpec("investigated", "调查核实", "Investigated", stage="reply",
                  public_label_zh="核实中", public_label_en="Being checked",
                  public_explanation_zh="工作人员正在调查核实您反映的问题，核实后转有关部门办理。",
                  public_explanation_en="Staff are checking what you reported and will then pass it to the department concerned."),
        StateSpec("assigned", "转办督办", "Transferred and tracked", stage="reply", **public_state("handling")),
        StateSpec("rectifying", "差评核查整改", "Verifying and rectifying a bad rating", stage="rectify", next_step=False, **public_state("rectifying")),
        StateSpec("replied", "已反馈", "Feedback given", **public_state("replied")),
        StateSpec("visited", "已回访", "Return visit done", **public_state("visited")),
        StateSpec("closed", "已办结", "Closed", done=True, **public_state("closed")),
        StateSpec("referred", "已解释疏导", "Explained", done=True, next_step=False, **public_state("referred")),
        StateSpec("archived", "已归档", "Archived", terminal=True, done=True, **public_state("archived")),
    ),
    transitions=(
        transition("classify", OPEN, None, DESK, "分类施策", "Classify"),
        transition("investigate", ("received",), "investigated", DESK, "调查核实", "Investigate and verify", needs_note=True),
        transition("assign", OPEN, "assigned", DESK, "转至部门跟踪督办", "Transfer to the department and track"),
        # seed 002: 还要向群众说明理由和办理进度 — the note is written for the person.
        transition("progress", OPEN, None, STAFF, "向群众说明理由和办理进度", "Tell the person the reasons and progress",
                   needs_note=True, public=True, public_note=True),
        transition("reply", OPEN, "replied", STAFF, "整改反馈", "Feed back to the person", needs_note=True),
        transition("refer", ("received", "investigated"), "referred", DESK, "解释疏导", "Explain (against policy)", needs_note=True),
        transition("escalate", OPEN, None, STAFF + ("system",), "提级督办", "Escalate", needs_note=True),
        *clock_transitions(OPEN),
        transition("note", OPEN + RATABLE + ("referred",), None, STAFF, "内部备注", "Internal note", needs_note=True),
        transition("rate", RATABLE, None, ("public",), "评价", "Rate"),
        transition("rate_bad", RATABLE, "rectifying", ("public",), "差评核查整改", "Bad rating: verify and rectify"),
        transition("return_visit", ("replied",), "visited", STAFF, "回访", "Record return visit"),
        transition("close", ("visited",), "closed", DESK, "办结", "Close"),
        transition("archive", ("closed", "referred"), "archived", ("supervisor", "admin"), "归档", "Archive"),
    ),
    steps_zh=("填写问题诉求单", "记录核实", "转办督办", "说明进度", "反馈办结"),
    steps_en=("Fill in the request form", "Record and verify", "Transfer and track", "Report progress", "Feed back and close"),
)

# seed 002: the causes the window names and what it does about each (分类施策).
CATEGORIES = (
    Category("policy", "违反政策规定", "Against policy",
             "做好解释疏导工作。", "Explain the policy so the person understands.",
             "经核实，该诉求不符合政策规定，具体说明如下：", "The request is not allowed by the policy; the explanation:"),
    Category("key_material", "缺少关键材料且无法补办", "Key material missing and cannot be re-issued",
             "加强与有关部门沟通协调，看能否通过容缺受理等方式解决。",
             "Work with the department on accepting with deficiencies or another way.",
             "经与有关部门协调，已通过容缺受理方式为您办理。", "After coordination it was accepted with deficiencies."),
    Category("multi_dept", "涉及多个部门、权责不清", "Several departments, unclear duties",
             "牵头联系相关部门一起研究解决办法。", "Bring the departments together to find a solution.",
             "已牵头相关部门共同研究，解决办法如下：", "The departments studied it together; the solution:"),
    Category("pushing", "工作人员相互推诿或不给办", "Staff pushing it around or refusing",
             "及时监督问责。", "Supervise and hold the staff to account at once.",
             "已督促窗口立即办理，并对相关人员进行问责。", "The window has been made to do it, and the staff held to account."),
    Category("process_question", "咨询办事流程", "Question about the procedure",
             "当场解答，一次性告知。", "Answer on the spot, telling everything at once.",
             "办理该事项需要的材料和流程如下：", "The materials and steps needed are:"),
)

# seed 002: problems are brought to the window on the request form; the portal's own form counts as online.
CHANNELS = (
    Channel("window", "窗口填写问题诉求单", "Request form at the window"),
    Channel("online", "网上提交", "Online"),
    Channel("hotline", "12345热线", "12345 hotline"),
)

REQUEST_KINDS = [
    SelectChoice("", _l("Choose one")),
    SelectChoice("process", _l("A question about the procedure")),
    SelectChoice("attitude", _l("A complaint about a staff member's attitude")),
    SelectChoice("blocked", _l("A matter is blocked and I ask for help")),
    SelectChoice("other", _l("Something else")),
]


def _not_in_future(form, field):
    if field.data and field.data > date.today():
        raise ValidationError(_l("This date is in the future."))


@cache
def request_form(base):
    """The problem request form (问题诉求单, seed 002) as the base form plus Dazhou's fields."""

    class DazhouRequestForm(base):
        request_kind = SelectField(_l("What kind of request is it?"), choices=REQUEST_KINDS,
                                   validators=[DataRequired(_l("Choose the kind of request."))])
        window_or_department = StringField(_l("Window or department involved (if you know)"),
                                           validators=[Optional(), Length(max=80)])
        first_visit = DateField(_l("When did you first come about it? (optional)"),
                                validators=[Optional(), _not_in_future])
        wish = TextAreaField(_l("What do you ask us to do?"),
                             validators=[DataRequired(_l("Tell us what you ask us to do.")), Length(max=1000)])

    return DazhouRequestForm


def _departments(prefix, place, items):
    return tuple(DepartmentSpec(f"{prefix}-{code}", zh.format(p=place), en) for code, zh, en in items)


JURISDICTIONS = [
    JurisdictionSpec(
        code="dazhou", name_zh="达州市", name_en="Dazhou", level="city", case_prefix="DZ",
        centres=(CentreSpec("dazhou-centre", "达州市政务服务中心", "Dazhou Government Service Centre", level="city",
                            windows=(WindowSpec("dazhou-w1", "“办不成事”受理窗口", "'Couldn't get it done' accepting window"),)),),
        departments=_departments("dz", "达州市", (
            ("zwj", "{p}政务服务管理局", "Dazhou Government Service Administration"),
            ("hrss", "{p}人力资源和社会保障局", "Dazhou Human Resources and Social Security Bureau"),
            ("psb", "{p}公安局", "Dazhou Public Security Bureau"),
            ("tax", "国家税务总局{p}税务局", "Dazhou Taxation Bureau, STA"),
            ("transport", "{p}交通运输局", "Dazhou Transport Bureau"),
            ("realestate", "{p}不动产登记中心", "Dazhou Real Estate Registration Centre"),
            ("mca", "{p}民政局", "Dazhou Civil Affairs Bureau"),
            ("samr", "{p}市场监督管理局", "Dazhou Market Regulation Administration"),
            ("medical", "{p}医疗保障局", "Dazhou Healthcare Security Bureau"),
        )),
    ),
    # seed 002: Tongchuan district's bureaus serve the community stations.
    JurisdictionSpec(
        code="dazhou-tongchuan", name_zh="通川区", name_en="Tongchuan District", level="district", parent="dazhou",
        case_prefix="DZTC",
        centres=(CentreSpec("dazhou-tongchuan-centre", "通川区政务服务中心", "Tongchuan District Government Service Centre",
                            windows=(WindowSpec("dazhou-tongchuan-w1", "“办不成事”受理窗口", "'Couldn't get it done' accepting window"),)),),
        departments=_departments("tc", "通川区", (
            ("mca", "{p}民政局", "Tongchuan Civil Affairs Bureau"),
            ("psb", "达州市公安局通川区分局", "Tongchuan Branch, Dazhou Public Security Bureau"),
            ("hrss", "{p}人力资源和社会保障局", "Tongchuan Human Resources and Social Security Bureau"),
        )),
    ),
]


class Dazhou(JurisdictionPlugin):
    """Dazhou city and Tongchuan district (seed 002)."""

    code = "dazhou"

    # seed 002: the rota of chief representatives at the window is Dazhou's own record.
    @hookimpl
    def portal_tables(self):
        return Tables(models=(RotaEntry,), migrations=self.migrations_folder(__file__))

    # seed 002: chief representatives take turns at the window; the staff plan and read the rota.
    @hookimpl
    def portal_staff_pages(self):
        from .staff_pages import pages

        return pages

    # seed 002: window chief representatives take turns at the window (a role that reads, see CHIEF_REP).
    @hookimpl
    def portal_vocabulary(self, jurisdiction):
        return Vocabulary(roles=(CHIEF_REP,))

    # seed 002: the city centre and Tongchuan district.
    @hookimpl
    def portal_jurisdictions(self):
        return JURISDICTIONS

    # seed 002: Dazhou calls it the "办不成事" accepting window (受理窗口).
    @hookimpl
    def portal_branding(self, jurisdiction):
        return Branding(title_zh="达州政务服务 · “办不成事”受理窗口", title_en="Dazhou: get it done",
                        window_name_zh="“办不成事”受理窗口", window_name_en="'Couldn't get it done' accepting window",
                        colour="#ef6c00", phone="12345")

    # seed 002: the person first fills in a problem request form (问题诉求单).
    @hookimpl
    def portal_intake_form(self, jurisdiction, base):
        return request_form(base)

    # seed 002: requests come on the form at the window.
    @hookimpl
    def portal_intake_channels(self, jurisdiction):
        return CHANNELS

    # seed 002: record → investigate → transfer and track → tell reasons and progress → feed back.
    @hookimpl
    def portal_workflow(self, jurisdiction):
        return WORKFLOW

    # seed 002: the four causes and the procedure questions the register shows most.
    @hookimpl
    def portal_categories(self, jurisdiction):
        return CATEGORIES

    # seed 002: simple at once (即收即转即办), general 3, complex 5 working days; Sichuan rectifies bad ratings in 15.
    @hookimpl
    def portal_time_limit(self, jurisdiction, category, complexity, stage):
        if stage == "rectify":
            return TimeLimit(15, "Sichuan: a bad rating is verified and rectified within 15 working days",
                             "四川省：差评15个工作日内核查整改", source=SICHUAN_RECTIFY)
        if stage != "reply":
            return None
        if complexity == "simple":
            return TimeLimit(0, "Dazhou: simple matters received, transferred and done at once",
                             "达州市：简单事项即收即转即办", source=_window_limit("简单事项即收即转即办",
                                                                        "simple matters received, transferred and done at once"))
        if complexity in ("complex", "especially_complex"):
            return TimeLimit(5, "Dazhou: complex matters get feedback within 5 working days",
                             "达州市：复杂事项5个工作日内反馈", source=_window_limit("复杂事项5个工作日内反馈",
                                                                        "complex matters: feedback within 5 working days"))
        return TimeLimit(3, "Dazhou: general matters rectified with feedback within 3 working days",
                         "达州市：一般事项3个工作日内整改反馈", source=_window_limit(
                             "一般事项3个工作日内整改反馈", "general matters: rectified with feedback within 3 working days"))


def _window_limit(article_zh: str, article_en: str) -> RuleSource:
    """seed 002: the window's handling time limits, as its staff state them (严格的办理时限要求)."""
    return RuleSource("达州市“办不成事”受理窗口办理时限要求", "Dazhou 'couldn't get it done' accepting window: handling time limits",
                      article_zh, article_en)


#: DOMAIN (national rules): the 好差评 system (State Council General Office 2019 No. 51) has bad ratings
#: verified and rectified, with local limits; Sichuan's is 15 working days. That is all it says.
SICHUAN_RECTIFY = RuleSource(
    "政务服务“好差评”制度（国办发〔2019〕51号）四川省整改时限",
    "Government-service good/bad rating system (State Council General Office 2019 No. 51): Sichuan's rectification limit",
    "差评核查整改，四川省为15个工作日", "a bad rating is verified and rectified: 15 working days in Sichuan")


def plan_rota(jurisdiction, start: date, end: date, representatives) -> list[RotaEntry]:
    """Chief representatives take turns at the window (seed 002: 首席代表轮值), one per working day.

    ``representatives`` is a list of (name, department or None); entries in the range are replaced.
    """
    if not plugin.owns(jurisdiction.code):
        raise ValueError(f"{jurisdiction.code} is not a Dazhou jurisdiction")
    if not representatives or end < start:
        raise ValueError("a rota needs representatives and a date range")
    cal = working_calendar(jurisdiction)
    session().execute(delete(RotaEntry).where(RotaEntry.jurisdiction_id == jurisdiction.id,
                                                  RotaEntry.day >= start, RotaEntry.day <= end))
    turns, entries, day = cycle(representatives), [], start
    while day <= end:
        if cal.is_working_day(day):
            name, dept = next(turns)
            entries.append(RotaEntry(jurisdiction_id=jurisdiction.id, day=day, representative=name,
                                     department_id=dept.id if dept else None))
        day += timedelta(days=1)
    session().add_all(entries)
    session().commit()
    return entries


def representative_on(jurisdiction, day: date) -> RotaEntry | None:
    """Who sits at the window on ``day`` (the staff page /staff/dazhou/rota shows it)."""
    return session().scalar(select(RotaEntry).where(RotaEntry.jurisdiction_id == jurisdiction.id,
                                                        RotaEntry.day == day))


plugin = Dazhou()
