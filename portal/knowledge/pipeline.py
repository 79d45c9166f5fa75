"""From one case to one class of cases: propose -> confirm -> fix -> publish.

Publishing a guide correction writes a new guide version (the old one is kept), a public
knowledge entry and an index update; the case keeps a link to the correction.
Solution practices (a new way to handle a recurring situation) follow the same path
without touching a guide.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..engine.errors import Invalid, NotAllowed
from ..extensions import db
from ..models import GuideCorrection, GuideMaterial, GuideVersion, KnowledgeEntry, ServiceGuide, StaffUser
from ..privacy import complainant_values, redact
from ..vocabulary import can
from ..vocabulary import current as current_vocabulary

FIELDS = ("materials", "conditions", "fees", "contact", "place", "time_limit")


def _now(now):
    return now or datetime.now(timezone.utc)


def _check_scope(user: StaffUser, jurisdiction_id: int):
    if jurisdiction_id not in user.visible_jurisdiction_ids():
        raise NotAllowed(_l("This belongs to another jurisdiction."))


def propose(*, user: StaffUser, case=None, guide: ServiceGuide | None, kind: str, field: str,
            wrong_text: str, corrected_text: str, cause: str, title: str, title_en: str = "",
            summary: str = "", summary_en: str = "", department_id: int | None = None,
            now=None) -> GuideCorrection:
    if not can(user.role, "act"):
        raise NotAllowed(_l("Your role may not propose corrections."))
    if kind not in ("correction", "practice"):
        raise Invalid(_l("Unknown kind of knowledge entry."))
    if kind == "correction":
        if guide is None or field not in FIELDS or not wrong_text.strip() or not corrected_text.strip():
            raise Invalid(_l("A guide correction needs the guide, the field, the wrong text and the corrected text."))
        if guide.current and wrong_text.strip() not in _field_text(guide.current, field):
            raise Invalid(_l("The wrong text was not found in that field of the current guide."))
    if not title.strip():
        raise Invalid(_l("Give the entry a title."))
    jurisdiction_id = guide.jurisdiction_id if guide else case.jurisdiction_id
    _check_scope(user, jurisdiction_id)
    c = GuideCorrection(
        kind=kind, jurisdiction_id=jurisdiction_id, guide_id=guide.id if guide else None,
        department_id=department_id or (guide.department_id if guide else None),
        field=field if kind == "correction" else "", wrong_text=wrong_text.strip(),
        corrected_text=corrected_text.strip(), cause=cause.strip(), title=title.strip(),
        title_en=title_en.strip(), summary=summary.strip(), summary_en=summary_en.strip(),
        state="proposed", proposed_by_id=user.id, proposed_at=_now(now),
    )
    if case is not None:
        c.cases.append(case)
    db.session.add(c)
    db.session.commit()
    return c


#: Each step, the state it is taken from (reject: from any state before publication).
STEP_FROM = {"confirm": "proposed", "fix": "confirmed", "publish": "fixed"}


def may(step: str, c: GuideCorrection, user: StaffUser) -> bool:
    """Whether ``user``'s role lets them take ``step`` on ``c``: a supervisor every step; the
    responsible department's own staff (the core's handler, or a plugin's department role)
    confirm, record the fix and reject. The staff page offers what this allows; each step checks it."""
    if can(user.role, "supervise"):
        return True
    department_staff = user.role in current_vocabulary().department_roles()
    if step == "confirm":
        return department_staff and (c.department_id is None or user.department_id == c.department_id)
    return department_staff and step in ("fix", "reject")


def steps_open(c: GuideCorrection, user: StaffUser) -> list[str]:
    """The steps ``user`` may take on ``c`` now."""
    steps = [step for step, state in STEP_FROM.items() if c.state == state and may(step, c, user)]
    if c.state not in ("published", "rejected") and may("reject", c, user):
        steps.append("reject")
    return steps


def confirm(c: GuideCorrection, user: StaffUser, now=None) -> None:
    """The responsible department (its handler) or a supervisor confirms the problem."""
    _check_scope(user, c.jurisdiction_id)
    _require(c, "proposed")
    if not may("confirm", c, user):
        raise NotAllowed(_l("Only the responsible department or a supervisor can confirm."))
    c.state, c.confirmed_by_id, c.confirmed_at = "confirmed", user.id, _now(now)
    db.session.commit()


def record_fix(c: GuideCorrection, user: StaffUser, note: str, now=None) -> None:
    _check_scope(user, c.jurisdiction_id)
    _require(c, "confirmed")
    if not may("fix", c, user):
        raise NotAllowed(_l("Only the department or a supervisor can record the fix."))
    if not (note or "").strip():
        raise Invalid(_l("Say what was fixed."))
    c.state, c.fix_note, c.fixed_at = "fixed", note.strip(), _now(now)
    db.session.commit()


def publish(c: GuideCorrection, user: StaffUser, now=None) -> KnowledgeEntry:
    """New guide version + knowledge entry in one commit; then the index catches up."""
    _check_scope(user, c.jurisdiction_id)
    _require(c, "fixed")
    if not may("publish", c, user):
        raise NotAllowed(_l("Only a supervisor can publish."))
    now = _now(now)
    guide = db.session.get(ServiceGuide, c.guide_id) if c.guide_id else None
    try:
        if c.kind == "correction" and guide is not None:
            _new_version(guide, c, now)
            guide.updated_at = now
        entry = KnowledgeEntry(
            kind=c.kind, jurisdiction_id=c.jurisdiction_id, department_id=c.department_id,
            guide_id=c.guide_id, correction_id=c.id, matter=guide.matter if guide else redact(_matter_of(c), known=_known(c)),
            title=redact(c.title, known=_known(c)), title_en=redact(c.title_en, known=_known(c)),
            wrong_text=redact(c.wrong_text, known=_known(c)), right_text=redact(c.corrected_text, known=_known(c)),
            summary=redact(c.summary, known=_known(c)), summary_en=redact(c.summary_en, known=_known(c)),
            since=now.date() if isinstance(now, datetime) else date.today(), published_at=now, updated_at=now,
        )
        db.session.add(entry)
        c.state, c.published_by_id, c.published_at = "published", user.id, now
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    from .indexing import catch_up

    catch_up()
    current_app.extensions["portal_plugins"].for_jurisdiction(c.jurisdiction.code).portal_guide_corrected(correction=c)
    return entry


def reject(c: GuideCorrection, user: StaffUser, note: str) -> None:
    _check_scope(user, c.jurisdiction_id)
    if c.state == "published":
        raise NotAllowed(_l("A published entry cannot be rejected."))
    if not may("reject", c, user):
        raise NotAllowed(_l("Your role may not reject corrections."))
    c.state, c.fix_note = "rejected", (note or "").strip()
    db.session.commit()


def _require(c: GuideCorrection, state: str) -> None:
    if c.state != state:
        raise NotAllowed(_l("This step is not possible in the correction's current state."))


def _known(c: GuideCorrection) -> list[str]:
    """The linked cases' own complainant details, masked wherever staff text repeats them."""
    return [v for case in c.cases for v in complainant_values(case)]


