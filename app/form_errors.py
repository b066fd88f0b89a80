"""Showing a service's field errors on the form that sent the input."""

from flask import flash
from flask_wtf import FlaskForm

from .services.errors import ValidationFailed


def show_field_errors(form: FlaskForm, exc: ValidationFailed) -> None:
    """Put each error on the form field of that name; flash those the form has no field for.

    Looked up among the form's fields, not its attributes: a name such as "data" or
    "errors" must not land on the Form object itself.
    """
    for name, message in exc.fields.items():
        field = form._fields.get(name)
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            flash(message, "error")
