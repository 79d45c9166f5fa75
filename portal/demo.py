"""Demo data after the source reports, so `make run` shows a living portal.

Every person here is invented; the situations are the reports' (retirement papers
whose age differs from the ID card, the 身份证明 guide that should say 身份证,
renting registration by video, the dog licence, the social-insurance back-payment
that took years). Loading twice changes nothing.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from .workdays import SHANGHAI
from .contracts import ROLES
from .engine import cases as engine
from .extensions import db
from .knowledge import pipeline
from .models import Department, GuideMaterial, GuideVersion, Jurisdiction, ServiceGuide, StaffUser
from .registry import enabled_jurisdictions, sync_jurisdictions
from .staff.users import create_staff_user

FAMILY = "赵钱孙周吴郑冯陈卫蒋沈韩"
GIVEN = ("晓明", "丽华", "建国", "秀英", "志强", "海燕", "文静", "国庆", "春梅", "立新", "雪梅", "永安")

GUIDES = [
    # (key, department keyword, matter, matter_en, conditions, materials, promised days)
    ("residence", "公安", "居住证办理", "Residence permit", "在本市居住满半年，有合法稳定就业、住所或连续就读。",
     ["身份证明", "居住登记凭证", "近期免冠照片"], 15),
    ("retire", "人力资源", "职工退休审批", "Retirement approval", "达到法定退休年龄，累计缴费满15年。",
     ["居民身份证", "职工档案", "退休申请表"], 20),
    ("rental", "住房", "房屋租赁备案", "Housing rental registration", "出租人与承租人签订书面租赁合同。",
     ["房屋租赁合同", "房产证或不动产权证书", "出租人有效身份证件", "承租人有效身份证件"], 3),
    ("dog", "公安", "养犬登记", "Dog licence", "犬只已免疫，养犬人具有完全民事行为能力。",
     ["居民身份证", "犬只免疫证明", "犬只检测证明"], 5),
    ("backpay", "税务", "社会保险费追缴", "Social insurance back-payment", "用人单位未依法为职工缴纳社会保险费。",
     ["居民身份证", "劳动关系证明", "银行工资流水"], 30),
]

STORIES = [
    # Beijing (seed 003): the guide said 身份证明, the counter wanted 身份证.
    dict(prefer=("beijing-dongcheng", "beijing"), guide="residence", matter="居住证办理", category="guide",
         description="按照网上公示的办事指南带了“身份证明”（社保卡）去办理，窗口却要求出示身份证，白跑一趟。",
         flow="published_correction", wrong="身份证明", right="身份证",
         title="办事指南更正：居住证办理材料“身份证明”改为“身份证”",
         title_en="Guide correction: residence permit needs the resident ID card, not 'identity proof'",
         summary="指南原写“身份证明”，办事人带社保卡被告知须带身份证。现已更正为“身份证”。",
         summary_en="The guide asked for 'identity proof'; the counter required the resident ID card. The guide now says ID card."),
    # Dazhou (seed 002): retirement papers whose age differs from the ID card.
    dict(prefer=("dazhou",), guide="retire", matter="职工退休审批", category="key_material", complexity="complex",
         description="需要办理退休手续，但有一份档案材料上的年龄与身份证年龄不符且无法补办，未能办理退休。",
         flow="closed"),
    # Xuanwu (seed 001): renting registration by video when the owner cannot attend.
    dict(prefer=("xuanwu",), guide="rental", matter="房屋租赁备案", category="hard",
         description="办理房屋租赁备案时只有房产证和土地证原件，房东在外地无法到现场，也提供不了房东有效证件。",
         flow="published_practice",
         title="解决办法：房东无法到场时，房屋租赁备案可通过视频连线确认身份",
         title_en="Practice: rental registration by video call when the owner cannot attend",
         summary="房东无法到现场时，窗口通过视频连线确认房东身份并完成房屋租赁备案，已成为常态化做法。",
         summary_en="When the owner cannot come, the window confirms the owner's identity by video call and completes the rental registration."),
    # Dazhou (seed 002): the dog licence, three places to visit.
    dict(prefer=("dazhou",), guide="dog", matter="养犬登记", category="process_question",
         description="办理养犬证要拿身份证、免疫证明、检测证明跑社区、派出所、政务服务中心三个地方。",
         flow="replied"),
    # Qingcheng (seed 004): social-insurance back-payment, years of waiting for papers.
    dict(prefer=("qingcheng",), guide="backpay", matter="社会保险费追缴", category="business", complexity="complex",
         description="已到退休年龄但社保只缴了152个月，原公司有三年未依法缴纳职工社保，申请追缴多次未果。",
         flow="paused_long"),
    # Kunming (seed 000): a complex multi-department matter waiting at the department.
    dict(prefer=("kunming-wuhua", "kunming"), guide=None, matter="企业开办", category="multi_dept", complexity="complex",
         description="企业开办涉及市场监管、税务、社保多个部门，材料各部门要求不一致，跑了三次没办成。",
         flow="assigned"),
    dict(prefer=("kunming-wuhua", "kunming"), guide=None, matter="不动产登记", category="attitude",
         description="窗口工作人员态度生硬，没有一次性告知需要的材料。", flow="received"),
    dict(prefer=("beijing-xicheng", "beijing"), guide=None, matter="工作居住证", category="guide",
         description="窗口一次性告知不准确，第一次说员工身份证复印件不合格，第二次又说纳税记录断档。",
         flow="replied"),
    dict(prefer=("qingcheng",), guide=None, matter="工伤认定", category="ordinary",
         description="不清楚工伤认定需要哪些材料，问了几次说法不一。", flow="closed"),
    dict(prefer=("xuanwu",), guide=None, matter="个体工商户注销", category="not_yet", complexity="especially_complex",
         description="历史遗留问题，两个部门都说不归自己管，注销一直办不了。", flow="received"),
]


def _person(i: int) -> dict:
    return {"name": FAMILY[i % len(FAMILY)] + GIVEN[i % len(GIVEN)], "phone": f"1390000{i:04d}"}


def _pick_jurisdiction(prefer) -> Jurisdiction | None:
    js = {j.code: j for j in enabled_jurisdictions()}
    for code in prefer:
        if code in js:
            return js[code]
    return next(iter(js.values()), None)


def _department(j: Jurisdiction, keyword: str | None) -> Department:
    for scope in (j, j.parent):
        if scope is None:
            continue
        for d in scope.departments:
            if keyword and keyword in d.name_zh:
                return d if scope is j else _copy_department(j, d)
    if j.departments:
        return j.departments[0]
    d = Department(jurisdiction=j, code="zwfw", name_zh="政务服务管理局", name_en="Government Services Bureau")
    db.session.add(d)
    db.session.flush()
    return d


def _copy_department(j: Jurisdiction, d: Department) -> Department:
    existing = next((x for x in j.departments if x.code == d.code), None)
    if existing:
        return existing
    copy = Department(jurisdiction=j, code=d.code, name_zh=d.name_zh, name_en=d.name_en)
    db.session.add(copy)
    db.session.flush()
    return copy


def _staff(j: Jurisdiction, password: str, hashed: str) -> dict[str, StaffUser]:
    """The four demo roles; the password is hashed once for all of them (scrypt is slow on purpose)."""
    out = {}
    for role in ROLES:
        username = f"{j.code}-{role}"
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
        if user is None:
            dept = j.departments[0].code if role == "handler" and j.departments else None
            user = create_staff_user(username=username, password=password, role=role, jurisdiction_code=j.code,
                                     department_code=dept, display_name=f"{j.name_zh}{_role_zh(role)}",
                                     sees_subtree=role in ("supervisor", "admin"), commit=False,
                                     password_hash=hashed)
        out[role] = user
    db.session.flush()
    return out


def _role_zh(role: str) -> str:
    return {"clerk": "窗口工作人员", "handler": "部门经办人", "supervisor": "督办负责人", "admin": "管理员"}[role]


def _guide(j: Jurisdiction, key: str) -> ServiceGuide:
    spec = next(g for g in GUIDES if g[0] == key)
    _key, kw, matter, matter_en, conditions, materials, days = spec
    g = db.session.scalar(select(ServiceGuide).where(ServiceGuide.jurisdiction_id == j.id, ServiceGuide.code == key))
    if g is None:
        g = ServiceGuide(jurisdiction=j, department=_department(j, kw), code=key, matter=matter, matter_en=matter_en)
        v = GuideVersion(number=1, kind="promised", conditions=conditions, promised_limit_days=days,
                         legal_limit_days=days * 2, visits=1, fees="不收费", contact="政务服务中心咨询窗口",
                         place="政务服务中心一楼综合窗口，工作日 9:00-17:00", change_note="首次发布",
                         created_at=datetime(2026, 1, 5, 9, 0, tzinfo=SHANGHAI))
        for i, name in enumerate(materials):
            v.materials.append(GuideMaterial(position=i, name=name, originals=1, copies=1, source="申请人自备"))
        g.versions.append(v)
        db.session.add(g)
        db.session.flush()
    return g


def _categories(j: Jurisdiction) -> set[str]:
    return {c.code for c in current_app.extensions["portal_plugins"].for_jurisdiction(j.code).portal_categories()}


def _act(case, action, user, when, note="", **params):
    """Take an action if this jurisdiction's workflow offers it to this role now."""
    actor = engine.Actor.staff(user) if user is not None else engine.PUBLIC
    allowed = {t.action for t in engine.allowed_actions(case, actor)}
    if action not in allowed:
        return False
    engine.perform(case, action, actor, note=note, params=params, now=when)
    return True


