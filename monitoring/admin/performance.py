import datetime

from django.contrib import admin, messages
from django.utils import timezone

from monitoring.models import Baseline, MeasurementRollup, PerformanceRegression
from monitoring.services.performance import baselines_establish


def _establish(modeladmin, request, queryset):
    names = sorted(set(queryset.values_list("measurement", flat=True)))
    created, skipped = baselines_establish(now=timezone.now(),
                                           window=datetime.timedelta(hours=24),
                                           measurements=names)
    for b in created:
        modeladmin.message_user(request, f"New baseline for {b.measurement}: p95 {b.p95:.2f} "
                                         f"from {b.samples} samples ({b.version}).")
    for reason in skipped:
        modeladmin.message_user(request, f"Skipped: {reason}", level=messages.WARNING)


_establish.short_description = "Establish a new baseline from the last 24 h"
_establish.allowed_permissions = ("establish",)


class _Establishes:
    def has_establish_permission(self, request):
        # Operators and admins (add on baselines); viewers only look.
        return request.user.has_perm("monitoring.add_baseline")


@admin.register(Baseline)
class BaselineAdmin(_Establishes, admin.ModelAdmin):
    list_display = ["measurement", "active", "p50", "p95", "p99", "samples", "version",
                    "window_start", "window_end", "regression_threshold_pct", "min_samples"]
    list_filter = ["active", "version"]
    search_fields = ["measurement", "version"]
    ordering = ["measurement", "-created_at"]
    # Only the verdict knobs are editable: the numbers are what the window measured.
    readonly_fields = ["measurement", "p50", "p95", "p99", "samples", "window_start",
                       "window_end", "version", "active", "created_at"]
    actions = [_establish]

    def has_add_permission(self, request):
        return False  # baselines come from measurements: the action or `manage.py baseline`


@admin.register(MeasurementRollup)
class MeasurementRollupAdmin(_Establishes, admin.ModelAdmin):
    list_display = ["measurement", "start", "seconds", "count"]
    list_filter = ["seconds", ("start", admin.DateFieldListFilter)]
    search_fields = ["measurement"]
    ordering = ["-start", "measurement"]
    show_full_result_count = False
    readonly_fields = ["measurement", "start", "seconds", "count", "data"]
    actions = [_establish]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PerformanceRegression)
class PerformanceRegressionAdmin(admin.ModelAdmin):
    list_display = ["measurement", "ratio", "current_p95", "baseline_p95", "samples",
                    "detected_at", "last_seen_at", "resolved_at"]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["measurement"]
    ordering = ["-detected_at"]
    readonly_fields = ["measurement", "baseline", "detected_at", "last_seen_at", "resolved_at",
                       "baseline_p95", "current_p95", "ratio", "samples"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
