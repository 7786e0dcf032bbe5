from rest_framework import permissions

from .models import ApiToken
from .roles import WRITE_ROLES


def session_user_has_scope(user, scope: str) -> bool:
    """Staff sessions read; Operators, Incident Commanders and Admins also write and ingest."""
    if not (user and user.is_authenticated and user.is_staff and user.is_active):
        return False
    if scope == "read" or user.is_superuser:
        return True
    return user.groups.filter(name__in=WRITE_ROLES).exists()


class ScopePermission(permissions.BasePermission):
    """Maps HTTP methods to scopes: safe methods need `read`, others `write`.

    A view narrows this with `required_scopes = {"POST": "ingest"}`.
    """

    message = "This token lacks the scope this endpoint needs."

    def has_permission(self, request, view):
        scope = required_scope(request, view)
        if isinstance(request.auth, ApiToken):
            allowed = request.auth.has_scope(scope)
        else:
            allowed = session_user_has_scope(request.user, scope)
        if not allowed:
            self.message = f"This endpoint needs the '{scope}' scope."
        return allowed


def required_scope(request, view) -> str:
    overrides = getattr(view, "required_scopes", {})
    if request.method in overrides:
        return overrides[request.method]
    return "read" if request.method in permissions.SAFE_METHODS else "write"