def _matter_of(c: GuideCorrection) -> str:
    return c.cases[0].matter if c.cases else c.title


def _field_text(v: GuideVersion, field: str) -> str:
    if field == "materials":
        return "\n".join(m.name for m in v.materials)
    if field == "time_limit":
        return f"{v.legal_limit_days or ''} {v.promised_limit_days or ''}"
    return getattr(v, field) or ""


def _new_version(guide: ServiceGuide, c: GuideCorrection, now) -> GuideVersion:
    """Copy the current version, apply the correction to its field, keep the old one."""
    old = guide.current
    new = GuideVersion(
        number=(old.number + 1) if old else 1, kind=old.kind if old else "promised",
        conditions=old.conditions if old else "", legal_limit_days=old.legal_limit_days if old else None,
        promised_limit_days=old.promised_limit_days if old else None, visits=old.visits if old else None,
        fees=old.fees if old else "", contact=old.contact if old else "", place=old.place if old else "",
        online=old.online if old else False, created_at=now, correction_id=c.id,
        change_note=f"{c.wrong_text} → {c.corrected_text}",
    )
    guide.versions.append(new)
    db.session.add(new)
    for m in (old.materials if old else []):
        name = m.name.replace(c.wrong_text, c.corrected_text) if c.field == "materials" else m.name
        new.materials.append(GuideMaterial(position=m.position, name=name, form=m.form, originals=m.originals,
                                           copies=m.copies, source=m.source, required=m.required))
    if c.field in ("conditions", "fees", "contact", "place"):
        setattr(new, c.field, getattr(new, c.field).replace(c.wrong_text, c.corrected_text))
    return new
