"""Walk-in intake: the jurisdiction's own form, the clerk as first receiver, the channel from
the jurisdiction's channels, and a printable receipt that shows the access code once."""
from __future__ import annotations

import re

import pytest
from flask import current_app
from sqlalchemy import select

from portal.engine.numbering import check_access_code
from portal.extensions import db
from portal.models import Case, ScreeningRecord

from .factories import jurisdiction, login
from .staff_support import intake_data, quick_staff

PERSON_MATTER = "房屋租赁备案"


def channels(code):
    return [c.code for c in current_app.extensions["portal_plugins"].for_jurisdiction(code).portal_intake_channels()]


def form_data(code, **extra):
    return intake_data(code, **extra)


@pytest.mark.parametrize("code", ["xuanwu", "kunming", "beijing"])
def test_clerk_files_a_walk_in_case_as_first_receiver(app, client, code):
    clerk = quick_staff(f"{code}-walkin-clerk", "clerk", code)
    login(client, clerk.username)
    page = client.get("/staff/intake").get_data(as_text=True)
    for ch in channels(code):
        assert f'value="{ch}"' in page  # staff choose among all the jurisdiction's channels
    r = client.post("/staff/intake", data=form_data(code))
    assert r.status_code == 303, r.get_data(as_text=True)[-2000:]
    case = db.session.scalar(select(Case).order_by(Case.id.desc()))
    assert case.first_receiver_id == clerk.id and case.jurisdiction.code == code
    assert case.events[0].actor_id == clerk.id and case.events[0].data["first_receiver"] == clerk.display_name
    receipt = client.get(r.headers["Location"]).get_data(as_text=True)
    assert case.number in receipt
    shown = re.findall(r'<strong class="ref">([^<]+)</strong>', receipt)
    assert len(shown) == 2 and check_access_code(case.access_code_hash, shown[1])
    # once only: a reload shows the number but not the code
    again = client.get(r.headers["Location"]).get_data(as_text=True)
    assert shown[1] not in again and case.number in again
    assert clerk.display_name in client.get(f"/staff/cases/{case.number}").get_data(as_text=True)


def test_the_person_can_track_with_the_receipt(app, client):
    quick_staff("walkin-clerk-2", "clerk", "xuanwu")
    login(client, "walkin-clerk-2")
    r = client.post("/staff/intake", data=form_data("xuanwu"))
    receipt = client.get(r.headers["Location"]).get_data(as_text=True)
    number, code = re.findall(r'<strong class="ref">([^<]+)</strong>', receipt)
    person = app.test_client()
    r = person.post("/track", data={"number": number, "code": code})
    assert r.status_code in (302, 303)


def test_window_and_channel_are_recorded_and_checked(app, client):
    j = jurisdiction("kunming-wuhua")
    clerk = quick_staff("wuhua-walkin", "clerk", "kunming-wuhua")
    login(client, clerk.username)
    windows = [w for c in j.centres for w in c.windows]
    assert windows, "Wuhua declares its windows"
    r = client.post("/staff/intake", data=form_data("kunming-wuhua", window=str(windows[-1].id)))
    assert r.status_code == 303
    case = db.session.scalar(select(Case).order_by(Case.id.desc()))
    assert case.window_id == windows[-1].id and case.centre_id == windows[-1].centre_id
    other_window = jurisdiction("xuanwu").centres[0].windows[0]
    r = client.post("/staff/intake", data=form_data("kunming-wuhua", window=str(other_window.id)))
    assert r.status_code == 400
    r = client.post("/staff/intake", data=form_data("kunming-wuhua", channel="carrier-pigeon"))
    assert r.status_code == 422
    assert db.session.scalar(select(Case.id).order_by(Case.id.desc())) == case.id


def test_missing_fields_are_reported_and_nothing_is_filed(app, client):
    quick_staff("walkin-clerk-3", "clerk", "xuanwu")
    login(client, "walkin-clerk-3")
    r = client.post("/staff/intake", data={"channel": "window", "matter": "", "description": "短"})
    assert r.status_code == 422
    assert "error-summary" in r.get_data(as_text=True)
    assert db.session.scalar(select(Case.id)) is None


def test_subtree_supervisor_files_in_a_district_and_others_cannot(app, client):
    quick_staff("km-sup-intake", "supervisor", "kunming", subtree=True)
    login(client, "km-sup-intake")
    assert "五华区" in client.get("/staff/intake?j=kunming-wuhua").get_data(as_text=True)
    r = client.post("/staff/intake?j=kunming-wuhua", data=form_data("kunming-wuhua"))
    assert r.status_code == 303
    assert db.session.scalar(select(Case).order_by(Case.id.desc())).jurisdiction.code == "kunming-wuhua"
    assert client.get("/staff/intake?j=xuanwu").status_code == 404


def test_screened_matter_is_explained_and_can_still_be_filed(make_app):
    from portal.contracts import JurisdictionSpec, ScreeningResult
    from portal.hookspecs import hookimpl
    from portal.toolkit import JurisdictionPlugin

    class Strict(JurisdictionPlugin):
        code = "strict"

        @hookimpl
        def portal_jurisdictions(self):
            return [JurisdictionSpec(code="strict", name_zh="严格县", name_en="Strict County", level="county",
                                     case_prefix="STR")]

        @hookimpl
        def portal_screen_case(self, jurisdiction, matter, description, data):
            if "诉讼" in description:
                return ScreeningResult("litigation", "涉诉事项不属于受理范围", "Litigation is out of scope",
                                       "请向人民法院反映", "Go to the people's court")
            return None

    app = make_app(PORTAL_JURISDICTIONS=[], PORTAL_EXTRA_PLUGINS={"strict": Strict()})
    with app.app_context():
        quick_staff("strict-clerk", "clerk", "strict")
        client = app.test_client()
        login(client, "strict-clerk")
        data = form_data("strict", description="这件事已经进入诉讼程序，但窗口还是不给办。")
        r = client.post("/staff/intake", data=data)
        body = r.get_data(as_text=True)
        assert r.status_code == 200 and "请向人民法院反映" in body and 'name="file_anyway"' in body
        assert db.session.scalar(select(Case.id)) is None
        assert db.session.scalar(select(ScreeningRecord.code)) == "litigation"
        r = client.post("/staff/intake", data=dict(data, file_anyway="1"))
        assert r.status_code == 303
        assert db.session.scalar(select(Case.matter)) == PERSON_MATTER
