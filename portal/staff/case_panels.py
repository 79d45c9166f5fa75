"""The sections a jurisdiction's plugin adds to the staff case page (hook ``portal_case_panels``).

Asked only of the case's owner plugin and the core (``PluginHost.each_answer``), so no plugin
shows anything on another jurisdiction's case. A plugin returns data (``CasePanel``), not HTML:
the core turns every value into plain text here and its template escapes it, so a plugin can
neither break the page's markup nor inject script, and its panels look like the core's own.
A panel that fails, here or in the plugin, is logged and left out; the page still opens.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from flask_babel import format_date, format_datetime

from ..contracts import CasePanel
from ..extensions import db
from .access import can

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShownEntry:
    title: str
    facts: tuple[tuple[str, str], ...]
    text: str


@dataclass(frozen=True)
class ShownPanel:
    """A panel as the template draws it: plain strings only."""

    plugin: str
    heading: str
    entries: tuple[ShownEntry, ...]
    empty: str


def as_text(value) -> str:
    """A value as plain text in the reader's language (a date formatted; markup made text)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return format_date(value)
    return str(value)  # a Markup (a str subclass) becomes a plain str, so the template escapes it


def _shown(plugin: str, panel) -> ShownPanel | None:
    if not isinstance(panel, CasePanel):
        raise TypeError(f"a {type(panel).__name__} is not a CasePanel")  # its type only: no case data in the log
    if not can(panel.capability):
        return None
    entries = tuple(ShownEntry(as_text(e.title), tuple((as_text(k), as_text(v)) for k, v in e.facts
                                                       if v not in (None, "")), as_text(e.text))
                    for e in panel.entries)
    if not entries and not panel.empty:
        return None
    return ShownPanel(plugin, as_text(panel.heading), entries, as_text(panel.empty))


def case_panels(case) -> list[ShownPanel]:
    """The panels the case's jurisdiction's plugin gives for this case, ready to draw."""
    host = current_app.extensions["portal_plugins"]
    out = []
    answers = host.each_answer("portal_case_panels", case.jurisdiction.code, guard=db.session.begin_nested, case=case)
    for plugin, answer in answers:
        try:
            panels = (answer,) if isinstance(answer, CasePanel) else tuple(answer)
        except TypeError:
            log.error("plugin %r answered portal_case_panels with a %s, not CasePanels; left out",
                      plugin, type(answer).__name__)
            continue
        for panel in panels:
            try:
                shown = _shown(plugin, panel)
            except Exception:  # noqa: BLE001 - a malformed panel is the plugin's bug, not the page's
                log.exception("plugin %r returned a panel the case page cannot draw; left out", plugin)
                continue
            if shown is not None:
                out.append(shown)
    return out
