"""What of a case the public may see: redacted text, public events, deadlines. No identity."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..engine.deadlines import is_overdue
from ..i18n import choose, pick
from ..models import Case
from ..privacy import redact

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


@dataclass
class PublicEvent:
    at: datetime
    label: str
    note: str


def state_label(case: Case) -> str:
    host = current_app.extensions["portal_plugins"]
    wf = host.for_jurisdiction(case.jurisdiction.code).portal_workflow()
    try:
        return pick(wf.state(case.state), "label")
    except KeyError:
        return case.state


def public_case_view(case: Case) -> dict:
    """Everything the tracking page and receipt show, with free text redacted."""
    host = current_app.extensions["portal_plugins"]
    wf = host.for_jurisdiction(case.jurisdiction.code).portal_workflow()
    events = []
    for ev in case.events:
        if not ev.public:
            continue
        label = ACTION_LABELS.get(ev.action)
        if label is None:
            t = wf.transition(ev.action)
            label = pick(t, "label") if t else ev.action
        note = redact(ev.note) if ev.action in ("reply", "refer", "pause") else ""
        events.append(PublicEvent(ev.at, str(label), note))
    now = datetime.now(timezone.utc)
    deadlines = [d for d in case.deadlines if not d.superseded]
    return {
        "state": state_label(case),
        "events": events,
        "reply": redact(case.reply),
        "deadline": case.active_deadline,
        "deadlines": deadlines,
        "overdue": is_overdue(case, now),
        "paused": case.is_paused,
        "matter": redact(case.matter),
        "steps": [choose(z, e) for z, e in zip(wf.steps_zh, wf.steps_en)],
    }
