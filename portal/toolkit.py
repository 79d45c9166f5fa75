"""The stable facade jurisdiction plugins import (CKAN's toolkit idea).

Plugins import from here only, so the core can move its modules without breaking them.
Importing it is light: the contracts, the hook marker and the models' base, never a view,
the search engine or the API (tests/test_plugin_tables.py checks in a fresh interpreter).
What needs the web side (the staff pages' guard, the audit trail, the calendars) is a
function that loads its module when it is called. Every name is documented in
docs/plugins.md ("The toolkit").
"""
from __future__ import annotations

from pathlib import Path

from flask_babel import lazy_gettext
from wtforms import validators

from .contracts import (  # noqa: F401  (re-exported)
    CAPABILITIES,
    AccountabilityKind,
    CALENDAR_DAYS,
    WORKING_DAYS,
    WORKING_HOURS,
    AccountabilityOutcome,
    ActionField,
    ActionSpec,
    Branding,
    Category,
    CasePanel,
    CentreSpec,
    Channel,
    ComplexityLevel,
    ClockSpec,
    DefaultRating,
    DepartmentSpec,
    EscalationTier,
    JurisdictionSpec,
    PanelEntry,
    RoleSpec,
    RuleSource,
    ScreeningResult,
    StaffLink,
    StaffPages,
    StateSpec,
    Tables,
    TimeLimit,
    Transition,
    Vocabulary,
    WindowSpec,
    Workflow,
    WorkingHours,
    stage_clocks,
)
from .extensions import db as _db
from .hookspecs import hookimpl  # noqa: F401
from .models.base import UTCDateTime, utcnow  # noqa: F401  (column type and default of a plugin's tables)
from .engine.errors import Invalid, NotAllowed  # noqa: F401  (what an action's effect refuses with)

_l = lazy_gettext

# -- the database ---------------------------------------------------------------------------------
#: Base class of a plugin's own models (tables named ``<plugin>_...``; see portal_tables).
Model = _db.Model

#: The core models a plugin may read and write, by stable name. The core may move or split its
#: model modules; these names keep answering.
STABLE_MODELS = ("AccountabilityRecord", "Case", "Department", "Jurisdiction", "StaffUser")


def session():
    """The database session of the current app context (add, flush; the core commits or the
    plugin's own staff view does)."""
    return _db.session


def model(name: str):
    """A core model by its stable name, e.g. ``model("Department")``; see STABLE_MODELS."""
    if name not in STABLE_MODELS:
        raise LookupError(f"{name!r} is not a stable model name; the toolkit offers {', '.join(STABLE_MODELS)}.")
    from . import models

    return getattr(models, name)


def adopt_rows(old: str, new: str) -> int:
    """In a plugin's migration: move the rows of a table the core used to own into the plugin's
    new table (same ids), then drop the old one; nothing when it is absent."""
    from .schema import adopt_rows as adopt

    return adopt(old, new)


# -- actions (hook portal_actions) -----------------------------------------------------------------
def core_actions() -> tuple:
    """The core's own ActionSpecs, for a plugin that extends one of them."""
    from .actions import CORE_ACTIONS

    return CORE_ACTIONS


def department_choices(case) -> list:
    """``(id, name)`` of the departments of the case's jurisdiction: the only ones an action may name."""
    from .actions import department_choices as choices

    return choices(case)


def record_accountability(kind: str, **kwargs):
    """Record the n-th accountability failure of a kind for a staff member or a department, with
    the outcome the jurisdiction's ``portal_accountability_outcome`` gives (keywords: ``staff``,
    ``department``, ``case``, ``note``, ``by``); the caller's transaction commits it."""
    from .accountability import record

    return record(kind, **kwargs)


def accountability_kind_label(code: str) -> str:
    """An accountability kind's name in the reader's language (the core's and the plugins' kinds)."""
    from .accountability import kind_label

    return kind_label(code)


# -- dates and calendars --------------------------------------------------------------------------
def local_today():
    """Today's date where the windows are (Asia/Shanghai), whatever the server's time zone."""
    from .workdays import local_date

    return local_date(utcnow())


def working_calendar(jurisdiction):
    """The jurisdiction's working calendar (weekends, holidays, make-up days, local overrides)."""
    from .engine.jurisdiction_calendars import calendar_for

    return calendar_for(jurisdiction)


def pick(obj, field: str):
    """A row's ``<field>_zh`` or ``<field>_en`` by the page's language."""
    from .i18n import pick as choose

    return choose(obj, field)


