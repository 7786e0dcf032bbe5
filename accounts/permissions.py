from rest_framework import permissions

from accounts.models import ApiToken


def session_user_may(user, scope: str, permission: str | None) -> bool:
    """Staff sessions read; a write through a session needs the model permission the
    view names, the very permission the admin checks (accounts/roles.py grants them
    per role), so the API can never let a role do what the admin forbids it.

    A write view that names no permission is refused to every session: failing
    closed keeps a new endpoint from opening to all staff by omission.
    """
    if not (user and user.is_authenticated and user.is_staff and user.is_active):
        return False
    if scope == "read":
        return True
    return permission is not None and user.has_perm(permission)


def required_model_permission(request, view) -> str | None:
    """The Django permission ("app_label.action_model") a session needs for this call.

    Views declare `model_permissions = {"POST": (Model, "add")}`; the model class,
    not a string, so the permission follows the model wherever it lives.
    """
    entry = getattr(view, "model_permissions", {}).get(request.method)
    if entry is None:
        return None
    model, action = entry
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


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
            permission = required_model_permission(request, view)
            allowed = session_user_may(request.user, scope, permission)
            if not allowed and scope != "read" and request.user.is_authenticated:
                self.message = ("Your role may not do this: it needs the "
                                f"'{permission or 'admin-only'}' permission.")
                return False
        if not allowed:
            self.message = f"This endpoint needs the '{scope}' scope."
        return allowed


def required_scope(request, view) -> str:
    overrides = getattr(view, "required_scopes", {})
    if request.method in overrides:
        return overrides[request.method]
    return "read" if request.method in permissions.SAFE_METHODS else "write"
