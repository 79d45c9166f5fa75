"""One pluggy manager per app: core defaults plus the enabled jurisdiction plugins.

Installed is not enabled (CKAN): entry points in the ``portal`` group are loaded only
when their name is listed in ``PORTAL_JURISDICTIONS``. Jurisdiction-scoped hooks are
called through :meth:`PluginHost.for_jurisdiction`, which drops every jurisdiction
plugin except the owner, so a plugin can never answer for somebody else's cases.
"""
from __future__ import annotations

import importlib.metadata as md
import inspect
import logging
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import pluggy

from . import hookspecs
from .contracts import ActionSpec, JurisdictionSpec, StaffPages, Tables
from .vocabulary import StaffVocabulary

ENTRY_POINT_GROUP = "portal"
CORE_PLUGIN_NAME = "core"
#: The core's subscriber of case actions (portal/notify.py), registered like a plugin.
NOTIFIER_NAME = "core-notifications"
#: Registered by the core itself, answering for every jurisdiction.
CORE_NAMES = frozenset({CORE_PLUGIN_NAME, NOTIFIER_NAME})

log = logging.getLogger(__name__)


class PluginError(RuntimeError):
    """A plugin is misconfigured (unknown name, foreign jurisdiction code...)."""


@dataclass
class LoadedPlugin:
    name: str
    version: str
    module: str
    jurisdictions: list[str]
    hooks: list[str]


class ScopedHooks:
    """Hook callers limited to one jurisdiction's owner plugin and the core defaults."""

    def __init__(self, host: "PluginHost", jurisdiction: str):
        self._host = host
        self.jurisdiction = jurisdiction

    def __getattr__(self, name: str):
        caller = self._host._subset_caller(name, self.jurisdiction)

        def call(**kwargs):
            kwargs.setdefault("jurisdiction", self.jurisdiction)
            return caller(**kwargs)

        return call


