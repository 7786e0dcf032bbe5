from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from alerting.models import (
    Alert,
    AlertEvent,
    AlertRule,
    Notification,
    NotificationChannel,
    Silence,
)
from alerting.services import alert_rules, alerts, notify
from alerting.services.inbound import integration_token_rotate
from common.secret_urls import SecretUrlAdminMixin


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "source", "condition_text", "for_seconds", "min_events",
                    "severity", "actions", "depends_on", "enabled", "last_evaluated_at"]
    list_filter = ["source", "severity", "enabled"]
    search_fields = ["name", "metric_key"]
    list_select_related = ["depends_on"]
    raw_id_fields = ["depends_on"]
    readonly_fields = ["last_evaluated_at"]
    actions = ["new_url_token"]

    @admin.action(description="Inbound integrations: make a new URL token (shown once)")
    def new_url_token(self, request, queryset):
        for rule in queryset:
            if not rule.is_inbound:
                self.message_user(request, f"{rule.name}: not an inbound integration",
                                  messages.WARNING)
                continue
            token = integration_token_rotate(rule=rule)
            path = reverse(f"integration-{rule.source}-token", args=[token])
            # Shown once, like an API token: only its hash is kept.
            self.message_user(request, f"{rule.name}: POST alerts to "
                                       f"{settings.PORTAL_URL}{path} (the old URL no longer "
                                       f"works; copy this one now, it is not shown again)",
                              messages.SUCCESS)

    @admin.display(description="condition")
    def condition_text(self, obj):
        return obj.condition_text


class AlertEventInline(admin.TabularInline):
    model = AlertEvent
    extra = 0
    can_delete = False
    fields = ["at", "kind", "text"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class NotificationInline(admin.TabularInline):
    model = Notification
    extra = 0
    can_delete = False
    fields = ["created_at", "channel", "kind", "delivered_at", "attempts", "last_error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["rule", "title", "state", "started_at", "fired_at", "resolved_at",
                    "value", "silenced", "suppressed", "escalation_level", "acknowledged_at"]
    list_filter = ["state", "rule__source", "rule__severity", "silenced", "suppressed", "rule"]
    search_fields = ["rule__name", "title", "=fingerprint"]
    list_select_related = ["rule"]
    date_hierarchy = "started_at"
    show_full_result_count = False
    inlines = [AlertEventInline, NotificationInline]
    readonly_fields = [f.name for f in Alert._meta.fields]
    actions = ["acknowledge"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Acknowledge the selected alerts", permissions=["change"])
    def acknowledge(self, request, queryset):
        done, refused = 0, []
        for alert in queryset.select_related("rule"):
            try:
                alerts.alert_acknowledge(alert=alert, now=timezone.now(), user=request.user)
                done += 1
            except ValidationError as exc:
                refused.append(f"{alert.rule.name}: {exc.messages[0]}")
        self.message_user(request, f"{done} alert(s) acknowledged.")
        if refused:
            self.message_user(request, "; ".join(refused), messages.WARNING)


class NotificationChannelForm(forms.ModelForm):
    class Meta:
        model = NotificationChannel
        fields = ["name", "url", "min_severity", "escalation_level", "enabled"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            notify.channel_url_validate(url)
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["url"]) from exc
        return url


@admin.register(NotificationChannel)
class NotificationChannelAdmin(SecretUrlAdminMixin, admin.ModelAdmin):
    form = NotificationChannelForm
    list_display = ["name", "min_severity", "escalation_level", "enabled", "created_at"]
    list_filter = ["min_severity", "escalation_level", "enabled"]
    search_fields = ["name"]
    actions = ["send_test"]

    @admin.action(description="Send a test notification", permissions=["change"])
    def send_test(self, request, queryset):
        now = timezone.now()
        results = {c.name: notify.notification_channel_send_test(channel=c, now=now)
                   for c in queryset}
        ok = [n for n, r in results.items() if r]
        failed = [n for n, r in results.items() if not r]
        if ok:
            self.message_user(request, f"Test sent to {', '.join(ok)}.")
        if failed:
            self.message_user(request, f"Test failed for {', '.join(failed)} (see "
                              "Notifications for the error).", messages.ERROR)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "kind", "title", "delivered_at", "attempts",
                    "last_error"]
    list_filter = ["kind", "channel"]
    search_fields = ["title", "last_error"]
    list_select_related = ["channel"]
    show_full_result_count = False
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Silence)
class SilenceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "rule", "labels", "starts_at", "ends_at", "reason",
                    "created_by"]
    list_filter = ["rule"]
    search_fields = ["reason", "rule__name"]
    list_select_related = ["rule", "created_by"]
    raw_id_fields = ["rule"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        alert_rules.silence_save(silence=obj, actor=request.user)
from alerting import admin_control  # noqa: E402,F401  (registers the kill switch)
