"""The staff roles, accountability kinds and complexity levels of each jurisdiction: the core's
fixed lists plus what the jurisdiction's plugin adds through ``portal_vocabulary``, collected
once when the app starts (so a clash stops the app, not a page).

A role is a set of the core's CAPABILITIES; access checks ask ``can(role, capability)``, never
for a role name, so a plugin's role does exactly what its capabilities allow.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .contracts import (
    ACTORS,
    CAPABILITIES,
    COMPLEXITIES,
    CORE_ACCOUNTABILITY_KINDS,
    CORE_ROLE_CAPABILITIES,
    IMPLY_READ_ALL,
    ROLES,
    SYSTEM_ROLES,
    AccountabilityKind,
    ComplexityLevel,
    RoleSpec,
)

#: A code that fits the role and complexity columns (String(20)) and reads as a name.
CODE = re.compile(r"^[a-z][a-z0-9_]{0,19}$")
CONCERNS = ("staff", "department")


@dataclass
class JurisdictionTerms:
    """One jurisdiction's additions, in the order its plugin declared them."""

    roles: list[RoleSpec] = field(default_factory=list)
    kinds: list[AccountabilityKind] = field(default_factory=list)
    complexities: list[ComplexityLevel] = field(default_factory=list)


class StaffVocabulary:
    """Every jurisdiction's roles, accountability kinds and complexity levels."""

    def __init__(self):
        self._roles: dict[str, tuple[str, RoleSpec]] = {}  # code -> (plugin, spec)
        self._kinds: dict[str, tuple[str, AccountabilityKind]] = {}
        self._levels: dict[str, tuple[str, ComplexityLevel]] = {}
        self._terms: dict[str, JurisdictionTerms] = {}

    # -- building (raises ValueError; the plugin host turns it into a PluginError) ------------
    def add(self, plugin: str, jurisdiction: str, answers) -> None:
        terms = self._terms.setdefault(jurisdiction, JurisdictionTerms())
        for vocab in answers:
            if vocab is None:
                continue
            for role in vocab.roles:
                self._check_role(plugin, role)
                self._claim(self._roles, "role", plugin, role)
                if role not in terms.roles:
                    terms.roles.append(role)
            for kind in vocab.accountability_kinds:
                if kind.concerns not in CONCERNS:
                    raise ValueError(f"accountability kind {kind.code!r}: concerns must be 'staff' or 'department'")
                self._check_code("accountability kind", kind.code, tuple(CORE_ACCOUNTABILITY_KINDS))
                self._claim(self._kinds, "accountability kind", plugin, kind)
                if kind not in terms.kinds:
                    terms.kinds.append(kind)
            for level in vocab.complexities:
                self._check_code("complexity level", level.code, COMPLEXITIES)
                if level.treated_as not in COMPLEXITIES:
                    raise ValueError(f"complexity level {level.code!r}: treated_as must be one of {COMPLEXITIES}")
                self._claim(self._levels, "complexity level", plugin, level)
                if level not in terms.complexities:
                    terms.complexities.append(level)

    @staticmethod
    def _check_code(what: str, code: str, core: tuple[str, ...]) -> None:
        if not CODE.match(code or ""):
            raise ValueError(f"{what} {code!r}: use at most 20 lower-case letters, digits and underscores")
        if code in core:
            raise ValueError(f"{what} {code!r} is the core's own")

    def _check_role(self, plugin: str, role: RoleSpec) -> None:
        self._check_code("role", role.code, ACTORS + SYSTEM_ROLES)
        caps = frozenset(role.capabilities)
        if not caps or not caps <= set(CAPABILITIES):
            raise ValueError(f"role {role.code!r}: capabilities must be some of {CAPABILITIES}, not {sorted(caps)}")
        if "read_all" in caps and "read" not in caps:
            raise ValueError(f"role {role.code!r}: read_all widens read; declare read too")

    @staticmethod
    def _claim(table: dict, what: str, plugin: str, spec) -> None:
        held = table.get(spec.code)
        if held is not None and held[0] != plugin:
            raise ValueError(f"{what} {spec.code!r} is declared by plugins {held[0]!r} and {plugin!r}")
        if held is not None and held[1] != spec:
            raise ValueError(f"{what} {spec.code!r} is declared twice by {plugin!r}, differently")
        table[spec.code] = (plugin, spec)

    # -- roles ----------------------------------------------------------------------------------
    def capabilities(self, role: str) -> frozenset[str]:
        """What ``role`` may do: what it declares, plus ``read_all`` when it takes matters in,
        hands them on, supervises or administers (IMPLY_READ_ALL)."""
        if role in CORE_ROLE_CAPABILITIES:
            caps = CORE_ROLE_CAPABILITIES[role]
        else:
            held = self._roles.get(role)
            caps = frozenset(held[1].capabilities) if held else frozenset()
        return caps | {"read_all"} if caps & IMPLY_READ_ALL else caps

    def can(self, role: str, *capabilities: str) -> bool:
        """True when the role has any of ``capabilities``."""
        return bool(self.capabilities(role) & set(capabilities))

    def role_spec(self, code: str) -> RoleSpec | None:
        held = self._roles.get(code)
        return held[1] if held else None

    def roles_for(self, jurisdiction: str) -> tuple[str, ...]:
        """The roles a user of ``jurisdiction`` may have: the core's, then its plugin's."""
        return ROLES + tuple(r.code for r in self._terms.get(jurisdiction, JurisdictionTerms()).roles)

    def actors_for(self, jurisdiction: str) -> tuple[str, ...]:
        """Who a transition of the jurisdiction's workflow may name (plugin roles that may act)."""
        extra = self._terms.get(jurisdiction, JurisdictionTerms()).roles
        return ACTORS + tuple(r.code for r in extra if "act" in r.capabilities)

    def roles_with(self, *capabilities: str) -> tuple[str, ...]:
        """Every role code, the core's (system roles last) and the plugins', that has any of
        ``capabilities``."""
        codes = list(ROLES) + list(SYSTEM_ROLES) + list(self._roles)
        return tuple(c for c in codes if self.can(c, *capabilities))

    def department_roles(self) -> tuple[str, ...]:
        """Roles that work the cases handed to a department: they act on cases but neither take
        matters in nor hand them on (no ``assign``). The core's ``handler``, and any plugin role
        built the same way; a user with one of them and a department is that department's staff."""
        return tuple(c for c in self.roles_with("act") if not self.can(c, "assign"))

    # -- accountability kinds ---------------------------------------------------------------------
    def kinds_for(self, jurisdiction: str) -> dict[str, str]:
        """``{kind: concerns}`` of the jurisdiction: the core's kinds, then its plugin's."""
        out = dict(CORE_ACCOUNTABILITY_KINDS)
        out.update({k.code: k.concerns for k in self._terms.get(jurisdiction, JurisdictionTerms()).kinds})
        return out

    def kind_codes(self) -> tuple[str, ...]:
        """Every enabled plugin's accountability kinds."""
        return tuple(self._kinds)

    def kind_spec(self, code: str) -> AccountabilityKind | None:
        held = self._kinds.get(code)
        return held[1] if held else None

    # -- complexity levels -----------------------------------------------------------------------
    def complexities_for(self, jurisdiction: str) -> tuple[str, ...]:
        return COMPLEXITIES + tuple(c.code for c in self._terms.get(jurisdiction, JurisdictionTerms()).complexities)

    def complexity_spec(self, code: str) -> ComplexityLevel | None:
        held = self._levels.get(code)
        return held[1] if held else None

    def treated_as(self, complexity: str) -> str:
        """The core complexity whose time limit applies when no plugin answers for ``complexity``."""
        if complexity in COMPLEXITIES:
            return complexity
        level = self.complexity_spec(complexity)
        return level.treated_as if level else "general"


def current():
    """The running app's vocabulary."""
    from flask import current_app

    return current_app.extensions["portal_plugins"].vocabulary


def can(role: str, *capabilities: str) -> bool:
    """Whether ``role`` has any of ``capabilities`` in the running app."""
    return current().can(role, *capabilities)


def works_for_department(user) -> bool:
    """Whether ``user`` is a department's own staff: a department and a department role
    (notices of the cases assigned to it, and the queue's "my department" view)."""
    return user.department_id is not None and user.role in current().department_roles()