class PluginHost:
    """Wraps the pluggy PluginManager with jurisdiction ownership."""

    def __init__(self, enabled: list[str] | None = None, extra_plugins: dict | None = None):
        self.pm = pluggy.PluginManager("portal")
        self.pm.add_hookspecs(hookspecs)
        from . import defaults

        self.pm.register(defaults.CorePlugin(), name=CORE_PLUGIN_NAME)
        from .notify import CaseNotifier

        self.pm.register(CaseNotifier(), name=NOTIFIER_NAME)
        core_version = _dist_version("bancheng-portal")
        self._versions: dict[str, str] = {CORE_PLUGIN_NAME: core_version, NOTIFIER_NAME: core_version}
        self._owner: dict[str, str] = {}
        self._specs: dict[str, JurisdictionSpec] = {}
        self._subsets: dict[tuple[str, str], object] = {}
        self._actions: dict[str, dict[str, ActionSpec]] = {}
        available = {ep.name: ep for ep in md.entry_points(group=ENTRY_POINT_GROUP)}
        for name in enabled or []:
            if name in (extra_plugins or {}):
                continue
            ep = available.get(name)
            if ep is None:
                raise PluginError(
                    f"Jurisdiction plugin {name!r} is enabled in PORTAL_JURISDICTIONS but not "
                    f"installed (installed: {', '.join(sorted(available)) or 'none'})."
                )
            self._register(name, ep.load(), ep.dist.version if ep.dist else "?")
        for name, obj in (extra_plugins or {}).items():
            self._register(name, obj, getattr(obj, "version", "?"))
        self._collect_jurisdictions()
        self.vocabulary = self._collect_vocabulary()
        self.tables()  # a misdeclared table stops the app at start, like a foreign jurisdiction code
        for code in self._owner:  # so does a misdeclared action, not the first case page that asks
            self.actions(code)

    # -- registration ----------------------------------------------------------
    def _register(self, name: str, obj, version: str) -> None:
        if inspect.isclass(obj):
            obj = obj()
        code = getattr(obj, "code", name)
        if code != name:
            raise PluginError(f"Plugin registered as {name!r} declares code {code!r}; they must match.")
        self.pm.register(obj, name=name)
        self._versions[name] = getattr(obj, "version", None) or version

    def _collect_jurisdictions(self) -> None:
        for impl in self.pm.hook.portal_jurisdictions.get_hookimpls():
            owner = impl.plugin_name
            for spec in impl.function() or ():
                if owner != CORE_PLUGIN_NAME and not (
                    spec.code == owner or spec.code.startswith(owner + "-")
                ):
                    raise PluginError(
                        f"Plugin {owner!r} declares jurisdiction {spec.code!r}; a plugin may only "
                        f"declare its own code or codes starting with '{owner}-'."
                    )
                if spec.code in self._owner and self._owner[spec.code] != CORE_PLUGIN_NAME:
                    raise PluginError(f"Jurisdiction {spec.code!r} declared twice.")
                self._owner[spec.code] = owner
                self._specs[spec.code] = spec
        # The core's demo jurisdiction is only offered when no jurisdiction plugin is on.
        if len({o for o in self._owner.values()}) > 1:
            for code in [c for c, o in self._owner.items() if o == CORE_PLUGIN_NAME]:
                del self._owner[code]
                del self._specs[code]

    def _collect_vocabulary(self) -> StaffVocabulary:
        """Each jurisdiction's roles, accountability kinds and complexity levels (portal_vocabulary);
        a code that clashes with the core's or another plugin's stops the app."""
        vocabulary = StaffVocabulary()
        for code, owner in self._owner.items():
            try:
                vocabulary.add(owner, code, self.for_jurisdiction(code).portal_vocabulary())
            except ValueError as e:
                raise PluginError(f"Plugin {owner!r}, jurisdiction {code!r}: {e}") from None
        return vocabulary

    def _plugin_answers(self, hook_name: str) -> list[tuple[str, object]]:
        """``(plugin name, answer)`` of every enabled plugin for a hook each plugin answers for
        itself, not for a jurisdiction (its staff pages, catalogues, tables); empty answers left out."""
        out = []
        for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
            answer = impl.function()
            if answer:
                out.append((impl.plugin_name, answer))
        return out

    def staff_pages(self) -> list[tuple[str, StaffPages]]:
        """``(plugin name, StaffPages)`` of every enabled plugin that has staff pages of its own.
        The blueprint must be named ``<plugin>_staff`` (one namespace per plugin, no clash with the
        core's or another plugin's endpoints)."""
        out = []
        for name, pages in self._plugin_answers("portal_staff_pages"):
            if getattr(pages.blueprint, "name", None) != f"{name}_staff":
                raise PluginError(f"Plugin {name!r}: its staff pages' blueprint must be named {name + '_staff'!r}.")
            out.append((name, pages))
        return out

    def translation_folders(self) -> list[tuple[str, str]]:
        """``(plugin name, folder)`` of every enabled plugin that ships catalogues of its own."""
        return [(name, str(folder)) for name, folder in self._plugin_answers("portal_translations")]

    def tables(self) -> list[tuple[str, Tables]]:
        """``(plugin name, Tables)`` of every enabled plugin with tables of its own, checked: each
        table is named ``<plugin>_...`` and the migrations folder exists."""
        cached = self.__dict__.get("_tables")
        if cached is not None:
            return cached
        out = []
        for name, tables in self._plugin_answers("portal_tables"):
            for model in tables.models:
                table = model.__table__.name
                if not table.startswith(name + "_") or table == version_table(name):
                    raise PluginError(f"Plugin {name!r} declares table {table!r}; a plugin's tables are "
                                      f"named '{name}_...' (and {version_table(name)!r} is its version table).")
            if not Path(tables.migrations).is_dir():
                raise PluginError(f"Plugin {name!r}: its migrations folder {tables.migrations!r} does not exist.")
            out.append((name, tables))
        self._tables = out
        return out

    def owns(self, plugin: str, jurisdiction: str) -> bool:
        return self._owner.get(jurisdiction) == plugin

    # -- lookups ---------------------------------------------------------------
    @property
    def hook(self):
        return self.pm.hook

    def jurisdiction_specs(self) -> list[JurisdictionSpec]:
        return list(self._specs.values())

    def spec(self, code: str) -> JurisdictionSpec:
        return self._specs[code]

    def owner_of(self, jurisdiction: str) -> str:
        try:
            return self._owner[jurisdiction]
        except KeyError:
            raise PluginError(f"No enabled plugin owns jurisdiction {jurisdiction!r}.") from None

    def for_jurisdiction(self, jurisdiction: str) -> ScopedHooks:
        """Hooks answered only by the owner of ``jurisdiction`` and the core defaults."""
        self.owner_of(jurisdiction)
        return ScopedHooks(self, jurisdiction)

    def _subset_caller(self, hook_name: str, jurisdiction: str):
        key = (hook_name, jurisdiction)
        caller = self._subsets.get(key)
        if caller is None:
            owner = self.owner_of(jurisdiction)
            others = [
                p for n, p in self.pm.list_name_plugin() if n != owner and n not in CORE_NAMES
            ]
            caller = self.pm.subset_hook_caller(hook_name, remove_plugins=others)
            self._subsets[key] = caller
        return caller

    def each_answer(self, hook_name: str, jurisdiction: str, guard=None, **kwargs) -> list[tuple[str, object]]:
        """``(plugin name, answer)`` of the jurisdiction's owner and the core for a hook whose
        answers are shown side by side (panels): each is asked on its own, inside ``guard()``
        when given (a savepoint, so a failed query leaves the page's transaction usable), and
        one that fails is logged and left out instead of failing the page; so are ``None``s."""
        owner = self.owner_of(jurisdiction)
        out = []
        for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
            if impl.plugin_name != owner and impl.plugin_name not in CORE_NAMES:
                continue
            try:
                given = {"jurisdiction": jurisdiction, **kwargs}
                with guard() if guard is not None else nullcontext():
                    answer = impl.function(**{name: given[name] for name in impl.argnames})
            except Exception:  # noqa: BLE001 - a plugin's bug must not take the core's page down
                log.exception("plugin %r failed in %s for jurisdiction %r; its answer is left out",
                              impl.plugin_name, hook_name, jurisdiction)
                continue
            if answer is not None:
                out.append((impl.plugin_name, answer))
        return out

    def time_limit(self, jurisdiction: str, *, category, complexity: str, stage: str):
        """The TimeLimit of a stage: asked with the case's complexity; a plugin's level that no
        plugin answers for gets the limit of the core complexity it is ``treated_as``."""
        hooks = self.for_jurisdiction(jurisdiction)
        limit = hooks.portal_time_limit(category=category, complexity=complexity, stage=stage)
        fallback = self.vocabulary.treated_as(complexity)
        if limit is None and fallback != complexity:
            limit = hooks.portal_time_limit(category=category, complexity=fallback, stage=stage)
        return limit

    def actions(self, jurisdiction: str) -> dict[str, ActionSpec]:
        """Action name -> ActionSpec for a jurisdiction (hook ``portal_actions``): asked only of
        its owner and the core, so no plugin acts for another's cases. The owner's spec of an
        action replaces the core's (the core answers last). Cached: specs are data, what
        depends on the case is in their functions."""
        specs = self._actions.get(jurisdiction)
        if specs is None:
            owner = self.owner_of(jurisdiction)
            specs = {}
            for answer in self.for_jurisdiction(jurisdiction).portal_actions():
                seen = set()
                for spec in answer or ():
                    if not isinstance(spec, ActionSpec):
                        raise PluginError(f"portal_actions for {jurisdiction!r} returned {spec!r}, not an ActionSpec.")
                    if spec.action in seen:
                        raise PluginError(f"portal_actions for {jurisdiction!r} declares {spec.action!r} twice "
                                          f"(plugin {owner!r} or the core).")
                    seen.add(spec.action)
                    specs.setdefault(spec.action, spec)
            self._actions[jurisdiction] = specs
        return specs

    def time_limits(self, jurisdiction: str) -> list:
        """Every TimeLimit a jurisdiction can hand out: each stage of its workflow (and ``rectify``),
        each category (and none), each complexity (the core's and its plugin's levels). For checks
        and for translating stored rules."""
        hooks = self.for_jurisdiction(jurisdiction)
        workflow = hooks.portal_workflow()
        clocks = workflow.clock_specs()
        stages = sorted({s.stage for s in workflow.states if s.stage} | {"rectify"}
                        | {c.code for c in clocks if c.limit is None})
        categories = [None] + [c.code for c in hooks.portal_categories() or ()]
        out = [c.limit for c in clocks if c.limit is not None]  # a clock's own limit
        for stage in stages:
            for category in categories:
                for complexity in self.vocabulary.complexities_for(jurisdiction):
                    limit = self.time_limit(jurisdiction, category=category, complexity=complexity, stage=stage)
                    if limit is not None and limit not in out:
                        out.append(limit)
        return out

    def limit_for_stored(self, rule: str, days: int):
        """Today's TimeLimit that a stored deadline row's rule text stands for, or None.

        Rows written before rules carried their source store only a text (English, maybe with an
        internal tag such as "(seed 001)"); they are matched with today's limits by that text
        without its tag, by a text the limit declares it was ``formerly`` worded as, and by the
        number of days (a reworded limit with other days is another rule)."""
        from .rule_sources import strip_internal_tag

        table = self.__dict__.get("_rule_table")
        if table is None:
            table = {}
            for code in self._owner:
                try:
                    for limit in self.time_limits(code):
                        for text in (limit.rule, limit.rule_zh, *limit.formerly):
                            if text:
                                table.setdefault((strip_internal_tag(text), limit.days), limit)
                except Exception:  # a plugin that cannot answer for a code only loses the lookup
                    continue
            self._rule_table = table
        return table.get((strip_internal_tag(rule), days))

    def describe(self) -> list[LoadedPlugin]:
        """What is loaded, with versions and implemented hooks (for `flask portal plugins`)."""
        out = []
        for name, plugin in self.pm.list_name_plugin():
            hooks = sorted(h.name for h in self.pm.get_hookcallers(plugin) or [])
            out.append(
                LoadedPlugin(
                    name=name,
                    version=self._versions.get(name, "?"),
                    module=type(plugin).__module__,
                    jurisdictions=sorted(c for c, o in self._owner.items() if o == name),
                    hooks=hooks,
                )
            )
        return out


def version_table(plugin: str) -> str:
    """Where a plugin's applied revisions are recorded: its own table, never the core's."""
    return f"{plugin}_alembic_version"


def _dist_version(dist: str) -> str:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "dev"


def installed_plugins() -> list[str]:
    return sorted(ep.name for ep in md.entry_points(group=ENTRY_POINT_GROUP))
