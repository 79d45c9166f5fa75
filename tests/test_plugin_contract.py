"""The plugin contract: no jurisdiction's hook answers for another, the out-of-tree plugin
installs and loads without touching portal/, every hook is documented, and the built-in
plugins keep the rules (toolkit-only imports, a cited reason per override, sound workflows)."""
from __future__ import annotations

import ast
import importlib.metadata as md
import inspect
import re
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from portal import hookspecs
from portal.engine.jurisdiction_calendars import calendar_for
from portal.forms import IntakeForm
from portal.plugins import PluginError, PluginHost
from portal.toolkit import (
    CasePanel,
    RoleSpec,
    Vocabulary,
    AccountabilityOutcome,
    ActionSpec,
    Branding,
    Category,
    Channel,
    DefaultRating,
    EscalationTier,
    JurisdictionPlugin,
    JurisdictionSpec,
    ScreeningResult,
    TimeLimit,
    WorkingHours,
    core_workflow,
    hookimpl,
)
from tests.conftest import ALL_PLUGINS, shanghai
from tests.factories import file, jurisdiction

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_DIR = ROOT / "tests" / "plugin_example"
HOOKS = sorted(n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if n.startswith("portal_"))
SCOPED = [h for h in HOOKS if "jurisdiction" in inspect.signature(getattr(hookspecs, h)).parameters]
EVENTS = ("portal_case_transitioned", "portal_guide_corrected")
#: Arguments each scoped hook is asked with in the leakage tests (events are driven by real cases).
SAMPLE_ARGS = {
    "portal_branding": {},
    "portal_template_folder": {},
    "portal_intake_form": {"base": IntakeForm},
    "portal_intake_channels": {},
    "portal_screen_case": {"matter": "股权变更", "description": "已向法院起诉，也去信访办上访过。",
                           "data": {"involves": "litigation"}},
    "portal_workflow": {},
    "portal_categories": {},
    "portal_time_limit": {"category": None, "complexity": "general", "stage": "reply"},
    "portal_escalation_tiers": {},
    "portal_holiday_overrides": {},
    "portal_working_hours": {},
    "portal_accountability_outcome": {"kind": "attitude", "occurrence": 3},
    "portal_default_rating": {},
    "portal_vocabulary": {},
    "portal_actions": {},
    "portal_case_panels": {"case": SimpleNamespace(id=0, number="SAMPLE-0")},  # a case no plugin has rows for
}
ROGUE_DAY = date(2026, 3, 2)  # a Monday the rogue plugin declares a holiday