def _advance(case, users, start, flow, story):
    """Walk the case through its jurisdiction's workflow as far as the story goes."""
    t = start
    step = timedelta(hours=20)
    dept = case.lead_department or _department(case.jurisdiction, None)
    _act(case, "classify", users["clerk"], t + step / 4, "", **params_category(case, story))
    if flow == "received":
        return
    t += step
    # the demo handler sits in the jurisdiction's first department and works the demo cases: where
    # another department leads, the handler's co-handles, since a handler reads and acts on its own
    # department's cases only (portal/staff/case_scope.py)
    own = users["handler"].department_id
    co = [own] if own is not None and own != dept.id else []
    _act(case, "assign", users["supervisor"], t, "", lead_department_id=dept.id, co_department_ids=co) or \
        _act(case, "assign", users["clerk"], t, "", lead_department_id=dept.id, co_department_ids=co)
    if flow == "assigned":
        return
    if flow == "paused_long":
        _act(case, "pause", users["handler"], t + step, "等待申请人补充银行工资流水等材料。")
        return
    t += step
    # the workflow may have intermediate steps (coordinate, meeting...): follow plain moves
    for _ in range(4):
        if _act(case, "reply", users["handler"], t, "经协调，已为您办结。办理结果：问题已解决。") or \
                _act(case, "reply", users["supervisor"], t, "经协调，已为您办结。办理结果：问题已解决。"):
            break
        moved = False
        for tr in engine.allowed_actions(case, engine.Actor.staff(users["supervisor"])):
            if tr.target and tr.target != case.state and tr.action not in ("refer", "archive", "close"):
                params = {"attendees": "行政审批局、相关部门", "decision": "明确牵头部门办理"} if tr.action == "joint_meeting" else {}
                engine.perform(case, tr.action, engine.Actor.staff(users["supervisor"]), note="按流程推进",
                               params=params, now=t)
                moved = True
                break
        if not moved:
            break
        t += step / 2
    if flow == "replied":
        return
    t += step
    engine.rate(case, 5, "问题解决了，谢谢。", now=t) if engine.can_rate(case) else None
    _act(case, "return_visit", users["clerk"], t + step, "电话回访，群众表示满意。", method="phone", satisfaction=5)
    _act(case, "close", users["supervisor"], t + 2 * step, "办结。") or _act(case, "close", users["clerk"], t + 2 * step, "办结。")


