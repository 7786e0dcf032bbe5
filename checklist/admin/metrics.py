import threading

from django.contrib import admin

from checklist.models import SuccessMetric, SuccessMetricEntry
from checklist.services.metrics import success_metric_entry_record, success_metrics_evaluate


class EntryInline(admin.TabularInline):
    model = SuccessMetricEntry
    extra = 1
    fields = ["value", "source", "entered_by", "entered_at"]
    readonly_fields = ["entered_by", "entered_at"]
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False  # entries are a record: add a new one to correct a number


@admin.register(SuccessMetric)
class SuccessMetricAdmin(admin.ModelAdmin):
    list_display = ["text", "group", "target_display", "current", "met", "budget_left",
                    "source"]
    list_filter = ["group"]
    fields = readonly_fields = ["key", "group", "text", "source", "comparator", "target",
                                "unit", "has_error_budget"]
    inlines = [EntryInline]

    def has_add_permission(self, request):
        return False  # the plan's objectives are seeded by bootstrap

    def get_inlines(self, request, obj):
        # A number the portal measures takes no hand-typed value (it would forge it).
        return [] if obj is not None and obj.source else self.inlines

    def has_delete_permission(self, request, obj=None):
        return False

    # The ModelAdmin is one instance shared by every request (and thread) of the
    # process: the page's evaluation lives in a thread-local, not on `self`.
    _page = threading.local()

    def changelist_view(self, request, extra_context=None):
        # Evaluate once per page, not once per row and column.
        # Left in place after returning: the TemplateResponse renders the rows later.
        self._page.rows = {r["key"]: r for r in success_metrics_evaluate()}
        return super().changelist_view(request, extra_context)

    def _row(self, obj):
        rows = getattr(self._page, "rows", None) or {
            r["key"]: r for r in success_metrics_evaluate()}
        return rows[obj.key]

    @admin.display(description="target")
    def target_display(self, obj):
        return f"{self._row(obj)['target']} {obj.unit}"

    @admin.display(description="current")
    def current(self, obj):
        value = self._row(obj)["value"]
        return "—" if value is None else f"{value:g} {obj.unit}"

    @admin.display(description="met", boolean=True)
    def met(self, obj):
        return self._row(obj)["met"]

    @admin.display(description="error budget left")
    def budget_left(self, obj):
        left = self._row(obj)["error_budget_left"]
        return "—" if left is None else f"{left:.0%}"

    def save_formset(self, request, form, formset, change):
        entries = formset.save(commit=False)
        for entry in entries:
            success_metric_entry_record(entry=entry, user=request.user)
