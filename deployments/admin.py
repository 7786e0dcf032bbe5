from django.contrib import admin
from django.utils.html import format_html, format_html_join

from deployments.models import (
    Deployment,
    DeploymentCheckRun,
    DocsCheckRun,
    PreflightRun,
    SmokeTestRun,
)


def _results_table(results):
    rows = format_html_join(
        "", "<tr><td>{}</td><td><b>{}</b></td><td>{}</td><td>{} ms</td></tr>",
        ((r.get("name"), r.get("status", "").upper(), r.get("detail", ""),
          r.get("duration_ms", "")) for r in results),
    )
    return format_html("<table><tr><th>check</th><th>status</th><th>detail</th>"
                       "<th>took</th></tr>{}</table>", rows)


class _ReadOnly:
    """Runs are written by the commands; the admin shows them and never edits."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CheckRunInline(_ReadOnly, admin.TabularInline):
    model = DeploymentCheckRun
    extra = 0
    fields = readonly_fields = ["kind", "target", "ok", "started_at", "failed"]
    show_change_link = True

    @admin.display(description="failed checks")
    def failed(self, obj):
        return ", ".join(obj.failed_checks) or "-"


class _CheckRunAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ["started_at", "kind", "target", "ok", "failed", "deployment"]
    list_filter = ["ok", "kind"]
    search_fields = ["target"]
    date_hierarchy = "started_at"
    show_full_result_count = False
    list_select_related = ["deployment"]
    raw_id_fields = ["deployment"]
    fields = readonly_fields = ["kind", "target", "ok", "started_at", "finished_at",
                                "deployment", "checks"]

    @admin.display(description="failed checks")
    def failed(self, obj):
        return ", ".join(obj.failed_checks) or "-"

    @admin.display(description="checks")
    def checks(self, obj):
        return _results_table(obj.results)


@admin.register(PreflightRun)
class PreflightRunAdmin(_CheckRunAdmin):
    pass


@admin.register(SmokeTestRun)
class SmokeTestRunAdmin(_CheckRunAdmin):
    pass


@admin.register(DocsCheckRun)
class DocsCheckRunAdmin(_CheckRunAdmin):
    pass


@admin.register(Deployment)
class DeploymentAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ["started_at", "environment", "version", "origin", "previous_version",
                    "status", "load_requests", "load_rps", "load_p95_ms", "load_failures",
                    "rollback_ok", "duration"]
    list_filter = ["imported", "status", "environment", "rollback_ok"]
    search_fields = ["version", "previous_version", "error", "imported_by"]
    date_hierarchy = "started_at"
    inlines = [CheckRunInline]
    fields = readonly_fields = ["origin", "environment", "version", "previous_version", "status",
                                "started_at", "finished_at", "duration", "load_requests",
                                "load_failures", "load_rps", "load_p95_ms", "rollback_ok",
                                "error", "step_log"]

    @admin.display(description="origin", ordering="imported")
    def origin(self, obj):
        # An imported record is shown, never counted: the badge says so where it is read.
        if obj.imported:
            return format_html('<span style="background:#b45309;color:#fff;padding:1px 6px;'
                               'border-radius:3px" title="fed in with record_deployment; '
                               'not launch evidence">imported</span> by {}', obj.imported_by)
        return "recorded (make staging)"

    @admin.display(description="duration")
    def duration(self, obj):
        if not obj.finished_at:
            return "-"
        return f"{(obj.finished_at - obj.started_at).total_seconds():.0f} s"

    @admin.display(description="steps")
    def step_log(self, obj):
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td><b>{}</b></td><td>{}</td></tr>",
            ((s.get("at", ""), s.get("step"), "ok" if s.get("ok") else "FAILED",
              s.get("detail", "")) for s in obj.steps),
        )
        return format_html("<table><tr><th>at</th><th>step</th><th>result</th>"
                           "<th>detail</th></tr>{}</table>", rows)