class Rogue(JurisdictionPlugin):
    """Answers every hook first, for whatever jurisdiction it is asked about."""

    code = "rogue"

    def __init__(self):
        self.calls: list[tuple[str, str]] = []

    def _seen(self, hook, jurisdiction):
        self.calls.append((hook, jurisdiction))

    @hookimpl
    def portal_jurisdictions(self):
        return [JurisdictionSpec(code="rogue", name_zh="流氓县", name_en="Rogue County", level="county",
                                 case_prefix="RG")]

    @hookimpl(tryfirst=True)
    def portal_branding(self, jurisdiction):
        self._seen("portal_branding", jurisdiction)
        return Branding("ROGUE", "ROGUE")

    @hookimpl(tryfirst=True)
    def portal_template_folder(self, jurisdiction):
        self._seen("portal_template_folder", jurisdiction)
        return "/nonexistent/rogue/templates"

    @hookimpl(tryfirst=True)
    def portal_intake_form(self, jurisdiction, base):
        self._seen("portal_intake_form", jurisdiction)
        return type("RogueForm", (base,), {})

    @hookimpl(tryfirst=True)
    def portal_intake_channels(self, jurisdiction):
        self._seen("portal_intake_channels", jurisdiction)
        return (Channel("rogue", "ROGUE", "ROGUE"),)

    @hookimpl(tryfirst=True)
    def portal_screen_case(self, jurisdiction, matter, description, data):
        self._seen("portal_screen_case", jurisdiction)
        return ScreeningResult("rogue", "ROGUE", "ROGUE", "ROGUE", "ROGUE")

    @hookimpl(tryfirst=True)
    def portal_workflow(self, jurisdiction):
        self._seen("portal_workflow", jurisdiction)
        return replace(core_workflow(), name="rogue")

    @hookimpl(tryfirst=True)
    def portal_categories(self, jurisdiction):
        self._seen("portal_categories", jurisdiction)
        return (Category("rogue", "ROGUE", "ROGUE"),)

    @hookimpl(tryfirst=True)
    def portal_time_limit(self, jurisdiction, category, complexity, stage):
        self._seen("portal_time_limit", jurisdiction)
        return TimeLimit(99, "ROGUE")

    @hookimpl(tryfirst=True)
    def portal_escalation_tiers(self, jurisdiction):
        self._seen("portal_escalation_tiers", jurisdiction)
        return (EscalationTier("rogue", "ROGUE", "ROGUE"),)

    @hookimpl(tryfirst=True)
    def portal_working_hours(self, jurisdiction):
        self._seen("portal_working_hours", jurisdiction)
        return WorkingHours.parse("00:00-23:59", "ROGUE")

    @hookimpl(tryfirst=True)
    def portal_holiday_overrides(self, jurisdiction):
        self._seen("portal_holiday_overrides", jurisdiction)
        return {ROGUE_DAY: (False, "ROGUE")}

    @hookimpl(tryfirst=True)
    def portal_accountability_outcome(self, jurisdiction, kind, occurrence):
        self._seen("portal_accountability_outcome", jurisdiction)
        return AccountabilityOutcome(kind, occurrence, "ROGUE", "ROGUE")

    @hookimpl(tryfirst=True)
    def portal_default_rating(self, jurisdiction):
        self._seen("portal_default_rating", jurisdiction)
        return DefaultRating(days=99, level=1, rule="ROGUE", rule_zh="ROGUE")

    @hookimpl(tryfirst=True)
    def portal_vocabulary(self, jurisdiction):
        self._seen("portal_vocabulary", jurisdiction)
        return Vocabulary(roles=(RoleSpec("rogue_role", "ROGUE", "ROGUE", frozenset({"read"})),))

    @hookimpl(tryfirst=True)
    def portal_actions(self, jurisdiction):
        self._seen("portal_actions", jurisdiction)
        return (ActionSpec("classify", note_label="ROGUE"),)

    @hookimpl(tryfirst=True)
    def portal_case_panels(self, jurisdiction, case):
        self._seen("portal_case_panels", jurisdiction)
        return CasePanel("ROGUE", empty="ROGUE")

    @hookimpl(tryfirst=True)
    def portal_case_transitioned(self, jurisdiction, case, event):
        self._seen("portal_case_transitioned", jurisdiction)

    @hookimpl(tryfirst=True)
    def portal_guide_corrected(self, jurisdiction, correction):
        self._seen("portal_guide_corrected", jurisdiction)


def _is_rogue(answer) -> bool:
    return "rogue" in repr(answer).lower()


def _call(method, args):
    """Call a plugin's hook method with the arguments it declares (pluggy's rule)."""
    params = inspect.signature(method).parameters
    return method(**{k: v for k, v in args.items() if k in params})


# -- leakage ------------------------------------------------------------------------------------
def test_sample_arguments_cover_every_scoped_hook():
    assert set(SCOPED) - set(EVENTS) == set(SAMPLE_ARGS), "add the new hook to SAMPLE_ARGS"


def test_rogue_plugin_never_answers_for_another_jurisdiction(make_app):
    """For every scoped hook and every enabled jurisdiction, a plugin that answers everything
    first is never asked about a jurisdiction it does not own, and its answers never show."""
    rogue = Rogue()
    app = make_app(PORTAL_EXTRA_PLUGINS={"rogue": rogue})
    with app.app_context():
        host = app.extensions["portal_plugins"]
        codes = [s.code for s in host.jurisdiction_specs()]
        assert "rogue" in codes and len(codes) > 10
        for code in codes:
            hooks = host.for_jurisdiction(code)
            for hook, args in SAMPLE_ARGS.items():
                answer = getattr(hooks, hook)(**args)
                assert _is_rogue(answer) == (code == "rogue"), (hook, code, answer)
            file(code, now=shanghai(2026, 2, 27, 10, 0))  # drives portal_case_transitioned
            working = calendar_for(jurisdiction(code)).is_working_day(ROGUE_DAY)
            assert working == (code != "rogue"), code
        foreign = [(h, j) for h, j in rogue.calls if j != "rogue"]
        assert not foreign
        assert {h for h, _ in rogue.calls} >= set(SAMPLE_ARGS) | {"portal_case_transitioned"}


