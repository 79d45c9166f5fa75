"""What the person sees, declared by the workflow: each state's public label and one sentence of
what happens now, which steps' notes are written for the person, and the receipt's next steps.
Every person here is invented."""
from __future__ import annotations

import pytest
from flask import g

from portal.public.kept_cases import sealed_receipt
from portal.contracts import StateSpec, Transition, Workflow
from portal.engine import cases as engine
from portal.public.views import public_texts

from .conftest import shanghai
from .factories import file, staff

PERSON_PHONE = "13800001234"  # factories.file's invented complainant


def _track(app, case, lang="zh_Hans"):
    client = app.test_client()
    with client.session_transaction() as s:
        s["tracked"] = [case.number]
    return client.get(f"/track/{case.number}?lang={lang}").get_data(as_text=True)


def _receipt(app, filed, lang="zh_Hans"):
    client = app.test_client()
    with client.session_transaction() as s:
        s["tracked"] = [filed.case.number]
        s["receipt"] = sealed_receipt(filed.case.number, filed.access_code)
    return client.get(f"/receipt/{filed.case.number}?lang={lang}").get_data(as_text=True)


def test_every_state_of_every_built_in_workflow_declares_its_public_texts(make_app):
    """Issue 11: the person reads a public label and an explanation, declared by the workflow."""
    for plugins in ([], None):
        app = make_app(**({} if plugins is None else {"PORTAL_JURISDICTIONS": plugins}))
        host = app.extensions["portal_plugins"]
        for spec in host.jurisdiction_specs():
            wf = host.for_jurisdiction(spec.code).portal_workflow()
            for state in wf.states:
                for field in ("public_label_zh", "public_label_en", "public_explanation_zh", "public_explanation_en"):
                    assert getattr(state, field).strip(), (spec.code, state.code, field)
            assert wf.public_steps(), spec.code


def test_a_fresh_dongcheng_case_reads_as_received_not_as_the_staffs_problem_found_seed003(app):
    """Seed 003: Dongcheng's first step is 发现问题 for its staff; the complainant reads 已受理."""
    case = file("beijing-dongcheng", now=shanghai(2026, 3, 2, 10, 0)).case
    zh = _track(app, case)
    assert '<span class="badge">已受理</span>' in zh and "发现问题" not in zh.split("<h2>")[0]
    assert "您的诉求已受理，工作人员正在核实研判" in zh
    en = _track(app, case, "en")
    assert '<span class="badge">Received</span>' in en and "Problem found" not in en


def test_the_receipt_lists_the_jurisdictions_public_steps(app):
    """The receipt's "what happens next" is the workflow's public steps, without the side exits
    (referral, rectification after a bad rating)."""
    filed = file("dazhou", now=shanghai(2026, 3, 2, 10, 0))
    html = _receipt(app, filed)
    steps = html.split('<ol class="steps">', 1)[1].split("</ol>", 1)[0]
    assert "已受理" in steps and "核实中" in steps and "办理中" in steps and "已答复" in steps
    assert "核查整改中" not in steps and "已解释说明" not in steps
    assert steps.index("已受理") < steps.index("核实中") < steps.index("办理中") < steps.index("已答复")


def test_a_state_without_public_texts_falls_back_by_its_kind(app):
    """A third-party workflow that declares nothing: a running stage reads "being handled", a
    finished state "closed", never a blank."""
    with app.test_request_context("/?lang=en"):
        assert public_texts(StateSpec("x", "内部研判", "Internal triage", stage="reply"))[0] == "Being handled"
        assert public_texts(StateSpec("y", "差评", "Bad", stage="rectify"))[0] == "Being checked and put right"
        assert public_texts(StateSpec("z", "归档", "Filed", done=True))[0] == "Closed"
        assert public_texts(StateSpec("w", "已答复", "Replied"))[0] == "Replied"


def test_undeclared_transitions_follow_the_cores_convention_and_declarations_win():
    """Core defaults keep today's behaviour; a declaration overrides it (issue 11)."""
    def t(action, **kw):
        return Transition(action, ("a",), None, frozenset({"clerk"}), "", "", **kw)

    assert not t("note").shows_publicly and not t("note").note_is_public
    assert t("reply").shows_publicly and t("reply").note_is_public
    assert t("resolve").shows_publicly and not t("resolve").note_is_public
    assert t("progress", public=True, public_note=True).note_is_public
    assert not t("note", public_note=True).note_is_public  # a hidden step's note stays hidden
    assert not t("reply", public_note=False).note_is_public


