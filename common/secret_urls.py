"""URLs with credentials in them (channel and RPC URLs): who sees them whole, and how
the API and the admin show them masked to everyone else.

Whole: Admins (the Admin role or a superuser) in the admin and through their session,
and API tokens holding the `secrets` scope (the bot, which must connect to the active
RPC endpoint). Everyone else (read tokens, Viewers, Operators, Incident Commanders)
sees `common.redaction.mask_url` of it. A masked URL sent back unchanged (an
Operator saving a channel's other fields) keeps the real one; a URL that still holds
the mask anywhere else is refused rather than stored.
"""

from django.core.exceptions import ValidationError

from common.redaction import MASK, mask_url

ADMIN_GROUP = "Admin"
SECRETS_SCOPE = "secrets"


def sees_secrets(user, auth=None) -> bool:
    """True for an API token with the `secrets` scope, or an active Admin user."""
    if auth is not None and hasattr(auth, "has_scope"):  # an ApiToken
        return auth.has_scope(SECRETS_SCOPE)
    if not (user and user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.is_superuser or user.groups.filter(name=ADMIN_GROUP).exists()


def refuse_masked(value: str) -> None:
    """Model-field validator: a value holding the mask is a copy of a masked URL."""
    if value and MASK in value:
        raise ValidationError(
            f"the URL contains {MASK!r}, the mask of a secret: type the whole URL with its "
            "credentials (only Admins see them)", code="masked")


def unmask(submitted: str, real: str) -> str:
    """The real URL if `submitted` is its masked form unchanged, else `submitted`."""
    return real if real and submitted == mask_url(real) else submitted


class SecretUrlSerializerMixin:
    """DRF: the secret fields masked unless the view put reveal_secrets in the context."""

    secret_fields = ("url",)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("reveal_secrets"):
            for name in self.secret_fields:
                if data.get(name):
                    data[name] = mask_url(data[name])
        return data


def serializer_context(request) -> dict:
    return {"request": request, "reveal_secrets": sees_secrets(request.user, request.auth)}


class SecretUrlAdminMixin:
    """Admin: non-Admins get the object with its secret fields masked, so the list, the
    change form and the read-only view all show the mask; a save that sends the mask
    back unchanged writes the real value again."""

    secret_fields = ("url",)

    def get_list_display(self, request):
        fields = list(super().get_list_display(request))
        if sees_secrets(request.user):
            return fields
        return [f"masked_{f}" if f in self.secret_fields else f for f in fields]

    def get_search_fields(self, request):
        # The columns hold ciphertext: searching them would find nothing.
        return [f for f in super().get_search_fields(request) if f not in self.secret_fields]

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and not sees_secrets(request.user):
            obj._secret_originals = {f: getattr(obj, f) for f in self.secret_fields}
            for name, real in obj._secret_originals.items():
                setattr(obj, name, mask_url(real) if real else real)
        return obj

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        originals = getattr(obj, "_secret_originals", None)
        if not originals:
            return form_class

        class UnmaskingForm(form_class):
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                for name, real in originals.items():
                    field = self.fields.get(name)
                    if field is None or field.disabled:
                        continue
                    # Before the field's own validation: a masked tgram:// URL is not a
                    # valid Apprise URL, its real value is.
                    field.clean = _unmasking_clean(field.clean, real)

        return UnmaskingForm


def _unmasking_clean(clean, real):
    def unmasking_clean(value):
        return clean(unmask(value, real))

    return unmasking_clean


def masked_display(name: str):
    """A list_display column showing the masked value of field `name`."""

    def column(self, obj):
        return mask_url(getattr(obj, name) or "")

    column.short_description = name
    column.__name__ = f"masked_{name}"
    return column
