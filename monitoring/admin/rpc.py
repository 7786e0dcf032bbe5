from django.contrib import admin
from django.db import models
from django.utils import timezone

from common.secret_urls import SecretUrlAdminMixin, masked_display
from monitoring.models import RpcEndpoint, RpcProbe, RpcSwitch
from monitoring.services import rpc


class RpcProbeInline(admin.TabularInline):
    model = RpcProbe
    extra = 0
    can_delete = False
    fields = ["at", "ok", "latency_ms", "error"]
    readonly_fields = fields
    max_num = 0

    def get_queryset(self, request):
        # Only the newest probes: the table grows by one row a minute per endpoint.
        qs = super().get_queryset(request)
        object_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match \
            else None
        newest = qs.filter(endpoint_id=object_id).order_by("-at", "-id")[:20] \
            if str(object_id or "").isdigit() else qs.none()
        return qs.filter(id__in=list(newest.values_list("id", flat=True)))


@admin.register(RpcEndpoint)
class RpcEndpointAdmin(SecretUrlAdminMixin, admin.ModelAdmin):
    list_display = ["name", "url", "priority", "enabled", "is_active", "active_since",
                    "consecutive_failures", "healthy_since", "last_probe_at",
                    "last_latency_ms"]
    list_filter = ["enabled", "is_active"]
    search_fields = ["name"]  # the URL column holds ciphertext
    readonly_fields = ["is_active", "active_since", "consecutive_failures", "healthy_since",
                       "last_probe_at", "last_latency_ms"]
    inlines = [RpcProbeInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["probe_now"]
    masked_url = masked_display("url")

    @admin.action(description="Probe the selected endpoints now", permissions=["change"])
    def probe_now(self, request, queryset):
        now = timezone.now()
        probes = [rpc.rpc_endpoint_probe(endpoint=e, now=now) for e in queryset]
        self.message_user(request, "; ".join(
            f"{p.endpoint.name}: {'ok' if p.ok else p.error} ({p.latency_ms} ms)"
            for p in probes))


@admin.register(RpcSwitch)
class RpcSwitchAdmin(admin.ModelAdmin):
    list_display = ["at", "from_endpoint", "to_endpoint", "reason"]
    list_select_related = ["from_endpoint", "to_endpoint"]
    readonly_fields = ["at", "from_endpoint", "to_endpoint", "reason"]

    def has_add_permission(self, request):
        return False


@admin.register(RpcProbe)
class RpcProbeAdmin(admin.ModelAdmin):
    list_display = ["at", "endpoint", "ok", "latency_ms", "error"]
    list_filter = ["ok", "endpoint"]
    list_select_related = ["endpoint"]
    show_full_result_count = False
    readonly_fields = ["endpoint", "at", "ok", "latency_ms", "error"]

    def has_add_permission(self, request):
        return False
