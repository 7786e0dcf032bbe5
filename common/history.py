"""Per-object history rows: what changed, when, by whom (issue 16).

Every aggregate people or workers edit keeps its own append-only history table
(BackupRunEvent, AlertEvent, ChecklistItemEvent, the incident timeline, and the
ones built on this module). The audit log records every write too, but cannot see
the conditional UPDATEs that workflows use for races, and is a security record
rather than the story of one drill or postmortem shown on its own page.
"""

from collections.abc import Iterable
from decimal import Decimal

from django.contrib import admin
from django.db import models
from django.utils import timezone


def field_values(instance: models.Model, fields: Iterable[str]) -> dict:
    """The stored values of `fields` for `instance` ({} when it is not saved yet)."""
    if instance.pk is None:
        return {}
    row = type(instance)._base_manager.filter(pk=instance.pk).values(*fields).first()
    return row or {}


def _plain(value):
    # JSON-safe and readable: dates as ISO text, decimals as their exact text.
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    return value


def field_changes(before: dict, instance: models.Model, fields: Iterable[str]) -> dict:
    """{field: [old, new]} for each of `fields` whose value differs from `before`."""
    changes = {}
    for name in fields:
        attname = instance._meta.get_field(name).attname
        new = getattr(instance, attname)
        old = before.get(name, before.get(attname))
        if old != new:
            changes[name] = [_plain(old), _plain(new)]
    return changes


def actor_label(actor) -> str:
    if actor is None:
        return "system"
    if hasattr(actor, "get_username"):
        return actor.get_username()
    return str(actor)


class HistoryEntry(models.Model):
    """Abstract base of a history table: one row per change of its parent."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.CharField(max_length=150, blank=True,
                             help_text="who made the change: a user, a token, or 'system'")
    note = models.TextField(blank=True)
    changes = models.JSONField(default=dict, blank=True,
                               help_text="{field: [old, new]} of what changed")

    class Meta:
        abstract = True
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor}: {self.note}"


class HistoryInline(admin.TabularInline):
    """The history rows on their parent's admin page: read-only, for everyone."""

    extra = 0
    can_delete = False
    fields = ["at", "actor", "note", "changes"]
    readonly_fields = fields
    ordering = ["-at", "-id"]
    verbose_name_plural = "history"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
