"""The API's input is taken as typed: a JSON number is not a string.

DRF's CharField turns 0 into "0" on purpose ("lenient with basic numerics"), so
`{"title": 0}` opened an incident titled "0", and a client that sent the wrong
field, or a number where a name belongs, never heard about it. The API refuses
it instead (400, "Not a valid string."), in every string field; a decimal, which the
schema types as a string, must be one too.
"""

from rest_framework import fields
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings

# CharField's own message; its subclasses reword "invalid" ("Enter a valid URL."),
# which would tell a client that sent a number the wrong thing.
NOT_A_STRING = fields.CharField.default_error_messages["invalid"]  # "Not a valid string."


def _strict_char_to_internal_value(self, data):
    if not isinstance(data, str):
        raise ValidationError(NOT_A_STRING, code="invalid")
    return data.strip() if self.trim_whitespace else data


_decimal_to_internal_value = fields.DecimalField.to_internal_value


def _strict_decimal_to_internal_value(self, data):
    # The schema says a decimal is a string (COERCE_DECIMAL_TO_STRING): 0.1 as a JSON
    # number has already lost its exact value by the time it is parsed.
    as_string = getattr(self, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
    if as_string and not isinstance(data, str):
        raise ValidationError("A decimal is sent as a string, e.g. \"0.125\".", code="invalid")
    return _decimal_to_internal_value(self, data)


def strict_string_fields_install() -> None:
    """Make every DRF string field refuse non-strings (called once, by the app's ready()).

    On CharField itself rather than a project subclass: that one place covers the
    fields declared in serializers, those ModelSerializer maps from model fields, the
    CharField subclasses (URL, e-mail, slug, regex) and list children, including any
    serializer written later, which a subclass would have to be remembered in.
    Query-string and form values are strings already, so only JSON input changes.
    """
    fields.CharField.to_internal_value = _strict_char_to_internal_value
    fields.DecimalField.to_internal_value = _strict_decimal_to_internal_value
