"""The API's input is taken as typed: a JSON number is not a string.

DRF's CharField turns 0 into "0" on purpose ("lenient with basic numerics"), so
`{"title": 0}` opened an incident titled "0", and a client that sent the wrong
field, or a number where a name belongs, never heard about it. The API refuses
it instead (400, "Not a valid string."), in every string field.
"""

from rest_framework import fields
from rest_framework.exceptions import ValidationError

# CharField's own message; its subclasses reword "invalid" ("Enter a valid URL."),
# which would tell a client that sent a number the wrong thing.
NOT_A_STRING = fields.CharField.default_error_messages["invalid"]  # "Not a valid string."


def _strict_char_to_internal_value(self, data):
    if not isinstance(data, str):
        raise ValidationError(NOT_A_STRING, code="invalid")
    return data.strip() if self.trim_whitespace else data


def strict_string_fields_install() -> None:
    """Make every DRF string field refuse non-strings (called once, by the app's ready()).

    On CharField itself rather than a project subclass: that one place covers the
    fields declared in serializers, those ModelSerializer maps from model fields, the
    CharField subclasses (URL, e-mail, slug, regex) and list children, including any
    serializer written later, which a subclass would have to be remembered in.
    Query-string and form values are strings already, so only JSON input changes.
    """
    fields.CharField.to_internal_value = _strict_char_to_internal_value
