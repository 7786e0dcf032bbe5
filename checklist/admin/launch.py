from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models

from checklist.models import Launch, LaunchStep, LaunchStepEvent, PostLaunchReview, StepStatus
from checklist.services.launch import (
    launch_save,
    launch_step_finish,
    launch_step_save,
    post_launch_review_complete,
    post_launch_review_prefill,
)
from common.history import HistoryInline


class StepInline(admin.TabularInline):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    model = LaunchStep
    extra = 0
    can_delete = False
    fields = ["label", "text", "due_at", "automated", "owner", "status", "notes",
              "evidence_url", "evidence_label", "completed_at", "completed_by"]
    readonly_fields = ["label", "text", "due_at", "automated", "evidence_label",
                       "completed_at", "completed_by"]
    raw_id_fields = ["owner"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LaunchStep)
class LaunchStepAdmin(admin.ModelAdmin):
    """Read-only: steps are edited on their launch's page; here each shows its history."""

    list_display = ["launch", "label", "text", "due_at", "status", "owner", "completed_at"]
    list_filter = ["status", "automated", "launch"]
    search_fields = ["label", "text", "notes"]
    list_select_related = ["launch", "owner"]
    inlines = [type("LaunchStepEventInline", (HistoryInline,), {"model": LaunchStepEvent})]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Launch)
class LaunchAdmin(admin.ModelAdmin):
    list_display = ["name", "launch_at", "created_at"]
    inlines = [StepInline]

    def save_model(self, request, obj, form, change):
        # A new launch gets the plan's steps; a new launch time, due times and reviews.
        schedule = bool("launch_at" in form.changed_data and obj.launch_at)
        launch_save(launch=obj, schedule=schedule)
        if schedule:
            self.message_user(request, "due times and the 30 days of reviews planned")

    def save_formset(self, request, form, formset, change):
        # Saves nothing (commit=False): lists the changed steps for the admin's history
        # message, which otherwise fails on a formset that was never saved.
        formset.save(commit=False)
        for step_form in formset.forms:
            step = step_form.instance
            if not step_form.has_changed() or not step.pk:
                continue
            if "status" in step_form.changed_data and step.status != StepStatus.PENDING:
                try:
                    launch_step_finish(step=step, status=step.status, actor=request.user,
                                       notes=step.notes)
                except ValidationError as exc:
                    self.message_user(request, f"{step.label}: {'; '.join(exc.messages)}",
                                      messages.ERROR)
                continue
            launch_step_save(step=step, actor=request.user)


@admin.register(PostLaunchReview)
class PostLaunchReviewAdmin(admin.ModelAdmin):
    list_display = ["__str__", "cadence", "due_at", "status", "figures_at", "completed_by"]
    list_filter = ["cadence", "status"]
    list_select_related = ["completed_by"]
    readonly_fields = ["launch", "cadence", "day", "due_at", "figures", "figures_at",
                       "completed_by", "completed_at"]
    fields = ["launch", "cadence", "day", "due_at", "checks", "figures", "figures_at", "notes",
              "status", "completed_by", "completed_at"]
    actions = ["prefill", "complete"]

    def has_add_permission(self, request):
        return False  # planned from the launch time

    @admin.action(description="Pre-fill the numbers from /metrics now")
    def prefill(self, request, queryset):
        done = sum(bool(post_launch_review_prefill(review=r).figures_at) for r in queryset)
        self.message_user(request, f"{done} of {queryset.count()} review(s) pre-filled")

    @admin.action(description="Mark reviewed")
    def complete(self, request, queryset):
        for review in queryset:
            post_launch_review_complete(review=review, actor=request.user)
        self.message_user(request, f"{queryset.count()} review(s) marked done")
