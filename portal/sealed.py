"""Values a session cookie carries for a moment but its holder must not read.

Flask's session cookie is signed, not encrypted: whoever has the cookie (the next person at
a shared kiosk, a proxy's or a browser extension's log) reads its contents. The access code
waits in the session between the filing and its receipt, so it goes in sealed: Fernet
(AES-128-CBC with HMAC-SHA256, from ``cryptography``) under a key derived for this purpose
only (portal/keys.py), never the signing secret itself. A sealed value also carries its time
and is refused after ``max_age`` seconds.
"""
from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken

from .keys import derived_key


def _fernet(purpose: bytes) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(derived_key(b"bancheng sealed session value v1: " + purpose)))


def seal(text: str, purpose: bytes) -> str:
    """``text`` encrypted and authenticated, as ASCII fit for the session."""
    return _fernet(purpose).encrypt(text.encode()).decode("ascii")


def unseal(token, purpose: bytes, max_age: int) -> str | None:
    """The text sealed for ``purpose`` at most ``max_age`` seconds ago, else None (tampered,
    another purpose or key, too old, or not a sealed value at all)."""
    if not isinstance(token, str):
        return None
    try:
        return _fernet(purpose).decrypt(token.encode("ascii"), ttl=max_age).decode()
    except (InvalidToken, UnicodeError, ValueError):
        return None
