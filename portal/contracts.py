"""The data a jurisdiction plugin hands to the core: plain frozen dataclasses.

Plugins build these; the engine reads them. Keeping them as data (not behaviour)
is what lets a jurisdiction override only what differs from the defaults.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from .workdays import CALENDAR_DAYS, UNITS, WORKING_DAYS, WORKING_HOURS, WorkingHours  # noqa: F401 (re-exported)

#: Staff roles known to the core; "public" is the complainant, "system" the sweeper.
ROLES = ("clerk", "handler", "supervisor", "admin")
ACTORS = ROLES + ("public", "system")
#: How hard a case is; portal_time_limit is asked with one of these (or a plugin's ComplexityLevel).
COMPLEXITIES = ("simple", "general", "complex", "especially_complex")

#: What a staff role may do; every role, the core's and a plugin's, is a set of these.
#: read: open the queue, cases and attachments of the user's department (the cases it leads or
#:   co-handles, and those the user received first) and the corrections of the user's jurisdictions;
#: read_all: read every case of the user's jurisdictions, those of other departments and those
#:   not yet handed to any (needs read; implied by assign, supervise and administer);
#: act: take the workflow steps that name the role, propose guide corrections and practices;
#: assign: take matters in at the window (walk-in intake) and hand them on;
#: supervise: keep accountability records, read reports, keep canned replies, publish corrections;
#: administer: users, organisation, calendar, guides, the plugin listing.
CAPABILITIES = ("read", "read_all", "act", "assign", "supervise", "administer")
#: Who takes matters in, hands them on, supervises or administers must see the whole jurisdiction's
#: cases (the new ones no department has yet included): these capabilities bring ``read_all``.
IMPLY_READ_ALL = frozenset({"assign", "supervise", "administer"})
#: What no jurisdiction's administrator may do: change national data that every jurisdiction
#: counts with (the official holiday years). Held only by the core's system roles, which only the
#: CLI creates (`flask portal create-user --role system_admin`); a plugin's role cannot hold it.
ADMINISTER_SYSTEM = "administer_system"
SYSTEM_ROLES = ("system_admin",)
#: The core roles as capabilities (exactly what each could do before capabilities existed).
CORE_ROLE_CAPABILITIES = {
    "clerk": frozenset({"read", "act", "assign"}),
    "handler": frozenset({"read", "act"}),
    "supervisor": frozenset({"read", "act", "assign", "supervise"}),
    "admin": frozenset({"read", "administer"}),
    "system_admin": frozenset({"read", "administer", ADMINISTER_SYSTEM}),
}
#: The accountability kinds the core knows, and whom each concerns ("staff" or "department").
CORE_ACCOUNTABILITY_KINDS = {"attitude": "staff", "refusal": "staff", "non_cooperation": "department",
                             "overrun": "department"}


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
    #: The named deadlines (ClockSpec) that run on a case; empty = one clock per state ``stage``
    #: (see ``clock_specs``), the core's behaviour.
    clocks: tuple["ClockSpec", ...] = ()

    def clock_specs(self) -> tuple["ClockSpec", ...]:
        """The declared clocks, or one clock per deadline stage of the states (stage_clocks)."""
        return self.clocks or stage_clocks(self.states, self.initial)

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

    def validate(self, roles: Iterable[str] = ACTORS) -> None:
        """Refuse unknown states, doubled actions and roles outside ``roles`` (the core's actors
        plus the roles the jurisdiction's plugin declares)."""
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
            bad = set(t.roles) - set(roles)
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
    #: Where the rule comes from, as the jurisdiction states it; shown beside it on every page.
    source: "RuleSource | None" = None

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


@dataclass(frozen=True)
class RoleSpec:
    """A staff role a plugin adds (Dazhou's 首席代表), built from the core's CAPABILITIES.
    ``code`` (at most 20 characters: lower-case letters, digits, underscore) must differ from
    the core's roles and every other plugin's; a workflow transition may name it when the role
    has the ``act`` capability."""

    code: str
    label_zh: str
    label_en: str
    capabilities: frozenset[str] = frozenset({"read"})


@dataclass(frozen=True)
class AccountabilityKind:
    """A kind of accountability record a plugin adds; ``concerns`` is ``"staff"`` (a staff
    member is named) or ``"department"``."""

    code: str
    label_zh: str
    label_en: str
    concerns: str = "staff"


@dataclass(frozen=True)
class ComplexityLevel:
    """A complexity level a plugin adds (急事急办). portal_time_limit is asked with ``code``
    first; when no plugin answers for it, the time limit of ``treated_as`` (a core complexity)
    applies."""

    code: str
    label_zh: str
    label_en: str
    treated_as: str = "general"


@dataclass(frozen=True)
class Vocabulary:
    """What a plugin adds to the core's fixed lists for one jurisdiction (hook portal_vocabulary)."""

    roles: tuple[RoleSpec, ...] = ()
    accountability_kinds: tuple[AccountabilityKind, ...] = ()
    complexities: tuple[ComplexityLevel, ...] = ()


#: What an ActionField can be, and the WTForms field the staff case page draws for it.
FIELD_KINDS = ("text", "textarea", "date", "integer", "choice", "choices")
#: Form names the case page uses itself; an action's fields may not take them.
RESERVED_FIELD_NAMES = frozenset({"action", "version", "note", "csrf_token", "canned"})


@dataclass(frozen=True)
class ActionField:
    """One typed field of an action's form on the staff case page.

    ``label``, ``message`` and ``hint`` are translated strings (``lazy_gettext``), or functions
    of the case giving one (an extension's amount is in the unit of the case's clocks). ``message``
    is shown when the field is missing or its value is refused (the kind's generic message
    otherwise). ``offered(case)`` False leaves the field out of the form on that case: it is
    neither drawn nor read (a clock choice on a case with one clock). ``choices`` (kinds ``choice`` and ``choices``) is a function of the case giving
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
    offered: Callable[[Any], bool] | None = None

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
        """Event-data key -> label: the fields' labels and ``data_labels`` (a field whose label
        depends on the case is named by ``data_labels``)."""
        return {**{f.name: f.label for f in self.fields if not callable(f.label)}, **dict(self.data_labels)}


def ensure_tuple(items: Iterable) -> tuple:
    return tuple(items or ())


__all__ = [n for n in dir() if not n.startswith("_")]


@dataclass(frozen=True)
class StaffLink:
    """A link in the staff navigation to one of a plugin's own staff pages: ``endpoint`` is the
    view's name inside the plugin's blueprint; shown to the roles with ``capability`` (or to the
    ``roles`` named), and only to staff who see one of the plugin's jurisdictions."""

    endpoint: str
    label_zh: str
    label_en: str
    roles: frozenset[str] = frozenset({"clerk", "handler", "supervisor", "admin"})
    #: when set, the link is shown to every role with this capability (the core's and plugins')
    #: instead of the ``roles`` named
    capability: str | None = None


