"""What every app's pages share about forms."""

from django import forms
from django.core.exceptions import ValidationError


def apply_service_errors(form: forms.Form, error: ValidationError, *, fields: dict | None = None) -> None:
    """Put a service's ValidationError on the form: on its field when the form has it, else on top.

    `fields` names the form field of a service argument called otherwise (complainant_phone -> phone).
    """
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            field = (fields or {}).get(name, name)
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)
