from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from checklist.admin.waivers import WaiverInline
from checklist.models import (
    ChecklistItem,
    ChecklistItemEvent,
    ReadinessOverview,
    VerificationResult,
)
from checklist.services.items import checklist_item_save
from checklist.services.verification import checklist_verify


class EventInline(admin.TabularInline):
    model = ChecklistItemEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ["at", "kind", "from_status", "to_status", "actor", "note"]

    def has_add_permission(self, request, obj=None):
        return False


class VerificationInline(admin.TabularInline):
    model = VerificationResult
    extra = 0
    can_delete = False
    max_num = 0
    fields = readonly_fields = ["checked_at", "verifier_key", "passed", "detail",
                                "evidence_label"]

    def get_queryset(self, request):
        # Verifiers run every 5 minutes: show the latest, not months of them.
        ids = (VerificationResult.objects.order_by("-checked_at", "-id")
               .values_list("pk", flat=True))
        qs = super().get_queryset(request)
        item_id = request.resolver_match.kwargs.get("object_id")
        if item_id:
            qs = qs.filter(pk__in=list(ids.filter(item_id=item_id)[:20]))
        return qs


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["text", "category", "status", "required", "owner", "verifier_key",
                    "evidence_display"]
    list_filter = ["category", "status", "required"]
    list_select_related = ["owner", "evidence_content_type"]
    search_fields = ["text", "key", "evidence_note"]
    readonly_fields = ["key", "category", "text", "verifier_key", "status_changed_at",
                       "evidence_object_link"]
    fieldsets = [
        (None, {"fields": ["key", "category", "text", "required", "owner", "status",
                           "status_changed_at", "verifier_key"]}),
        ("Evidence", {"fields": ["evidence_url", "evidence_note", "evidence_content_type",
                                 "evidence_object_id", "evidence_label", "evidence_object_link"],
                      "description": "A link, a note, or a recorded object (its type and id: "
                                     "a backup run, a restore drill, a health sample...)."}),
    ]
    raw_id_fields = ["owner"]
    inlines = [WaiverInline, EventInline, VerificationInline]
    actions = ["run_verifiers"]

    def has_add_permission(self, request):
        return False  # the plan's items are seeded by bootstrap

    def has_delete_permission(self, request, obj=None):
        return False  # waive an item instead of deleting it

    @admin.display(description="evidence")
    def evidence_display(self, obj):
        if obj.evidence_url:
            return format_html('<a href="{}">{}</a>', obj.evidence_url,
                               obj.evidence_summary()[:80])
        return obj.evidence_summary()[:80]

    @admin.display(description="evidence object")
    def evidence_object_link(self, obj):
        if not (obj.evidence_content_type_id and obj.evidence_object_id):
            return "—"
        ct = obj.evidence_content_type
        try:
            url = reverse(f"admin:{ct.app_label}_{ct.model}_change",
                          args=[obj.evidence_object_id])
        except Exception:  # the object's app has no admin page for it
            return obj.evidence_label
        return format_html('<a href="{}">{}</a>', url, obj.evidence_label)

    def save_model(self, request, obj, form, change):
        checklist_item_save(item=obj, actor=request.user, note="changed in admin")

    @admin.action(description="Run the automated verifiers now")
    def run_verifiers(self, request, queryset):
        result = checklist_verify()
        self.message_user(request, result["summary"], messages.SUCCESS)


@admin.register(VerificationResult)
class VerificationResultAdmin(admin.ModelAdmin):
    list_display = ["checked_at", "item", "verifier_key", "passed", "detail"]
    list_filter = ["passed", "verifier_key"]
    list_select_related = ["item"]
    search_fields = ["detail", "item__text"]
    show_full_result_count = False
    date_hierarchy = "checked_at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReadinessOverview)
class ReadinessOverviewAdmin(admin.ModelAdmin):
    """Lists "Readiness overview" in the admin index; opens the readiness page."""

    def changelist_view(self, request, extra_context=None):
        return HttpResponseRedirect(reverse("readiness"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def validation_message(exc: ValidationError) -> str:
    return "; ".join(exc.messages)
