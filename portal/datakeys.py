"""The data key: encrypts complainants' personal data at rest and keys its blind index.

Why a key of its own: a leaked database dump, backup or SECRET_KEY alone must not give away
phone and ID numbers, and the session secret can then be rotated without touching stored data.

``PORTAL_DATA_KEY`` is a comma-separated list of ``<key id>:<base64 of 32 random bytes>``,
newest first (``python -m portal.datakeys generate`` prints one). Values are written under the
newest key; each ciphertext carries its key id, so older keys listed after it still decrypt the
rows they wrote (rotation: put a new key first, keep the old ones). Without ``PORTAL_DATA_KEY``
the app reads ``PORTAL_DATA_KEY_FILE`` (``instance/data_key``, made by ``make run``). Outside
debug and testing the portal refuses to start with neither.

Each key yields two sub-keys (HKDF-SHA256): one for AES-256-GCM, one for the blind index, an
HMAC-SHA256 of the normalised value, so exact search works on a column nobody can read.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

log = logging.getLogger(__name__)

#: Ciphertexts start with this; anything else in an encrypted column is a legacy plaintext.
PREFIX = "enc1:"
#: A published key for debug and testing only, like config.DEFAULT_SECRET_KEY.
DEV_KEY = "dev:" + base64.b64encode(b"bancheng-development-only-key!!!").decode()
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
NONCE_BYTES = 12


class DataKeyError(RuntimeError):
    """The data key is missing or malformed: the portal cannot read or write personal data."""


class UndecryptableValue(ValueError):
    """A stored value that no configured key opens (unknown key id, wrong key, altered bytes)."""


def _subkey(material: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(material)


@dataclass(frozen=True)
class DataKey:
    kid: str
    cipher: AESGCM
    index_key: bytes


class KeyRing:
    """The configured data keys, newest (the one that writes) first."""

    def __init__(self, spec: str):
        self.keys: list[DataKey] = []
        for part in (p.strip() for p in (spec or "").split(",")):
            if not part:
                continue
            kid, sep, b64 = part.partition(":")
            if not sep or not KEY_ID.match(kid):
                raise DataKeyError("PORTAL_DATA_KEY: each key is '<id>:<base64 key>', the id of letters, "
                                   "digits, '-' or '_' (at most 16)")
            try:
                material = base64.b64decode(b64, validate=True)
            except ValueError:
                raise DataKeyError(f"PORTAL_DATA_KEY: key {kid!r} is not valid base64") from None
            if len(material) != 32:
                raise DataKeyError(f"PORTAL_DATA_KEY: key {kid!r} must be 32 bytes, is {len(material)}")
            if any(k.kid == kid for k in self.keys):
                raise DataKeyError(f"PORTAL_DATA_KEY: key id {kid!r} is listed twice")
            self.keys.append(DataKey(kid, AESGCM(_subkey(material, b"bancheng data encryption")),
                                     _subkey(material, b"bancheng blind index")))
        if not self.keys:
            raise DataKeyError("PORTAL_DATA_KEY holds no key")
        self._by_id = {k.kid: k for k in self.keys}

    def encrypt(self, plaintext: str, purpose: str) -> str:
        """``enc1:<key id>:<base64 nonce+ciphertext>``; the purpose (the column) is bound in as
        associated data, so a value copied into another column does not decrypt."""
        key = self.keys[0]
        nonce = os.urandom(NONCE_BYTES)
        sealed = key.cipher.encrypt(nonce, plaintext.encode("utf-8"), purpose.encode())
        return f"{PREFIX}{key.kid}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, purpose: str) -> str:
        kid, _, b64 = token[len(PREFIX):].partition(":")
        key = self._by_id.get(kid)
        if key is None:
            raise UndecryptableValue(f"no data key with id {kid!r} is configured")
        try:
            raw = base64.b64decode(b64, validate=True)
            return key.cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], purpose.encode()).decode("utf-8")
        except (ValueError, InvalidTag):
            raise UndecryptableValue(f"data key {kid!r} does not open this value") from None

    def blind_indexes(self, purpose: str, value: str | None) -> list[str]:
        """The value's keyed hash under every configured key (what a lookup matches)."""
        norm = normalise(purpose, value)
        return [self._hash(k, purpose, norm) for k in self.keys] if norm else []

    def blind_index(self, purpose: str, value: str | None) -> str | None:
        """The keyed hash stored beside the value (the newest key's), None for an empty value."""
        norm = normalise(purpose, value)
        return self._hash(self.keys[0], purpose, norm) if norm else None

    @staticmethod
    def _hash(key: DataKey, purpose: str, norm: str) -> str:
        digest = hmac.new(key.index_key, f"{purpose}\0{norm}".encode(), hashlib.sha256).hexdigest()
        return f"{key.kid}:{digest}"


def normalise(purpose: str, value: str | None) -> str:
    """The form in which two spellings of the same number are equal: phones by their digits
    (a +86 country code dropped), ID numbers without spaces, upper case."""
    value = (value or "").strip()
    if purpose.endswith("phone"):
        digits = re.sub(r"\D", "", value)
        if len(digits) == 13 and digits.startswith("86"):
            digits = digits[2:]
        return digits
    return re.sub(r"\s", "", value).upper()


def generate(kid: str = "k1") -> str:
    """A new ``<id>:<key>`` entry for PORTAL_DATA_KEY or instance/data_key."""
    return f"{kid}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


def init_app(app) -> KeyRing:
    """Load the key ring: PORTAL_DATA_KEY, else the key file; the published DEV_KEY only in
    debug or testing. Refuses (DataKeyError) rather than start without a key."""
    spec = (app.config.get("PORTAL_DATA_KEY") or "").strip()
    path = app.config.get("PORTAL_DATA_KEY_FILE")
    if not spec and path and Path(path).is_file():
        spec = Path(path).read_text(encoding="ascii").strip()
    if not spec:
        if not (app.debug or app.testing):
            raise DataKeyError(
                "Refusing to start: no data key. Set PORTAL_DATA_KEY or write one to "
                f"{path or 'PORTAL_DATA_KEY_FILE'} (owner-only), e.g. "
                "`(umask 077; python -m portal.datakeys generate > instance/data_key)`. Keep it "
                "safe and apart from the database backups: without it the personal data is lost.")
        spec = DEV_KEY
    ring = app.extensions["portal_data_keys"] = KeyRing(spec)
    return ring


def keyring(app=None) -> KeyRing:
    from flask import current_app

    return (app or current_app).extensions["portal_data_keys"]


if __name__ == "__main__":  # python -m portal.datakeys generate [key id]
    if len(sys.argv) >= 2 and sys.argv[1] == "generate":
        print(generate(sys.argv[2] if len(sys.argv) > 2 else "k1"))
    else:
        sys.exit("usage: python -m portal.datakeys generate [key id]")
