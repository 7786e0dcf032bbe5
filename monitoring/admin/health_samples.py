from django.contrib import admin

from monitoring.admin.events import _ReadOnly
from monitoring.models import ComponentState, MetricSnapshot, UptimeSample
from monitoring.services.health import health_refresh


@admin.register(ComponentState)
class ComponentStateAdmin(_ReadOnly):
    list_display = ["name", "status", "http_status", "checked_at", "failing"]
    readonly_fields = ["name", "status", "http_status", "checked_at", "body"]
    actions = ["refresh_now"]

    @admin.display(description="failing checks")
    def failing(self, obj):
        return ", ".join(n for n, c in obj.body.get("checks", {}).items() if not c["ok"]) or "-"

    @admin.action(description="Run every health check now")
    def refresh_now(self, request, queryset):
        _, body = health_refresh()
        self.message_user(request, f"Health checked: {body['status']}.")


@admin.register(UptimeSample)
class UptimeSampleAdmin(_ReadOnly):
    list_display = ["minute", "status", "up", "failed_checks"]
    list_filter = ["status", "up", ("minute", admin.DateFieldListFilter)]
    ordering = ["-minute"]
    show_full_result_count = False


@admin.register(MetricSnapshot)
class MetricSnapshotAdmin(_ReadOnly):
    list_display = ["taken_at", "trades_per_hour", "error_rate", "confirmation_p95_ms"]
    list_filter = [("taken_at", admin.DateFieldListFilter)]
    date_hierarchy = "taken_at"
    ordering = ["-taken_at"]
    show_full_result_count = False
    readonly_fields = ["taken_at", "trades_per_hour", "error_rate", "confirmation_p95_ms", "data"]
