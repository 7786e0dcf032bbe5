from django.contrib import admin
from django.db.models import Q

from monitoring.models import Event, EventRollup, Position


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


class _OpenFilter(admin.SimpleListFilter):
    title, parameter_name = "status", "status"

    def lookups(self, request, model_admin):
        return [("open", "open"), ("unprotected", "open without TP or SL"),
                ("closed", "closed")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(opened_at__isnull=False, closed_at__isnull=True)
        if self.value() == "unprotected":
            return queryset.filter(Q(take_profit_pct__isnull=True)
                                   | Q(stop_loss_pct__isnull=True),
                                   opened_at__isnull=False, closed_at__isnull=True)
        if self.value() == "closed":
            return queryset.filter(closed_at__isnull=False)
        return queryset


@admin.register(Position)
class PositionAdmin(_ReadOnly):
    list_display = ["position_id", "token", "size_sol", "opened_at", "take_profit_pct",
                    "stop_loss_pct", "protected", "closed_at", "pnl_sol", "close_reason",
                    "demo"]
    list_filter = [_OpenFilter, "close_reason", "demo"]
    search_fields = ["=position_id", "token"]
    date_hierarchy = "opened_at"
    readonly_fields = [f.name for f in Position._meta.fields]

    @admin.display(boolean=True, description="TP and SL")
    def protected(self, obj):
        return obj.protected