def test_dazhou_progress_note_reaches_the_person_redacted_seed002(app):
    """Seed 002: 还要向群众说明理由和办理进度 — the progress note is written for the person and shows on
    the tracking page (with personal data masked); an internal note never does."""
    clerk = staff("dz-prog", "clerk", "dazhou")
    case = file("dazhou", now=shanghai(2026, 3, 2, 10, 0)).case
    engine.perform(case, "progress", engine.Actor.staff(clerk), note=f"已转市人社局，预计周五前答复；如有疑问请回电{PERSON_PHONE}。",
                   now=shanghai(2026, 3, 2, 11, 0))
    engine.perform(case, "note", engine.Actor.staff(clerk), note="内部：该局上次超期，注意督办。",
                   now=shanghai(2026, 3, 2, 12, 0))
    g.pop("_login_user", None)
    zh = _track(app, case)
    assert "向群众说明理由和办理进度" in zh and "已转市人社局，预计周五前答复" in zh
    assert PERSON_PHONE not in zh
    assert "该局上次超期" not in zh and "内部备注" not in zh


def test_a_note_written_as_internal_stays_internal_if_the_workflow_changes_later(app):
    """Privacy: the publicity of a note is the one declared when it was written."""
    clerk = staff("dz-prog2", "clerk", "dazhou")
    case = file("dazhou", now=shanghai(2026, 3, 2, 10, 0)).case
    ev = engine.perform(case, "progress", engine.Actor.staff(clerk), note="只给工作人员看的内容",
                        now=shanghai(2026, 3, 2, 11, 0))
    assert ev.data["note_public"] is True
    note = engine.perform(case, "note", engine.Actor.staff(clerk), note="内部说明", now=shanghai(2026, 3, 2, 12, 0))
    assert note.public is False and note.data["note_public"] is False
    # an event from before the declaration (no note_public): the old fixed list decides
    from portal.public.views import note_is_public

    class Old:
        action, data = "reply", {}
    assert note_is_public(Old)
    Old.action = "progress"
    assert not note_is_public(Old)


@pytest.mark.parametrize("action", ["note", "assign", "classify", "escalate", "extend", "flag_overdue"])
def test_core_internal_steps_stay_off_the_public_timeline(action):
    """Core defaults keep today's behaviour: these steps are internal."""
    from portal.defaults import DEFAULT_WORKFLOW

    assert not DEFAULT_WORKFLOW.transition(action).shows_publicly


def test_workflow_public_steps_keep_order_and_drop_duplicates_and_side_exits():
    wf = Workflow("w", (StateSpec("a", "甲", "A", public_label_zh="已受理", public_label_en="Received"),
                        StateSpec("b", "乙", "B", public_label_zh="已受理", public_label_en="Received"),
                        StateSpec("c", "丙", "C", next_step=False, public_label_zh="转介", public_label_en="Referred"),
                        StateSpec("d", "丁", "D", public_label_zh="已答复", public_label_en="Answered")),
                  "a", ())
    assert [s.code for s in wf.public_steps()] == ["a", "d"]


def test_the_staff_case_page_says_what_the_person_reads_when_it_differs_seed003(app):
    """Seed 003: Dongcheng's staff see 发现问题; their case page also says the complainant reads
    已受理, so what they tell the person on the phone matches the tracking page."""
    from tests.factories import login, staff

    case = file("beijing-dongcheng", now=shanghai(2026, 3, 2, 10, 0)).case
    staff("dc-reader", "clerk", "beijing-dongcheng")
    client = app.test_client()
    login(client, "dc-reader")
    zh = client.get(f"/staff/cases/{case.number}?lang=zh_Hans").get_data(as_text=True)
    assert "发现问题" in zh and "群众看到：已受理" in zh
    en = client.get(f"/staff/cases/{case.number}?lang=en").get_data(as_text=True)
    assert "the person reads: Received" in en
