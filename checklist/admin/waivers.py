"""Waivers in the admin: asked for by Operators, approved or rejected by another Admin."""

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from checklist.models import VerdictEvent, Waiver
from checklist.selectors import user_is_portal_admin
from checklist.services.waivers import waiver_approve, waiver_reject, waiver_request
from common.admin import AppendOnlyAdmin


class WaiverForm(forms.ModelForm):
    class Meta:
        model = Waiver
        fields = ["item", "reason", "expires_at"]
        help_texts = {"expires_at": "UTC; at most WAIVER_MAX_DAYS ahead."}


def _say(admin_obj, request, exc: Exception) -> None:
    text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    admin_obj.message_user(request, text, messages.ERROR)


@admin.register(Waiver)
class WaiverAdmin(admin.ModelAdmin):
    list_display = ["item", "state", "requested_by", "requested_at", "decided_by",
                    "expires_at", "live"]
    list_filter = ["state", "item__category"]
    list_select_related = ["item", "requested_by", "decided_by"]
    search_fields = ["reason", "item__text", "item__key"]
    actions = ["approve", "reject"]
    form = WaiverForm

    @admin.display(boolean=True, description="closes its item now")
    def live(self, obj):
        return obj.state == Waiver.State.APPROVED and obj.expires_at > timezone.now()

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["item", "reason", "expires_at"]
        return ["item", "state", "reason", "expires_at", "requested_by", "requested_at",
                "decided_by", "decided_at", "decision_note"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("expires_at", timezone.now() + datetime.timedelta(days=7))
        return initial

    def has_change_permission(self, request, obj=None):
        # Read-only pages (the actions decide); the changelist needs view only.
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # a waiver is a record: reject or let it expire

    def save_model(self, request, obj, form, change):
        # The service, not the form, names who asked: the signed-in user.
        waiver = waiver_request(item=obj.item, reason=obj.reason, expires_at=obj.expires_at,
                                user=request.user)
        obj.pk = waiver.pk
        obj.__dict__.update(waiver.__dict__)

    def _decide(self, request, queryset, act, verb: str):
        done = 0
        for waiver in queryset:
            try:
                act(waiver=waiver, user=request.user)
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                _say(self, request, exc)
        if done:
            self.message_user(request, f"{done} waiver(s) {verb}.", messages.SUCCESS)

    @admin.action(description="Approve the selected waivers (an Admin who did not ask)")
    def approve(self, request, queryset):
        if not user_is_portal_admin(request.user):
            self.message_user(request, "Only an Admin approves a waiver.", messages.ERROR)
            return
        self._decide(request, queryset, waiver_approve, "approved")

    @admin.action(description="Reject (or withdraw your own) selected waivers")
    def reject(self, request, queryset):
        self._decide(request, queryset, waiver_reject, "rejected or withdrawn")


class WaiverInline(admin.TabularInline):
    model = Waiver
    extra = 0
    can_delete = False
    max_num = 0
    fields = readonly_fields = ["state", "reason", "requested_by", "decided_by", "expires_at"]
    show_change_link = True


@admin.register(VerdictEvent)
class VerdictEventAdmin(AppendOnlyAdmin):
    list_display = ["at", "kind", "actor", "item", "decision", "note"]
    list_filter = ["kind"]
    list_select_related = ["actor", "item", "decision"]
    search_fields = ["note", "item__text"]
    date_hierarchy = "at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]
