"""Core WTForms: the intake form every jurisdiction starts from, tracking and rating.

Jurisdictions extend IntakeForm through the ``portal_intake_form`` hook; fields they
add beyond CORE_FIELDS are stored in ``case.extra``.
"""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from .privacy import valid_mainland_id

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{7,8})$")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def no_control_chars(form, field):
    if isinstance(field.data, str) and CONTROL_RE.search(field.data):
        raise ValidationError(_l("Please remove the invisible control characters from this field."))


def phone_number(form, field):
    value = re.sub(r"[\s()]", "", field.data or "")
    if value and not PHONE_RE.match(value):
        raise ValidationError(_l("Enter a mobile number (11 digits) or a landline with its area code."))


def id_number(form, field):
    if field.data and not valid_mainland_id(field.data.strip()):
        raise ValidationError(_l("This is not a valid 18-character resident ID number."))


class IntakeForm(FlaskForm):
    """What every 办不成事 window records, whatever the jurisdiction."""

    centre = SelectField(_l("Service centre"), coerce=str, validators=[Optional()])
    channel = SelectField(_l("How did you reach us"), coerce=str, validators=[DataRequired()])
    matter = StringField(_l("Which matter could you not get done?"),
                         validators=[DataRequired(_l("Tell us which matter it was.")), Length(max=200), no_control_chars],
                         description=_l("The name of the service, e.g. retirement approval, renting registration."))
    description = TextAreaField(_l("What happened?"),
                                validators=[DataRequired(_l("Describe what happened.")), Length(min=10, max=4000), no_control_chars],
                                description=_l("What you brought, what you were told, how many times you came."))
    name = StringField(_l("Your name"), validators=[DataRequired(_l("Enter your name.")), Length(max=80), no_control_chars])
    phone = StringField(_l("Phone number"), validators=[DataRequired(_l("Enter a phone number so we can reply.")), Length(max=40), phone_number])
    id_number = StringField(_l("Resident ID number (optional)"), validators=[Optional(), Length(max=18), id_number])
    address = StringField(_l("Address (optional)"), validators=[Optional(), Length(max=200), no_control_chars])
    attachments = MultipleFileField(_l("Attachments (optional: PDF, JPG or PNG, at most 5 MB each)"))


CORE_FIELDS = frozenset({"centre", "channel", "matter", "description", "name", "phone", "id_number",
                         "address", "attachments", "csrf_token", "submit"})


def extra_data(form) -> dict:
    """The plugin-added fields of a submitted intake form, JSON-ready."""
    out = {}
    for field in form:
        if field.name in CORE_FIELDS or isinstance(field, (FileField, HiddenField)):
            continue
        value = field.data
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        out[field.name] = value
    return out


class TrackForm(FlaskForm):
    number = StringField(_l("Case number"), validators=[DataRequired(_l("Enter the case number.")), Length(max=40)])
    code = StringField(_l("Access code"), validators=[DataRequired(_l("Enter the access code.")), Length(max=40)])


RATING_CHOICES = [
    ("5", _l("Very satisfied")),
    ("4", _l("Satisfied")),
    ("3", _l("Basically satisfied")),
    ("2", _l("Dissatisfied")),
    ("1", _l("Very dissatisfied")),
]


class RateForm(FlaskForm):
    level = RadioField(_l("How satisfied are you with the outcome?"), choices=RATING_CHOICES,
                       validators=[DataRequired(_l("Choose one of the five levels."))])
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=1000), no_control_chars])
