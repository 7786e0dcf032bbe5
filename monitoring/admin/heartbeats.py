from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from ..models import Heartbeat, HeartbeatPing
from ..selectors.heartbeats import heartbeat_status_at
from ..services.heartbeats import heartbeats_refresh


class HeartbeatPingInline(admin.TabularInline):
    model = HeartbeatPing
    fields = ["at", "kind", "status_after", "method", "remote_addr", "user_agent"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["-at"]

    def get_queryset(self, request):
        # The latest pings only: a busy heartbeat has thousands.
        qs = super().get_queryset(request)
        ids = list(qs.order_by("-at").values_list("id", flat=True)[:50])
        return qs.filter(id__in=ids)


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "live_status", "period_seconds", "grace_seconds",
                    "last_ping_at", "last_start_at"]
    list_filter = ["status"]
    search_fields = ["name", "=uuid"]
    readonly_fields = ["uuid", "ping_url", "status", "last_ping_at", "last_ping_kind",
                       "last_start_at", "created_at"]
    inlines = [HeartbeatPingInline]
    actions = ["refresh_status"]

    @admin.display(description="status now")
    def live_status(self, obj):
        return heartbeat_status_at(heartbeat=obj, now=timezone.now())

    @admin.display(description="ping URL")
    def ping_url(self, obj):
        return reverse("heartbeat-ping", args=[obj.uuid]) if obj.pk else "-"

    @admin.action(description="Refresh the stored status of every heartbeat")
    def refresh_status(self, request, queryset):
        changed = heartbeats_refresh()
        self.message_user(request, f"{len(changed)} heartbeat(s) changed status.")
