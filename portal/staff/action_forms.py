"""The form of each action on the staff case page, built from the fields its ActionSpec declares.

One WTForms class per action (built once and kept): CSRF and the case version the user saw,
plus the declared fields, typed and checked. Choices and defaults that depend on the case are
filled in per case. A refused value gets the field's own message, in the user's language.
"""
from __future__ import annotations

from functools import lru_cache

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..contracts import ActionField, ActionSpec

#: What a refused value of each kind is told when its field declares no message.
KIND_MESSAGES = {
    "text": _l("Fill in this field."),
    "textarea": _l("Fill in this field."),
    "date": _l("Enter a date (year-month-day)."),
    "integer": _l("Enter a whole number in the range allowed."),
    "choice": _l("Choose one of the options offered."),
    "choices": _l("Choose among the options offered."),
}


class ActionForm(FlaskForm):
    """CSRF and the version the user saw; an action's own fields are added to a subclass."""

    action = HiddenField()
    version = HiddenField()


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _wtforms_field(f: ActionField):
    """The field's class-level WTForms field; what depends on the case is set per form."""
    message = (None if callable(f.message) else f.message) or KIND_MESSAGES[f.kind]
    label = "" if callable(f.label) else f.label
    hint = "" if callable(f.hint) else f.hint
    if f.kind in ("text", "textarea"):
        checks = [DataRequired(message) if f.required else Optional()]
        if f.max_length:
            checks.append(Length(max=f.max_length, message=message))
        cls = StringField if f.kind == "text" else TextAreaField
        return cls(label, validators=checks, filters=[_strip], description=hint)
    checks = [InputRequired(message) if f.required else Optional()]
    if f.kind == "date":
        return DateField(label, validators=checks, description=hint)
    if f.kind == "integer":
        checks.append(NumberRange(min=f.minimum, max=f.maximum, message=message))
        return IntegerField(label, validators=checks, description=hint)
    cls = SelectField if f.kind == "choice" else CheckboxesField
    return cls(label, validators=checks, coerce=f.coerce, choices=[], description=hint)


@lru_cache(maxsize=None)
def form_class(spec: ActionSpec | None) -> type[ActionForm]:
    """The action's form class (the bare ActionForm for an action without fields)."""
    if spec is None or not spec.fields:
        return ActionForm
    attrs = {f.name: _wtforms_field(f) for f in spec.fields}
    return type(f"{spec.action.title().replace('_', '')}ActionForm", (ActionForm,), attrs)


def _case_value(value, case):
    return value(case) if callable(value) else value


def _offered(f: ActionField, case) -> bool:
    return f.offered is None or bool(f.offered(case))


def action_form(spec: ActionSpec | None, case, *, posted: bool = False) -> ActionForm:
    """The form for ``spec``'s action on ``case``: filled from the request when ``posted``,
    otherwise from the declared defaults. A field not offered on this case is left out; labels
    and messages that depend on the case are read for it."""
    fields = spec.fields if spec is not None else ()
    data = {f.name: _case_value(f.default, case) for f in fields if f.default is not None}
    form = form_class(spec)(formdata=None, data=data) if not posted else form_class(spec)()
    form.field_messages = {}
    for f in fields:
        if not _offered(f, case):
            del form[f.name]
            continue
        field = form[f.name]
        field.id = field.label.field_id = f"{spec.action}-{f.name}"  # unique on a page of every action's form
        field.label.text = str(_case_value(f.label, case))
        if callable(f.hint):
            field.description = str(f.hint(case))
        form.field_messages[f.name] = str(_case_value(f.message, case) or KIND_MESSAGES[f.kind])
        if f.choices is not None:
            field.choices = [(value, str(label)) for value, label in f.choices(case)]
    if not posted:
        form.action.data = spec.action if spec is not None else ""
    return form


def _present(form: ActionForm, spec: ActionSpec | None) -> list[ActionField]:
    """The declared fields this form carries (those offered on its case)."""
    return [f for f in (spec.fields if spec is not None else ()) if f.name in form]


def validate(form: ActionForm, spec: ActionSpec | None) -> bool:
    """Check the posted form; a refused field keeps one message, the one it declares."""
    ok = form.validate_on_submit()
    for f in _present(form, spec):
        if form[f.name].errors:
            form[f.name].errors = [getattr(form, "field_messages", {}).get(f.name) or str(f.message or KIND_MESSAGES[f.kind])]
    return ok


def params(form: ActionForm, spec: ActionSpec | None) -> dict:
    """The declared fields' typed values for the effect; empty optional ones left out."""
    out = {}
    for f in _present(form, spec):
        value = form[f.name].data
        if value is None or value == "":
            continue
        out[f.name] = value
    return out


def declared_fields(form: ActionForm, spec: ActionSpec | None) -> list:
    """The form's fields the action declared, in their order (what the page draws)."""
    return [form[f.name] for f in _present(form, spec)]
