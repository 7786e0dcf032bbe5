from django.contrib import admin

from monitoring.models import SchedulerHeartbeat


@admin.register(SchedulerHeartbeat)
class SchedulerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "last_seen_at", "hostname"]
    readonly_fields = ["name", "last_seen_at", "hostname"]

    def has_add_permission(self, request):
        return False