def test_no_plugins_own_answer_appears_for_another_plugins_jurisdiction(app):
    """Plugin A's workflow, time limits, forms, tiers, screening... never appear for B."""
    host = app.extensions["portal_plugins"]
    owners = {s.code: host.owner_of(s.code) for s in host.jurisdiction_specs()}
    checked = 0
    for name in ALL_PLUGINS:
        plugin = host.pm.get_plugin(name)
        implemented = {c.name for c in host.pm.get_hookcallers(plugin)}
        for own in (c for c, o in owners.items() if o == name):
            for hook, args in SAMPLE_ARGS.items():
                if hook not in implemented:
                    continue
                mine = _call(getattr(plugin, hook), dict(args, jurisdiction=own))
                if mine is None:
                    continue
                for other in (c for c, o in owners.items() if o != name):
                    theirs = getattr(host.for_jurisdiction(other), hook)(**args)
                    if isinstance(theirs, list):  # not firstresult: every answer
                        assert mine not in theirs, (hook, own, other)
                    else:
                        assert theirs is not mine and theirs != mine, (hook, own, other)
                    checked += 1
    assert checked > 500


def test_a_plugin_cannot_declare_another_plugins_jurisdiction(app):
    class Squatter(JurisdictionPlugin):
        code = "squatter"

        @hookimpl
        def portal_jurisdictions(self):
            return [JurisdictionSpec(code="kunming-evil", name_zh="冒名区", name_en="Squat", level="district")]

    with pytest.raises(PluginError, match="may only declare its own code"):
        PluginHost(enabled=["kunming"], extra_plugins={"squatter": Squatter()})


# -- the out-of-tree plugin ------------------------------------------------------------------------
def _example_entry_point():
    eps = {ep.name: ep for ep in md.entry_points(group="portal")}
    assert "example" in eps, "install it: make install (or .venv/bin/pip install -e tests/plugin_example)"
    return eps["example"]


def test_out_of_tree_plugin_is_an_installed_portal_entry_point():
    ep = _example_entry_point()
    assert ep.value == "bancheng_example:plugin"
    assert ep.dist.name == "bancheng-plugin-example"