# -- a plugin's own staff pages (hook portal_staff_pages) ------------------------------------------
def staff_page(*roles: str, post_roles: tuple[str, ...] | None = None, capability: str | None = None,
               post_capability: str | None = None):
    """The guard for a plugin's staff views: signed in and allowed by ``capability`` (read, act,
    assign, supervise, administer; a plugin's own roles count by what they can) or by role names
    (``roles``); POST also needs ``post_capability`` (or one of ``post_roles``)."""
    from .staff.plugin_pages import staff_page as guard

    return guard(*roles, post_roles=post_roles, capability=capability, post_capability=post_capability)


def current_staff():
    """The signed-in staff user of this request, or None (outside a request, or the public)."""
    from flask import has_request_context
    from flask_login import current_user

    if not has_request_context() or not current_user.is_authenticated:
        return None
    return current_user._get_current_object()


def staff_jurisdictions() -> list:
    """The signed-in user's jurisdictions that the plugin of this page owns."""
    from .staff.plugin_pages import staff_jurisdictions as mine

    return mine()


def staff_jurisdiction_choices() -> list[tuple[str, str]]:
    """The same as (code, name) choices for a select field."""
    from .staff.plugin_pages import staff_jurisdiction_choices as choices

    return choices()


def visible_cases():
    """A WHERE clause on ``model("Case")``: the cases the signed-in user may see (the whole
    jurisdiction's with ``read_all``, else their department's). Every plugin page that lists or
    opens cases adds it: ``select(...).join(Case, ...).where(visible_cases())``; a case outside
    it answers 404."""
    from .staff.access import visible_cases as condition

    return condition()


def audit(action: str, target: str = "", jurisdiction_id: int | None = None, **data):
    """Write an administrative change to the audit trail (committed with the plugin's change)."""
    from .staff.access import audit as write

    return write(action, target, jurisdiction_id, **data)


# -- declaring a jurisdiction ---------------------------------------------------------------------
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

    @classmethod
    def migrations_folder(cls, module_file: str) -> str:
        """The ``migrations/`` folder beside the plugin's module: its Alembic revisions."""
        return str(Path(module_file).resolve().parent / "migrations")


def transition(action, sources, target, roles, label_zh, label_en, needs_note=False,
               public_note=None, public=None) -> Transition:
    """Shorthand for building a Transition in a plugin's workflow map. ``public`` (the step
    shows on the person's timeline) and ``public_note`` (its note is written for the person)
    left as None follow the core's convention for the action's name."""
    if isinstance(sources, str):
        sources = (sources,)
    return Transition(action, tuple(sources), target, frozenset(roles), label_zh, label_en, needs_note,
                      public_note, public)


def clock_transitions(open_states) -> tuple:
    """The shared deadline-clock actions (pause, resume, extend, flag_overdue) for these states."""
    from .defaults import clock_transitions as core

    return core(tuple(open_states))


def public_state(kind: str) -> dict:
    """What the person reads for a common kind of state ("received", "handling", "checking",
    "rectifying", "replied", "visited", "closed", "referred", "archived"), as keyword arguments
    for ``StateSpec``: ``StateSpec("found", "发现问题", "Problem found", **public_state("received"))``."""
    from .defaults import public_state as core

    return core(kind)


def core_workflow() -> Workflow:
    """The core default workflow, for plugins that extend rather than replace it."""
    from .defaults import DEFAULT_WORKFLOW

    return DEFAULT_WORKFLOW


def with_roles(workflow: Workflow, roles, actions) -> Workflow:
    """``workflow`` with ``roles`` (e.g. a role the plugin adds) allowed to take ``actions`` too."""
    from dataclasses import replace

    unknown = set(actions) - {t.action for t in workflow.transitions}
    if unknown:
        raise ValueError(f"workflow {workflow.name} has no actions {sorted(unknown)}")
    return replace(workflow, transitions=tuple(
        replace(t, roles=t.roles | frozenset(roles)) if t.action in actions else t for t in workflow.transitions))


def core_categories() -> tuple[Category, ...]:
    from .defaults import DEFAULT_CATEGORIES

    return DEFAULT_CATEGORIES


_GONE = {
    "db": "use toolkit.session() for the session and toolkit.Model as your tables' base",
    "Department": 'use toolkit.model("Department")',
    "AccountabilityRecord": 'use toolkit.model("AccountabilityRecord")',
    "RotaEntry": "it is the Dazhou plugin's own table now (bancheng_plugins.dazhou.models)",
    "SupervisionRecord": "it is the Beijing plugin's own table now (bancheng_plugins.beijing.models)",
}


def __getattr__(name: str):
    if name in _GONE:
        raise AttributeError(f"portal.toolkit.{name} is no longer offered: {_GONE[name]} (docs/plugins.md).")
    raise AttributeError(f"module 'portal.toolkit' has no attribute {name!r}")


__all__ = [n for n in dir() if not n.startswith("_")] + ["validators"]
