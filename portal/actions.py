"""The core's actions as the core plugin declares them (hook ``portal_actions``): each
action's form fields on the staff case page and its effect (``portal.engine.effects``).

A jurisdiction's plugin declares its own actions the same way, or replaces one of these
by declaring an ActionSpec for the same action name.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from .workdays import CALENDAR_DAYS, WORKING_DAYS, WORKING_HOURS
from .clock_labels import clock_label
from .complexity import complexity_choices
from .contracts import ActionField, ActionSpec
from .engine import deadlines, effects
from .i18n import pick, rating_choices

METHOD_LABELS = {"phone": _l("By phone"), "in_person": _l("In person")}
REPLY_LABEL = _l("Reply to the person")
REPLY_HINT = _l("The person reads this reply; edit the text before sending.")


def _hooks(case):
    return current_app.extensions["portal_plugins"].for_jurisdiction(case.jurisdiction.code)


def category_choices(case):
    return [(c.code, pick(c, "name")) for c in _hooks(case).portal_categories()]


def department_choices(case):
    """The departments of the case's jurisdiction: the only ones its actions may name."""
    return [(d.id, pick(d, "name")) for d in case.jurisdiction.departments]


def _next_tier_text(case):
    tier = effects.next_tier(case)
    return f"→ {pick(tier, 'name')}" if tier is not None else ""


def _clock_running(case):
    return bool(case.running_deadlines)


def several_clocks(case) -> bool:
    """A clock choice is offered only when more than one clock runs on the case."""
    return len(case.running_deadlines) > 1


#: A clock offered for an extension, with the unit its amount is counted in.
CLOCK_IN_UNIT = {WORKING_DAYS: _l("%(clock)s (in working days)"), CALENDAR_DAYS: _l("%(clock)s (in calendar days)"),
                 WORKING_HOURS: _l("%(clock)s (in working hours)")}


def _clock_choices(case, first, rows, with_unit=False):
    """``("", first)`` then the clocks ``rows``, by the names readers know them by."""
    def name(d):
        label = clock_label(case, d.clock)
        return CLOCK_IN_UNIT[d.unit or WORKING_DAYS] % {"clock": label} if with_unit else label
    return [("", first)] + [(d.clock, name(d)) for d in rows]


def _clock_field(choices, *, required=False, message=_l("Choose one of the running clocks.")):
    return ActionField("clock", _l("Clock"), "choice", required=required, choices=choices,
                       offered=several_clocks, message=message)


def _extension_units(case) -> set[str]:
    return {d.unit or WORKING_DAYS for d in case.running_deadlines}


def extension_label(case):
    """The amount's label in the unit of the case's clocks (or of the clock to be chosen)."""
    units = _extension_units(case)
    if len(units) == 1:
        return EXTENSION_LABELS[units.pop()]
    return _l("Extra time, in the unit of the clock chosen")


def extension_message(case):
    units = _extension_units(case)
    if len(units) == 1:
        return effects.extension_bounds_message(units.pop())
    return _l("Enter the extra time as a whole number of at least 1, in the unit of the clock chosen.")


EXTENSION_LABELS = {WORKING_DAYS: _l("Extra working days"), CALENDAR_DAYS: _l("Extra calendar days"),
                    WORKING_HOURS: _l("Extra working hours")}
PAUSE_CLOCK = _clock_field(lambda case: _clock_choices(
    case, _l("Every running clock"), deadlines.chosen(case, None, paused=False)))
RESUME_CLOCK = _clock_field(lambda case: _clock_choices(
    case, _l("Every paused clock"), deadlines.chosen(case, None, paused=True)))
EXTEND_CLOCK = _clock_field(lambda case: _clock_choices(
    case, _l("Choose the clock to extend"), case.running_deadlines, with_unit=True),
    required=True, message=_l("Choose the clock to extend."))


CORE_ACTIONS = (
    ActionSpec("classify", effect=effects.classify, fields=(
        ActionField("category", _l("Category"), "choice", choices=category_choices,
                    default=lambda case: case.category, message=_l("Unknown category for this jurisdiction.")),
        ActionField("complexity", _l("Complexity"), "choice", choices=lambda case: complexity_choices(case.jurisdiction.code),
                    default=lambda case: case.complexity),
    )),
    ActionSpec("assign", effect=effects.assign, fields=(
        ActionField("lead_department_id", _l("Lead department"), "choice", required=True, coerce=int,
                    choices=department_choices, default=lambda case: case.lead_department_id,
                    message=_l("Choose a lead department of this jurisdiction.")),
        ActionField("co_department_ids", _l("Co-handling departments"), "choices", coerce=int,
                    choices=department_choices, default=lambda case: [d.id for d in case.co_departments],
                    message=_l("Co-handling departments must belong to this jurisdiction.")),
    ), data_labels=(("lead", _l("Lead department")), ("co", _l("Co-handling departments")))),
    ActionSpec("reply", effect=effects.reply, note_label=REPLY_LABEL, note_hint=REPLY_HINT, canned_replies=True,
               data_labels=(("outcome", _l("Outcome")),)),
    ActionSpec("refer", effect=effects.refer, note_label=REPLY_LABEL, note_hint=REPLY_HINT),
    ActionSpec("escalate", effect=effects.escalate, describe=_next_tier_text,
               available=lambda case: effects.next_tier(case) is not None,
               data_labels=(("to_tier", _l("Escalated to")),)),
    ActionSpec("pause", effect=effects.pause, available=deadlines.can_pause, fields=(PAUSE_CLOCK,)),
    ActionSpec("resume", effect=effects.resume, available=deadlines.can_resume, fields=(RESUME_CLOCK,),
               data_labels=(("paused_working_days", _l("Working days paused")),)),
    ActionSpec("extend", effect=effects.extend, available=_clock_running, note_label=_l("Reason for the extension"),
               fields=(EXTEND_CLOCK,
                       # the bounds depend on the clock chosen: the effect checks them
                       ActionField("days", extension_label, "integer", required=True, default=3,
                                   message=extension_message)),
               data_labels=(("days", EXTENSION_LABELS[WORKING_DAYS]), ("hours", EXTENSION_LABELS[WORKING_HOURS]),
                            ("calendar_days", EXTENSION_LABELS[CALENDAR_DAYS]),
                            ("due_date", _l("New due date")))),
    ActionSpec("flag_overdue", effect=effects.flag_overdue, available=_clock_running),
    ActionSpec("rate", effect=effects.rate, data_labels=(("level", _l("Rating")),)),
    ActionSpec("rate_bad", effect=effects.rate, data_labels=(("level", _l("Rating")),)),
    ActionSpec("return_visit", effect=effects.return_visit, fields=(
        ActionField("method", _l("How"), "choice", required=True, choices=lambda case: list(METHOD_LABELS.items()),
                    message=_l("Record how the visit was made and the person's satisfaction.")),
        ActionField("satisfaction", _l("The person's satisfaction"), "choice", required=True, coerce=int,
                    choices=lambda case: [(int(v), label) for v, label in rating_choices()],
                    message=_l("Record how the visit was made and the person's satisfaction.")),
    )),
    ActionSpec("close", effect=effects.close),
)
