"""Wrong access codes counted per case number, whatever address they come from.

The per-address limit on tracking does not stop many addresses (a botnet, or a carrier's
pool) guessing one case's code. Wrong codes for one case number are therefore also counted
under the number itself; once PORTAL_TRACK_CASE_LIMIT is used up, the number cannot be looked
up, even with the right code, until the window passes: if the right code still went through,
every refusal would tell the guesser "wrong" and guessing would simply go on. The count and
the refusal are the same for a number that does not exist, so neither reveals which do.
"""
from __future__ import annotations

from flask import current_app, request
from flask_babel import gettext as _

from ..forms import normalise_number

#: Only a wrong number/code pair counts (the tracking view answers it with 404); a right one,
#: an incomplete form (422) or an expired one (400) does not.
WRONG_CODE_STATUS = 404


def case_key() -> str:
    """The number as the look-up reads it (width, case, spaces folded), so variants share a count."""
    number = normalise_number(request.form.get("number", ""))[:40]
    return f"track-case:{number}"


def case_limit() -> str:
    return current_app.config["PORTAL_TRACK_CASE_LIMIT"]


def counts(response) -> bool:
    return response.status_code == WRONG_CODE_STATUS


def refusal_message() -> str:
    return _("Too many wrong access codes have been entered for this case number. To protect the case, "
             "it cannot be looked up here for a while, even with the right code. Please try again later, "
             "or ask the service centre.")
