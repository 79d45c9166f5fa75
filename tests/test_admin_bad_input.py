"""Issue 14 (low): bad administrative input gets a clear message in the reader's language and 422,
never a 500 and never a half-written record; types are checked (a code of ["a"] is refused, not
stored as text) and sizes bounded by the columns. Limits are the portal's defaults (no report
speaks of them)."""
from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import CalendarDay, CalendarYear, ServiceGuide
from bancheng_plugins.dazhou.models import RotaEntry

from .factories import jurisdiction, login
from .staff_support import close_search_index, quick_staff

DEEP = "[" * 100000 + "]" * 100000
HUGE_NUMBER = "9" * 5000


@pytest.fixture
def client(app):
    c = app.test_client()
    c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    yield c
    close_search_index(app)


def guides(client, name, text):
    j = jurisdiction("xuanwu")
    return client.post("/staff/admin/guides", content_type="multipart/form-data", data={
        "jurisdiction": str(j.id), "file": (io.BytesIO(text.encode()), name), "apply": "1"})


def guide_count():
    return db.session.scalar(select(func.count(ServiceGuide.id)))


@pytest.mark.parametrize("name, text, message", [
    ("g.json", DEEP, "嵌套"),
    ("g.json", '[{"code": "a", "matter": "m", "visits": ' + HUGE_NUMBER + "}]", "位数"),
    ("g.csv", "code,matter,conditions\r\nx,m," + "长" * 140000 + "\r\n", "CSV"),
    ("g.json", '[{"code": ["a"], "matter": "m"}]', "文本"),
    ("g.json", '[{"code": "a", "matter": {"x": 1}}]', "文本"),
    ("g.json", '[{"code": "a", "matter": "m", "materials": {"name": "x"}}]', "列表"),
    ("g.json", '[{"code": "a", "matter": "m", "materials": [{"name": ["x"]}]}]', "文本"),
    ("g.json", '[{"code": "a", "matter": "m", "conditions": "' + "长" * 4001 + '"}]', "4000"),
    ("g.json", '[{"code": "a", "matter": "m", "fees": "' + "长" * 201 + '"}]', "200"),
])
def test_bad_guide_files_answer_422_with_a_chinese_message_and_write_nothing(app, client, name, text, message):
    quick_staff("xw-admin", "admin", "xuanwu")
    login(client, "xw-admin")
    r = guides(client, name, text)
    assert r.status_code == 422 and message in r.get_data(as_text=True)
    assert guide_count() == 0


def test_a_numeric_code_is_still_read_as_text(app, client):
    quick_staff("xw-admin", "admin", "xuanwu")
    login(client, "xw-admin")
    assert guides(client, "g.json", '[{"code": 101, "matter": "m"}]').status_code == 200
    assert db.session.scalar(select(ServiceGuide.code)) == "101"


def calendar(client, text):
    return client.post("/staff/admin/calendar/import", content_type="multipart/form-data",
                       data={"year-file": (io.BytesIO(text.encode()), "c.json")})


@pytest.mark.parametrize("text, message", [
    (DEEP, "嵌套"),
    ('{"source": "s", "years": [' + HUGE_NUMBER + '], "holidays": {}, "workdays": {}}', "位数"),
    (json.dumps({"source": "s", "years": [2027], "holidays": {"2027-01-01": "节" * 121}, "workdays": {}}), "120"),
    (json.dumps({"source": "s", "years": [2027], "holidays": {"2027-01-01": ["元旦"]}, "workdays": {}}), "名称"),
    (json.dumps({"source": ["s"], "years": [2027], "holidays": {"2027-01-01": "元旦"}, "workdays": {}}), "source"),
    (json.dumps({"source": "s", "years": ["2027"], "holidays": {"2027-01-01": "元旦"}, "workdays": {}}), "2027"),
])
def test_bad_calendar_files_answer_422_with_a_chinese_message_and_write_nothing(app, client, text, message):
    quick_staff("sys", "system_admin", "xuanwu")
    login(client, "sys")
    r = calendar(client, text)
    assert r.status_code == 422 and message in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count(CalendarYear.year))) == 0


def test_an_override_in_year_9999_is_refused(app, client):
    quick_staff("xw-admin", "admin", "xuanwu")
    login(client, "xw-admin")
    r = client.post("/staff/admin/calendar/override", data={
        "ov-jurisdiction": str(jurisdiction("xuanwu").id), "ov-day": "9999-12-31", "ov-kind": "off"})
    assert r.status_code == 422 and "2100" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count(CalendarDay.id))) == 0


def test_a_rota_starting_9999_12_30_is_refused(app, client):
    quick_staff("dz-super", "supervisor", "dazhou")
    login(client, "dz-super")
    r = client.post("/staff/dazhou/rota", data={"jurisdiction": "dazhou", "start": "9999-12-30",
                                                "end": "9999-12-31", "representatives": "刘思远"})
    assert r.status_code == 422 and "2100" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(RotaEntry)) == 0
