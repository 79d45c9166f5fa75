"""Core WTForms: the intake form every jurisdiction starts from, tracking and rating.

Jurisdictions extend IntakeForm through the ``portal_intake_form`` hook; fields they
add beyond CORE_FIELDS are stored in ``case.extra``. Every message a person can see is
a lazy gettext string, so it is rendered in the language of the request that shows it
(WTForms' own English defaults are never relied upon).
"""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from .privacy import fold_width, valid_mainland_id

PHONE_RE = re.compile(r"^(?:(?:\+|00)?86)?(1[3-9]\d{9}|0\d{2,3}\d{7,8}(?:-\d{1,5})?|\d{7,8})$")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def strip(value):
    """Surrounding spaces (also the ideographic space) are never meant."""
    return value.strip(" \t\r\n\u3000") if isinstance(value, str) else value


def no_control_chars(form, field):
    if isinstance(field.data, str) and CONTROL_RE.search(field.data):
        raise ValidationError(_l("Please remove the invisible control characters from this field."))


def phone_number(form, field):
    value = re.sub(r"[\s()\-]", "", fold_width(field.data or ""))
    if value and not PHONE_RE.match(value):
        raise ValidationError(_l("Enter a mobile number (11 digits) or a landline with its area code."))


def id_number(form, field):
    if field.data and not valid_mainland_id(field.data.strip()):
        raise ValidationError(_l("This is not a valid 18-character resident ID number."))


def _max(n: int):
    return Length(max=n, message=_l("Please shorten this to at most %(max)d characters.", max=n))


class IntakeForm(FlaskForm):
    """What every 办不成事 window records, whatever the jurisdiction."""

    centre = SelectField(_l("Service centre"), coerce=str, validators=[Optional()],
                         validate_choice=False,
                         description=_l("The centre where it happened, if you know."))
    channel = SelectField(_l("How did you reach us"), coerce=str, validate_choice=False,
                          validators=[DataRequired(_l("Choose how you reached us."))])
    matter = StringField(_l("Which matter could you not get done?"), filters=[strip],
                         validators=[DataRequired(_l("Tell us which matter it was.")), _max(200), no_control_chars],
                         description=_l("The name of the service, e.g. retirement approval, renting registration."))
    description = TextAreaField(
        _l("What happened?"), filters=[strip],
        validators=[DataRequired(_l("Describe what happened.")),
                    Length(min=10, max=4000, message=_l("Describe what happened in 10 to 4000 characters.")),
                    no_control_chars],
        description=_l("What you brought, what you were told, how many times you came."))
    name = StringField(_l("Your name"), filters=[strip],
                       validators=[DataRequired(_l("Enter your name.")), _max(80), no_control_chars])
    phone = StringField(_l("Phone number"), filters=[strip],
                        validators=[DataRequired(_l("Enter a phone number so we can reply.")), _max(40), phone_number],
                        description=_l("A mobile number, or a landline with its area code."))
    id_number = StringField(_l("Resident ID number (optional)"), filters=[strip],
                            validators=[Optional(), _max(18), id_number])
    address = StringField(_l("Address (optional)"), filters=[strip],
                          validators=[Optional(), _max(200), no_control_chars])
    attachments = MultipleFileField(
        _l("Attachments (optional)"),
        description=_l("Up to five PDF, JPG or PNG files, at most 5 MB each: a photo of a notice, "
                       "a receipt, a document."))

    def validate_centre(self, field):
        if field.data and field.data not in choice_values(field):
            raise ValidationError(_l("Choose a service centre from the list."))

    def validate_channel(self, field):
        if field.data not in choice_values(field):
            raise ValidationError(_l("Choose how you reached us."))


def choice_values(field) -> set[str]:
    return {c.value if isinstance(c, SelectChoice) else c[0] for c in (field.choices or [])}


#: Fields of the core form; anything else on a jurisdiction's form goes into case.extra.
CORE_FIELDS = frozenset({"centre", "channel", "matter", "description", "name", "phone", "id_number",
                         "address", "attachments", "csrf_token", "submit"})
#: The person's contact details, shown together under "never published".
CONTACT_FIELDS = ("name", "phone", "id_number", "address")
#: The case itself, shown first.
MATTER_FIELDS = ("centre", "channel", "matter", "description")


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


def extra_fields(form) -> list:
    """The jurisdiction's own fields, in the order the plugin declared them."""
    return [f for f in form if f.name not in CORE_FIELDS and f.type != "CSRFTokenField"]


def normalise_number(value):
    """Case numbers as people type them: full-width, lower case, spaces around."""
    if not isinstance(value, str):
        return value
    return re.sub(r"\s+", "", fold_width(value)).upper()


def normalise_code(value):
    if not isinstance(value, str):
        return value
    return re.sub(r"[\s\-]+", "", fold_width(value)).upper()


class TrackForm(FlaskForm):
    number = StringField(_l("Case number"), filters=[normalise_number],
                         validators=[DataRequired(_l("Enter the case number.")), _max(40)],
                         description=_l("On your receipt, for example BJ-2026-000123."))
    code = StringField(_l("Access code"), filters=[normalise_code],
                       validators=[DataRequired(_l("Enter the access code.")), _max(40)],
                       description=_l("The 10 characters shown once on your receipt."))


RATING_CHOICES = [
    ("5", _l("Very satisfied")),
    ("4", _l("Satisfied")),
    ("3", _l("Basically satisfied")),
    ("2", _l("Dissatisfied")),
    ("1", _l("Very dissatisfied")),
]


class RateForm(FlaskForm):
    # validate_choice=False: WTForms' own "Not a valid choice" is not ours to translate.
    level = RadioField(_l("How satisfied are you with the outcome?"), validate_choice=False,
                       choices=[SelectChoice(value, label) for value, label in RATING_CHOICES],
                       validators=[DataRequired(_l("Choose one of the five levels."))],
                       description=_l("If you are dissatisfied or very dissatisfied, your case goes back to be "
                                      "verified and put right."))
    comment = TextAreaField(_l("Comment (optional)"), filters=[strip],
                            validators=[Optional(), _max(1000), no_control_chars])

    def validate_level(self, field):
        if field.data not in {value for value, _label in RATING_CHOICES}:
            raise ValidationError(_l("Choose one of the five levels."))