def params_category(case, story):
    cats = _categories(case.jurisdiction)
    cat = story.get("category") if story.get("category") in cats else ""
    return {"category": cat or next(iter(sorted(cats)), ""), "complexity": story.get("complexity", "general")}


def holds_real_data() -> bool:
    """Whether the database is in real use: it holds staff users or cases, and none of the demo's
    accounts (so the demo did not make them). Once the demo is loaded the database is a demo one,
    and loading again (`make run` does at every start) changes nothing."""
    demo_names = {f"{j.code}-{role}" for j in enabled_jurisdictions() for role in ROLES}
    users = set(db.session.scalars(select(StaffUser.username)))
    if users & demo_names:
        return False
    return bool(users) or bool(db.session.scalar(select(db.func.count()).select_from(engine.Case)))


def load_demo_data(password: str = "demo-pass-2026", progress=None) -> dict:
    if not enabled_jurisdictions():
        sync_jurisdictions()
    js = enabled_jurisdictions()
    from werkzeug.security import generate_password_hash

    hashed = generate_password_hash(password, method=current_app.config.get("PORTAL_PASSWORD_METHOD", "scrypt"))
    staff = {j.code: _staff(j, password, hashed) for j in js}
    db.session.commit()
    existing = db.session.scalar(select(db.func.count()).select_from(engine.Case))
    if existing:
        return {"jurisdictions": len(js), "cases": existing, "note": "demo data already loaded"}
    base = datetime(2026, 9, 7, 9, 30, tzinfo=SHANGHAI)
    created = 0
    items = list(enumerate(STORIES))
    for i, story in (progress(items, length=len(items), label="Demo cases") if progress else items):
        j = _pick_jurisdiction(story["prefer"])
        if j is None:
            continue
        users = staff[j.code]
        guide = _guide(j, story["guide"]) if story.get("guide") else None
        start = base + timedelta(days=7 * i)
        filed = engine.file_case(jurisdiction=j, matter=story["matter"], description=story["description"],
                                 channel="window" if i % 2 else "online", complainant=_person(i),
                                 receiver=users["clerk"] if i % 2 else None, guide_id=guide.id if guide else None,
                                 now=start)
        created += 1
        case = filed.case
        if guide is not None and case.lead_department is None:
            case.lead_department = guide.department
            db.session.commit()
        flow = story["flow"]
        if flow.startswith("published"):
            _advance(case, users, start, "closed", story)
            kind = "correction" if flow == "published_correction" else "practice"
            c = pipeline.propose(user=users["clerk"], case=case, guide=guide, kind=kind,
                                 field="materials" if kind == "correction" else "",
                                 wrong_text=story.get("wrong", ""), corrected_text=story.get("right", ""),
                                 cause="一次性告知不准确" if kind == "correction" else "房东无法到场",
                                 title=story["title"], title_en=story["title_en"], summary=story["summary"],
                                 summary_en=story["summary_en"], now=start + timedelta(days=5))
            pipeline.confirm(c, users["supervisor"], now=start + timedelta(days=6))
            pipeline.record_fix(c, users["supervisor"], "已在门户网站更正办事指南。", now=start + timedelta(days=7))
            pipeline.publish(c, users["supervisor"], now=start + timedelta(days=8))
        else:
            _advance(case, users, start, flow, story)
    from . import stats

    stats.rebuild()  # the demo sets a few fields outside the engine (lead departments)
    return {"jurisdictions": len(js), "cases": created,
            "staff": [u.username for us in staff.values() for u in us.values()]}
