"""Personal data never reaches the public: validation and redaction of free text."""
from __future__ import annotations

import re

#: Redaction mark: language-neutral, so public text reads the same in every UI language.
MARK = "████"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

ID_RE = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])")
ID15_RE = re.compile(r"(?<!\d)[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?!\d)")
MOBILE_RE = re.compile(r"(?<!\d)(?:\+?86[-\s]?)?1[3-9]\d[-\s]?\d{4}[-\s]?\d{4}(?!\d)")
LANDLINE_RE = re.compile(r"(?<!\d)(?:\(?0\d{2,3}\)?[-\s]?)\d{7,8}(?!\d)")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def valid_mainland_id(value: str) -> bool:
    """GB 11643: 17 digits plus a mod-11 check character."""
    v = (value or "").strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", v):
        return False
    total = sum(int(d) * w for d, w in zip(v[:17], ID_WEIGHTS))
    return ID_CHECK[total % 11] == v[17]


def redact(text: str | None) -> str:
    """Mask ID numbers, mobile and landline numbers and e-mail addresses in public text."""
    if not text:
        return ""
    text = ID_RE.sub(MARK, text)
    text = ID15_RE.sub(MARK, text)
    text = EMAIL_RE.sub(MARK, text)
    text = MOBILE_RE.sub(MARK, text)
    text = LANDLINE_RE.sub(MARK, text)
    return text


def mask_name(name: str) -> str:
    """张三 -> 张*; for staff pages that show who, without the full name in lists."""
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)
