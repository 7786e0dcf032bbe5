from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join

from checklist.models import LaunchDecision
from checklist.selectors import readiness_compute, user_is_portal_admin
from checklist.services.decisions import launch_decision_record


class DecisionForm(forms.ModelForm):
    class Meta:
        model = LaunchDecision
        fields = ["decision", "note"]

    def clean(self):
        data = super().clean()
        if data.get("decision") == LaunchDecision.Decision.GO:
            blockers = readiness_compute()["blockers"]
            if blockers:
                raise ValidationError(
                    f"GO refused: {len(blockers)} required item(s) open: "
                    + "; ".join(f"{b['category']}: {b['item']}" for b in blockers[:10]))
        return data


@admin.register(LaunchDecision)
class LaunchDecisionAdmin(admin.ModelAdmin):
    list_display = ["decided_at", "decision", "decided_by", "regressed_at", "note"]
    list_filter = ["decision"]
    list_select_related = ["decided_by"]
    form = DecisionForm

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["decision", "note"]
        return ["decision", "decided_by", "decided_at", "note", "regressed_at",
                "regression_reason", "snapshot_display"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    @admin.display(description="frozen readiness")
    def snapshot_display(self, obj):
        s = obj.snapshot or {}
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((i["category"], i["text"], i["status"], i["evidence"])
             for i in s.get("items", [])))
        return format_html("<p>{} · {}% complete · taken {}</p><table>{}</table>",
                           s.get("decision"), s.get("percent_complete"), s.get("taken_at"),
                           rows)

    # Decisions are signed by Admins only, whatever the role matrix gives Operators.
    def has_add_permission(self, request):
        return user_is_portal_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return False  # a decision is a signed record: never edited

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        record = launch_decision_record(decision=obj.decision, user=request.user,
                                        note=obj.note)
        obj.pk = record.pk
        obj.__dict__.update(record.__dict__)
