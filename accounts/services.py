"""Writes for API tokens and roles."""

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import ApiToken, Scope
from accounts.roles import ROLE_PERMISSIONS, role_permission_codenames

KEY_PREFIX = "ops_"
# last_used_at is written at most this often, so the ingest hot path does not
# turn every request into an UPDATE.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_token_hash(raw_key: str) -> str:
    # Keys are 256-bit random strings, not passwords: a fast hash cannot be
    # brute-forced, and a slow KDF would cost every API request dearly.
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_token_parse_scopes(text: str) -> list[str]:
    """'ingest,read' -> ['ingest', 'read']; an unknown or empty scope is a ValidationError."""
    scopes = [s.strip() for s in text.split(",") if s.strip()]
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown or not scopes:
        raise ValidationError(
            f"unknown scope(s): {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(Scope.values)}"
        )
    return sorted(set(scopes), key=Scope.values.index)


def api_token_create(*, name: str, scopes: list[str], created_by=None) -> tuple[ApiToken, str]:
    """Create a token; returns it with the raw key, which is never retrievable again."""
    api_token_parse_scopes(",".join(scopes))
    secret = secrets.token_urlsafe(32)
    prefix = secrets.token_hex(4)
    raw_key = f"{KEY_PREFIX}{prefix}_{secret}"
    token = ApiToken(
        name=name, prefix=prefix, key_hash=api_token_hash(raw_key), scopes=list(scopes),
        created_by=created_by,
    )
    token.full_clean()
    token.save()
    return token, raw_key


def api_token_authenticate(*, raw_key: str) -> ApiToken | None:
    """The active token for this key, or None. Marks it used (coarsely)."""
    if not raw_key.startswith(KEY_PREFIX):
        return None
    prefix = raw_key[len(KEY_PREFIX):].split("_", 1)[0]
    token = ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True).first()
    if token is None or not secrets.compare_digest(token.key_hash, api_token_hash(raw_key)):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def api_token_revoke(*, token: ApiToken) -> bool:
    """Revoke a token; False if it was already revoked."""
    now = timezone.now()
    revoked = bool(
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    )
    if revoked:  # a conditional update sends no signal: tell the audit log ourselves
        from common.audit import audit_record_update

        audit_record_update(instance=token, changes={"revoked_at": (None, now)})
    return revoked


def roles_bootstrap() -> list[str]:
    """Create or refresh the role groups with their model permissions."""
    lines = []
    all_perms = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
    }
    for role in ROLE_PERMISSIONS:
        group, created = Group.objects.get_or_create(name=role)
        wanted = [all_perms[c] for c in role_permission_codenames(role, all_perms)]
        group.permissions.set(wanted)
        lines.append(f"role {role}: {'created' if created else 'updated'}, "
                     f"{len(wanted)} permissions")
    return lines
