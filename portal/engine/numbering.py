"""Readable public case numbers (PREFIX-YEAR-SEQUENCE) and hashed access codes.

The sequence row is incremented with a single UPDATE inside the filing's
transaction, so two filings can never get the same number on either database:
PostgreSQL locks the row, SQLite serialises writers.

Access codes are stored as ``hmac-sha256$SALT$HEX``: HMAC-SHA256 keyed with a server
secret that is not in the database (``PORTAL_ACCESS_CODE_KEY`` when set, in the app config
or the environment; otherwise a key derived from the app's ``SECRET_KEY``). A code is 10
characters of a 31-letter alphabet (2^49.5 codes) and guessing online is rate-limited, so
the hash matters only when the database leaks; without the key a leaked hash cannot be
tested offline at all, and the HMAC costs microseconds where PBKDF2 at 20,000 iterations
cost about 10 ms per filing and per tracking look-up. The stored string names its scheme:
hashes written earlier as ``pbkdf2_sha256$ITERATIONS$SALT$HEX`` still verify.
Changing the key (or ``SECRET_KEY`` without a dedicated key) makes the HMAC codes stored
so far unverifiable, so set ``PORTAL_ACCESS_CODE_KEY`` before rotating the session secret.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..keys import derived_key
from ..models import CaseSequence

# No 0/O, 1/I/L: read aloud at a counter and typed on a phone.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
#: Iterations of the earlier PBKDF2 scheme (kept so old hashes verify; new ones use HMAC).
PBKDF2_ITERATIONS = 20_000
HMAC_SCHEME = "hmac-sha256"
PBKDF2_SCHEME = "pbkdf2_sha256"
_KEY_CONTEXT = b"bancheng access codes v1"


def next_case_number(prefix: str, year: int) -> str:
    for _ in range(5):
        # a Core statement on the session's connection: the ORM's bulk-update machinery (and
        # its autoflush) would cost more than the round trip itself
        seq = CaseSequence.__table__.c
        result = db.session.connection().execute(
            update(CaseSequence.__table__)
            .where(seq.prefix == prefix, seq.year == year)
            .values(value=seq.value + 1)
            .returning(seq.value)
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


def access_code_key(app=None) -> bytes:
    """The server-side HMAC key, computed once per app."""
    app = app or current_app
    key = app.extensions.get("portal_access_code_key")
    if key is None:
        dedicated = app.config.get("PORTAL_ACCESS_CODE_KEY")  # from the environment too (config.ENV_KEYS)
        if dedicated:
            key = hashlib.sha256(_KEY_CONTEXT + b"\0" + str(dedicated).encode()).digest()
        else:
            key = derived_key(_KEY_CONTEXT, app)
        app.extensions["portal_access_code_key"] = key
    return key


def _hmac_hex(salt: str, code: str, key: bytes) -> str:
    return hmac.new(key, f"{salt}${normalise_code(code)}".encode(), hashlib.sha256).hexdigest()


def access_code_for_submission(submission: str, key: bytes | None = None) -> str:
    """The access code of the case filed by the form with this one-time submission id: derived
    with the server key, so a second request of the same form (a double-click) can show the
    first one's code. The id is 128 random bits issued to that browser session, and only its
    keyed hash (:func:`submission_key`) is stored, so the database alone cannot give the code."""
    digest = hmac.new(key or access_code_key(), b"access code\0" + submission.encode(), hashlib.sha256).digest()
    n = int.from_bytes(digest, "big")  # 256 bits for 10 base-31 digits: no visible bias
    out = []
    for _ in range(CODE_LENGTH):
        n, r = divmod(n, len(CODE_ALPHABET))
        out.append(CODE_ALPHABET[r])
    return "".join(out)


def submission_key(submission: str, key: bytes | None = None) -> str:
    """What ``case.submission_id`` stores for a submission id (64 hex characters)."""
    return hmac.new(key or access_code_key(), b"submission\0" + submission.encode(), hashlib.sha256).hexdigest()


def hash_access_code(code: str, key: bytes | None = None) -> str:
    """``hmac-sha256$SALT$HEX`` of the normalised code (inside an app context unless ``key``)."""
    salt = secrets.token_hex(8)
    return f"{HMAC_SCHEME}${salt}${_hmac_hex(salt, code, key or access_code_key())}"


def hash_access_code_pbkdf2(code: str, iterations: int = PBKDF2_ITERATIONS) -> str:
    """The earlier scheme, for tests and for reading old rows; new codes use :func:`hash_access_code`."""
    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", normalise_code(code).encode(), salt.encode(), iterations)
    return f"{PBKDF2_SCHEME}${iterations}${salt}${digest.hex()}"


def check_access_code(stored: str, code: str, key: bytes | None = None) -> bool:
    """Whether ``code`` opens ``stored``, whichever scheme wrote it."""
    parts = (stored or "").split("$")
    if parts[0] == HMAC_SCHEME and len(parts) == 3:
        _scheme, salt, hexdigest = parts
        return hmac.compare_digest(_hmac_hex(salt, code, key or access_code_key()), hexdigest)
    if parts[0] == PBKDF2_SCHEME and len(parts) == 4:
        _scheme, iterations, salt, hexdigest = parts
        try:
            n = int(iterations)
        except ValueError:
            return False
        if not 1 <= n <= 10_000_000:
            return False
        digest = hashlib.pbkdf2_hmac("sha256", normalise_code(code).encode(), salt.encode(), n)
        return hmac.compare_digest(digest.hex(), hexdigest)
    return False
