"""One test per hook: a small plugin implements it and the running portal obeys it."""
from __future__ import annotations

from datetime import date

from wtforms import StringField

from portal.contracts import (
    AccountabilityOutcome,
    Category,
    Channel,
    EscalationTier,
    JurisdictionSpec,
    ScreeningResult,
    TimeLimit,
)
from portal.defaults import DEFAULT_WORKFLOW
from portal.engine import cases as engine
from portal.hookspecs import hookimpl
from portal.toolkit import JurisdictionPlugin, transition

from .conftest import shanghai
from .factories import department, file, jurisdiction, staff


class Probe(JurisdictionPlugin):
    code = "probe"

    def __init__(self):
        self.transitions = []
        self.corrected = []

    @hookimpl
    def portal_jurisdictions(self):
        return [JurisdictionSpec(code="probe", name_zh="探针县", name_en="Probe County", level="county",
                                 case_prefix="PRB")]

    @hookimpl
    def portal_workflow(self, jurisdiction):
        from dataclasses import replace

        extra = transition("triage", ("received",), "assigned", ("clerk",), "分诊", "Triage")
        return replace(DEFAULT_WORKFLOW, name="probe", transitions=DEFAULT_WORKFLOW.transitions + (extra,))

    @hookimpl
    def portal_categories(self, jurisdiction):
        return (Category("probe_cat", "探针类", "Probe kind", "先查后办", "Check then act"),)

    @hookimpl
    def portal_time_limit(self, jurisdiction, category, complexity, stage):
        return TimeLimit(2, "Probe: two working days")

    @hookimpl
    def portal_escalation_tiers(self, jurisdiction):
        return (EscalationTier("desk", "前台", "Desk"), EscalationTier("chief", "主任", "Chief", auto_when_overdue=True))

    @hookimpl
    def portal_intake_channels(self, jurisdiction):
        return (Channel("online", "网上", "Online"), Channel("comment_book", "意见簿", "Comment book"))

    @hookimpl
    def portal_intake_form(self, jurisdiction, base):
        class ProbeForm(base):
            probe_ref = StringField("Probe reference")

        return ProbeForm

    @hookimpl
    def portal_screen_case(self, jurisdiction, matter, description, data):
        if "诉讼" in description:
            return ScreeningResult("court", "涉诉事项", "Court matter", "请向法院咨询", "Ask the court")
        return None

    @hookimpl
    def portal_holiday_overrides(self, jurisdiction):
        return {date(2026, 3, 3): (False, "Probe county day")}

    @hookimpl
    def portal_accountability_outcome(self, jurisdiction, kind, occurrence):
        return AccountabilityOutcome(kind, occurrence, "约谈", "A talk", points=occurrence)

    @hookimpl
    def portal_case_transitioned(self, jurisdiction, case, event):
        self.transitions.append((jurisdiction, event.action))

    @hookimpl
    def portal_guide_corrected(self, jurisdiction, correction):
        self.corrected.append((jurisdiction, correction.id))

    @hookimpl
    def portal_template_folder(self, jurisdiction):
        return str(__import__("pathlib").Path(__file__).parent / "probe_templates")


def probe_app(make_app):
    probe = Probe()
    app = make_app(PORTAL_JURISDICTIONS=["beijing"], PORTAL_EXTRA_PLUGINS={"probe": probe})
    return app, probe


def hooks(app, code="probe"):
    return app.extensions["portal_plugins"].for_jurisdiction(code)


def test_hook_portal_workflow_adds_a_jurisdiction_action(make_app):
    app, _ = probe_app(make_app)
    with app.app_context():
        clerk = staff("pclerk", "clerk", "probe")
        case = file("probe").case
        assert "triage" in {t.action for t in engine.allowed_actions(case, engine.Actor.staff(clerk))}
        engine.perform(case, "triage", engine.Actor.staff(clerk))
        assert case.state == "assigned"
        bj = file("beijing").case
        assert "triage" not in {t.action for t in engine.allowed_actions(bj, engine.Actor.staff(staff("bc", "clerk", "beijing")))}


def test_hook_portal_categories_limit_classification(make_app):
    app, _ = probe_app(make_app)
    with app.app_context():
        clerk = staff("pclerk", "clerk", "probe")
        case = file("probe").case
        engine.perform(case, "classify", engine.Actor.staff(clerk), params={"category": "probe_cat"})
        assert case.category == "probe_cat"
        import pytest

        from portal.engine.errors import Invalid

        with pytest.raises(Invalid):
            engine.perform(case, "classify", engine.Actor.staff(clerk), params={"category": "guide"})


def test_hook_portal_holiday_overrides_move_the_deadline(make_app):
    app, _ = probe_app(make_app)
    with app.app_context():
        # Mon 2 Mar 2026 + 2 working days; Tue 3 Mar is the county's day off -> Thu 5 Mar
        case = file("probe", now=shanghai(2026, 3, 2, 9, 0)).case
        d = case.active_deadline
        assert d.rule == "Probe: two working days" and d.due_date.isoformat() == "2026-03-05"
        assert {"date": "2026-03-03", "kind": "override_off", "name": "Probe county day"} in d.explanation["skipped"]


