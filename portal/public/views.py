"""What of a case the public may see: redacted text, public events, deadlines. No identity.

Everything the receipt and the tracking page show goes through ``public_case_view``:
free text is redacted (shapes of personal data and the complainant's own values), and
nothing of the complainant, the staff or the internal notes is passed to templates.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..clock_labels import STAGE_LABELS, clock_label  # noqa: F401 (re-exported)
from ..contracts import RuleSource
from ..engine.deadlines import PORTAL_DEFAULT, is_overdue, stored_source
from ..i18n import choose, lang, pick
from ..models import Case, CaseDeadline
from ..privacy import complainant_values, redact
from ..rule_sources import strip_internal_tag

ACTION_LABELS = {
    "file": _l("Received"),
    "reply": _l("Answered"),
    "refer": _l("Explained and referred"),
    "pause": _l("Waiting for your materials (clock paused)"),
    "resume": _l("Clock resumed"),
    "rate": _l("Rated"),
    "rate_bad": _l("Bad rating: sent back to be verified and put right"),
    "return_visit": _l("Return visit"),
    "close": _l("Closed"),
    "archive": _l("Archived"),
}
#: A rating the sweep recorded by the jurisdiction's default (portal_default_rating), not the person's.
DEFAULTED_RATING_LABEL = _l("Rated by default: no rating was given in time")
#: Events written before transitions declared their note's publicity: only these actions'
#: notes were written for the person (the reply, the referral, what to bring). Newer events
#: carry the workflow's declaration with them (``data["note_public"]``, see engine.cases).
LEGACY_PUBLIC_NOTE_ACTIONS = frozenset({"reply", "refer", "pause"})
#: A limit no jurisdiction adopted: the portal's setting, attributed to nobody.
PORTAL_DEFAULT_SOURCE = _l("The portal's default setting (it can be changed); no rule of this jurisdiction sets this limit.")

OUTCOME_LABELS = {
    "resolved": _l("Resolved"),
    "partly_resolved": _l("Partly resolved"),
    "not_resolved": _l("Not resolved"),
    "unresolved": _l("Not resolved"),
    "referred": _l("Explained and referred elsewhere"),
    "explained": _l("Explained: it cannot be done under current rules"),
}


RATING_LABELS = {5: _l("Very satisfied"), 4: _l("Satisfied"), 3: _l("Basically satisfied"),
                 2: _l("Dissatisfied"), 1: _l("Very dissatisfied")}



@dataclass
class PublicEvent:
    at: datetime
    label: str
    note: str


@dataclass
class SkippedDay:
    day: date
    kind: str
    name: str


@dataclass
class DeadlineView:
    """A stored stage deadline, with its explanation parsed for display."""

    stage: str
    stage_label: str
    days: int
    due_date: date
    due_at: datetime
    started_at: datetime
    rule: str
    source: str
    paused_days: int
    extended_days: int
    active: bool
    met_at: datetime | None
    overdue: bool
    unknown_years: str
    counted: list[date] = field(default_factory=list)
    makeup_days: set[date] = field(default_factory=set)
    skipped: list[SkippedDay] = field(default_factory=list)
    unit: str = "working_days"  # working_days | calendar_days | working_hours
    paused: bool = False
    paused_minutes: int = 0
    working_hours: str = ""

    @property
    def in_hours(self) -> bool:
        return self.unit == "working_hours"

    @property
    def flagged(self) -> bool:
        return bool(self.unknown_years)

    @property
    def on_the_spot(self) -> bool:
        return self.days == 0 and not self.paused_days and not self.extended_days and not self.in_hours

    @property
    def rule_lang(self) -> str:
        """Rules are plugin data in one language: mark mostly-English text as such (WCAG 3.1.2)."""
        from ..i18n import lang

        letters = sum(ch.isascii() and ch.isalpha() for ch in self.rule)
        cjk = sum("\u4e00" <= ch <= "\u9fff" for ch in self.rule)
        return "en" if letters > cjk and lang() != "en" else ""


def _parse_day(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None


def public_rule(rule: str) -> str:
    """A stored rule text without an internal reference (old rows and default ratings had them)."""
    return strip_internal_tag(rule)


def _todays_limit(d: CaseDeadline):
    """For a row stored before rules carried their source: today's limit its text stands for."""
    if "source" in (d.explanation or {}) or not d.rule:
        return None
    host = current_app.extensions.get("portal_plugins")
    return host.limit_for_stored(d.rule, d.days) if host is not None else None


