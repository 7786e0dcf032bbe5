from django.contrib import admin

from monitoring.admin.events import _ReadOnly
from monitoring.models import BotMinute, ComponentState, MetricSnapshot, UptimeSample
from monitoring.services.bot_uptime import bot_minutes_record
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


@admin.register(BotMinute)
class BotMinuteAdmin(_ReadOnly):
    """The bot's judged minutes: why a minute was down or degraded, for a postmortem."""

    list_display = ["minute", "state", "events", "pings", "ws_connected", "reason"]
    list_filter = ["state", ("minute", admin.DateFieldListFilter)]
    search_fields = ["reason"]
    date_hierarchy = "minute"
    ordering = ["-minute"]
    show_full_result_count = False
    actions = ["judge_now"]

    @admin.action(description="Judge the bot's settled minutes now")
    def judge_now(self, request, queryset):
        lines = bot_minutes_record()
        self.message_user(request, lines[0] if lines else
                          "Nothing to judge: no new settled minute, or no signal from the bot "
                          "yet.")
