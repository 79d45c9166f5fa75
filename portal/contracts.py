"""The data a jurisdiction plugin hands to the core: plain frozen dataclasses.

Plugins build these; the engine reads them. Keeping them as data (not behaviour)
is what lets a jurisdiction override only what differs from the defaults.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from .calendar import CALENDAR_DAYS, UNITS, WORKING_DAYS, WORKING_HOURS, WorkingHours  # noqa: F401 (re-exported)

#: Staff roles known to the core; "public" is the complainant, "system" the sweeper.
ROLES = ("clerk", "handler", "supervisor", "admin")
ACTORS = ROLES + ("public", "system")
#: How hard a case is; portal_time_limit is asked with one of these.
COMPLEXITIES = ("simple", "general", "complex", "especially_complex")


@dataclass(frozen=True)
class WindowSpec:
    code: str
    name_zh: str
    name_en: str
    kind: str = "banbucheng"  # the 办不成事 reflection window


@dataclass(frozen=True)
class CentreSpec:
    code: str
    name_zh: str
    name_en: str
    level: str = "district"
    windows: tuple[WindowSpec, ...] = ()


@dataclass(frozen=True)
class DepartmentSpec:
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class JurisdictionSpec:
    """A jurisdiction in the hierarchy (province/city/district/street/community)."""

    code: str
    name_zh: str
    name_en: str
    level: str
    parent: str | None = None
    case_prefix: str = ""
    centres: tuple[CentreSpec, ...] = ()
    departments: tuple[DepartmentSpec, ...] = ()


@dataclass(frozen=True)
class StateSpec:
    code: str
    label_zh: str
    label_en: str
    stage: str | None = None  # deadline stage running while the case is in this state
    terminal: bool = False
    done: bool = False  # counts as completed in the figures


@dataclass(frozen=True)
class Transition:
    """One allowed move: ``action`` takes a case from any of ``sources`` to ``target``."""

    action: str
    sources: tuple[str, ...]
    target: str | None  # None = the state does not change (pause, extend, escalate...)
    roles: frozenset[str]
    label_zh: str
    label_en: str
    needs_note: bool = False
    public_note: bool = False  # the note is meant for the person and shows on the tracking page


@dataclass(frozen=True)
class Workflow:
    """A jurisdiction's workflow as an explicit map of states and transitions."""

    name: str
    states: tuple[StateSpec, ...]
    initial: str
    transitions: tuple[Transition, ...]
    steps_zh: tuple[str, ...] = ()  # the published closed-loop steps, for display
    steps_en: tuple[str, ...] = ()
    #: The named deadlines (ClockSpec) that run on a case; empty = one clock per state ``stage``
    #: (see ``clock_specs``), the core's behaviour.
    clocks: tuple["ClockSpec", ...] = ()

    def clock_specs(self) -> tuple["ClockSpec", ...]:
        """The declared clocks, or one clock per deadline stage of the states (stage_clocks)."""
        return self.clocks or stage_clocks(self.states, self.initial)

    def state(self, code: str) -> StateSpec:
        for s in self.states:
            if s.code == code:
                return s
        raise KeyError(code)

    def transition(self, action: str) -> Transition | None:
        for t in self.transitions:
            if t.action == action:
                return t
        return None

    def allowed(self, state: str, role: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources and role in t.roles]

    def validate(self) -> None:
        codes = {s.code for s in self.states}
        if self.initial not in codes:
            raise ValueError(f"workflow {self.name}: unknown initial state {self.initial}")
        seen = set()
        for t in self.transitions:
            if t.action in seen:
                raise ValueError(f"workflow {self.name}: action {t.action} defined twice")
            seen.add(t.action)
            for s in t.sources + ((t.target,) if t.target else ()):
                if s not in codes:
                    raise ValueError(f"workflow {self.name}: action {t.action} names unknown state {s}")
            bad = set(t.roles) - set(ACTORS)
            if bad:
                raise ValueError(f"workflow {self.name}: action {t.action} names unknown roles {bad}")
        clock_codes = set()
        for c in self.clocks:
            if c.code in clock_codes:
                raise ValueError(f"workflow {self.name}: clock {c.code} defined twice")
            clock_codes.add(c.code)
            for s in c.start_states + c.stop_states:
                if s not in codes:
                    raise ValueError(f"workflow {self.name}: clock {c.code} names unknown state {s}")
            for a in c.stop_actions:
                if a not in seen:
                    raise ValueError(f"workflow {self.name}: clock {c.code} names unknown action {a}")


@dataclass(frozen=True)
class Category:
    """A kind of case and what the handler should do with it."""

    code: str
    name_zh: str
    name_en: str
    handling_zh: str = ""
    handling_en: str = ""
    outcome_zh: str = ""
    outcome_en: str = ""


@dataclass(frozen=True)
class TimeLimit:
    """How long a stage may take, and the rule (with its source) that says so."""

    days: int  # working days; 0 = on the spot (due at the end of the start day)
    rule: str  # e.g. "Wuhua: complex problems answered within 10 working days (seed 000)"
    #: The same rule in Simplified Chinese, e.g. "五华区：复杂问题10个工作日内办理反馈（seed 000）".
    #: Shown to zh_Hans readers (zh_Hant gets its OpenCC s2t conversion); English readers get ``rule``.
    rule_zh: str = ""
    #: What ``days`` counts: ``"working_days"`` (the default), ``"calendar_days"`` (Civil Code
    #: arts. 201-203: a last day off moves to the next working day) or ``"working_hours"`` (only
    #: inside the jurisdiction's working hours on its working days; ``days`` is then the hours).
    unit: str = field(default=WORKING_DAYS, kw_only=True)

    def __post_init__(self):
        if self.unit not in UNITS:
            raise ValueError(f"TimeLimit.unit must be one of {', '.join(UNITS)}, not {self.unit!r}")
        if isinstance(self.days, bool) or not isinstance(self.days, int) or self.days < 0:
            raise ValueError(f"TimeLimit needs a whole number of at least 0, not {self.days!r}")

    @property
    def amount(self) -> int:
        """The limit in its ``unit`` (``days`` is the field's historical name)."""
        return self.days

    @property
    def on_the_spot(self) -> bool:
        return self.days == 0 and self.unit != WORKING_HOURS


