"""Every hook a plugin can implement, in one module (the Datasette layout).

Hooks that take ``jurisdiction`` are only ever called on the plugin that owns that
jurisdiction plus the core defaults (see ``portal.plugins.PluginHost.for_jurisdiction``),
so no plugin can answer for another jurisdiction. Hooks are called with keywords.
"""
from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("portal")
hookimpl = pluggy.HookimplMarker("portal")


# -- identity -------------------------------------------------------------------
@hookspec
def portal_jurisdictions():
    """Return the JurisdictionSpecs this plugin owns (codes must start with its own code)."""


@hookspec(firstresult=True)
def portal_branding(jurisdiction):
    """Return the Branding for a jurisdiction. Stops at first non-None result."""


@hookspec
def portal_translations():
    """Return the folder of this plugin's own catalogues (<folder>/<locale>/LC_MESSAGES/messages.po), merged with the core's."""


@hookspec(firstresult=True)
def portal_template_folder(jurisdiction):
    """Return a folder whose templates override the core's for this jurisdiction. Stops at first non-None result."""


# -- intake ---------------------------------------------------------------------
@hookspec(firstresult=True)
def portal_intake_form(jurisdiction, base):
    """Return the intake form class (a subclass of ``base``) for a jurisdiction. Stops at first non-None result."""


@hookspec(firstresult=True)
def portal_intake_channels(jurisdiction):
    """Return the Channels through which a jurisdiction takes cases in. Stops at first non-None result."""


@hookspec
def portal_screen_case(jurisdiction, matter, description, data):
    """Return a ScreeningResult when a matter is outside the window's scope, else None."""


# -- handling -------------------------------------------------------------------
@hookspec(firstresult=True)
def portal_workflow(jurisdiction):
    """Return the jurisdiction's Workflow (states and allowed transitions). Stops at first non-None result."""


@hookspec
def portal_actions(jurisdiction):
    """Return ActionSpecs (an action's form fields and effect); the owner's replace the core's for the same action."""


@hookspec(firstresult=True)
def portal_categories(jurisdiction):
    """Return the jurisdiction's case Categories with handling guidance. Stops at first non-None result."""


@hookspec(firstresult=True)
def portal_time_limit(jurisdiction, category, complexity, stage):
    """Return the TimeLimit for a stage of a case. Stops at first non-None result."""


@hookspec(firstresult=True)
def portal_escalation_tiers(jurisdiction):
    """Return the ordered EscalationTiers, first tier = where a case starts. Stops at first non-None result."""


@hookspec(firstresult=True)
def portal_working_hours(jurisdiction):
    """Return the WorkingHours in which a jurisdiction's working-hour limits count. Stops at first non-None result."""


@hookspec(firstresult=True)
def portal_holiday_overrides(jurisdiction):
    """Return {date: is_working_day} single-day overrides for a jurisdiction. Stops at first non-None result."""


@hookspec(firstresult=True)
def portal_accountability_outcome(jurisdiction, kind, occurrence):
    """Return the AccountabilityOutcome of the n-th failure of a kind. Stops at first non-None result."""


@hookspec(firstresult=True)
def portal_default_rating(jurisdiction):
    """Return the DefaultRating given to replies the person leaves unrated, or None for none. Stops at first non-None result."""


@hookspec
def portal_vocabulary(jurisdiction):
    """Return a Vocabulary: the staff roles, accountability kinds and complexity levels a jurisdiction adds to the core's."""


# -- events ---------------------------------------------------------------------
@hookspec
def portal_case_transitioned(jurisdiction, case, event):
    """Called after a case action was committed; return values are ignored."""


@hookspec
def portal_guide_corrected(jurisdiction, correction):
    """Called after a guide correction was published; return values are ignored."""


# -- the plugin's own staff pages ------------------------------------------------
@hookspec
def portal_staff_pages():
    """Return StaffPages: a blueprint of the plugin's own staff pages (mounted at /staff/<plugin>/) and its links."""


@hookspec
def portal_case_panels(jurisdiction, case):
    """Return CasePanels (a heading and entries the core draws, escaped) for the staff page of one of the jurisdiction's cases."""


# -- the plugin's own tables ----------------------------------------------------
@hookspec
def portal_tables():
    """Return Tables: the plugin's own models (tables named ``<plugin>_...``) and its Alembic version folder."""
