from django.contrib import admin

from monitoring.models import Event, EventRollup


class _ReadOnly(admin.ModelAdmin):
    """Written by ingestion only: the admin looks, it does not edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(_ReadOnly):
    list_display = ["id", "type", "ts", "received_at", "synthetic"]
    list_filter = ["type", "synthetic", ("ts", admin.DateFieldListFilter)]
    search_fields = ["=id"]  # exact: the pk index, never a scan of millions of rows
    # No date_hierarchy: it aggregates distinct dates over the whole (huge) table.
    ordering = ["-ts"]
    show_full_result_count = False  # COUNT(*) over millions of events is slow
    readonly_fields = ["id", "type", "ts", "received_at", "synthetic", "payload"]


@admin.register(EventRollup)
class EventRollupAdmin(_ReadOnly):
    list_display = ["start", "seconds", "events", "trades", "updated_at"]
    list_filter = ["seconds", ("start", admin.DateFieldListFilter)]
    ordering = ["-start", "-seconds"]
    show_full_result_count = False
    readonly_fields = ["start", "seconds", "events", "data", "updated_at"]

    @admin.display(description="trades")
    def trades(self, obj):
        return obj.data.get("trades", 0)
