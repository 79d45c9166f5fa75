"""A text column stored encrypted under the data key (portal/datakeys.py), read as plain text.

Why a column type: every path that writes or reads a case (filing, intake, demo data, the
staff case page, redaction's known values) keeps using the attribute as a string, and none of
them can forget to encrypt. Equality in SQL does not work on these columns (each write has a
fresh nonce): search goes through the blind-index column beside them.
"""
from __future__ import annotations

import logging

from markupsafe import escape
from sqlalchemy import Text, types

log = logging.getLogger(__name__)


class Unreadable(str):
    """A stored value that no configured key opens. Reads as "[unreadable]" in code and shows
    the translated marker on a page (Jinja calls ``__html__``); it is never written back."""

    def __new__(cls):
        return super().__new__(cls, "[unreadable]")

    def __html__(self) -> str:
        from flask_babel import gettext as _

        return str(escape(_("[unreadable]")))


class EncryptedText(types.TypeDecorator):
    """AES-GCM under the newest data key; the ``purpose`` (e.g. ``case.complainant_phone``) is
    bound into each ciphertext. Empty strings stay empty: there is nothing to hide."""

    impl = Text
    cache_ok = True

    def __init__(self, purpose: str):
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value, dialect):
        if value is None or value == "":
            return value
        if isinstance(value, Unreadable):
            raise ValueError(f"{self.purpose}: an unreadable value cannot be stored again")
        from ..datakeys import keyring  # here, not at import: the toolkit's models stay light

        return keyring().encrypt(str(value), self.purpose)

    def process_result_value(self, value, dialect):
        from ..datakeys import PREFIX, UndecryptableValue, keyring

        if not value or not value.startswith(PREFIX):
            return value  # empty, or a row written before encryption (migration 0011 encrypts them)
        try:
            return keyring().decrypt(value, self.purpose)
        except UndecryptableValue as e:
            # the reason names the key id, never the value
            log.warning("%s: stored value unreadable: %s", self.purpose, e)
            return Unreadable()
