"""The stable facade jurisdiction plugins import (CKAN's toolkit idea).

Plugins import from here only, so the core can move its modules without breaking
them. Everything a plugin needs to declare its jurisdiction is re-exported.
"""
from __future__ import annotations

from pathlib import Path

from flask_babel import lazy_gettext
from wtforms import validators

from .contracts import (  # noqa: F401  (re-exported)
    CALENDAR_DAYS,
    WORKING_DAYS,
    WORKING_HOURS,
    AccountabilityOutcome,
    Branding,
    Category,
    CentreSpec,
    Channel,
    ClockSpec,
    DefaultRating,
    DepartmentSpec,
    EscalationTier,
    JurisdictionSpec,
    ScreeningResult,
    StaffLink,
    StaffPages,
    StateSpec,
    TimeLimit,
    Transition,
    WindowSpec,
    Workflow,
    WorkingHours,
    stage_clocks,
)
from .hookspecs import hookimpl  # noqa: F401

# Records some jurisdictions keep beside cases (Xuanwu accountability, Beijing fault-finding
# day, Dazhou rota), the session to write them with and the jurisdiction's working calendar.
from .engine.calendars import calendar_for as working_calendar  # noqa: F401
from .extensions import db  # noqa: F401
from .models import AccountabilityRecord, Department, RotaEntry, SupervisionRecord  # noqa: F401

# A plugin's own staff pages (hook portal_staff_pages): the guard for its views, the signed-in
# user's jurisdictions the plugin owns, and the audit trail administrative changes go to.
from .staff.access import audit  # noqa: F401
from .staff.plugin_pages import staff_jurisdiction_choices, staff_jurisdictions, staff_page  # noqa: F401
from .i18n import pick  # noqa: F401  (a row's name_zh / name_en by the page's language)


def local_today():
    """Today's date where the windows are (Asia/Shanghai), whatever the server's time zone."""
    from .calendar import local_date
    from .models.base import utcnow

    return local_date(utcnow())

_l = lazy_gettext


class JurisdictionPlugin:
    """Base class for one jurisdiction's plugin (FixMyStreet's cobrand idea).

    Subclasses set ``code`` and implement only the hooks where they differ from the
    core defaults, each with a one-line reason citing the source report.
    """

    code: str = ""
    version: str | None = None

    def owns(self, jurisdiction: str) -> bool:
        return jurisdiction == self.code or jurisdiction.startswith(self.code + "-")

    @classmethod
    def templates_folder(cls, module_file: str) -> str | None:
        folder = Path(module_file).resolve().parent / "templates"
        return str(folder) if folder.is_dir() else None

    @hookimpl
    def portal_translations(self):
        """The plugin's catalogues: the ``translations`` folder beside the module that defines
        the plugin class (``python -m portal.i18n_tools update-plugin <package folder>``)."""
        import sys

        module = sys.modules.get(type(self).__module__)
        folder = Path(module.__file__).resolve().parent / "translations" if module and module.__file__ else None
        return str(folder) if folder is not None and folder.is_dir() else None


def transition(action, sources, target, roles, label_zh, label_en, needs_note=False,
               public_note=False) -> Transition:
    """Shorthand for building a Transition in a plugin's workflow map."""
    if isinstance(sources, str):
        sources = (sources,)
    return Transition(action, tuple(sources), target, frozenset(roles), label_zh, label_en, needs_note,
                      public_note)


def clock_transitions(open_states) -> tuple:
    """The shared deadline-clock actions (pause, resume, extend, flag_overdue) for these states."""
    from .defaults import clock_transitions as core

    return core(tuple(open_states))


def core_workflow() -> Workflow:
    """The core default workflow, for plugins that extend rather than replace it."""
    from .defaults import DEFAULT_WORKFLOW

    return DEFAULT_WORKFLOW


def core_categories() -> tuple[Category, ...]:
    from .defaults import DEFAULT_CATEGORIES

    return DEFAULT_CATEGORIES


__all__ = [n for n in dir() if not n.startswith("_")] + ["validators"]
