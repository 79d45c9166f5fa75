"""Personal data never reaches the public: validation and redaction of free text.

``redact`` masks what can be recognised by shape (mainland ID numbers, mobile and
landline numbers, e-mail addresses, long digit runs such as bank cards) in any text
the public may see. Full-width digits and letters, which Chinese input methods
produce, are recognised as well: matching runs on a one-to-one ASCII folding of the
text, so positions agree and the original characters around a match are kept.
Where the people concerned are known (a case's complainant), ``redact`` also masks
their name, phone, ID number and address wherever they appear literally.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

#: Redaction mark: language-neutral, so public text reads the same in every UI language.
MARK = "████"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

_SEP = r"[-\s]?"
_DATE8 = r"(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
#: 18-character ID (GB 11643), also written in groups 6-8-4; the check digit is not required
#: to be right: a mistyped ID number is still someone's ID number.
ID_RE = re.compile(rf"(?<!\d)[1-9]\d{{5}}{_SEP}{_DATE8}{_SEP}\d{{3}}[\dXx](?!\d)")
#: The old 15-digit ID (yymmdd birth date).
ID15_RE = re.compile(r"(?<!\d)[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?!\d)")
MOBILE_RE = re.compile(r"(?<!\d)(?:(?:\+|00)?86[-\s]?)?1[3-9]\d[-\s]?\d{4}[-\s]?\d{4}(?!\d)")
#: Landlines need their area code (0 + 2-3 digits): bare 7-8 digit runs are too often dates
#: or amounts. An extension (-801) goes with the number.
LANDLINE_RE = re.compile(
    r"(?<!\d)(?:(?:\+|00)?86[-\s]?)?(?:\(0\d{2,3}\)|0\d{2,3})[-\s]?\d{3,4}[-\s]?\d{4}(?:-\d{1,5})?(?!\d)")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
#: Any other run of 12 or more digits (bank card numbers, mistyped IDs), spaces allowed.
LONG_DIGITS_RE = re.compile(r"(?<!\d)\d(?:[\s-]?\d){11,}(?!\d)")

PATTERNS = (ID_RE, ID15_RE, EMAIL_RE, MOBILE_RE, LANDLINE_RE, LONG_DIGITS_RE)

# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space fold one-to-one to ASCII.
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FOLD[0x3000] = 0x20
_FOLD.update({ord("（"): ord("("), ord("）"): ord(")"), ord("—"): ord("-")})
_LOWER = {cp: cp + 32 for cp in range(ord("A"), ord("Z") + 1)}


def fold_width(text: str) -> str:
    """Full-width digits, letters and punctuation as ASCII; the length never changes."""
    return text.translate(_FOLD)


def valid_mainland_id(value: str | None) -> bool:
    """GB 11643: a region code, a real birth date, a sequence and a mod-11 check character."""
    v = fold_width(value or "").strip().upper()
    if not re.fullmatch(r"[1-9]\d{16}[\dX]", v):
        return False
    try:
        born = date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return False
    if born.year < 1800:
        return False
    total = sum(int(d) * w for d, w in zip(v[:17], ID_WEIGHTS))
    return ID_CHECK[total % 11] == v[17]


def _known_terms(known: Iterable[str | None]) -> list[str]:
    """Known personal values worth masking literally: two characters or more, longest first."""
    terms = {fold_width(k).strip() for k in known if k}
    return sorted((t for t in terms if len(t) >= 2), key=len, reverse=True)


def redact(text: str | None, known: Iterable[str | None] = ()) -> str:
    """Mask ID numbers, phone numbers, e-mail addresses and the ``known`` personal values."""
    if not text:
        return ""
    text = str(text)
    folded = fold_width(text)
    spans: list[tuple[int, int]] = []
    for pattern in PATTERNS:
        spans.extend(m.span() for m in pattern.finditer(folded))
    lowered = folded.translate(_LOWER)
    for term in _known_terms(known):
        needle = term.translate(_LOWER)
        start = lowered.find(needle)
        while start >= 0:
            spans.append((start, start + len(needle)))
            start = lowered.find(needle, start + 1)
    if not spans:
        return text
    out, pos = [], 0
    for s, e in _merge(spans):
        out.append(text[pos:s])
        out.append(MARK)
        pos = e
    out.append(text[pos:])
    return "".join(out)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]


def complainant_values(case) -> list[str]:
    """The personal values of a case's complainant, for ``redact(text, known=...)``."""
    if case is None:
        return []
    address = case.complainant_address or ""
    # A bare district name is not identifying, and masking it would blank the centre's own name.
    return [case.complainant_name, case.complainant_phone, case.complainant_id_number,
            address if len(address.strip()) >= 6 else ""]


def mask_name(name: str) -> str:
    """张三 -> 张*; for staff pages that show who, without the full name in lists."""
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)
