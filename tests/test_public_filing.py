"""Filing a complaint online: every jurisdiction's own form, validation, screening, CSRF,
attachments, and nothing half-written on any failure. Every person here is invented."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Attachment, Case, ScreeningRecord
from portal.registry import enabled_jurisdictions

from .test_public_support import (  # noqa: F401 (fixtures)
    PERSON,
    Page,
    client,
    english,
    errors_in,
    file_online,
    intake_data,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
#: Jurisdictions the issue names; their plugins may add more districts.
NAMED = ["kunming", "kunming-wuhua", "xuanwu", "beijing", "beijing-dongcheng", "beijing-xicheng",
         "beijing-chaoyang", "beijing-daxing", "dazhou", "qingcheng"]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def uploads(app) -> list[Path]:
    d = Path(app.config["PORTAL_UPLOAD_DIR"])
    return sorted(p for p in d.rglob("*") if p.is_file()) if d.exists() else []


def test_choose_page_lists_every_enabled_jurisdiction_as_a_link(app, client):
    html = client.get("/file").get_data(as_text=True)
    for j in enabled_jurisdictions():
        assert f'href="/file/{j.code}"' in html
    assert client.get("/file/no-such-place").status_code == 404


@pytest.mark.parametrize("code", NAMED)
def test_file_a_complaint_in_each_named_jurisdiction(app, client, code):
    number, access = file_online(client, app, code)
    case = db.session.scalar(select(Case).where(Case.number == number))
    assert case.jurisdiction.code == code
    assert case.channel == "online"
    assert case.complainant_name == PERSON["name"] and case.complainant_phone == PERSON["phone"]
    assert case.active_deadline is not None, "the first stage deadline is stored at intake"
    # the jurisdiction's own fields land in case.extra
    own = {k for k in intake_data(app, code)} - {"matter", "description", "name", "phone", "channel"}
    assert own <= set(case.extra), (own, case.extra)
    assert len(access) == 10


def test_every_enabled_jurisdiction_accepts_its_own_form(app, client):
    failures = {}
    for j in enabled_jurisdictions():
        r = client.post(f"/file/{j.code}", data=intake_data(app, j.code))
        if r.status_code != 303:
            failures[j.code] = (r.status_code, errors_in(r.get_data(as_text=True)))
    assert not failures
    assert count(Case) == len(enabled_jurisdictions())


def test_empty_form_lists_every_problem_linked_to_its_field_and_saves_nothing(app, client):
    r = client.post("/file/beijing-dongcheng", data={})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    page = Page(html)
    summary = html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    targets = re.findall(r'href="#([^"]+)"', summary)
    for name in ("matter", "description", "name", "phone"):
        assert name in targets
    assert "met_conditions" in targets  # Beijing's own declaration
    for t in targets:
        assert t in page.ids, f"error link #{t} points at nothing"
    assert "Tell us which matter it was." in html and "Enter a phone number so we can reply." in html
    # the message is repeated beside the field and tied to it
    assert 'id="phone-error"' in html and 'aria-describedby="phone-hint phone-error"' in html
    assert html.count('aria-invalid="true"') >= 4
    assert "<title>Error:" in html
    assert count(Case) == 0


def test_radio_errors_link_to_the_first_option(app, client):
    data = intake_data(app, "xuanwu")
    data.pop("applicant_type", None)
    html = client.post("/file/xuanwu", data=data).get_data(as_text=True)
    assert 'href="#applicant_type-0"' in html and 'id="applicant_type-0"' in html


@pytest.mark.parametrize("field,value,message", [
    ("phone", "12345", "Enter a mobile number (11 digits) or a landline with its area code."),
    ("id_number", "110105194912310021", "This is not a valid 18-character resident ID number."),
    ("description", "太短", "Describe what happened in 10 to 4000 characters."),
    ("matter", "x" * 201, "Please shorten this to at most 200 characters."),
    ("name", "王\x07五", "Please remove the invisible control characters from this field."),
    ("centre", "not-a-centre", "Choose a service centre from the list."),
])
def test_server_side_validation_messages(app, client, field, value, message):
    r = client.post("/file/kunming", data=intake_data(app, "kunming", **{field: value}))
    assert r.status_code == 422
    assert message in r.get_data(as_text=True)
    assert count(Case) == 0


def test_full_width_and_spaced_phone_numbers_are_accepted(app, client):
    number, _code = file_online(client, app, "kunming", phone="１３９ １２３４ ５６７８", id_number=PERSON["id_number"])
    assert db.session.scalar(select(Case.complainant_phone).where(Case.number == number))


def test_the_public_cannot_choose_a_staff_channel(app, client):
    number, _ = file_online(client, app, "kunming", channel="hotline")
    assert db.session.scalar(select(Case.channel).where(Case.number == number)) == "online"


def test_screening_runs_first_and_explains_where_to_go_without_storing_personal_data(app, client):
    # no name or phone needed to learn that the window cannot take it
    r = client.post("/file/beijing-dongcheng", data={
        "matter": "劳动合同纠纷", "description": f"我想起诉原单位，联系我{PERSON['phone']}，我叫{PERSON['name']}。"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "12368" in html  # where to go: the court's litigation service line
    rec = db.session.scalar(select(ScreeningRecord))
    assert rec.code == "litigation"
    stored = " ".join([rec.matter, rec.reason, rec.channel])
    assert PERSON["phone"] not in stored and PERSON["name"] not in stored
    assert count(Case) == 0


def test_screening_answer_on_the_form_counts(app, client):
    r = client.post("/file/beijing", data=intake_data(app, "beijing", involves="petition"))
    assert r.status_code == 200 and count(Case) == 0
    assert db.session.scalar(select(ScreeningRecord.code)) == "petition"


# -- CSRF ---------------------------------------------------------------------------------------
@pytest.fixture
def csrf_app(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app


def _form_tokens(html: str) -> dict:
    return dict(re.findall(r'name="(csrf_token|submission)"[^>]*value="([^"]+)"', html))


def test_csrf_valid_form_files_once(csrf_app):
    c = english(csrf_app.test_client())
    tokens = _form_tokens(c.get("/file/kunming").get_data(as_text=True))
    assert set(tokens) == {"csrf_token", "submission"}
    r = c.post("/file/kunming", data={**intake_data(csrf_app, "kunming"), **tokens})
    assert r.status_code == 303
    assert count(Case) == 1


def test_csrf_missing_token_gives_a_clear_400_and_saves_nothing(csrf_app):
    c = english(csrf_app.test_client())
    c.get("/file/kunming")
    r = c.post("/file/kunming", data=intake_data(csrf_app, "kunming"))
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "The form has expired" in html and "Nothing was saved." in html
    assert count(Case) == 0


def test_csrf_token_of_another_session_is_refused(csrf_app):
    victim, attacker = english(csrf_app.test_client()), english(csrf_app.test_client())
    tokens = _form_tokens(attacker.get("/file/kunming").get_data(as_text=True))
    victim.get("/")
    r = victim.post("/file/kunming", data={**intake_data(csrf_app, "kunming"), **tokens})
    assert r.status_code == 400 and count(Case) == 0


def test_replayed_submission_is_refused_and_points_to_the_receipt(csrf_app):
    c = english(csrf_app.test_client())
    tokens = _form_tokens(c.get("/file/kunming").get_data(as_text=True))
    data = {**intake_data(csrf_app, "kunming"), **tokens}
    first = c.post("/file/kunming", data=data)
    number = first.headers["Location"].rsplit("/", 1)[-1]
    again = c.post("/file/kunming", data=data)
    assert again.status_code == 400
    html = again.get_data(as_text=True)
    assert number in html and f'href="/receipt/{number}"' in html
    assert count(Case) == 1


def test_forged_submission_id_is_refused(csrf_app):
    c = english(csrf_app.test_client())
    tokens = _form_tokens(c.get("/file/kunming").get_data(as_text=True))
    tokens["submission"] = "made-up"
    r = c.post("/file/kunming", data={**intake_data(csrf_app, "kunming"), **tokens})
    assert r.status_code == 400 and count(Case) == 0


def test_rating_and_tracking_forms_need_the_token_too(csrf_app):
    c = english(csrf_app.test_client())
    assert c.post("/track", data={"number": "KM-2026-000001", "code": "ABCDEFGHJK"}).status_code == 400


# -- attachments ----------------------------------------------------------------------------------
def _post_files(client, app, files, code="kunming"):
    data = intake_data(app, code)
    data["attachments"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(f"/file/{code}", data=data, content_type="multipart/form-data")


def test_attachments_are_stored_outside_the_web_root_under_generated_names(app, client):
    r = _post_files(client, app, [("通知书.pdf", PDF), ("photo.PNG", PNG), ("scan.jpeg", JPG)])
    assert r.status_code == 303
    rows = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert [a.original_name for a in rows] == ["通知书.pdf", "photo.PNG", "scan.jpeg"]
    assert [a.content_type for a in rows] == ["application/pdf", "image/png", "image/jpeg"]
    static = Path(app.static_folder).resolve()
    for a in rows:
        assert re.fullmatch(r"[0-9a-f]{32}\.(pdf|png|jpeg)", a.stored_name)
        path = Path(app.config["PORTAL_UPLOAD_DIR"]) / a.stored_name
        assert path.is_file() and static not in path.resolve().parents
    assert client.get(f"/static/{rows[0].stored_name}").status_code == 404


def test_path_traversal_in_a_file_name_is_harmless(app, client, tmp_path):
    r = _post_files(client, app, [("../../../../etc/cron.d/evil.png", PNG), ("..\\..\\boot.ini.pdf", PDF)])
    assert r.status_code == 303
    names = db.session.scalars(select(Attachment.original_name).order_by(Attachment.id)).all()
    assert names == ["evil.png", "boot.ini.pdf"]
    assert len(uploads(app)) == 2
    assert all(p.parent == Path(app.config["PORTAL_UPLOAD_DIR"]) for p in uploads(app))


@pytest.mark.parametrize("files,message", [
    ([("tool.exe", b"MZ\x90\x00")], "only PDF, JPG and PNG files can be attached."),
    ([("fake.pdf", b"MZ\x90\x00 not a pdf")], "the file does not look like the type its name says."),
    ([("empty.png", b"")], "the file is empty."),
    ([(f"p{i}.png", PNG) for i in range(6)], "At most five files can be attached."),
    ([("noext", PDF)], "only PDF, JPG and PNG files can be attached."),
])
def test_bad_attachments_are_refused_with_a_linked_message(app, client, files, message):
    r = _post_files(client, app, files)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert message in html and 'href="#attachments"' in html
    assert count(Case) == 0 and count(Attachment) == 0 and uploads(app) == []


def test_an_attachment_over_the_size_limit_is_refused(make_app):
    app = make_app(PORTAL_MAX_ATTACHMENT_BYTES=2048)
    with app.app_context():
        r = _post_files(english(app.test_client()), app, [("big.pdf", PDF + b"0" * 4096)])
        assert r.status_code == 422
        assert "at most 2 MB" not in r.get_data(as_text=True)
        assert count(Case) == 0 and uploads(app) == []


def test_a_body_over_the_request_limit_gets_the_413_page(make_app):
    app = make_app(MAX_CONTENT_LENGTH=64 * 1024)
    with app.app_context():
        r = _post_files(english(app.test_client()), app, [("huge.pdf", PDF + b"0" * (200 * 1024))])
        assert r.status_code == 413
        assert "What you sent is too large" in r.get_data(as_text=True)
        assert count(Case) == 0 and uploads(app) == []


def test_a_form_error_asks_to_choose_the_files_again(app, client):
    data = intake_data(app, "kunming", phone="")
    data["attachments"] = [(io.BytesIO(PNG), "a.png")]
    html = client.post("/file/kunming", data=data, content_type="multipart/form-data").get_data(as_text=True)
    assert "please choose your attachments again" in html
    assert uploads(app) == []


def test_no_half_written_case_when_filing_fails(app, client, monkeypatch):
    from portal.engine import deadlines

    def broken(*a, **kw):
        raise RuntimeError("calendar exploded")

    monkeypatch.setattr(deadlines, "start_stage", broken)
    r = _post_files(client, app, [("a.pdf", PDF), ("b.png", PNG)])
    assert r.status_code == 500
    assert "nothing was half-saved" in r.get_data(as_text=True)
    assert count(Case) == 0 and count(Attachment) == 0
    assert uploads(app) == [], "files of a case that was not saved are removed"


def test_files_of_a_committed_case_are_kept_if_a_later_step_fails(app, client, monkeypatch):
    from portal.engine import cases

    def notifier_down(*a, **kw):
        raise RuntimeError("mail server down")

    monkeypatch.setattr(cases, "_notify_plugins", notifier_down)
    _post_files(client, app, [("a.pdf", PDF)])
    rows = db.session.scalars(select(Attachment)).all()
    if rows:  # the engine committed before notifying: every row keeps its file
        for a in rows:
            assert (Path(app.config["PORTAL_UPLOAD_DIR"]) / a.stored_name).is_file()
    else:
        assert uploads(app) == []


def test_upload_folder_inside_the_static_folder_is_refused(make_app):
    from portal.public.attachments import upload_dir

    app = make_app()
    app.config["PORTAL_UPLOAD_DIR"] = str(Path(app.static_folder) / "uploads")
    with app.app_context(), pytest.raises(RuntimeError, match="static"):
        upload_dir()


def test_filing_is_rate_limited_but_sent_back_forms_do_not_count(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    with app.app_context():
        c = english(app.test_client())
        data = intake_data(app, "kunming")
        for _ in range(25):  # typos sent back: no allowance used
            assert c.post("/file/kunming", data={**data, "phone": "1"}).status_code == 422
        assert [c.post("/file/kunming", data=data).status_code for _ in range(20)] == [303] * 20
        r = c.post("/file/kunming", data=data)
        assert r.status_code == 429 and "Too many attempts" in r.get_data(as_text=True)
        assert count(Case) == 20


def test_the_second_answer_of_a_double_click_uses_no_filing_allowance(make_app):
    """Rate limit rule: only cases actually filed count. A double-click's second request is sent
    to the first one's receipt (303) but files nothing, so it must not use up the allowance."""
    import re

    app = make_app(RATELIMIT_ENABLED=True)
    with app.app_context():
        c = english(app.test_client())
        data = intake_data(app, "kunming")
        page = c.get("/file/kunming").get_data(as_text=True)
        submission = re.search(r'name="submission"[^>]*value="([^"]+)"', page).group(1)
        with c.session_transaction() as s:
            before = dict(s)  # the second click carries the cookie the first one was sent with
        first = c.post("/file/kunming", data={**data, "submission": submission})
        with c.session_transaction() as s:
            s.clear()
            s.update(before)
        second = c.post("/file/kunming", data={**data, "submission": submission})
        assert first.status_code == second.status_code == 303
        assert first.headers["Location"] == second.headers["Location"]
        assert db.session.scalar(select(func.count()).select_from(Case)) == 1
        # 19 more cases make 20 filed: all accepted; the 21st is refused
        assert [c.post("/file/kunming", data=data).status_code for _ in range(19)] == [303] * 19
        assert c.post("/file/kunming", data=data).status_code == 429