@dataclass(frozen=True)
class ClockSpec:
    """A named deadline that runs on a case ("first response", "reply", "rectification"...).

    It starts at filing (``starts_at_filing``) or when the case enters one of ``start_states``
    while it is not already running; it stops (met) when one of ``stop_actions`` is taken or the
    case enters one of ``stop_states``. Its limit is ``limit`` or, when None, what
    ``portal_time_limit`` answers with ``stage=code`` (so the limit can depend on category and
    complexity). Several clocks may run at once; each is paused, resumed and extended on its own.
    """

    code: str
    label_zh: str
    label_en: str
    starts_at_filing: bool = False
    start_states: tuple[str, ...] = ()
    stop_actions: tuple[str, ...] = ()
    stop_states: tuple[str, ...] = ()
    limit: TimeLimit | None = None


def stage_clocks(states: Iterable[StateSpec], initial: str) -> tuple[ClockSpec, ...]:
    """One clock per deadline stage: it runs while the case is in a state of that stage, from
    entering the first such state until entering a state of another stage (or none). The core's
    single-deadline behaviour, and what a workflow without declared clocks gets."""
    states = tuple(states)
    out = []
    for stage in dict.fromkeys(s.stage for s in states if s.stage):
        inside = tuple(s.code for s in states if s.stage == stage)
        out.append(ClockSpec(
            code=stage, label_zh=STAGE_CLOCK_LABELS.get(stage, (stage, stage))[0],
            label_en=STAGE_CLOCK_LABELS.get(stage, (stage, stage))[1],
            starts_at_filing=initial in inside, start_states=inside,
            stop_states=tuple(s.code for s in states if s.stage != stage)))
    return tuple(out)


#: Labels of the core's stage names (a plugin's own stages show their code unless it declares clocks).
STAGE_CLOCK_LABELS = {
    "reply": ("答复", "Reply"),
    "rectify": ("核查整改", "Verify and rectify"),
}


@dataclass(frozen=True)
class DefaultRating:
    """The rating a reply gets when the person has not rated it within a period (好差评 default
    rating, e.g. Guangdong: 7 calendar days -> 3 基本满意). The period starts at the reply; the
    reply day does not count and the period ends at 24:00 of its last day (Asia/Shanghai).
    ``counting`` is ``"calendar"`` (every day counts) or ``"working"`` (the jurisdiction's
    working calendar). The sweep records the rating, marked as given by default."""

    days: int
    level: int  # 5 非常满意 ... 1 非常不满意
    counting: str = "calendar"
    rule: str = ""  # e.g. "Guangdong: not rated within 7 calendar days of the reply -> basically satisfied"
    rule_zh: str = ""

    def __post_init__(self):
        if self.counting not in ("calendar", "working"):
            raise ValueError(f"DefaultRating.counting must be 'calendar' or 'working', not {self.counting!r}")
        if self.level not in (1, 2, 3, 4, 5) or self.days < 1:
            raise ValueError("DefaultRating needs a level 1-5 and a period of at least one day")


@dataclass(frozen=True)
class ScreeningResult:
    """A matter refused at intake: why, and where the person should go instead."""

    code: str
    reason_zh: str
    reason_en: str
    channel_zh: str
    channel_en: str


@dataclass(frozen=True)
class EscalationTier:
    code: str
    name_zh: str
    name_en: str
    auto_when_overdue: bool = False  # the sweep escalates overdue cases to this tier


@dataclass(frozen=True)
class Branding:
    title_zh: str
    title_en: str
    window_name_zh: str = "反映“办不成事”窗口"
    window_name_en: str = "'Couldn't get it done' reflection window"
    colour: str = "#b71c1c"
    phone: str = ""


@dataclass(frozen=True)
class Channel:
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class AccountabilityOutcome:
    """What follows from the n-th failure of a kind (Xuanwu: 3rd attitude failure -> dismissal)."""

    kind: str
    occurrence: int
    outcome_zh: str
    outcome_en: str
    points: int = 0


def ensure_tuple(items: Iterable) -> tuple:
    return tuple(items or ())


__all__ = [n for n in dir() if not n.startswith("_")]


@dataclass(frozen=True)
class StaffLink:
    """A link in the staff navigation to one of a plugin's own staff pages: ``endpoint`` is the
    view's name inside the plugin's blueprint; shown to the ``roles`` given, and only to staff who
    see one of the plugin's jurisdictions."""

    endpoint: str
    label_zh: str
    label_en: str
    roles: frozenset[str] = frozenset({"clerk", "handler", "supervisor", "admin"})


@dataclass(frozen=True)
class StaffPages:
    """A plugin's own staff pages (CKAN's IBlueprint idea): a Flask blueprint named
    ``<plugin>_staff``, mounted at ``/staff/<plugin>/``, and the links it adds to the staff
    navigation. Its views guard themselves with ``toolkit.staff_page``."""

    blueprint: Any
    links: tuple[StaffLink, ...] = ()
