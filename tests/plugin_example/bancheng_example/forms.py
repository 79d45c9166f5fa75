"""Example County's intake form (fictional): the core form plus two questions that help the
coordination officer make the first response."""
from __future__ import annotations

from functools import cache

from wtforms import IntegerField, RadioField, SelectChoice
from wtforms.validators import DataRequired, NumberRange, Optional

from portal.toolkit import _l

#: When the person can best be reached (the officer calls before the site visit). The stored
#: values are the window's hours themselves, so the staff page reads them in any language.
CONTACT_TIMES = (("08:30-12:00", _l("In the morning")), ("14:00-17:30", _l("In the afternoon")),
                 ("08:30-17:30", _l("Any time in working hours")))


@cache
def intake_form(base):
    """The core intake form (``base``) with Example County's two fields; stored in case.extra."""

    class ExampleIntakeForm(base):
        contact_time = RadioField(
            _l("When can the coordination officer best reach you?"),
            choices=[SelectChoice(value, label) for value, label in CONTACT_TIMES],
            validators=[DataRequired(_l("Say when we can best reach you."))])
        times_visited = IntegerField(
            _l("How many times have you come about this matter?"),
            validators=[Optional(), NumberRange(min=0, max=99, message=_l("Enter a number from 0 to 99."))],
            description=_l("Leave empty if you do not remember."))

    return ExampleIntakeForm
