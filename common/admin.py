"""The audit trail in the admin: auditlog's entries and Django's own admin log,
both read-only for everyone (superusers included): an audit log is append-only."""

from auditlog.admin import LogEntryAdmin as AuditlogEntryAdmin
from auditlog.models import LogEntry as AuditlogEntry
from django.contrib import admin
from django.contrib.admin.models import LogEntry as AdminLogEntry


class AppendOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditEntryAdmin(AppendOnlyAdmin, AuditlogEntryAdmin):
    list_display = ["created", "resource_url", "action", "msg_short", "user_url",
                    "actor_email", "remote_addr"]
    list_filter = [*AuditlogEntryAdmin.list_filter, ("timestamp", admin.DateFieldListFilter),
                   ("actor", admin.RelatedOnlyFieldListFilter), "remote_addr"]
    search_fields = [*AuditlogEntryAdmin.search_fields, "actor_email", "remote_addr",
                     "object_repr"]
    readonly_fields = [*AuditlogEntryAdmin.readonly_fields, "actor_email", "remote_addr",
                       "additional_data"]
    fieldsets = [*AuditlogEntryAdmin.fieldsets,
                 ("Source", {"fields": ["actor_email", "remote_addr", "additional_data"]})]
    show_full_result_count = False
    date_hierarchy = "timestamp"

    def get_actions(self, request):
        return {}  # not even delete_selected


@admin.register(AdminLogEntry)
class AdminLogEntryAdmin(AppendOnlyAdmin):
    list_display = ["action_time", "user", "content_type", "object_repr", "action_flag",
                    "change_message"]
    list_filter = ["action_flag", ("action_time", admin.DateFieldListFilter), "content_type"]
    search_fields = ["object_repr", "change_message", "user__username"]
    show_full_result_count = False
    date_hierarchy = "action_time"

    def get_actions(self, request):
        return {}


if admin.site.is_registered(AuditlogEntry):
    admin.site.unregister(AuditlogEntry)
admin.site.register(AuditlogEntry, AuditEntryAdmin)
