"""The CI's evidence in the admin: read-only lists (it arrives through the API only),
with the drill-down of the least-covered files and the failed tests."""

from django.contrib import admin
from django.utils.html import format_html_join

from codescans.admin import _table
from codescans.models import CodeReview, CoverageReport, TestReport


class _EvidenceAdmin(admin.ModelAdmin):
    date_hierarchy = "received_at"
    search_fields = ["commit", "posted_by", "sha256"]
    list_filter = ["received_at"]

    def get_readonly_fields(self, request, obj=None):
        hidden = set(self.exclude or ())  # JSON shown as a table instead (extra_readonly)
        return [f.name for f in self.model._meta.concrete_fields
                if f.name not in hidden] + list(self.extra_readonly)

    extra_readonly: tuple[str, ...] = ()

    @admin.display(description="commit", ordering="commit")
    def short_commit(self, obj):
        return obj.commit[:12]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CoverageReport)
class CoverageReportAdmin(_EvidenceAdmin):
    list_display = ["id", "short_commit", "received_at", "format", "rate", "lines_covered",
                    "lines_valid", "branch", "files", "posted_by"]
    list_filter = ["format", "received_at"]
    exclude = ["lowest_files"]
    extra_readonly = ("least_covered_files",)

    @admin.display(description="line rate", ordering="line_rate")
    def rate(self, obj):
        return f"{obj.line_rate:.1%}"

    @admin.display(description="branch rate", ordering="branch_rate")
    def branch(self, obj):
        return "-" if obj.branch_rate is None else f"{obj.branch_rate:.1%}"

    @admin.display(description="least-covered files")
    def least_covered_files(self, obj):
        return _table(("file", "line rate", "lines missed"), (
            (f["path"], f"{f['line_rate']:.1%}", f["missing"]) for f in obj.lowest_files))


@admin.register(TestReport)
class TestReportAdmin(_EvidenceAdmin):
    __test__ = False  # pytest: an admin, not a test class

    list_display = ["id", "short_commit", "received_at", "tests", "failures", "errors",
                    "skipped", "duration", "posted_by"]
    exclude = ["failed_ids"]
    extra_readonly = ("failed_tests",)

    @admin.display(description="duration", ordering="duration_seconds")
    def duration(self, obj):
        return f"{obj.duration_seconds:.1f} s"

    @admin.display(description="failed tests")
    def failed_tests(self, obj):
        if not obj.failed_ids:
            return "-"
        more = obj.failed_total - len(obj.failed_ids)
        rows = [(test_id,) for test_id in obj.failed_ids]
        if more > 0:
            rows.append((f"... and {more} more",))
        return format_html_join("", "<div><code>{}</code></div>", rows)


@admin.register(CodeReview)
class CodeReviewAdmin(_EvidenceAdmin):
    list_display = ["id", "short_commit", "received_at", "change", "approvers", "author",
                    "posted_by"]
    search_fields = ["commit", "change", "author", "posted_by"]

    @admin.display(description="approved by")
    def approvers(self, obj):
        return ", ".join(obj.approved_by)
