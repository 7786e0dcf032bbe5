from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from monitoring.models import Heartbeat
from monitoring.selectors.heartbeats import heartbeat_status_at
from monitoring.services.heartbeats import heartbeats_refresh


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "live_status", "period_seconds", "grace_seconds",
                    "last_ping_at", "last_start_at"]
    list_filter = ["status"]
    search_fields = ["name", "=uuid"]
    readonly_fields = ["uuid", "ping_url", "status", "last_ping_at", "last_ping_kind",
                       "last_start_at", "created_at", "recent_pings"]
    actions = ["refresh_status"]

    @admin.display(description="status now")
    def live_status(self, obj):
        return heartbeat_status_at(heartbeat=obj, now=timezone.now())

    @admin.display(description="ping URL")
    def ping_url(self, obj):
        return reverse("heartbeat-ping", args=[obj.uuid]) if obj.pk else "-"

    @admin.display(description="last 50 pings")
    def recent_pings(self, obj):
        # Not an inline: a busy heartbeat has thousands of pings; the newest 50 tell the story.
        pings = obj.pings.order_by("-at")[:50] if obj.pk else []
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                "<td>{}</td></tr>",
            ((f"{p.at:%Y-%m-%d %H:%M:%S}", p.kind, p.status_after,
              "" if p.exit_status is None else p.exit_status, p.body[:200],
              p.remote_addr or "", p.user_agent) for p in pings))
        return format_html(
            "<table><tr><th>at</th><th>kind</th><th>status after</th><th>exit status</th>"
            "<th>body</th><th>from</th><th>user agent</th></tr>{}</table>",
            rows) if pings else "no pings yet"

    @admin.action(description="Refresh the stored status of every heartbeat")
    def refresh_status(self, request, queryset):
        changed = heartbeats_refresh()
        self.message_user(request, f"{len(changed)} heartbeat(s) changed status.")
