"""Importing service guides from CSV or JSON, with a dry run that reports what would change.

A guide is matched by its code within the jurisdiction. New code -> new guide; a
changed content -> a new version (the old one is kept, as corrections do); the same
content -> unchanged. Nothing is written unless the caller applies the plan.

JSON: a list of objects (or {"guides": [...]}) with the CSV columns as keys and
``materials`` as a list of names or of objects (name, form, originals, copies, source,
required). CSV: a header row with those columns; ``materials`` names separated by "|".
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import Department, GuideMaterial, GuideVersion, Jurisdiction, ServiceGuide

COLUMNS = ("code", "matter", "matter_en", "department", "kind", "conditions", "legal_limit_days",
           "promised_limit_days", "visits", "fees", "contact", "place", "online", "materials")
VERSION_FIELDS = ("kind", "conditions", "legal_limit_days", "promised_limit_days", "visits", "fees", "contact",
                  "place", "online")
MAX_ROWS = 5000
#: Text columns have no size of their own; a guide's conditions are a few paragraphs.
MAX_CONDITIONS = 4000
#: Fields that are text; a JSON list or object there is refused, never stored as its repr.
TEXT_FIELDS = ("code", "matter", "matter_en", "department", "kind", "conditions", "fees", "contact", "place")


class GuideFileError(ValueError):
    """The file cannot be read as guides; nothing was imported."""


@dataclass(frozen=True)
class Material:
    name: str
    form: str = "paper"
    originals: int = 1
    copies: int = 0
    source: str = ""
    required: bool = True


@dataclass
class GuideRow:
    line: int
    code: str
    matter: str
    matter_en: str = ""
    department: str = ""
    values: dict = field(default_factory=dict)  # VERSION_FIELDS
    materials: tuple[Material, ...] = ()


@dataclass
class Plan:
    new: list[GuideRow] = field(default_factory=list)
    changed: list[tuple[GuideRow, list[str]]] = field(default_factory=list)
    unchanged: list[GuideRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# -- reading ----------------------------------------------------------------------
def _text(data: dict, key: str, line: int, limit: int | None = None) -> str:
    """A text field: a string (or a plain number, as CSV gives), stripped, within ``limit``."""
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise GuideFileError(_("Line %(line)d: %(what)s must be text.", line=line, what=key))
    text = str(value).strip()
    if limit is not None and len(text) > limit:
        raise GuideFileError(_("Line %(line)d: %(what)s is longer than %(n)d characters.", line=line, what=key,
                               n=limit))
    return text


def _int(value, what, line):
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise GuideFileError(_("Line %(line)d: %(what)s must be a whole number.", line=line, what=what))
    if len(str(value)) > 12:
        raise GuideFileError(_("Line %(line)d: %(what)s is out of range.", line=line, what=what))
    try:
        n = int(str(value).strip())
    except ValueError:
        raise GuideFileError(_("Line %(line)d: %(what)s must be a whole number.", line=line, what=what)) from None
    if n < 0 or n > 3650:
        raise GuideFileError(_("Line %(line)d: %(what)s is out of range.", line=line, what=what))
    return n


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("1", "true", "yes", "y", "是")


def _material(item, line) -> Material:
    if isinstance(item, str):
        item = {"name": item}
    if not isinstance(item, dict) or not _text(item, "name", line):
        raise GuideFileError(_("Line %(line)d: every material needs a name.", line=line))
    form = _text(item, "form", line) or "paper"
    if form not in ("paper", "electronic"):
        raise GuideFileError(_("Line %(line)d: a material's form must be paper or electronic.", line=line))
    required = item.get("required", True)
    if not isinstance(required, (bool, str, int)):
        raise GuideFileError(_("Line %(line)d: %(what)s must be text.", line=line, what="required"))
    return Material(_text(item, "name", line, 200), form,
                    _int(item.get("originals", 1), "originals", line) or 0,
                    _int(item.get("copies", 0), "copies", line) or 0, _text(item, "source", line, 200),
                    _bool(required))


def _row(data: dict, line: int) -> GuideRow:
    code, matter = _text(data, "code", line), _text(data, "matter", line)
    if not code or not matter:
        raise GuideFileError(_("Line %(line)d: code and matter are required.", line=line))
    if len(code) > 64 or len(matter) > 200:
        raise GuideFileError(_("Line %(line)d: code or matter is too long.", line=line))
    kind = _text(data, "kind", line) or "promised"
    if kind not in ("promised", "on_spot"):
        raise GuideFileError(_("Line %(line)d: kind must be promised or on_spot.", line=line))
    materials = data.get("materials") or []
    if isinstance(materials, str):
        materials = [m for m in (x.strip() for x in materials.split("|")) if m]
    if not isinstance(materials, list):
        raise GuideFileError(_("Line %(line)d: materials must be a list.", line=line))
    online = data.get("online")
    if online is not None and not isinstance(online, (bool, str, int)):
        raise GuideFileError(_("Line %(line)d: %(what)s must be text.", line=line, what="online"))
    values = {
        "kind": kind,
        "conditions": _text(data, "conditions", line, MAX_CONDITIONS),
        "legal_limit_days": _int(data.get("legal_limit_days"), "legal_limit_days", line),
        "promised_limit_days": _int(data.get("promised_limit_days"), "promised_limit_days", line),
        "visits": _int(data.get("visits"), "visits", line),
        "fees": _text(data, "fees", line, 200),
        "contact": _text(data, "contact", line, 200),
        "place": _text(data, "place", line, 200),
        "online": _bool(online),
    }
    return GuideRow(line, code, matter, _text(data, "matter_en", line, 240), _text(data, "department", line, 64),
                    values, tuple(_material(m, line) for m in materials))


def read_file(filename: str, raw: bytes) -> list[GuideRow]:
    """Parse an uploaded file by its extension; raises GuideFileError with a readable message."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise GuideFileError(_("The file is not UTF-8 text.")) from None
    name = (filename or "").lower()
    if name.endswith(".json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise GuideFileError(_("The JSON cannot be read: %(error)s", error=str(e))) from None
        except RecursionError:  # arrays nested thousands deep
            raise GuideFileError(_("The JSON is nested too deeply.")) from None
        except ValueError:  # a number of more than 4,300 digits (Python's int limit)
            raise GuideFileError(_("The file holds a number with too many digits.")) from None
        if isinstance(data, dict):
            data = data.get("guides")
        if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
            raise GuideFileError(_("The JSON must be a list of guides."))
        items = [(i + 1, x) for i, x in enumerate(data)]
    elif name.endswith(".csv"):
        reader = csv.DictReader(io.StringIO(text))
        try:
            missing = {"code", "matter"} - set(reader.fieldnames or ())
            if missing:
                raise GuideFileError(_("The CSV needs the columns: %(cols)s", cols=", ".join(COLUMNS)))
            items = [(i + 2, x) for i, x in enumerate(reader)]
        except csv.Error:  # a field over the csv module's 131,072-character limit, a stray NUL
            raise GuideFileError(_("Line %(line)d: the CSV cannot be read (a field is too long or malformed).",
                                   line=reader.line_num)) from None
    else:
        raise GuideFileError(_("Upload a .csv or .json file."))
    if len(items) > MAX_ROWS:
        raise GuideFileError(_("At most %(n)d guides per file.", n=MAX_ROWS))
    rows = [_row(x, line) for line, x in items]
    seen = set()
    for r in rows:
        if r.code in seen:
            raise GuideFileError(_("Line %(line)d: the code %(code)s appears twice.", line=r.line, code=r.code))
        seen.add(r.code)
    return rows


# -- planning and applying -------------------------------------------------------------
def _current_materials(v: GuideVersion | None) -> tuple[Material, ...]:
    if v is None:
        return ()
    return tuple(Material(m.name, m.form, m.originals, m.copies, m.source, m.required) for m in v.materials)


def differences(guide: ServiceGuide, row: GuideRow, dept: Department | None) -> list[str]:
    """Names of what the row would change in the guide; empty = unchanged."""
    out = []
    if guide.matter != row.matter:
        out.append("matter")
    if row.matter_en and guide.matter_en != row.matter_en:
        out.append("matter_en")
    if dept is not None and guide.department_id != dept.id:
        out.append("department")
    v = guide.current
    for f in VERSION_FIELDS:
        if (getattr(v, f) if v else None) != row.values[f]:
            out.append(f)
    if _current_materials(v) != row.materials:
        out.append("materials")
    return out


def plan(j: Jurisdiction, rows: list[GuideRow]) -> Plan:
    p = Plan()
    depts = {d.code: d for d in j.departments}
    guides = {g.code: g for g in db.session.scalars(select(ServiceGuide).where(ServiceGuide.jurisdiction_id == j.id))}
    for r in rows:
        if r.department and r.department not in depts:
            p.errors.append(_("Line %(line)d: unknown department %(code)s.", line=r.line, code=r.department))
            continue
        g = guides.get(r.code)
        if g is None:
            p.new.append(r)
            continue
        diff = differences(g, r, depts.get(r.department))
        (p.changed.append((r, diff)) if diff else p.unchanged.append(r))
    return p


def _version(number: int, row: GuideRow, note: str, now) -> GuideVersion:
    v = GuideVersion(number=number, created_at=now, change_note=note, **row.values)
    for i, m in enumerate(row.materials):
        v.materials.append(GuideMaterial(position=i, name=m.name, form=m.form, originals=m.originals,
                                         copies=m.copies, source=m.source, required=m.required))
    return v


def apply(j: Jurisdiction, p: Plan, note: str, now: datetime | None = None) -> int:
    """Write the plan (new guides, new versions); the caller commits. Marks rows for re-indexing."""
    if not p.ok:
        raise GuideFileError("; ".join(p.errors))
    now = now or datetime.now(timezone.utc)
    depts = {d.code: d for d in j.departments}
    for r in p.new:
        g = ServiceGuide(jurisdiction=j, code=r.code, matter=r.matter, matter_en=r.matter_en,
                         department=depts.get(r.department), updated_at=now)
        g.versions.append(_version(1, r, note, now))
        db.session.add(g)
    for r, _diff in p.changed:
        g = db.session.scalar(select(ServiceGuide).where(ServiceGuide.jurisdiction_id == j.id,
                                                         ServiceGuide.code == r.code))
        g.matter = r.matter
        g.matter_en = r.matter_en or g.matter_en
        if r.department:
            g.department = depts[r.department]
        g.versions.append(_version((g.current.number + 1) if g.current else 1, r, note, now))
        g.updated_at = now  # the search index catches up on updated_at
    return len(p.new) + len(p.changed)
