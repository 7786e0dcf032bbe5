from rest_framework import authentication, exceptions

from accounts.services import api_token_authenticate
from accounts.twofactor import TWO_FACTOR_REQUIRED, session_needs_second_factor
from common.audit import audit_note_token


class TokenUser:
    """The principal of a token-authenticated request (not a Django user)."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False

    def __init__(self, token):
        self.token = token
        self.username = f"token:{token.name}"
        self.pk = None

    def __str__(self):
        return self.username


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>`. Anything else in that header is a 401, not a 500."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION")
        if header is None:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0].lower() != "bearer":
            raise exceptions.AuthenticationFailed(
                "Malformed Authorization header: expected 'Bearer <token>'."
            )
        raw_key = parts[1]
        if not raw_key.isascii() or not raw_key.isprintable() or len(raw_key) > 200:
            raise exceptions.AuthenticationFailed("Invalid token.")
        token = api_token_authenticate(raw_key=raw_key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        audit_note_token(token)  # the audit log names the token as the actor of API writes
        return TokenUser(token), token

    def authenticate_header(self, request):
        # Present so DRF answers 401 (with WWW-Authenticate), not 403, when unauthenticated.
        return self.keyword


class VerifiedSessionAuthentication(authentication.SessionAuthentication):
    """A staff session counts for the API only once its second factor is verified.

    The 2FA middleware leaves DRF views to this class (it cannot know whether a
    Bearer header is valid); a request authenticated by token never gets here,
    because BearerTokenAuthentication comes first and answers for any header.
    """

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and session_needs_second_factor(request._request):
            raise exceptions.PermissionDenied(TWO_FACTOR_REQUIRED["detail"])
        return result
