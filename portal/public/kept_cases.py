"""What one browser remembers of the cases filed or tracked in it, and for how long.

A browser may show a case's receipt and tracking page only after it filed the case or gave
the case's access code. At a centre's kiosk the next person uses the same browser, so that
permission lasts PORTAL_TRACKED_MINUTES (default 30) from the last case filed or tracked,
and then the list is dropped from the session, with any receipt still waiting.

The access code waiting for its receipt is kept sealed (portal/sealed.py): the session
cookie is signed, not encrypted. A list written by an earlier version, without its time, gets
the full time from its first use after the upgrade (only the portal can have written it).
"""
from __future__ import annotations

import time

from flask import current_app, session

from ..sealed import seal, unseal

TRACKED = "tracked"
TRACKED_AT = "tracked_at"
RECEIPT = "receipt"
#: How many cases one browser session remembers for its receipts and tracking pages.
TRACKED_MAX = 20
_PURPOSE = b"public receipt access code"


def now() -> float:
    return time.time()


def lifetime() -> int:
    """Seconds a browser keeps its cases (PORTAL_TRACKED_MINUTES)."""
    return int(current_app.config["PORTAL_TRACKED_MINUTES"]) * 60


def forget_if_expired() -> None:
    """Drop the remembered cases, and a receipt still waiting, once their time is up."""
    if TRACKED not in session and RECEIPT not in session:
        return
    at = session.get(TRACKED_AT)
    if not isinstance(at, (int, float)):
        session[TRACKED_AT] = int(now())  # see the module's docstring: an earlier version's list
        return
    if not 0 <= now() - at < lifetime():
        for key in (TRACKED, TRACKED_AT, RECEIPT):
            session.pop(key, None)


def tracked() -> list[str]:
    """The case numbers this browser may see now."""
    forget_if_expired()
    numbers = session.get(TRACKED, [])
    return numbers if isinstance(numbers, list) else []


def remember(number: str) -> None:
    """This browser filed the case or gave its access code: it may see the case for a while."""
    session[TRACKED] = ([n for n in tracked() if n != number] + [number])[-TRACKED_MAX:]
    session[TRACKED_AT] = int(now())


def sealed_receipt(number: str, code: str) -> dict:
    """The session's entry of a receipt not yet shown (the access code sealed)."""
    return {"number": number, "code": seal(code, _PURPOSE)}


def keep_receipt(number: str, code: str) -> None:
    session[RECEIPT] = sealed_receipt(number, code)


def take_receipt_code(number: str) -> str | None:
    """The access code of case ``number``, once: the receipt shows it, then it is gone."""
    forget_if_expired()
    shown = session.get(RECEIPT)
    if not isinstance(shown, dict) or shown.get("number") != number:
        return None  # none, or another case's receipt: kept for that one
    session.pop(RECEIPT)
    return unseal(shown.get("code"), _PURPOSE, max_age=lifetime())
