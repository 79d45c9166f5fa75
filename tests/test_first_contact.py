"""First-contact responsibility (首问负责制 / 首接负责制), seed 001 (Xuanwu): the staff member who
first received the matter is the first responsible person and keeps assisting after the case
moves to the window ("no pushing it away"). On the portal that person is a real staff member on
the case: chosen at walk-in intake (the clerk by default), shown on the staff case page, and told
of every step of the case."""
from __future__ import annotations

import re

from sqlalchemy import select

from portal.engine import cases as engine
from portal.extensions import db
from portal.models import Case, Notification

from .factories import file, jurisdiction, login
from .staff_support import intake_data, quick_staff


def _latest_case() -> Case:
    return db.session.scalar(select(Case).order_by(Case.id.desc()))


def test_first_contact_responsibility_walk_in_names_who_first_met_the_person(app, client):
    """Seed 001: the person was first turned away at a service window; that window's staff member,
    not the reflection-window clerk who takes the case in, is the case's first receiver."""
    clerk = quick_staff("fc-clerk", "clerk", "xuanwu")
    window_staff = quick_staff("fc-window", "handler", "xuanwu", jurisdiction("xuanwu").departments[0])
    quick_staff("fc-elsewhere", "clerk", "beijing")
    login(client, clerk.username)
    page = client.get("/staff/intake?j=xuanwu").get_data(as_text=True)
    assert f'value="{window_staff.id}"' in page and "fc-elsewhere" not in page  # own jurisdiction's staff only
    r = client.post("/staff/intake?j=xuanwu", data=intake_data("xuanwu", first_contact=str(window_staff.id)))
    assert r.status_code == 303, r.get_data(as_text=True)[-1500:]
    case = _latest_case()
    assert case.first_receiver_id == window_staff.id
    assert case.events[0].actor_id == clerk.id  # who took it in stays on the first event
    html = client.get(f"/staff/cases/{case.number}?lang=en").get_data(as_text=True)
    assert "fc-window" in html and "Taken in at the window by fc-clerk" in html
    # the printed receipt names who took the case in and the first contact, lists the next steps
    # and every running clock (found by review: it showed one deadline and the wrong name)
    receipt = client.get(r.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert re.search(r"Received by</dt><dd>fc-clerk<", receipt) and re.search(r"First contact</dt><dd>fc-window<", receipt)
    assert '<ol class="steps">' in receipt and receipt.count('class="deadline') >= 1


def test_first_contact_responsibility_defaults_to_the_clerk_taking_the_case(app, client):
    clerk = quick_staff("fc-clerk2", "clerk", "kunming")
    login(client, clerk.username)
    r = client.post("/staff/intake?j=kunming", data=intake_data("kunming"))
    assert r.status_code == 303
    assert _latest_case().first_receiver_id == clerk.id


def test_a_first_contact_not_offered_is_refused_with_a_message_and_nothing_filed(app, client):
    clerk = quick_staff("fc-clerk3", "clerk", "xuanwu")
    outsider = quick_staff("fc-outsider", "clerk", "beijing")
    login(client, clerk.username)
    before = db.session.scalar(select(db.func.count(Case.id)))
    for bad in (str(outsider.id), "not-a-number", "99999999999999999999"):
        r = client.post("/staff/intake?j=xuanwu&lang=en", data=intake_data("xuanwu", first_contact=bad))
        assert r.status_code == 422
        assert "Choose the first contact from the list" in r.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(Case.id))) == before


def _notices(user_id, kind="first_contact"):
    return db.session.scalars(select(Notification).where(Notification.recipient_id == user_id,
                                                        Notification.kind == kind)).all()


def test_first_contact_responsibility_first_receiver_is_told_of_every_step(app):
    """Seed 001: the first receiver keeps assisting after the case moves on, so they hear of each
    step (assign, pause, resume, reply), once each; not of internal notes, not of their own
    actions, and the reply only once (as the answered notice they already get)."""
    j = jurisdiction("kunming")
    first = quick_staff("fc-first", "clerk", "kunming")
    first.email = "fc-first@example.invalid"
    sup = quick_staff("fc-sup", "supervisor", "kunming")
    db.session.commit()
    case = file("kunming", receiver=first).case
    assert _notices(first.id) == []  # the filing: they took it themselves
    s = engine.Actor.staff(sup)
    engine.perform(case, "assign", s, params={"lead_department_id": j.departments[0].id})
    engine.perform(case, "note", s, note="内部备注")
    engine.perform(case, "pause", s, note="等待补充材料")
    engine.perform(case, "resume", s)
    engine.perform(case, "pause", engine.Actor.staff(first), note="本人操作")
    engine.perform(case, "resume", engine.Actor.staff(first))
    engine.perform(case, "reply", s, note="已答复")
    told = [n.subject for n in _notices(first.id)]
    assert len(told) == 3, told  # assign, pause, resume by the supervisor
    assert all(case.number in t for t in told)
    assert len(_notices(first.id, "answered")) == 1  # the reply, once, not also as a step
    from portal.notify import on_case_event

    on_case_event(case, case.events[1])  # the assign announced again (a retried hook): still once
    assert len(_notices(first.id)) == 3
