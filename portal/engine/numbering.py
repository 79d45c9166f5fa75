"""Readable public case numbers (PREFIX-YEAR-SEQUENCE) and hashed access codes.

The sequence row is incremented with a single UPDATE inside the filing's
transaction, so two filings can never get the same number on either database:
PostgreSQL locks the row, SQLite serialises writers.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import CaseSequence

# No 0/O, 1/I/L: read aloud at a counter and typed on a phone.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
PBKDF2_ITERATIONS = 20_000


def next_case_number(prefix: str, year: int) -> str:
    for _ in range(5):
        result = db.session.execute(
            update(CaseSequence)
            .where(CaseSequence.prefix == prefix, CaseSequence.year == year)
            .values(value=CaseSequence.value + 1)
            .returning(CaseSequence.value)
        ).scalar_one_or_none()
        if result is not None:
            return f"{prefix}-{year}-{result:06d}"
        try:
            with db.session.begin_nested():
                db.session.add(CaseSequence(prefix=prefix, year=year, value=0))
        except IntegrityError:
            pass  # another filing created the row first; increment it
    raise RuntimeError("could not allocate a case number")


def current_sequence(prefix: str, year: int) -> int:
    return db.session.scalar(
        select(CaseSequence.value).where(CaseSequence.prefix == prefix, CaseSequence.year == year)
    ) or 0


def new_access_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def hash_access_code(code: str) -> str:
    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", normalise_code(code).encode(), salt.encode(), PBKDF2_ITERATIONS)
    return f"pbkdf2_sha256${PBKDF2_ITERATIONS}${salt}${digest.hex()}"


def check_access_code(stored: str, code: str) -> bool:
    try:
        _algo, iterations, salt, hexdigest = stored.split("$")
    except ValueError:
        return False
    digest = hashlib.pbkdf2_hmac("sha256", normalise_code(code).encode(), salt.encode(), int(iterations))
    return hmac.compare_digest(digest.hex(), hexdigest)
