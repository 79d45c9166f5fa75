"""Keys derived from the app's secret key, one per purpose, so no two features share a key
and none of them ever uses the session-signing secret itself."""
from __future__ import annotations

import hashlib
import hmac

from flask import current_app


def derived_key(purpose: bytes, app=None) -> bytes:
    """HMAC-SHA256 of the purpose under SECRET_KEY, computed once per app and purpose."""
    app = app or current_app
    cache = app.extensions.setdefault("portal_derived_keys", {})
    key = cache.get(purpose)
    if key is None:
        secret = app.config.get("SECRET_KEY") or ""
        if isinstance(secret, str):
            secret = secret.encode()
        key = cache[purpose] = hmac.new(secret, purpose, hashlib.sha256).digest()
    return key