def rule_text(d: CaseDeadline) -> str:
    """A stored deadline's rule in the reader's language, never with an internal reference.

    English readers get ``rule``; Chinese readers the Chinese text stored with the row
    (``explanation["rule_zh"]``), converted with s2t for zh_Hant; else the English rule as
    stored. A row stored before rules carried their source is shown in today's wording of
    the limit it stands for (the same days), where one is known.
    """
    limit = _todays_limit(d)
    en, zh = (limit.rule, limit.rule_zh) if limit is not None else \
        (d.rule or "", (d.explanation or {}).get("rule_zh") or "")
    text = choose(zh, en) if zh and lang() != "en" else en
    return strip_internal_tag(text)


def format_source(source: RuleSource) -> str:
    document = choose(source.document_zh, source.document_en)
    article = choose(source.article_zh, source.article_en)
    return str(_l("%(document)s: %(article)s", document=document, article=article)) if article else document


def rule_source(d: CaseDeadline) -> str:
    """Where a stored deadline's rule comes from, in the reader's language: the jurisdiction's
    document and article, or the portal's default setting; "" for an old row nobody's rule
    matches (its source is unknown, and no source is better than a wrong one)."""
    stored = (d.explanation or {}).get("source")
    if stored is None:
        limit = _todays_limit(d)
        if limit is None:
            return ""
        stored = stored_source(limit)
    if stored == PORTAL_DEFAULT:
        return str(PORTAL_DEFAULT_SOURCE)
    source = RuleSource.from_dict(stored)
    return format_source(source) if source is not None else ""


def deadline_view(d: CaseDeadline, now: datetime | None = None) -> DeadlineView:
    x = d.explanation or {}
    counted = [day for day in (_parse_day(v) for v in x.get("counted", [])) if day]
    makeup = {day for day in (_parse_day(v) for v in x.get("makeup_days", [])) if day}
    skipped = []
    for s in x.get("skipped", []):
        day = _parse_day(s.get("date")) if isinstance(s, dict) else None
        if day:
            skipped.append(SkippedDay(day, str(s.get("kind") or ""), str(s.get("name") or "")))
    now = now or datetime.now(timezone.utc)
    return DeadlineView(
        stage=d.clock or d.stage, stage_label=clock_label(d.case, d.clock or d.stage), days=d.days,
        due_date=d.due_date,
        due_at=d.due_at, started_at=d.started_at, rule=rule_text(d), source=rule_source(d), paused_days=d.paused_days,
        extended_days=d.extended_days, active=d.active, met_at=d.met_at,
        overdue=d.is_overdue(now), unknown_years=d.unknown_years or "",
        counted=counted, makeup_days=makeup, skipped=skipped, unit=d.unit or "working_days",
        paused=d.active and d.paused_at is not None, paused_minutes=d.paused_minutes or 0,
        working_hours=str(x.get("working_hours") or ""),
    )


def as_deadline_view(d) -> DeadlineView:
    """What the deadline macro reads, from a stored CaseDeadline (staff pages pass those) or a view."""
    return d if isinstance(d, DeadlineView) else deadline_view(d)


def _workflow(case: Case):
    host = current_app.extensions["portal_plugins"]
    return host.for_jurisdiction(case.jurisdiction.code).portal_workflow()


def note_is_public(ev) -> bool:
    """An event's note shows to the person only if its transition declared it public when the
    event was written (``data["note_public"]``); a later change of the workflow never publishes
    a note written as internal. Events from before that declaration follow the old fixed list."""
    data = ev.data or {}
    if "note_public" in data:
        return bool(data["note_public"])
    return ev.action in LEGACY_PUBLIC_NOTE_ACTIONS


#: What the person reads for a state whose workflow gives no public texts, by the kind of state.
FALLBACK_PUBLIC_STATES = {
    "rectify": (_l("Being checked and put right"),
                _l("You were not satisfied with our answer. We are checking it and putting it right, and will answer you again.")),
    "stage": (_l("Being handled"), _l("Your case is being handled. You will be answered by the date shown.")),
    "done": (_l("Closed"), _l("Your case is closed.")),
}


