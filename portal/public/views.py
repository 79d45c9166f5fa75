"""What of a case the public may see: redacted text, public events, deadlines. No identity.

Everything the receipt and the tracking page show goes through ``public_case_view``:
free text is redacted (shapes of personal data and the complainant's own values), and
nothing of the complainant, the staff or the internal notes is passed to templates.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..engine.deadlines import is_overdue
from ..i18n import choose, lang, pick
from ..models import Case, CaseDeadline
from ..privacy import complainant_values, redact

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
#: Only these actions' notes are written for the person (the reply, the referral, what to bring).
PUBLIC_NOTE_ACTIONS = frozenset({"reply", "refer", "pause"})

OUTCOME_LABELS = {
    "resolved": _l("Resolved"),
    "partly_resolved": _l("Partly resolved"),
    "not_resolved": _l("Not resolved"),
    "unresolved": _l("Not resolved"),
    "referred": _l("Explained and referred elsewhere"),
    "explained": _l("Explained: it cannot be done under current rules"),
}

STAGE_LABELS = {
    "reply": _l("Answer"),
    "rectify": _l("Verify and put right after a bad rating"),
}

RATING_LABELS = {5: _l("Very satisfied"), 4: _l("Satisfied"), 3: _l("Basically satisfied"),
                 2: _l("Dissatisfied"), 1: _l("Very dissatisfied")}

# Internal source references ("(seed 002)", "(DOMAIN national rules)") are for staff, not the public.
_SOURCE_REF = re.compile(r"\s*[(（](?:seed \d+|DOMAIN[^)）]*|core default)[)）]\s*$", re.IGNORECASE)


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
    """The stored rule without the internal source reference."""
    return _SOURCE_REF.sub("", rule or "").strip()


def rule_text(d: CaseDeadline) -> str:
    """A stored deadline's rule in the reader's language, with its source reference.

    English readers get ``rule``; Chinese readers the Chinese text stored with the row
    (``explanation["rule_zh"]``, written since rules have one), else the text today's plugins
    give that English rule, converted with s2t for zh_Hant; else the English rule as stored.
    """
    if lang() == "en":
        return d.rule or ""
    zh = (d.explanation or {}).get("rule_zh") or ""
    if not zh:
        host = current_app.extensions.get("portal_plugins")
        zh = host.rule_zh(d.rule) if host is not None and d.rule else ""
    return choose(zh, d.rule or "") if zh else (d.rule or "")


def clock_label(case: Case | None, code: str) -> str:
    """A clock's name for readers: the core's stage names, else the label the workflow declares."""
    if code in STAGE_LABELS:
        return str(STAGE_LABELS[code])
    if case is not None:
        try:
            spec = next((c for c in _workflow(case).clock_specs() if c.code == code), None)
        except Exception:  # noqa: BLE001 - a jurisdiction no plugin owns any more: no label
            spec = None
        if spec is not None:
            return pick(spec, "label")
    return code


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
        due_at=d.due_at, started_at=d.started_at, rule=public_rule(rule_text(d)), paused_days=d.paused_days,
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


def state_label(case: Case) -> str:
    try:
        return pick(_workflow(case).state(case.state), "label")
    except KeyError:
        return case.state


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
        note = redact(ev.note, known) if ev.action in PUBLIC_NOTE_ACTIONS else ""
        events.append(PublicEvent(ev.at, str(label), note))
    now = datetime.now(timezone.utc)
    stored = [d for d in case.deadlines if not d.superseded]
    active = case.active_deadline
    try:
        done = wf.state(case.state).done
    except KeyError:
        done = False
    last_rating = case.ratings[-1] if case.ratings else None
    return {
        "state": state_label(case),
        "done": done,
        "events": events,
        "reply": redact(case.reply, known),
        "replied_at": case.replied_at,
        "outcome": outcome_label(case),
        "summary": redact(case.public_summary, known),
        "deadline": deadline_view(active, now) if active is not None else None,
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
        "default_rule": public_rule(default_rating_rule(case)) if last_rating and last_rating.source == "default" else "",
    }


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
        return rule or zh
    return choose(zh, rule)
