"""The kill switch in the admin: ask (the add form) and confirm (an action)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone

from alerting.models import BotControlRequest, ControlAction, ControlState
from alerting.services import bot_control


class BotControlAskForm(forms.ModelForm):
    class Meta:
        model = BotControlRequest
        fields = ["action", "reason"]
        help_texts = {"reason": "Why, for whoever reads this later (at least "
                                f"{bot_control.MIN_REASON} characters)."}

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if len(reason) < bot_control.MIN_REASON:
            raise ValidationError(f"Say why, in at least {bot_control.MIN_REASON} characters.")
        return reason


@admin.register(BotControlRequest)
class BotControlRequestAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "state", "requested_label", "confirmed_by",
                    "response_status", "response_ms", "expires_at", "error"]
    list_filter = ["state", "action", ("alert", admin.EmptyFieldListFilter)]
    search_fields = ["reason", "requested_label", "error"]
    list_select_related = ["confirmed_by"]
    date_hierarchy = "created_at"
    actions = ["confirm"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = BotControlAskForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["action", "reason"]
        return [f.name for f in BotControlRequest._meta.fields if f.name != "id"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            return  # a record: nothing on it is edited by hand
        req = bot_control.bot_control_request(
            action=form.cleaned_data["action"], reason=form.cleaned_data["reason"],
            now=timezone.now(), user=request.user)
        obj.pk, obj.state = req.pk, req.state
        if req.state == ControlState.PENDING_CONFIRMATION:
            self.message_user(request, f"exit_all #{req.pk} waits for a second person's "
                              f"confirmation until {req.expires_at:%H:%M} UTC.",
                              messages.WARNING)
        elif req.state == ControlState.FAILED:
            self.message_user(request, f"The bot did not take it: {req.error}", messages.ERROR)

    @admin.action(description="Confirm the selected exit_all (as the second person)",
                  permissions=["change"])
    def confirm(self, request, queryset):
        for req in queryset.filter(action=ControlAction.EXIT_ALL):
            try:
                req = bot_control.bot_control_confirm(request_id=req.pk, user=request.user,
                                                      now=timezone.now())
            except ValidationError as exc:
                self.message_user(request, exc.messages[0], messages.ERROR)
                continue
            level = messages.SUCCESS if req.state == ControlState.CONFIRMED else messages.ERROR
            self.message_user(request, f"#{req.pk}: {req.get_state_display()}"
                              f"{' (' + req.error + ')' if req.error else ''}", level)
