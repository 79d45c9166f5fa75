"""Personal data at rest (issue 14, finding 7): the complainant's name, phone, ID number and
address are stored encrypted under a data key of their own (not the secret key); phone and ID
number are found by exact value through a keyed hash; a value no key opens shows a marker and
is logged without the value. No source report speaks of storage: these are the portal's
configurable defaults (PORTAL_DATA_KEY). Every person here is invented."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, text

from portal import create_app
from portal.datakeys import DataKeyError, KeyRing, generate
from portal.engine import cases as engine
from portal.extensions import db
from portal.models import Case
from portal.models.cases import complainant_is

from .factories import jurisdiction, login
from .staff_support import quick_staff

PERSON = {"name": "欧阳测试", "phone": "13912345678", "id_number": "11010519491231002X",
          "address": "昆明市五华区测试路88号"}
# the digits of the phone and ID number, and the name and address, as they would sit in a row
SECRETS = ("13912345678", "11010519491231002", "2345678", "欧阳测试", "测试路88号")


def _file(person=PERSON, code="demo"):
    return engine.file_case(jurisdiction=jurisdiction(code), matter="职工退休审批", channel="window",
                            description="退休材料上的年龄与身份证不一致，窗口说办不了。",
                            complainant=dict(person)).case


def _raw_row(case_id: int) -> str:
    """The case row as the database holds it, every column as text (no model, no type)."""
    with db.engine.connect() as c:
        row = c.execute(text('SELECT * FROM "case" WHERE id = :id'), {"id": case_id}).mappings().one()
    return " ".join(str(v) for v in row.values())


def test_the_raw_row_holds_no_phone_id_number_name_or_address_and_the_model_reads_them(core_app):
    case = _file()
    raw = _raw_row(case.id)
    for secret in SECRETS:
        assert secret not in raw, secret
    assert "enc1:test:" in raw  # ciphertexts carry the id of the key that wrote them
    db.session.expire_all()
    again = db.session.get(Case, case.id)
    assert (again.complainant_name, again.complainant_phone, again.complainant_id_number,
            again.complainant_address) == (PERSON["name"], PERSON["phone"], PERSON["id_number"], PERSON["address"])


def test_two_cases_of_one_person_have_different_ciphertexts_but_the_same_blind_index(core_app):
    one, two = _file(), _file()
    with db.engine.connect() as c:
        rows = c.execute(text('SELECT complainant_phone, complainant_phone_hash FROM "case" '
                              'WHERE id IN (:a, :b)'), {"a": one.id, "b": two.id}).all()
    assert rows[0][0] != rows[1][0]  # a fresh nonce each time: equal values do not show as equal
    assert rows[0][1] == rows[1][1] and rows[0][1].startswith("test:")


def test_exact_lookup_by_phone_or_id_number_through_the_blind_index(core_app):
    mine = _file()
    other = _file({"name": "王五", "phone": "13700000000"})
    for spelling in ("13912345678", "139 1234 5678", "+86 139-1234-5678", "11010519491231002x"):
        found = db.session.scalars(select(Case.id).where(complainant_is(spelling))).all()
        assert found == [mine.id], spelling
    assert db.session.scalars(select(Case.id).where(complainant_is("1391234567"))).all() == []
    assert db.session.scalars(select(Case.id).where(complainant_is(""))).all() == []
    assert other.id in db.session.scalars(select(Case.id).where(complainant_is("13700000000"))).all()


def test_staff_find_a_persons_cases_in_the_queue_by_phone_number(core_app):
    client = core_app.test_client()
    quick_staff("pii-clerk", "clerk", "demo")
    mine = _file()
    other = _file({"name": "王五", "phone": "13700000000"})
    login(client, "pii-clerk")
    html = client.get("/staff/?q=139 1234 5678").get_data(as_text=True)
    assert f"/staff/cases/{mine.number}" in html and f"/staff/cases/{other.number}" not in html


def test_a_changed_phone_gets_a_new_blind_index(core_app):
    case = _file()
    case.complainant_phone = "13600000000"
    db.session.commit()
    assert db.session.scalars(select(Case.id).where(complainant_is("13600000000"))).all() == [case.id]
    assert db.session.scalars(select(Case.id).where(complainant_is(PERSON["phone"]))).all() == []


def test_rotation_old_rows_stay_readable_and_findable_new_rows_use_the_new_key(core_app):
    old = _file()
    old_ring = core_app.extensions["portal_data_keys"]
    new_key = generate("k2")
    core_app.extensions["portal_data_keys"] = KeyRing(f"{new_key},{core_app.config['PORTAL_DATA_KEY']}")
    try:
        db.session.expire_all()
        assert db.session.get(Case, old.id).complainant_phone == PERSON["phone"]
        new = _file()
        assert "enc1:k2:" in _raw_row(new.id)
        found = db.session.scalars(select(Case.id).where(complainant_is(PERSON["phone"])).order_by(Case.id)).all()
        assert found == [old.id, new.id]
    finally:
        core_app.extensions["portal_data_keys"] = old_ring


def test_a_wrong_key_shows_unreadable_on_the_case_page_and_logs_without_the_value(core_app, caplog):
    client = core_app.test_client()
    quick_staff("pii-super", "supervisor", "demo")
    case = _file()
    no_address = _file({"name": "王五", "phone": "13700000000"})
    login(client, "pii-super")
    right = core_app.extensions["portal_data_keys"]
    core_app.extensions["portal_data_keys"] = KeyRing(generate("test"))  # same id, other key
    try:
        db.session.expire_all()
        with caplog.at_level(logging.WARNING, logger="portal.models.encrypted"):
            r = client.get(f"/staff/cases/{case.number}")
        assert r.status_code == 200
        html = r.get_data(as_text=True)
        assert "[无法读取]" in html
        assert PERSON["phone"] not in html
        logged = " ".join(rec.getMessage() for rec in caplog.records)
        assert "case.complainant_phone" in logged and "unreadable" in logged
        for secret in SECRETS:
            assert secret not in logged
        # an unreadable value is never written back over the ciphertext
        db.session.expire_all()
        unreadable = db.session.get(Case, case.id)
        assert str(unreadable.complainant_phone) == "[unreadable]"
        db.session.get(Case, no_address.id).complainant_address = unreadable.complainant_phone
        with pytest.raises(Exception, match="unreadable value cannot be stored"):
            db.session.commit()
        db.session.rollback()
    finally:
        core_app.extensions["portal_data_keys"] = right
    db.session.expire_all()
    assert db.session.get(Case, case.id).complainant_name == PERSON["name"]


def test_an_unknown_key_id_is_unreadable_too(core_app):
    case = _file()
    right = core_app.extensions["portal_data_keys"]
    core_app.extensions["portal_data_keys"] = KeyRing(generate("other"))
    try:
        db.session.expire_all()
        assert str(db.session.get(Case, case.id).complainant_id_number) == "[unreadable]"
    finally:
        core_app.extensions["portal_data_keys"] = right


def test_the_portal_refuses_to_start_without_a_data_key_outside_debug_and_testing(tmp_path):
    base = {"INSTANCE_PATH": str(tmp_path / "inst"), "SECRET_KEY": "s" * 40, "PORTAL_JURISDICTIONS": []}
    with pytest.raises(DataKeyError, match="PORTAL_DATA_KEY"):
        create_app(base)
    with pytest.raises(DataKeyError, match="32 bytes"):
        create_app({**base, "PORTAL_DATA_KEY": "k1:c2hvcnQ="})
    with pytest.raises(DataKeyError, match="base64"):
        create_app({**base, "PORTAL_DATA_KEY": "k1:not base64!"})
    assert create_app({**base, "PORTAL_DATA_KEY": generate()}).extensions["portal_data_keys"].keys[0].kid == "k1"


def test_the_data_key_file_in_the_instance_folder_is_read_when_no_key_is_set(tmp_path):
    inst = tmp_path / "inst"
    inst.mkdir()
    (inst / "data_key").write_text(generate("file") + "\n")
    app = create_app({"INSTANCE_PATH": str(inst), "SECRET_KEY": "s" * 40, "PORTAL_JURISDICTIONS": []})
    assert app.extensions["portal_data_keys"].keys[0].kid == "file"


def test_the_data_key_is_read_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_DATA_KEY", generate("env"))
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "s" * 40, "PORTAL_JURISDICTIONS": []})
    assert app.extensions["portal_data_keys"].keys[0].kid == "env"
