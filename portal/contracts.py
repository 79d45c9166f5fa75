"""The data a jurisdiction plugin hands to the core: plain frozen dataclasses.

Plugins build these; the engine reads them. Keeping them as data (not behaviour)
is what lets a jurisdiction override only what differs from the defaults.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

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
    """A state of the workflow. ``label_*`` is the staff's word for it; ``public_label_*`` and
    ``public_explanation_*`` are what the person reads on the tracking page and the receipt
    (Dongcheng's staff state 发现问题 reads to the person as 已受理 with one sentence of what
    happens now). A state without public texts is described by its stage (see ``public_texts``)."""

    code: str
    label_zh: str
    label_en: str
    stage: str | None = None  # deadline stage running while the case is in this state
    terminal: bool = False
    done: bool = False  # counts as completed in the figures
    public_label_zh: str = ""
    public_label_en: str = ""
    public_explanation_zh: str = ""
    public_explanation_en: str = ""
    #: Listed as a step under "what happens next" on the receipt (off for side exits such as a
    #: referral, and for states the person only reaches by their own rating).
    next_step: bool = True


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
    #: The note is written for the person and shows on the tracking page. None: the core's
    #: convention for the action's name (``CONVENTIONALLY_PUBLIC_NOTES``).
    public_note: bool | None = None
    #: The action (its label, not its note) shows on the public timeline. None: the core's
    #: convention for the action's name (``CONVENTIONALLY_PRIVATE``).
    public: bool | None = None

    @property
    def shows_publicly(self) -> bool:
        if self.public is not None:
            return self.public
        return self.action not in CONVENTIONALLY_PRIVATE

    @property
    def note_is_public(self) -> bool:
        """Only a public event's note can be public."""
        if not self.shows_publicly:
            return False
        if self.public_note is not None:
            return self.public_note
        return self.action in CONVENTIONALLY_PUBLIC_NOTES


#: What a transition that declares nothing gets, by its action's name (the core's own actions):
#: internal steps stay off the public timeline, and only the reply, the referral and the
#: pause (what to bring) speak to the person.
CONVENTIONALLY_PRIVATE = frozenset({"note", "assign", "escalate", "flag_overdue", "classify", "extend",
                                    "joint_meeting"})
CONVENTIONALLY_PUBLIC_NOTES = frozenset({"reply", "refer", "pause"})


@dataclass(frozen=True)
class Workflow:
    """A jurisdiction's workflow as an explicit map of states and transitions."""

    name: str
    states: tuple[StateSpec, ...]
    initial: str
    transitions: tuple[Transition, ...]
    steps_zh: tuple[str, ...] = ()  # the published closed-loop steps, for display
    steps_en: tuple[str, ...] = ()

    def public_steps(self) -> list[StateSpec]:
        """The states the person is told about under "what happens next", in the workflow's
        order, one per public label: those that declare a public label and are a next step."""
        out, seen = [], set()
        for s in self.states:
            if not s.next_step or not (s.public_label_zh or s.public_label_en):
                continue
            key = (s.public_label_zh, s.public_label_en)
            if key not in seen:
                seen.add(key)
                out.append(s)
        return out

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
class RuleSource:
    """Where a rule comes from, as the jurisdiction states it: the document (a rule, a
    mechanism, a notice) and the article or provision, in Chinese and English. Shown beside
    the rule on every page that shows a deadline."""

    document_zh: str
    document_en: str
    article_zh: str = ""
    article_en: str = ""

    def __post_init__(self):
        if not (self.document_zh.strip() and self.document_en.strip()):
            raise ValueError("a RuleSource names its document in Chinese and English")

    def as_dict(self) -> dict:
        return {"document_zh": self.document_zh, "document_en": self.document_en,
                "article_zh": self.article_zh, "article_en": self.article_en}

    @classmethod
    def from_dict(cls, data) -> "RuleSource | None":
        if not isinstance(data, dict):
            return None
        try:
            return cls(str(data.get("document_zh") or ""), str(data.get("document_en") or ""),
                       str(data.get("article_zh") or ""), str(data.get("article_en") or ""))
        except ValueError:
            return None


@dataclass(frozen=True)
class TimeLimit:
    """How long a stage may take, the rule that says so, and where the rule comes from.

    ``source`` is the jurisdiction's document and article; None means no jurisdiction adopted
    this limit: it is the portal's configurable default setting and is shown as such,
    attributed to nobody. The texts say the rule only, never an internal reference."""

    days: int  # working days; 0 = on the spot (due at the end of the start day)
    rule: str  # e.g. "Wuhua: complex problems handled with feedback within 10 working days"
    #: The same rule in Simplified Chinese, e.g. "五华区：复杂问题10个工作日内办理反馈".
    #: Shown to zh_Hans readers (zh_Hant gets its OpenCC s2t conversion); English readers get ``rule``.
    rule_zh: str = ""
    source: RuleSource | None = None
    #: Texts deadline rows stored for this same limit before it was reworded (English or
    #: Chinese), so that those rows are shown with today's wording and source.
    formerly: tuple[str, ...] = ()

    @property
    def portal_default(self) -> bool:
        return self.source is None

    @property
    def on_the_spot(self) -> bool:
        return self.days == 0


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