@dataclass(frozen=True)
class StaffPages:
    """A plugin's own staff pages (CKAN's IBlueprint idea): a Flask blueprint named
    ``<plugin>_staff``, mounted at ``/staff/<plugin>/``, and the links it adds to the staff
    navigation. Its views guard themselves with ``toolkit.staff_page``."""

    blueprint: Any
    links: tuple[StaffLink, ...] = ()


@dataclass(frozen=True)
class Tables:
    """A plugin's own tables (CKAN's extension-owned tables): its models and the folder of its
    Alembic revisions. Every table name starts with ``<plugin>_`` (one namespace per plugin, as
    CKAN prefixes extension tables); the revisions form the branch labelled ``<plugin>`` and are
    recorded in the plugin's own version table, ``<plugin>_alembic_version``, so the core's
    history never depends on whether the plugin is enabled. See docs/plugins.md."""

    models: tuple[Any, ...]
    migrations: str


@dataclass(frozen=True)
class PanelEntry:
    """One entry of a plugin's panel on the staff case page: a title (a date is formatted in
    the reader's language), short labelled facts, and a longer text kept with its line breaks.
    Every value is shown as text, escaped: a plugin cannot put markup on the core's page."""

    title: Any = ""
    facts: tuple[tuple[Any, Any], ...] = ()
    text: Any = ""


@dataclass(frozen=True)
class CasePanel:
    """A section a jurisdiction's plugin adds to the staff page of one of its cases (hook
    ``portal_case_panels``): a heading and its entries, drawn by the core like its own
    sections; ``empty`` is shown when there are no entries (no entries and no ``empty``: the
    panel is left out). Only users whose role has ``capability`` see it."""

    heading: Any
    entries: tuple[PanelEntry, ...] = ()
    empty: Any = ""
    capability: str = "read"