def public_texts(state) -> tuple[str, str]:
    """A state's public label and explanation in the reader's language: as the workflow declares
    them, else by the kind of state (running a stage, finished); else the staff label alone."""
    if state.public_label_zh or state.public_label_en:
        return pick(state, "public_label"), pick(state, "public_explanation")
    if state.stage == "rectify":
        kind = "rectify"
    elif state.stage:
        kind = "stage"
    elif state.done or state.terminal:
        kind = "done"
    else:
        return pick(state, "label"), ""
    label, explanation = FALLBACK_PUBLIC_STATES[kind]
    return str(label), str(explanation)


def state_label(case: Case) -> str:
    """The staff's label of the case's state (staff pages)."""
    try:
        return pick(_workflow(case).state(case.state), "label")
    except KeyError:
        return case.state


def public_state_of(case: Case) -> tuple[str, str]:
    try:
        return public_texts(_workflow(case).state(case.state))
    except KeyError:
        return case.state, ""


def next_steps(wf) -> list[tuple[str, str]]:
    """What happens next, for the receipt: the workflow's public steps with their explanations,
    else its published closed-loop steps."""
    steps = [public_texts(s) for s in wf.public_steps()]
    if steps:
        return steps
    return [(choose(z, e), "") for z, e in zip(wf.steps_zh, wf.steps_en)]


def outcome_label(case: Case) -> str:
    if not case.outcome:
        return ""
    label = OUTCOME_LABELS.get(case.outcome)
    return str(label) if label is not None else redact(case.outcome, complainant_values(case))


def public_case_view(case: Case) -> dict:
    """Everything the tracking page and receipt show, with free text redacted."""
    wf = _workflow(case)
    known = complainant_values(case)
    events = []
    for ev in case.events:
        if not ev.public:
            continue
        label = ACTION_LABELS.get(ev.action)
        if ev.action in ("rate", "rate_bad") and (ev.data or {}).get("defaulted"):
            label = DEFAULTED_RATING_LABEL
        if label is None:
            t = wf.transition(ev.action)
            label = pick(t, "label") if t else ev.action
        note = redact(ev.note, known) if note_is_public(ev) else ""
        events.append(PublicEvent(ev.at, str(label), note))
    now = datetime.now(timezone.utc)
    stored = [d for d in case.deadlines if not d.superseded]
    try:
        done = wf.state(case.state).done
    except KeyError:
        done = False
    last_rating = case.ratings[-1] if case.ratings else None
    state, state_explanation = public_state_of(case)
    return {
        "state": state,
        "state_explanation": state_explanation,
        "next_steps": next_steps(wf),
        "done": done,
        "events": events,
        "reply": redact(case.reply, known),
        "replied_at": case.replied_at,
        "outcome": outcome_label(case),
        "summary": redact(case.public_summary, known),
        "running": [deadline_view(d, now) for d in case.running_deadlines],
        "deadlines": [deadline_view(d, now) for d in stored],
        "overdue": is_overdue(case, now),
        "paused": case.is_paused,
        "matter": redact(case.matter, known),
        "jurisdiction": pick(case.jurisdiction, "name"),
        "centre": pick(case.centre, "name") if case.centre else "",
        "steps": [choose(z, e) for z, e in zip(wf.steps_zh, wf.steps_en)],
        "rating": str(RATING_LABELS.get(last_rating.level, "")) if last_rating else "",
        "rated_at": last_rating.at if last_rating else None,
        "rating_defaulted": bool(last_rating and last_rating.source == "default"),
        "default_rule": default_rating_rule(case) if last_rating and last_rating.source == "default" else "",
        "default_source": default_rating_source(case) if last_rating and last_rating.source == "default" else "",
    }


def default_rating_source(case: Case) -> str:
    """Where the rule of the latest default rating comes from, in the reader's language, as stored
    with its event; "" when it was stored without one."""
    ev = next((e for e in reversed(case.events)
               if e.action in ("rate", "rate_bad") and (e.data or {}).get("defaulted")), None)
    source = RuleSource.from_dict((ev.data or {}).get("rule_source")) if ev is not None else None
    return format_source(source) if source is not None else ""


def default_rating_rule(case: Case) -> str:
    """The rule under which the latest rating was given by default, in the reader's language,
    as stored with its event (a later change of the rule does not rewrite it)."""
    ev = next((e for e in reversed(case.events)
               if e.action in ("rate", "rate_bad") and (e.data or {}).get("defaulted")), None)
    if ev is None:
        return ""
    data = ev.data or {}
    rule, zh = data.get("rule") or "", data.get("rule_zh") or ""
    if lang() == "en" or not zh:
        return strip_internal_tag(rule or zh)
    return strip_internal_tag(choose(zh, rule))
