"""What people do on the portal, over HTTP, reading each page as it is served."""
from __future__ import annotations

import random
import re
from dataclasses import dataclass

from .client import PDF, PNG, Browser, Response, forms, parse, search_path
from .servers import DEMO_PASSWORD

SEARCH_WORDS = ["身份证", "身份證", "居住证", "退休", "社保", "补缴", "租赁", "备案", "养犬", "登记", "材料",
                "ID card", "retirement", "视频", "档案", "营业执照", "公积金", "办事指南", "窗口"]


@dataclass
class Filing:
    status: int  # the POST's status
    number: str | None = None
    code: str | None = None
    screened: bool = False
    refused: bool = False  # 4xx with a message (validation, size, type)
    attachments: int = 0
    response: Response | None = None


def jurisdictions(b: Browser) -> list[str]:
    """The jurisdictions whose filing pages the public is offered (links on /file)."""
    r = b.get("/file", kind="browse")
    codes = sorted({m for m in re.findall(r'href="/file/([a-z0-9-]+)"', r.text)})
    return codes


def intake_form(b: Browser, jcode: str, kind: str = "filing"):
    r = b.get(f"/file/{jcode}", kind=kind)
    if r.status != 200:
        return r, None
    form = next((f for f in forms(r) if f.method == "post"), None)
    return r, form


def file_case(b: Browser, jcode: str, *, rnd: random.Random | None = None, attachments: int = 0,
              overrides: dict | None = None, files=None, kind: str = "filing") -> Filing:
    """Open the jurisdiction's form, fill it, attach files, submit, read the receipt."""
    rnd = rnd or random.Random()
    r, form = intake_form(b, jcode, kind=kind)
    if form is None:
        return Filing(r.status, response=r)
    if files is None:
        files = []
        for i in range(attachments):
            if rnd.random() < 0.5:
                files.append(("attachments", f"材料{i + 1}.png", "image/png", PNG))
            else:
                files.append(("attachments", f"scan-{i + 1}.pdf", "application/pdf", PDF))
    r = b.submit(form, overrides=overrides, files=files, kind=kind, rnd=rnd)
    out = Filing(r.status, attachments=len(files), response=r)
    if r.status in (302, 303) and r.location and r.location.startswith("/receipt/"):
        out.number = r.location.rsplit("/", 1)[-1]
        receipt = b.get(r.location, kind="receipt")
        refs = [x for x in parse(receipt.text).refs if x and x != out.number]
        out.code = refs[0] if refs else None
        out.response = receipt
    elif r.status == 200:
        out.screened = True
    elif 400 <= r.status < 500:
        out.refused = True
    return out


def track(b: Browser, number: str, code: str, kind: str = "track") -> Response:
    """The tracking form, then the case page it leads to."""
    r = b.get("/track", kind=kind)
    form = next((f for f in forms(r) if f.method == "post"), None)
    if form is None:
        return r
    names = form.text_fields()
    overrides = {}
    for n in names:
        if "number" in n or n in ("case", "case_number"):
            overrides[n] = number
        elif "code" in n:
            overrides[n] = code
    r = b.submit(form, overrides=overrides, kind=kind, retry_errors=False)
    if r.status in (302, 303):
        return b.follow(r, kind=kind)
    return r


def search(b: Browser, rnd: random.Random, kind: str = "search") -> Response:
    words = rnd.sample(SEARCH_WORDS, rnd.randint(1, 3))
    return b.get(search_path(" ".join(words)), kind=kind)


def browse(b: Browser, rnd: random.Random) -> Response:
    path = rnd.choice(["/", "/guides", "/corrections", "/transparency", "/file", "/track"])
    r = b.get(path, kind="browse")
    if path in ("/corrections", "/guides") and r.status == 200:
        links = [h for h in parse(r.text).links if re.match(r"^/(knowledge|guides)/\d+$", h)]
        if links:
            r = b.get(rnd.choice(links), kind="browse")
    return r


def staff_login(b: Browser, username: str, password: str = DEMO_PASSWORD, kind: str = "staff") -> Response:
    r = b.get("/staff/login", kind=kind)
    form = next((f for f in forms(r) if f.method == "post"), None)
    if form is None:
        return r
    over = {}
    for f in form.fields:
        if "user" in f.name or f.name in ("login", "name", "email"):
            over[f.name] = username
        elif "pass" in f.name:
            over[f.name] = password
    return b.submit(form, overrides=over, kind=kind, retry_errors=False)


def staff_case_numbers(b: Browser, kind: str = "staff") -> list[str]:
    r = b.get("/staff/", kind=kind)
    return sorted(set(re.findall(r'href="/staff/cases/([A-Za-z0-9-]+)"', r.text)))


ACTION_PREFERENCE = ("note", "classify", "assign", "accept", "reply", "pause", "resume", "extend", "escalate",
                     "refer", "return_visit", "close", "archive")


def staff_act(b: Browser, number: str, rnd: random.Random, kind: str = "staff") -> tuple[str | None, Response]:
    """Open a case, take one of the actions offered there (the form as served), submit it."""
    r = b.get(f"/staff/cases/{number}", kind=kind)
    if r.status != 200:
        return None, r
    acts = [f for f in forms(r) if f.method == "post" and f.action.endswith("/act")]
    if not acts:
        return None, r
    form = rnd.choice(acts)
    action = form.hidden("action") or "?"
    over = {}
    for f in form.fields:
        if f.name in ("note",):
            over[f.name] = f.value or "负载测试：已电话联系办事人，正在核实材料要求。"
        elif f.name in ("attendees",):
            over[f.name] = "政务服务局、人社局"
        elif f.name in ("decision",):
            over[f.name] = "由人社局牵头办理"
    r = b.submit(form, overrides=over, kind=kind, retry_errors=False, rnd=rnd)
    return action, r


def pick_file_bytes(kind: str) -> tuple[str, str, bytes]:
    return {"png": ("photo.png", "image/png", PNG), "pdf": ("scan.pdf", "application/pdf", PDF)}[kind]
