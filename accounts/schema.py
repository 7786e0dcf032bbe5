"""Tells drf-spectacular how BearerTokenAuthentication appears in the OpenAPI schema."""

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from `manage.py create_api_token NAME --scopes ...` "
            "or the admin; scopes: ingest, read, write, secrets, evidence.",
        }


class VerifiedSessionScheme(SessionScheme):
    """The 2FA-checking session authentication appears as the session cookie it is."""

    target_class = "accounts.authentication.VerifiedSessionAuthentication"
