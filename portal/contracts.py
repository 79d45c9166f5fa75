"""The data a jurisdiction plugin hands to the core: plain frozen dataclasses.

Plugins build these; the engine reads them. Keeping them as data (not behaviour)
is what lets a jurisdiction override only what differs from the defaults.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

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
class TimeLimit:
    """How long a stage may take, and the rule (with its source) that says so."""

    days: int  # working days; 0 = on the spot (due at the end of the start day)
    rule: str  # e.g. "Wuhua: complex problems answered within 10 working days (seed 000)"
    #: The same rule in Simplified Chinese, e.g. "五华区：复杂问题10个工作日内办理反馈（seed 000）".
    #: Shown to zh_Hans readers (zh_Hant gets its OpenCC s2t conversion); English readers get ``rule``.
    rule_zh: str = ""

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


#: What an ActionField can be, and the WTForms field the staff case page draws for it.
FIELD_KINDS = ("text", "textarea", "date", "integer", "choice", "choices")
#: Form names the case page uses itself; an action's fields may not take them.
RESERVED_FIELD_NAMES = frozenset({"action", "version", "note", "csrf_token", "canned"})


@dataclass(frozen=True)
class ActionField:
    """One typed field of an action's form on the staff case page.

    ``label``, ``message`` and ``hint`` are translated strings (``lazy_gettext``). ``message``
    is shown when the field is missing or its value is refused (the kind's generic message
    otherwise). ``choices`` (kinds ``choice`` and ``choices``) is a function of the case giving
    ``(value, label)`` pairs, so they may depend on it (the jurisdiction's departments);
    ``coerce`` turns the posted text into the value's type. ``default`` is a value or a
    function of the case. The value reaches the effect as ``params[name]``, typed: a ``date``,
    an ``int``, the coerced choice, a list for ``choices``; an empty optional field is absent."""

    name: str
    label: Any
    kind: str = "text"
    required: bool = False
    message: Any = ""
    hint: Any = ""
    choices: Callable[[Any], Iterable[tuple[Any, Any]]] | None = None
    coerce: Callable[[Any], Any] = str
    default: Any = None
    minimum: int | None = None  # integer kind
    maximum: int | None = None  # integer kind
    max_length: int | None = None  # text kinds

    def __post_init__(self):
        if self.kind not in FIELD_KINDS:
            raise ValueError(f"ActionField {self.name!r}: kind must be one of {FIELD_KINDS}, not {self.kind!r}")
        if not self.name.isidentifier() or self.name in RESERVED_FIELD_NAMES:
            raise ValueError(f"ActionField name {self.name!r} is not a usable form name")
        if self.kind in ("choice", "choices") and self.choices is None:
            raise ValueError(f"ActionField {self.name!r}: a {self.kind} field needs its choices")


@dataclass(frozen=True)
class ActionSpec:
    """What an action of the workflow asks for and does: its form fields and its effect.

    ``effect(case, actor, note, params, now)`` runs inside the action's transaction, before the
    state changes; it changes the case (or writes rows beside it), raises the engine's
    ``Invalid``/``NotAllowed`` with a translated message to refuse (nothing is written), and
    returns the event's data (a dict of JSON values). ``available(case)`` hides the action
    while it makes no sense (resume on a running clock). ``note_label``/``note_hint`` name
    the note box; ``describe(case)`` is a short text after the action's label (escalate's next
    tier); ``canned_replies`` offers the jurisdiction's canned replies to start the note from;
    ``data_labels`` names the event data's keys in the timeline (fields' labels are used too)."""

    action: str
    fields: tuple[ActionField, ...] = ()
    effect: Callable[..., dict | None] | None = None
    available: Callable[[Any], bool] | None = None
    note_label: Any = ""
    note_hint: Any = ""
    describe: Callable[[Any], Any] | None = None
    canned_replies: bool = False
    data_labels: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self):
        names = [f.name for f in self.fields]
        if len(names) != len(set(names)):
            raise ValueError(f"ActionSpec {self.action!r}: a field name is used twice")

    def is_available(self, case) -> bool:
        return self.available is None or bool(self.available(case))

    def labels(self) -> dict[str, Any]:
        """Event-data key -> label: the fields' labels and ``data_labels``."""
        return {**{f.name: f.label for f in self.fields}, **dict(self.data_labels)}


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
