"""The plugin manager: core defaults last, installed is not enabled, strict jurisdiction scoping."""
from __future__ import annotations

import json
from datetime import date

import pytest

from portal.contracts import Branding, JurisdictionSpec, TimeLimit
from portal.hookspecs import hookimpl
from portal.plugins import CORE_PLUGIN_NAME, NOTIFIER_NAME, PluginError, PluginHost, installed_plugins


class Rogue:
    """Answers every hook for everybody: the host must never let it speak for others."""

    code = "rogue"

    @hookimpl
    def portal_jurisdictions(self):
        return [JurisdictionSpec(code="rogue", name_zh="流氓", name_en="Rogue", level="district", case_prefix="RG")]

    @hookimpl(tryfirst=True)
    def portal_time_limit(self, jurisdiction, category, complexity, stage):
        return TimeLimit(99, "rogue rule")

    @hookimpl(tryfirst=True)
    def portal_branding(self, jurisdiction):
        return Branding(title_zh="流氓", title_en="Rogue")

    @hookimpl(tryfirst=True)
    def portal_holiday_overrides(self, jurisdiction):
        return {date(2026, 3, 2): False}


def test_hook_portal_jurisdictions_core_offers_demo_only_when_alone():
    assert [s.code for s in PluginHost(enabled=[]).jurisdiction_specs()] == ["demo"]
    host = PluginHost(enabled=["kunming"])
    assert "demo" not in [s.code for s in host.jurisdiction_specs()]
    assert all(host.owner_of(s.code) == "kunming" for s in host.jurisdiction_specs())


def test_core_defaults_are_an_ordinary_plugin_registered_trylast():
    host = PluginHost(enabled=[])
    impls = host.pm.hook.portal_workflow.get_hookimpls()
    assert [i.plugin_name for i in impls] == [CORE_PLUGIN_NAME]
    assert impls[0].trylast


def test_installed_is_not_enabled():
    assert {"kunming", "beijing", "xuanwu"} <= set(installed_plugins())
    host = PluginHost(enabled=["beijing"])
    names = [n for n, _p in host.pm.list_name_plugin()]
    assert names == [CORE_PLUGIN_NAME, NOTIFIER_NAME, "beijing"]


def test_enabling_an_unknown_plugin_is_a_clear_error():
    with pytest.raises(PluginError, match="not installed"):
        PluginHost(enabled=["atlantis"])


def test_a_plugin_cannot_declare_another_jurisdiction():
    class Squatter:
        code = "squatter"

        @hookimpl
        def portal_jurisdictions(self):
            return [JurisdictionSpec(code="kunming-wuhua", name_zh="x", name_en="x", level="district")]

    with pytest.raises(PluginError, match="may only declare its own code"):
        PluginHost(enabled=[], extra_plugins={"squatter": Squatter()})


def test_hook_portal_time_limit_rogue_plugin_never_answers_for_another_jurisdiction():
    host = PluginHost(enabled=["kunming"], extra_plugins={"rogue": Rogue()})
    assert host.for_jurisdiction("rogue").portal_time_limit(category=None, complexity="general", stage="reply").days == 99
    for spec in host.jurisdiction_specs():
        if spec.code == "rogue":
            continue
        scoped = host.for_jurisdiction(spec.code)
        assert scoped.portal_time_limit(category=None, complexity="general", stage="reply").rule != "rogue rule"
        assert scoped.portal_branding().title_en != "Rogue"
        assert date(2026, 3, 2) not in (scoped.portal_holiday_overrides() or {})


def test_hook_portal_branding_falls_back_to_core_defaults():
    host = PluginHost(enabled=[])
    assert host.for_jurisdiction("demo").portal_branding().title_en.startswith("Bancheng")


def test_unknown_jurisdiction_has_no_hooks():
    with pytest.raises(PluginError):
        PluginHost(enabled=[]).for_jurisdiction("nowhere")


def test_one_manager_per_app(make_app):
    a, b = make_app(), make_app(PORTAL_JURISDICTIONS=["beijing"])
    assert a.extensions["portal_plugins"] is not b.extensions["portal_plugins"]
    assert len(a.extensions["portal_plugins"].pm.get_plugins()) == 7  # core, its notifier, five
    assert len(b.extensions["portal_plugins"].pm.get_plugins()) == 3


def test_flask_portal_plugins_lists_versions_and_hooks(app):
    out = app.test_cli_runner().invoke(args=["portal", "plugins"])
    assert out.exit_code == 0, out.output
    rows = {r["name"]: r for r in json.loads(out.output)}
    assert rows["core"]["version"] and "portal_workflow" in rows["core"]["hooks"]
    assert "beijing" in rows and rows["beijing"]["jurisdictions"]


def test_plugins_json_page_is_for_administrators_only(app, client):
    from .factories import login, staff

    staff("root", "admin", "beijing")
    staff("clerky", "clerk", "beijing")
    assert client.get("/api/plugins.json").status_code in (302, 401)
    login(client, "clerky")
    assert client.get("/api/plugins.json").status_code == 403
    client.post("/staff/logout")
    login(client, "root")
    r = client.get("/api/plugins.json")
    assert r.status_code == 200 and {p["name"] for p in r.get_json()} >= {"core", "kunming"}
