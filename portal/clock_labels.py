"""The names readers see for a case's clocks (deadlines).

The core's stage clocks have plain names of their own; any other clock is called by the label
its workflow declares (``ClockSpec.label_zh``/``label_en``). The public pages, the staff case
page and the action forms all use these, so one clock has one name everywhere, never its code.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from .i18n import pick

STAGE_LABELS = {
    "reply": _l("Answer"),
    "rectify": _l("Verify and put right after a bad rating"),
}


def clock_label(case, code: str) -> str:
    """A clock's name for readers: the core's stage names, else the label the workflow declares."""
    if code in STAGE_LABELS:
        return str(STAGE_LABELS[code])
    if case is not None:
        try:
            workflow = current_app.extensions["portal_plugins"].for_jurisdiction(
                case.jurisdiction.code).portal_workflow()
            spec = next((c for c in workflow.clock_specs() if c.code == code), None)
        except Exception:  # noqa: BLE001 - a jurisdiction no plugin owns any more: no label
            spec = None
        if spec is not None:
            return pick(spec, "label")
    return code
