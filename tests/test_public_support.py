"""Helpers for the public-side tests (no tests here): generic form filling, driving a case
through any jurisdiction's workflow, and reading HTML. Every person here is invented."""
from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from portal.engine import cases as engine
from portal.extensions import db
from portal.models import Case, Jurisdiction

#: An invented complainant whose details must never reach a public page.
PERSON = {
    "name": "欧阳明远",
    "phone": "13912345678",
    "id_number": "11010519491231002X",
    "address": "幸福路88号3栋502室",
}
MATTER = "居住证办理"
DESCRIPTION = "按照办事指南准备了全部材料，窗口仍然说不能办理，已经来了三次。"


def english(client):
    """A browser asking for English: the msgids are the English text, so assertions on words
    hold whatever the Chinese catalogues say (and dates come out as "Saturday, October 10, 2026")."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def client(app):
    """Overrides conftest's client in the public tests: an English-speaking browser."""
    return english(app.test_client())


@pytest.fixture
def fast_passwords(monkeypatch):
    """Staff passwords hashed cheaply: these tests are about public pages, not about scrypt."""
    from werkzeug.security import generate_password_hash

    import portal.models.staff as staff_module

    monkeypatch.setattr(staff_module, "generate_password_hash",
                        lambda password, method=None: generate_password_hash(password, method="pbkdf2:sha256:1"))


@pytest.fixture
def demo(app, fast_passwords):
    """The invented demo data (the 身份证明 correction, renting by video, back-payment...) indexed."""
    from portal.demo import load_demo_data
    from portal.knowledge.indexing import rebuild_index

    load_demo_data()
    rebuild_index()
    return app


# -- forms -----------------------------------------------------------------------------
def _required(field) -> bool:
    return bool(getattr(field.flags, "required", False)) or any(
        type(v).__name__ in ("DataRequired", "InputRequired") for v in field.validators)


def _length_bounds(field):
    lo, hi = 0, None
    for v in field.validators:
        if type(v).__name__ == "Length":
            lo = max(lo, v.min if v.min and v.min > 0 else 0)
            hi = v.max if v.max and v.max > 0 else hi
    return lo, hi


def _choices(field):
    return [c[0] for c in field.iter_choices() if c[0] not in ("", None)]


def intake_data(app, code: str, **overrides) -> dict:
    """Form data for ``code``'s own intake form: the core fields plus every required
    field the jurisdiction adds, read from the form itself (plugins gain fields over time)."""
    from portal.public.filing import intake_form_for

    data = {"matter": MATTER, "description": DESCRIPTION, "name": PERSON["name"], "phone": PERSON["phone"],
            "channel": "online"}
    # a fresh app context: its g (and Flask-Babel's cached locale) ends with this block
    with app.app_context(), app.test_request_context(f"/file/{code}"):
        j = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == code))
        form = intake_form_for(j)
        for f in form:
            if f.name in data or f.name in ("csrf_token", "attachments", "centre", "id_number", "address"):
                continue
            kind = f.type
            if kind == "BooleanField":
                if _required(f):
                    data[f.name] = "y"
                continue
            if not _required(f):
                continue
            if kind in ("RadioField", "SelectField", "SelectMultipleField"):
                options = _choices(f)
                default = f.default() if callable(f.default) else f.default
                data[f.name] = default if default in options else options[0]
            elif kind in ("IntegerField", "DecimalField", "FloatField", "IntegerRangeField"):
                low = next((v.min for v in f.validators if type(v).__name__ == "NumberRange" and v.min is not None), 1)
                data[f.name] = str(low)
            elif kind == "DateField":
                data[f.name] = date(2026, 1, 5).isoformat()
            elif kind in ("MultipleFileField", "FileField", "HiddenField"):
                continue
            else:
                lo, hi = _length_bounds(f)
                text = "窗口说材料不全，但材料都按指南带齐了。"
                while len(text) < lo:
                    text += text
                data[f.name] = text[:hi] if hi else text
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def file_online(client, app, code: str, **overrides):
    """File through the public form; returns (case number, access code) from the receipt."""
    r = client.post(f"/file/{code}", data=intake_data(app, code, **overrides))
    assert r.status_code == 303, (code, r.status_code, errors_in(r.get_data(as_text=True)))
    number = r.headers["Location"].rsplit("/", 1)[-1]
    page = client.get(f"/receipt/{number}").get_data(as_text=True)
    m = re.search(r'id="access-code">([^<]+)<', page)
    assert m, "the receipt shows the access code once"
    return number, m.group(1)


