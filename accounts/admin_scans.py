from django.contrib import admin

from accounts.models import SecurityScan


@admin.register(SecurityScan)
class SecurityScanAdmin(admin.ModelAdmin):
    """Evidence: scans are recorded by `manage.py security_scan` (make audit), never edited."""

    list_display = ["ran_at", "tool", "status", "findings", "summary"]
    list_filter = ["tool", "status", "ran_at"]
    search_fields = ["summary", "output"]
    readonly_fields = ["ran_at", "tool", "status", "findings", "summary", "output"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
