from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from checklist import records
from checklist.models import DecisionSignoff, LaunchDecision
from checklist.selectors import readiness_compute, user_is_portal_admin
from checklist.services.decisions import launch_decision_record, launch_decision_sign_off


class SignoffInline(admin.TabularInline):
    model = DecisionSignoff
    extra = 0
    can_delete = False
    max_num = 0
    fields = readonly_fields = ["role", "user", "signed_at", "note"]


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
    list_display = ["decided_at", "decision", "decided_by", "state", "signed_at",
                    "regressed_at", "note"]
    list_filter = ["decision"]
    list_select_related = ["decided_by"]
    form = DecisionForm
    inlines = [SignoffInline]
    actions = ["sign_off"]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    @admin.display(description="state")
    def state(self, obj):
        return records.decision_state(obj)

    @admin.display(description="Markdown")
    def markdown_link(self, obj):
        return format_html('<a href="{}?format=md">download the record as Markdown</a>',
                           reverse("decision-api", args=[obj.pk]))

    @admin.display(description="sign-offs needed")
    def roles_needed(self, obj):
        return ", ".join(settings.GO_SIGNOFF_ROLES) if obj.decision == "GO" else "—"

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["decision", "note"]
        return ["decision", "state", "decided_by", "decided_at", "note", "roles_needed",
                "signed_at", "regressed_at", "regression_reason", "markdown_link",
                "snapshot_display"]

    @admin.action(description="Sign off the selected GO (in the first unsigned role you hold)")
    def sign_off(self, request, queryset):
        for record in queryset:
            try:
                signoff = launch_decision_sign_off(record=record, user=request.user)
            except (ValidationError, PermissionDenied) as exc:
                text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                self.message_user(request, f"{record}: {text}", messages.ERROR)
            else:
                self.message_user(request, f"{record}: signed off as {signoff.role}.",
                                  messages.SUCCESS)

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
