from django import forms
from django.contrib import admin
from django.db import models
from django.utils import timezone

from common.secret_urls import SecretUrlAdminMixin, masked_display
from monitoring.models import ApiKey, ApiKeyCheck, Dependency, DependencyProbe
from monitoring.selectors.probes import cert_days_left
from monitoring.services import probes


class _NewestInline(admin.TabularInline):
    """Only the newest rows: probe tables grow by one row a minute per dependency."""

    extra = 0
    can_delete = False
    max_num = 0
    parent_field = ""

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        object_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match \
            else None
        if not str(object_id or "").isdigit():
            return qs.none()
        newest = qs.filter(**{f"{self.parent_field}_id": object_id}).order_by("-at", "-id")[:20]
        return qs.filter(id__in=list(newest.values_list("id", flat=True)))


class DependencyProbeInline(_NewestInline):
    model = DependencyProbe
    parent_field = "dependency"
    fields = ["at", "ok", "status_code", "latency_ms", "reason", "cert_days_left"]
    readonly_fields = fields


@admin.register(Dependency)
class DependencyAdmin(SecretUrlAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "url", "enabled", "last_ok", "last_status_code",
                    "last_latency_ms", "days_left", "consecutive_failures", "last_probe_at",
                    "last_reason"]
    list_filter = ["kind", "enabled", "last_ok"]
    search_fields = ["name"]  # the URL column holds ciphertext
    readonly_fields = ["last_probe_at", "last_ok", "last_status_code", "last_latency_ms",
                       "last_reason", "consecutive_failures", "cert_expires_at", "days_left"]
    inlines = [DependencyProbeInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["probe_now"]
    masked_url = masked_display("url")

    @admin.display(description="cert days left")
    def days_left(self, obj):
        return cert_days_left(obj, now=timezone.now())

    @admin.action(description="Probe the selected dependencies now", permissions=["change"])
    def probe_now(self, request, queryset):
        found = probes.dependencies_probe(now=timezone.now(), force=True,
                                          dependencies=list(queryset))
        self.message_user(request, "; ".join(
            f"{p.dependency.name}: {'ok' if p.ok else p.reason} ({p.latency_ms} ms"
            + (f", certificate {p.cert_days_left:.1f} days" if p.cert_days_left is not None
               else "") + ")" for p in found))


@admin.register(DependencyProbe)
class DependencyProbeAdmin(admin.ModelAdmin):
    list_display = ["at", "dependency", "ok", "status_code", "latency_ms", "cert_days_left",
                    "reason"]
    list_filter = ["ok", "dependency"]
    list_select_related = ["dependency"]
    show_full_result_count = False
    readonly_fields = ["dependency", "at", "ok", "status_code", "latency_ms", "reason",
                       "cert_expires_at", "cert_days_left"]

    def has_add_permission(self, request):
        return False


class ApiKeyForm(forms.ModelForm):
    # Never rendered back: a blank field on change keeps the stored key.
    secret = forms.CharField(widget=forms.PasswordInput(render_value=False), required=False,
                             help_text="Stored encrypted, never shown. Leave blank to keep it.")

    class Meta:
        model = ApiKey
        fields = ["provider", "name", "secret", "enabled"]

    def clean_secret(self):
        value = (self.cleaned_data.get("secret") or "").strip()
        if not value and not self.instance.pk:
            raise forms.ValidationError("the key is required")
        return value or self.instance.secret


class ApiKeyCheckInline(_NewestInline):
    model = ApiKeyCheck
    parent_field = "key"
    fields = ["at", "outcome", "status_code", "latency_ms", "reason"]
    readonly_fields = fields


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ["name", "provider", "masked_secret", "enabled", "last_outcome",
                    "last_checked_at", "last_success_at", "last_reason"]
    list_filter = ["provider", "enabled", "last_outcome"]
    search_fields = ["name"]
    readonly_fields = ["last_checked_at", "last_outcome", "last_reason", "last_success_at"]
    inlines = [ApiKeyCheckInline]
    actions = ["check_now"]

    @admin.display(description="secret")
    def masked_secret(self, obj):
        return "••••••••" if obj.secret else ""

    @admin.action(description="Check the selected keys now", permissions=["change"])
    def check_now(self, request, queryset):
        checks = probes.api_keys_check(now=timezone.now(), force=True, keys=list(queryset))
        self.message_user(request, "; ".join(
            f"{c.key.name}: {c.get_outcome_display()}" + (f" ({c.reason})" if c.reason else "")
            for c in checks))


@admin.register(ApiKeyCheck)
class ApiKeyCheckAdmin(admin.ModelAdmin):
    list_display = ["at", "key", "outcome", "status_code", "latency_ms", "reason"]
    list_filter = ["outcome", "key__provider"]
    list_select_related = ["key"]
    show_full_result_count = False
    readonly_fields = ["key", "at", "outcome", "status_code", "latency_ms", "reason"]

    def has_add_permission(self, request):
        return False
