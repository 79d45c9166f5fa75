"""The staff password rule: long enough, and not a password an attacker tries first.

Length alone let "12345678901" and "password123" through. Beside the length rule this refuses
what guessing attacks try first (OWASP ASVS 2.1.7, NIST SP 800-63B 5.1.1.2: compare against
breached and common passwords, context-specific words):

* a password containing the user's name or the portal's or jurisdiction's name;
* one that zxcvbn (offline: its own lists from leaked passwords, words and names, plus keyboard
  rows, sequences, repeats and dates) finds guessable within about 10^8 tries
  (``PORTAL_PASSWORD_MIN_SCORE``, 3 of zxcvbn's 0–4);
* one built from passwords common among Chinese users (``portal/data/common_passwords_zh.txt``,
  its sources in its header), added to zxcvbn's lists so "1314520woaini" counts as two common
  pieces, not as random letters.

No network call: nothing is sent to a breach service. No source report speaks to passwords, so
the numbers are the portal's configurable defaults. Messages say why, in the user's language.
"""
from __future__ import annotations

import re
import secrets
from functools import cache
from importlib import resources

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn
from zxcvbn import matching
from zxcvbn.matching import add_frequency_lists

MIN_LENGTH = 10
MAX_LENGTH = 200  # the login form's limit: a longer one could never be typed in
MIN_SCORE = 3
NAME_MIN = 4  # shorter Latin names ("li") would refuse too much; zxcvbn still weighs them (Chinese: 2)
CHINESE_LIST = "chinese_common"
PORTAL_NAMES = ("bancheng", "办成")


class PasswordRefused(ValueError):
    """Why a password is refused; ``str()`` is the translated reason."""


def _setting(key: str, default: int) -> int:
    return int(current_app.config.get(key, default)) if has_app_context() else default


def min_length() -> int:
    return _setting("PORTAL_PASSWORD_MIN_LENGTH", MIN_LENGTH)


@cache
def _chinese_common() -> tuple[str, ...]:
    """The shipped list, registered once as a zxcvbn frequency list (rank = line order)."""
    text = resources.files("portal").joinpath("data/common_passwords_zh.txt").read_text("utf-8")
    words = tuple(w.strip().lower() for w in text.splitlines() if w.strip() and not w.startswith("#"))
    add_frequency_lists({CHINESE_LIST: list(words)})
    return words


def _fragments(names) -> list[str]:
    """Each name, and each part of a code like "beijing-dongcheng", of NAME_MIN characters or more
    (two for a name in Chinese characters, where two already name a place: 办成, 北京)."""
    out: list[str] = []
    for name in names:
        for part in [name, *re.split(r"[\s._@-]+", name or "")]:
            part = (part or "").strip().lower()
            if len(part) >= (NAME_MIN if part.isascii() else 2) and part not in out:
                out.append(part)
    return out


def context_names(username: str = "", jurisdiction=None, display_name: str = "") -> list[str]:
    """The words an attacker guesses first for this account: its names, the jurisdiction's, the portal's."""
    names = [username, display_name, *PORTAL_NAMES]
    if has_app_context():
        names.append(current_app.config.get("PORTAL_OPERATOR_NAME", ""))
    if jurisdiction is not None:
        names += [jurisdiction.code, jurisdiction.name_zh, jurisdiction.name_en]
    return [n for n in names if n]


def length_refusal(password: str) -> str | None:
    """The length rule alone (kept for the demo's published password, see staff/users.py)."""
    if len(password or "") < min_length():
        return str(_l("Use at least %(n)d characters.", n=min_length()))
    if len(password or "") > MAX_LENGTH:
        return str(_l("Use at most %(n)d characters.", n=MAX_LENGTH))
    return None


def refusal(password: str, names=()) -> str | None:
    """The reason ``password`` is refused, translated, or None when it is acceptable.

    ``names``: see :func:`context_names`."""
    password = password or ""
    too_short_or_long = length_refusal(password)
    if too_short_or_long:
        return too_short_or_long
    lowered = password.lower()
    for name in _fragments(names):
        if name in lowered:
            return str(_l("The password must not contain the user name or the name of the portal or "
                          "jurisdiction (“%(name)s”).", name=name))
    _chinese_common()
    result = zxcvbn(password, user_inputs=[n.lower() for n in names if n])
    if result["score"] >= _setting("PORTAL_PASSWORD_MIN_SCORE", MIN_SCORE):
        return None
    return str(_why(password, result["sequence"]))


def _why(password: str, matches: list[dict]):
    """Name the weakest pattern found, so the person knows what to avoid. A keyboard row or a run
    is named as such even where zxcvbn's lists hold it too ("12345678" is both)."""
    def covers(m) -> bool:  # the pattern makes up most of the password
        return len(m["token"]) * 2 >= len(password)

    if any(m["pattern"] == "repeat" and covers(m) for m in matching.repeat_match(password)):
        return _l("Repeated characters or groups such as aaaa or 121212 are guessed at once.")
    shapes = matching.sequence_match(password) + matching.spatial_match(password)
    if any(covers(m) for m in shapes):
        return _l("Runs and keyboard rows such as 12345678 or qwertyui are guessed at once.")
    if any(m["pattern"] == "dictionary" and m.get("dictionary_name") in ("passwords", CHINESE_LIST)
           for m in matches):
        return _l("This is one of the most common passwords, or built from them: attackers try these first.")
    if any(m["pattern"] in ("date", "regex") and covers(m) for m in matches):
        return _l("Dates and years are guessed quickly.")
    return _l("This password is too easy to guess: add a few more words or characters that do not belong together.")


def check(password: str, names=()) -> None:
    """Raise PasswordRefused with the reason, if any."""
    reason = refusal(password, names)
    if reason is not None:
        raise PasswordRefused(reason)


def generate(names=()) -> str:
    """A random password for an administrator to hand over (changed at first login); drawn again in
    the rare case it happens to contain one of the account's names."""
    for _ in range(100):
        password = secrets.token_urlsafe(max(12, min_length()))  # 4 characters per 3 bytes
        if refusal(password, names) is None:
            return password
    raise RuntimeError("no acceptable random password: check PORTAL_PASSWORD_MIN_LENGTH")