def test_hook_portal_escalation_tiers_drive_escalation_and_the_sweep(make_app):
    app, _ = probe_app(make_app)
    with app.app_context():
        from portal.sweep import sweep

        staff("psup", "supervisor", "probe")
        case = file("probe", now=shanghai(2026, 3, 2, 9, 0)).case
        assert case.escalation_tier == "desk"
        result = sweep(shanghai(2026, 3, 10, 9, 0))
        assert result["flagged"] == 1 and result["escalated"] == 1
        assert case.escalation_tier == "chief" and case.overdue_flagged
        assert sweep(shanghai(2026, 3, 10, 9, 5)) == {"flagged": 0, "escalated": 0, "notified": 0, "defaulted": 0}


def test_hook_portal_intake_channels_and_portal_intake_form_shape_the_form(make_app):
    app, _ = probe_app(make_app)
    client = app.test_client()
    r = client.get("/file/probe")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'name="probe_ref"' in html
    r = client.post("/file/probe", data={"channel": "online", "matter": "探针事项", "description": "这件事办了三次没办成。",
                                          "name": "钱多多", "phone": "13912345678", "probe_ref": "P-7"})
    assert r.status_code == 303, r.get_data(as_text=True)  # see other: the receipt
    with app.app_context():
        from sqlalchemy import select

        from portal.extensions import db
        from portal.models import Case

        case = db.session.scalar(select(Case))
        assert case.extra == {"probe_ref": "P-7"} and case.channel == "online"


def test_hook_portal_intake_form_is_not_used_for_other_jurisdictions(make_app):
    app, _ = probe_app(make_app)
    assert 'name="probe_ref"' not in app.test_client().get("/file/beijing").get_data(as_text=True)


def test_hook_portal_screen_case_refuses_with_reason_and_channel(make_app):
    app, _ = probe_app(make_app)
    r = app.test_client().post("/file/probe", data={"channel": "online", "matter": "合同纠纷",
                                                     "description": "对方起诉了我，诉讼还在进行。",
                                                     "name": "钱多多", "phone": "13912345678"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "涉诉事项" in html and "请向法院咨询" in html
    with app.app_context():
        from sqlalchemy import func, select

        from portal.extensions import db
        from portal.models import Case, ScreeningRecord

        assert db.session.scalar(select(func.count()).select_from(Case)) == 0
        rec = db.session.scalar(select(ScreeningRecord))
        assert rec.code == "court" and "钱多多" not in rec.matter


def test_hook_portal_accountability_outcome_is_scoped(make_app):
    app, _ = probe_app(make_app)
    with app.app_context():
        assert hooks(app).portal_accountability_outcome(kind="attitude", occurrence=3).points == 3
        assert hooks(app, "beijing").portal_accountability_outcome(kind="attitude", occurrence=3).points == 0


def test_hook_portal_case_transitioned_sees_only_its_own_cases(make_app):
    app, probe = probe_app(make_app)
    with app.app_context():
        file("probe")
        file("beijing")
        assert probe.transitions == [("probe", "file")]


def test_hook_portal_guide_corrected_is_called_on_publish(make_app):
    app, probe = probe_app(make_app)
    with app.app_context():
        from portal.knowledge import pipeline
        from portal.models import GuideMaterial, GuideVersion, ServiceGuide
        from portal.extensions import db

        j = jurisdiction("probe")
        d = department(j)
        g = ServiceGuide(jurisdiction=j, department=d, code="g1", matter="居住证办理")
        v = GuideVersion(number=1)
        v.materials.append(GuideMaterial(position=0, name="身份证明"))
        g.versions.append(v)
        db.session.add(g)
        db.session.commit()
        sup = staff("psup", "supervisor", "probe")
        case = file("probe").case
        c = pipeline.propose(user=sup, case=case, guide=g, kind="correction", field="materials", wrong_text="身份证明",
                             corrected_text="身份证", cause="一字之差", title="更正")
        pipeline.confirm(c, sup)
        pipeline.record_fix(c, sup, "portal corrected")
        pipeline.publish(c, sup)
        assert probe.corrected == [("probe", c.id)]
        assert [m.name for m in g.current.materials] == ["身份证"] and g.versions[0].materials[0].name == "身份证明"


def test_hook_portal_template_folder_overrides_for_that_jurisdiction_only(make_app):
    app, _ = probe_app(make_app)
    client = app.test_client()
    assert "PROBE-INTRO" in client.get("/file/probe").get_data(as_text=True)
    assert "PROBE-INTRO" not in client.get("/file/beijing").get_data(as_text=True)


def test_hook_portal_branding_shows_on_that_jurisdictions_pages_only(client):
    xw = client.get("/file/xuanwu").get_data(as_text=True)
    assert "满意玄武" in xw
    assert "满意玄武" not in client.get("/file/beijing").get_data(as_text=True)
    assert "满意玄武" not in client.get("/").get_data(as_text=True)