def errors_in(html: str) -> list[str]:
    return re.findall(r'class="error-message"[^>]*>(.*?)</p>', html, re.S)


# -- cases --------------------------------------------------------------------------------
SKIP_ACTIONS = {"refer", "archive", "close", "pause", "resume", "escalate", "extend", "note", "flag_overdue",
                "rate", "rate_bad", "return_visit", "reject", "verify_failed"}


def staff_for(code: str):
    """A clerk, handler and supervisor who see ``code``'s jurisdiction (invented people)."""
    from .factories import department, jurisdiction, staff

    j = jurisdiction(code)
    d = department(j)
    suffix = code.replace("-", "")[:20]
    return {
        "supervisor": staff(f"sup-{suffix}", "supervisor", code, subtree=True),
        "handler": staff(f"hdl-{suffix}", "handler", code, d),
        "clerk": staff(f"clk-{suffix}", "clerk", code),
        "dept": d,
    }


def _params(case, action, people):
    if action == "assign":
        return {"lead_department_id": people["dept"].id}
    if action == "classify":
        hooks = engine.plugins().for_jurisdiction(case.jurisdiction.code)
        cats = sorted(c.code for c in hooks.portal_categories())
        return {"category": cats[0] if cats else "", "complexity": "general"}
    if action == "joint_meeting":
        return {"attendees": "行政审批局、住建局", "decision": "明确牵头部门办理"}
    return {}


def drive_to_replied(case: Case, people: dict, reply: str) -> Case:
    """Walk any jurisdiction's workflow (as its staff) until the person has been answered."""
    for _ in range(12):
        if case.replied_at is not None and engine.can_rate(case):
            return case
        moved = False
        for role in ("supervisor", "handler", "clerk"):
            actor = engine.Actor.staff(people[role])
            allowed = {t.action: t for t in engine.allowed_actions(case, actor)}
            if "reply" in allowed:
                engine.perform(case, "reply", actor, note=reply, params={"outcome": "resolved"})
                moved = True
                break
            for action, t in allowed.items():
                if action in SKIP_ACTIONS or (t.target in (None, case.state) and action != "classify"):
                    continue
                if action == "classify" and case.category:
                    continue
                engine.perform(case, action, actor, note="按流程推进", params=_params(case, action, people))
                moved = True
                break
            if moved:
                break
        if not moved:
            break
    assert case.replied_at is not None and engine.can_rate(case), (case.jurisdiction.code, case.state)
    return case


def case_by_number(number: str) -> Case:
    return db.session.scalar(select(Case).where(Case.number == number))


# -- HTML -------------------------------------------------------------------------------------
class Page(HTMLParser):
    """The parts of a page the accessibility and privacy tests look at."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.labels_for: set[str] = set()
        self.controls: list[dict] = []
        self.headings: list[int] = []
        self.links: list[str] = []
        self.scripts = 0
        self.texts: list[tuple[str, tuple]] = []  # (text, open-element stack of (tag, attrs))
        self.attr_texts: list[tuple[str, tuple]] = []
        self.html_lang = None
        self._stack: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "html":
            self.html_lang = a.get("lang")
        if tag == "label" and a.get("for"):
            self.labels_for.add(a["for"])
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit", "button"):
            self.controls.append(a)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "script":
            self.scripts += 1
        for key in ("placeholder", "aria-label", "title", "alt", "value"):
            if a.get(key) and not (key == "value" and tag in ("input", "option") and a.get("type") != "submit"):
                self.attr_texts.append((a[key], tuple(self._stack) + ((tag, a),)))
        if tag not in self.VOID:
            self._stack.append((tag, a))

    def handle_endtag(self, tag):
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break

    def handle_data(self, data):
        if data.strip() and not any(t in ("script", "style", "title") for t, _a in self._stack):
            self.texts.append((data, tuple(self._stack)))

    def text(self) -> str:
        return " ".join(t for t, _s in self.texts)