def test_out_of_tree_plugin_is_not_loaded_unless_enabled(app, tmp_path):
    """Installed is not enabled: with the default plugins it is neither registered nor imported."""
    _example_entry_point()
    host = app.extensions["portal_plugins"]
    assert host.pm.get_plugin("example") is None
    assert "example" not in {s.code for s in host.jurisdiction_specs()}
    script = (
        "import sys\n"
        "from portal import create_app\n"
        f"create_app({{'TESTING': True, 'SECRET_KEY': 'x', 'INSTANCE_PATH': {str(tmp_path)!r},\n"
        f"            'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path}/x.db', 'PORTAL_JURISDICTIONS': {ALL_PLUGINS!r}}})\n"
        "print('bancheng_example' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_out_of_tree_plugin_loads_when_enabled_and_its_rules_take_effect(make_app):
    """Enabled by name, the example county (fictional) is registered with its own workflow and its
    reply rule (2 working days for general matters) runs: filed Fri 13 Feb 2026 → Sat 14 Feb
    (make-up) and Tue 24 Feb. tests/test_plugin_example.py walks it end to end."""
    _example_entry_point()
    app = make_app(PORTAL_JURISDICTIONS=ALL_PLUGINS + ["example"])
    with app.app_context():
        host = app.extensions["portal_plugins"]
        assert host.owner_of("example") == "example"
        module = sys.modules["bancheng_example"]
        assert Path(module.__file__).resolve().is_relative_to(EXAMPLE_DIR)
        described = {p.name: p for p in host.describe()}["example"]
        assert described.version == md.version("bancheng-plugin-example") and described.jurisdictions == ["example"]
        case = file("example", now=shanghai(2026, 2, 13, 10, 0)).case
        assert case.number.startswith("EX-2026-")
        reply = next(d for d in case.running_deadlines if d.clock == "reply")
        assert (reply.days, reply.due_date) == (2, date(2026, 2, 24))
        assert reply.rule.startswith("Example County (fictional)")
        assert host.for_jurisdiction("example").portal_workflow().name == "example"
        kunming = file("kunming-wuhua", now=shanghai(2026, 2, 13, 10, 0)).case
        assert kunming.active_deadline.days == 3  # and it does not leak


# -- documentation --------------------------------------------------------------------------------
def test_every_hook_has_a_heading_with_its_signature_in_docs_plugins_md():
    text = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^### (portal_\w+)\s*$", text, flags=re.M))
    missing = [h for h in HOOKS if h not in headings]
    assert not missing, f"hooks without a '### <name>' heading in docs/plugins.md: {missing}"
    for h in HOOKS:
        params = ", ".join(inspect.signature(getattr(hookspecs, h)).parameters)
        assert f"`{h}({params})" in text, f"docs/plugins.md: give the signature of {h}"
    assert not headings - set(HOOKS), "docs/plugins.md documents hooks that do not exist"


# -- the built-in plugins keep the rules ------------------------------------------------------------
PLUGIN_FILES = (sorted((ROOT / "plugins").glob("*/*.py")) + sorted((ROOT / "plugins").glob("*/migrations/*.py"))
                + sorted((EXAMPLE_DIR / "bancheng_example").rglob("*.py")))


@pytest.mark.parametrize("path", PLUGIN_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_plugins_import_the_core_only_through_the_toolkit(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            top = node.module.split(".")[0]
            assert top not in ("portal", "bancheng_plugins") or node.module == "portal.toolkit", node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                assert alias.name.split(".")[0] not in ("portal", "bancheng_plugins"), alias.name


@pytest.mark.parametrize("path", sorted((ROOT / "plugins").glob("*/__init__.py")), ids=lambda p: p.parent.name)
def test_every_override_has_a_one_line_reason_citing_its_source(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith("@hookimpl"):
            reason = lines[i - 1].strip()
            assert re.match(r"# (seed 00\d|DOMAIN)", reason), f"{path.parent.name} line {i + 1}: {reason!r}"


REQUIRED_ACTIONS = {"assign", "reply", "rate", "rate_bad", "escalate", "pause", "resume", "extend",
                    "flag_overdue", "return_visit", "archive"}


def test_every_jurisdiction_workflow_validates_and_keeps_the_core_actions(app):
    host = app.extensions["portal_plugins"]
    for spec in host.jurisdiction_specs():
        wf = host.for_jurisdiction(spec.code).portal_workflow()
        wf.validate()
        actions = {t.action for t in wf.transitions}
        assert REQUIRED_ACTIONS <= actions, (spec.code, REQUIRED_ACTIONS - actions)
        assert wf.transition("flag_overdue").roles == {"system"}
        assert wf.transition("rate").roles == wf.transition("rate_bad").roles == {"public"}
        assert wf.state(wf.transition("rate_bad").target).stage == "rectify", spec.code
        assert any(s.terminal for s in wf.states) and wf.state(wf.transition("archive").target).terminal
        assert len(wf.steps_zh) == len(wf.steps_en) > 0


def test_every_jurisdiction_has_a_time_limit_for_every_category_complexity_and_stage(app):
    host = app.extensions["portal_plugins"]
    for spec in host.jurisdiction_specs():
        hooks = host.for_jurisdiction(spec.code)
        stages = {s.stage for s in hooks.portal_workflow().states if s.stage}
        for category in [None] + [c.code for c in hooks.portal_categories()]:
            for complexity in ("simple", "general", "complex", "especially_complex"):
                for stage in stages:
                    limit = hooks.portal_time_limit(category=category, complexity=complexity, stage=stage)
                    assert isinstance(limit, TimeLimit) and limit.days >= 0 and limit.rule, (spec.code, stage)


def test_jurisdictions_have_unique_case_prefixes_parents_and_named_windows(app):
    host = app.extensions["portal_plugins"]
    specs = host.jurisdiction_specs()
    prefixes = [s.case_prefix for s in specs]
    assert len(set(prefixes)) == len(prefixes) and all(0 < len(p) <= 12 for p in prefixes)
    codes = {s.code for s in specs}
    assert all(s.parent is None or s.parent in codes for s in specs)
    assert all(s.name_zh and s.name_en and s.centres for s in specs)
    assert all(w.name_zh and w.name_en for s in specs for c in s.centres for w in c.windows)
    assert {s.code for s in specs if s.parent is None} == set(ALL_PLUGINS)
